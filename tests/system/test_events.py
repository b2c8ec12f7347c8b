"""The events table: what the realtime layer will read.

What users rely on: every change to a post, a comment or a sighting writes
exactly one events row in the post's channel, in the same transaction, with
the right type (post.created, post.updated, post.deleted, comment.created,
comment.updated, comment.deleted, sighting.created) and ids (post_id,
comment_id, organisation_id of a sighting); each channel numbers its events
1, 2, 3, ... with no gap; a share is a post.created in the target channel; a
request that is refused or changes nothing writes no event.  (Gap-free seq
under concurrent writers: test_post_durability.py.)
"""

import pytest

from community_helpers import assert_no_server_errors, expect, new_channel
from post_helpers import build_post_world, create_post, is_problem, tag


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


def fresh_channel(server, w):
    return new_channel(server, w.c1, w.tok("owner"), name="ev-" + tag())["id"]


def events(server, channel):
    rows = server.sql("SELECT seq, type, post_id::text, comment_id::text,"
                      " organisation_id::text FROM events WHERE channel_id = %s ORDER BY seq",
                      (channel,))
    return [tuple(r) for r in rows]


def assert_contiguous(server, channel):
    seqs = [e[0] for e in events(server, channel)]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    assert server.sql("SELECT event_seq FROM channels WHERE id = %s",
                      (channel,))[0][0] == len(seqs)


def test_every_change_writes_one_event_of_its_type_in_order(server, w):
    ch = fresh_channel(server, w)
    a, m = w.tok("author"), w.tok("member")
    p = create_post(server, a, ch)["id"]
    expect(server.patch("posts/%s" % p, token=a, json={"title": "Edited " + tag()}), 200)
    c = expect(server.post("posts/%s/comments" % p, token=m, json={"body": "c"}), 201)["id"]
    expect(server.patch("posts/%s/comments/%s" % (p, c), token=m, json={"body": "c2"}), 200)
    assert server.delete("posts/%s/comments/%s" % (p, c), token=m).status_code == 204
    expect(server.post("posts/%s/sightings" % p, token=m, json={}), 201)
    expect(server.post("posts/%s/sightings" % p, token=w.tok("reader")), 201)
    c2 = expect(server.post("posts/%s/comments" % p, token=a, json={"body": "d"}), 201)["id"]
    # a moderator deleting someone's comment is a change too
    assert server.delete("posts/%s/comments/%s" % (p, c2),
                         token=w.tok("moderator")).status_code == 204
    assert server.delete("posts/%s" % p, token=a).status_code == 204
    assert events(server, ch) == [
        (1, "post.created", p, None, None),
        (2, "post.updated", p, None, None),
        (3, "comment.created", p, c, None),
        (4, "comment.updated", p, c, None),
        (5, "comment.deleted", p, c, None),
        (6, "sighting.created", p, None, w.member["org_id"]),
        (7, "sighting.created", p, None, w.reader["org_id"]),
        (8, "comment.created", p, c2, None),
        (9, "comment.deleted", p, c2, None),
        (10, "post.deleted", p, None, None),
    ]
    assert_contiguous(server, ch)


def test_a_moderators_post_delete_is_an_event(server, w):
    ch = fresh_channel(server, w)
    p = create_post(server, w.tok("author"), ch)["id"]
    assert server.delete("posts/%s" % p, token=w.tok("moderator")).status_code == 204
    assert [e[1:3] for e in events(server, ch)] == [("post.created", p), ("post.deleted", p)]


def test_a_share_is_a_post_created_in_the_target_channel_only(server, w):
    src, dst = fresh_channel(server, w), fresh_channel(server, w)
    p = create_post(server, w.tok("author"), src)["id"]
    copy = expect(server.post("posts/%s/share" % p, token=w.tok("member"),
                              json={"channel_id": dst}), 201)["id"]
    assert events(server, src) == [(1, "post.created", p, None, None)]
    assert events(server, dst) == [(1, "post.created", copy, None, None)]
    # across communities: the target channel's own sequence
    two_before = events(server, w.ch("two"))
    copy2 = expect(server.post("posts/%s/share" % p, token=w.tok("author"),
                               json={"channel_id": w.ch("two")}), 201)["id"]
    two = events(server, w.ch("two"))
    assert two[:-1] == two_before
    assert two[-1] == (len(two_before) + 1, "post.created", copy2, None, None)
    assert_contiguous(server, w.ch("two"))


def test_each_channel_numbers_its_own_events(server, w):
    chans = [fresh_channel(server, w) for _ in range(3)]
    for i in range(9):
        create_post(server, w.tok("author"), chans[i % 3])
    for ch in chans:
        assert [e[0] for e in events(server, ch)] == [1, 2, 3]
        assert_contiguous(server, ch)


def test_refused_and_empty_changes_write_no_event(server, w):
    ch = fresh_channel(server, w)
    a = w.tok("author")
    p = create_post(server, a, ch, "Stays " + tag(), tlp="TLP:AMBER")
    pid = p["id"]
    expect(server.post("posts/%s/sightings" % pid, token=w.tok("member"), json={}), 201)
    c = expect(server.post("posts/%s/comments" % pid, token=a, json={"body": "mine"}), 201)["id"]
    before = events(server, ch)
    refused = [
        ("PATCH", "posts/%s" % pid, w.tok("moderator"), {"title": "x"}, 403),
        ("PATCH", "posts/%s" % pid, a, {"title": ""}, 400),
        ("PATCH", "posts/%s" % pid, a, {"tlp": "TLP:RED"}, 422),
        ("DELETE", "posts/%s" % pid, w.tok("member"), None, 403),
        ("POST", "posts/%s/sightings" % pid, w.tok("member"), {}, 409),
        ("POST", "posts/%s/share" % pid, a, {"channel_id": w.ch("second")}, 422),
        ("PATCH", "posts/%s/comments/%s" % (pid, c), w.tok("member"), {"body": "x"}, 403),
        ("DELETE", "posts/%s/comments/%s" % (pid, c), w.tok("member"), None, 403),
        ("POST", "posts/%s/comments" % pid, w.tok("outsider"), {"body": "x"}, 404),
        ("POST", "channels/%s/posts" % w.ch("mods"), w.tok("member"),
         {"kind": "incident", "title": "t", "body": "b", "tlp": "TLP:GREEN"}, 403),
        ("POST", "channels/%s/posts" % ch, w.tok("suspended"),
         {"kind": "incident", "title": "t", "body": "b", "tlp": "TLP:GREEN"}, 403),
    ]
    mods_before = events(server, w.ch("mods"))
    for method, path, token, body, status in refused:
        r = server.request(method, path, token=token, json=body)
        is_problem(r, status)
    # an edit that changes nothing is no change
    same = expect(server.patch("posts/%s" % pid, token=a, json={"title": p["title"]}), 200)
    assert same["revision"] == 0
    assert events(server, ch) == before
    assert events(server, w.ch("mods")) == mods_before
