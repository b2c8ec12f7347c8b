"""The events table: what the realtime layer reads.

What users rely on: every change to a post, a comment or a sighting writes
exactly one events row in the post's channel, in the same transaction (by
triggers, whatever path made the change), with the right type (post.created,
post.updated, post.deleted, comment.created, comment.updated,
comment.deleted, sighting.created) and ids (post_id, comment_id,
organisation_id of a sighting), and with what decides who may read the post
then (its TLP, author and recipients; an edit also those before it); seq is
the writing transaction's id times 4096 plus the event's order in it, so it
increases in the order the reader delivers (gaps allowed); a share is a
post.created in the target channel; a request that is refused or changes
nothing writes no event.  Membership, reader and channel changes write access
events, and a session that ends writes credential.revoked.  (Order under
concurrent writers: test_post_durability.py.)
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


def fresh_channel(server, w, **kw):
    return new_channel(server, w.c1, w.tok("owner"), name="ev-" + tag(), **kw)["id"]


def events(server, channel):
    """(type, post, comment, organisation) of a channel's events, in seq order."""
    rows = server.sql("SELECT type, post_id::text, comment_id::text,"
                      " organisation_id::text FROM events WHERE channel_id = %s ORDER BY seq",
                      (channel,))
    return [tuple(r) for r in rows]


def assert_numbered(server, channel):
    """seq is xid * 4096 + ord, so seq order is the order of (xid, ord)."""
    rows = server.sql("SELECT seq, xid::text::bigint, ord FROM events WHERE channel_id = %s"
                      " ORDER BY xid, ord", (channel,))
    assert all(seq == xid * 4096 + ord for seq, xid, ord in rows), rows
    seqs = [r[0] for r in rows]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


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
        ("post.created", p, None, None),
        ("post.updated", p, None, None),
        ("comment.created", p, c, None),
        ("comment.updated", p, c, None),
        ("comment.deleted", p, c, None),
        ("sighting.created", p, None, w.member["org_id"]),
        ("sighting.created", p, None, w.reader["org_id"]),
        ("comment.created", p, c2, None),
        ("comment.deleted", p, c2, None),
        ("post.deleted", p, None, None),
    ]
    assert_numbered(server, ch)


def test_a_moderators_post_delete_is_an_event(server, w):
    ch = fresh_channel(server, w)
    p = create_post(server, w.tok("author"), ch)["id"]
    assert server.delete("posts/%s" % p, token=w.tok("moderator")).status_code == 204
    assert [e[:2] for e in events(server, ch)] == [("post.created", p), ("post.deleted", p)]


def test_a_share_is_a_post_created_in_the_target_channel_only(server, w):
    src, dst = fresh_channel(server, w), fresh_channel(server, w)
    p = create_post(server, w.tok("author"), src)["id"]
    copy = expect(server.post("posts/%s/share" % p, token=w.tok("member"),
                              json={"channel_id": dst}), 201)["id"]
    assert events(server, src) == [("post.created", p, None, None)]
    assert events(server, dst) == [("post.created", copy, None, None)]
    # across communities: in the target channel
    two_before = events(server, w.ch("two"))
    copy2 = expect(server.post("posts/%s/share" % p, token=w.tok("author"),
                               json={"channel_id": w.ch("two")}), 201)["id"]
    two = events(server, w.ch("two"))
    assert two[:-1] == two_before
    assert two[-1] == ("post.created", copy2, None, None)
    assert_numbered(server, w.ch("two"))


def test_each_event_carries_the_audience_of_its_post(server, w):
    """What decides who may read the post at the event, and before an edit:
    a deleted post's audience, or those who lose it to an edit, are known."""
    ch = fresh_channel(server, w)
    a = w.tok("author")
    p = create_post(server, a, ch)["id"]
    # (the moderator is on every roster: a recipient the author may name)
    expect(server.patch("posts/%s" % p, token=a,
                        json={"tlp": "TLP:RED", "recipients": [w.moderator["id"]]}), 200)
    assert server.delete("posts/%s" % p, token=a).status_code == 204
    rows = server.sql("SELECT type, tlp, author_id::text, recipients::text[], lost_tlp,"
                      " lost_recipients::text[] FROM events WHERE channel_id = %s"
                      " ORDER BY seq", (ch,))
    me = w.author["id"]
    assert rows == [
        ("post.created", "TLP:GREEN", me, [], None, None),
        ("post.updated", "TLP:RED", me, [w.moderator["id"]], "TLP:GREEN", []),
        ("post.deleted", "TLP:RED", me, [w.moderator["id"]], None, None),
    ]


def test_changes_of_access_and_credentials_are_events(server, w):
    """Who may read what changed: the realtime layer asks the access
    definition again for those it concerns; a session that ends closes its
    sockets."""
    ch = fresh_channel(server, w, visibility="restricted")
    owner = w.tok("owner")

    def access_events():
        return server.sql("SELECT channel_id::text, user_id::text FROM events"
                          " WHERE type = 'access' AND community_id = %s ORDER BY seq", (w.c1,))

    before = len(access_events())
    expect(server.post("channels/%s/members" % ch, token=owner,
                       json={"user_id": w.member["id"]}), 201)
    assert server.delete("channels/%s/members/%s" % (ch, w.member["id"]),
                         token=owner).status_code == 204
    expect(server.patch("channels/%s" % ch, token=owner, json={"visibility": "community"}), 200)
    got = access_events()[before:]
    assert got == [(ch, w.member["id"]), (ch, w.member["id"]), (ch, None)], got
    # a session that ends
    from conftest import login
    tok = login(server, w.users["outsider"])
    sid = server.sql("SELECT id::text FROM sessions WHERE token_hash ="
                     " encode(sha256(convert_to(%s, 'UTF8')), 'hex')", (tok,))[0][0]
    assert server.post("auth/logout", token=tok).status_code == 204
    assert server.sql("SELECT user_id::text FROM events WHERE type = 'credential.revoked'"
                      " AND credential_id = %s", (sid,)) == [(w.outsider["id"],)]


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
