"""Idempotency-Key on every creating POST of posts (a post, a comment, a
sighting, a share): a retry with the same key and body gets the first answer
(same status, same bytes) and creates nothing; the same key with another
body is 422; a retry while the first request is still in flight is 409.
Keys are per user and kept in PostgreSQL."""

import threading
import time
import uuid

import psycopg2
import pytest

from conftest import assert_problem
from test_post_durability import community_with_writer, post_body


@pytest.fixture(scope="module")
def writer(server):
    return community_with_writer(server)


def test_a_retry_gets_the_first_answer_and_creates_nothing(server, writer):
    token, channel = writer
    key = "create-" + uuid.uuid4().hex
    first = server.post("channels/%s/posts" % channel, token=token,
                        headers={"Idempotency-Key": key}, json=post_body("once"))
    assert first.status_code == 201, first.text
    again = server.post("channels/%s/posts" % channel, token=token,
                        headers={"Idempotency-Key": key}, json=post_body("once"))
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Location"] == first.headers["Location"]
    n = server.sql("SELECT count(*) FROM posts WHERE channel_id = %s AND title = 'once'",
                   (channel,))[0][0]
    assert n == 1
    events = server.sql("SELECT count(*) FROM events WHERE post_id = %s",
                        (first.json()["id"],))[0][0]
    assert events == 1


def test_the_same_key_with_another_body_is_422(server, writer):
    token, channel = writer
    key = "reuse-" + uuid.uuid4().hex
    assert server.post("channels/%s/posts" % channel, token=token,
                       headers={"Idempotency-Key": key},
                       json=post_body("first body")).status_code == 201
    r = server.post("channels/%s/posts" % channel, token=token,
                    headers={"Idempotency-Key": key}, json=post_body("second body"))
    assert "another request body" in assert_problem(r, 422)["detail"]
    assert server.sql("SELECT count(*) FROM posts WHERE title = 'second body'")[0][0] == 0


def test_keys_are_per_user(server, writer):
    token, channel = writer
    other, other_channel = community_with_writer(server)
    key = "shared-" + uuid.uuid4().hex
    a = server.post("channels/%s/posts" % channel, token=token,
                    headers={"Idempotency-Key": key}, json=post_body("mine"))
    b = server.post("channels/%s/posts" % other_channel, token=other,
                    headers={"Idempotency-Key": key}, json=post_body("mine"))
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


def test_a_retry_while_the_first_is_in_flight_is_409(server, writer):
    token, channel = writer
    key = "inflight-" + uuid.uuid4().hex
    # hold the channel's row lock: the first request waits for it inside its
    # transaction (its key locked), as a slow first attempt would
    conn = psycopg2.connect(server.pg.dsn(server.db))
    cur = conn.cursor()
    cur.execute("SELECT 1 FROM channels WHERE id = %s FOR UPDATE", (channel,))
    results = {}

    def first():
        results["first"] = server.post("channels/%s/posts" % channel, token=token,
                                       headers={"Idempotency-Key": key},
                                       json=post_body("in flight"))

    t = threading.Thread(target=first)
    t.start()
    deadline = time.time() + 5
    while True:
        waiting = server.sql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                             " AND query LIKE '%%isacd_post_create%%'")[0][0]
        if waiting:
            break
        assert time.time() < deadline, "the first request never reached the lock"
        time.sleep(0.02)
    second = server.post("channels/%s/posts" % channel, token=token,
                         headers={"Idempotency-Key": key}, json=post_body("in flight"))
    assert "still in progress" in assert_problem(second, 409)["detail"]
    conn.rollback()
    conn.close()
    t.join(10)
    assert results["first"].status_code == 201, results["first"].text
    third = server.post("channels/%s/posts" % channel, token=token,
                        headers={"Idempotency-Key": key}, json=post_body("in flight"))
    assert third.status_code == 201 and third.content == results["first"].content
    assert server.sql("SELECT count(*) FROM posts WHERE title = 'in flight'")[0][0] == 1


def test_comments_sightings_and_shares_are_idempotent(server, writer):
    token, channel = writer
    post = server.post("channels/%s/posts" % channel, token=token,
                       json=post_body("has children")).json()
    for path, body in (("posts/%s/comments" % post["id"], {"body": "a comment"}),
                       ("posts/%s/sightings" % post["id"], {"note": "seen"})):
        key = uuid.uuid4().hex
        a = server.post(path, token=token, headers={"Idempotency-Key": key}, json=body)
        b = server.post(path, token=token, headers={"Idempotency-Key": key}, json=body)
        assert a.status_code == 201, a.text
        assert b.status_code == 201 and b.content == a.content
    assert server.sql("SELECT count(*) FROM comments WHERE post_id = %s", (post["id"],))[0][0] == 1
    assert server.sql("SELECT count(*) FROM sightings WHERE post_id = %s",
                      (post["id"],))[0][0] == 1
    # a share into a second channel of the same community
    community = post["community_id"]
    target = server.post("communities/%s/channels" % community, token=token,
                         json={"name": "elsewhere " + uuid.uuid4().hex[:6],
                               "visibility": "community", "posting": "members"}).json()
    key = uuid.uuid4().hex
    a = server.post("posts/%s/share" % post["id"], token=token,
                    headers={"Idempotency-Key": key}, json={"channel_id": target["id"]})
    b = server.post("posts/%s/share" % post["id"], token=token,
                    headers={"Idempotency-Key": key}, json={"channel_id": target["id"]})
    assert a.status_code == 201, a.text
    assert b.content == a.content
    assert server.sql("SELECT count(*) FROM posts WHERE shared_from = %s",
                      (post["id"],))[0][0] == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there", "é"])
def test_a_malformed_key_is_400(server, writer, key):
    token, channel = writer
    r = server.post("channels/%s/posts" % channel, token=token,
                    headers={"Idempotency-Key": key.encode("utf-8")},
                    json=post_body("bad key " + uuid.uuid4().hex))
    assert "Idempotency-Key" in assert_problem(r, 400)["detail"]


def test_a_retry_after_losing_access_gets_nothing_back(server):
    """The first answer is given back only to a caller who may still see
    what it created: a member removed since gets 404, like anyone else."""
    owner, channel = community_with_writer(server)
    community = server.get("channels/" + channel, token=owner).json()["community_id"]
    org = server.get("me", token=owner).json()["organisation"]["id"]
    inv = server.post("communities/%s/invites" % community, token=owner,
                      json={"email": "leaver-%s@example.org" % uuid.uuid4().hex[:8],
                            "organisation_id": org}).json()
    made = server.post("invites/accept", json={"token": inv["token"], "display_name": "Lee Ver",
                                               "password": "Grey-Heron-Lantern-417"}).json()
    member, member_id = made["token"], made["user"]["id"]
    key = "leaver-" + uuid.uuid4().hex
    first = server.post("channels/%s/posts" % channel, token=member,
                        headers={"Idempotency-Key": key}, json=post_body("before leaving"))
    assert first.status_code == 201, first.text
    assert server.delete("communities/%s/members/%s" % (community, member_id),
                         token=owner).status_code == 204
    again = server.post("channels/%s/posts" % channel, token=member,
                        headers={"Idempotency-Key": key}, json=post_body("before leaving"))
    assert_problem(again, 404)
    assert "before leaving" not in again.text
