"""Realtime over WebSocket: who receives what, when, and what ends it.

The rules, from the API contract: an event reaches a subscriber exactly
when GET of its post would answer 200 at that moment, and shows the post
exactly as that GET does; those who lose a post (raised to TLP:RED,
recipients changed) get post.deleted and nothing more of it; `since`
replays what was missed, in order, each once, or says resync; losing access
to a channel is a `revoked` within a second and nothing after it; a session
that ends closes its sockets with 1008; seq increases per channel in what
one subscriber receives.

Debian's python3-websockets is the client (realtime_helpers.py).
"""

import json
import threading
import time
import uuid

import pytest
import requests

from community_helpers import (add_member, expect, make_org, new_channel, new_community,
                               platform_account, set_member)
from conftest import DEFAULT_PASSWORD, assert_problem, login
from post_helpers import build_post_world, create_post, post_fields
from realtime_helpers import Subscriber, ticket
from world import ROLES, build_posts, build_world

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


def tag():
    return uuid.uuid4().hex[:8]


def fresh_channel(server, w, **kw):
    return new_channel(server, w.c1, w.tok("owner"), name="rt-" + tag(), **kw)["id"]


def of_post(events, pid, kind=None):
    return [e for e in events if e.get("data", {}).get("id") == pid
            and (kind is None or e["event"] == kind)]


# ---- connecting ---------------------------------------------------------------------

def test_the_upgrade_needs_a_credential(server, w):
    import websockets
    with pytest.raises(websockets.InvalidStatusCode) as e:
        Subscriber.connect(server)
    assert e.value.status_code == 401
    with pytest.raises(websockets.InvalidStatusCode) as e:
        Subscriber.connect(server, token="isacd_s_" + "A" * 43)
    assert e.value.status_code == 401
    # a plain GET (no upgrade) is refused with the reason
    r = server.get("realtime", token=w.tok("member"))
    assert r.status_code in (400, 426), r.text
    # a read-only API token may listen
    tok = expect(server.post("me/tokens", token=w.tok("member"),
                             json={"name": "listen", "scopes": ["read"]}), 201)["token"]
    s = Subscriber.connect(server, token=tok)
    sub, errors = s.subscribe([w.ch("general")])
    assert sub["channels"] == [w.ch("general")] and errors == []
    s.close()


def test_a_ticket_works_once_on_any_instance_within_30_seconds(server, w):
    import websockets
    t = ticket(server, w.tok("member"))
    assert t.startswith("isacd_wst_")
    s = Subscriber.connect(server, ticket=t)
    assert s.subscribe([w.ch("general")])[0]["channels"] == [w.ch("general")]
    s.close()
    with pytest.raises(websockets.InvalidStatusCode) as e:
        Subscriber.connect(server, ticket=t)
    assert e.value.status_code == 401
    t2 = ticket(server, w.tok("member"))
    server.sql("UPDATE realtime_tickets SET expires_at = now() - interval '1 second'")
    with pytest.raises(websockets.InvalidStatusCode) as e:
        Subscriber.connect(server, ticket=t2)
    assert e.value.status_code == 401
    # only the SHA-256 of a ticket is kept
    t3 = ticket(server, w.tok("member"))
    assert t3 not in str(server.sql("SELECT * FROM realtime_tickets"))


def test_subscribe_names_each_channel_it_refuses(server, w):
    s = Subscriber.connect(server, token=w.tok("member"))
    unknown = str(uuid.uuid4())
    sub, errors = s.subscribe([w.ch("general"), w.ch("restricted"), w.ch("two"), unknown])
    assert sub["channels"] == [w.ch("general")]
    by_channel = {e["channel_id"]: e["title"] for e in errors}
    # hidden and unknown are one answer: no such channel
    assert by_channel == {w.ch("restricted"): "no such channel",
                          w.ch("two"): "no such channel", unknown: "no such channel"}
    s.close()
    s = Subscriber.connect(server, token=w.tok("suspended"))
    sub, errors = s.subscribe([w.ch("general")])
    assert sub["channels"] == [] and "suspended" in errors[0]["title"]
    s.close()


@pytest.mark.parametrize("bad", ["not json", "[]", '{"type": "dance"}',
                                 '{"type": "subscribe", "channels": ["x"]}',
                                 '{"type": "subscribe", "channels": []}',
                                 # a fixed id: every xdist worker collects the same test ids
                                 '{"type": "subscribe", "channels": ["%s"], "since": -1}'
                                 % "6e2b9d4a-3c1f-4a7e-b5d8-0f9c2e1a4b73",
                                 '{"type": "subscribe", "channels": [], "extra": 1}'])
def test_a_bad_message_is_an_error_message_and_the_socket_stays(server, w, bad):
    s = Subscriber.connect(server, token=w.tok("member"))
    s.send(bad)
    m = s.next()
    assert m["type"] == "error" and m["title"], m
    assert s.subscribe([w.ch("general")])[0]["channels"] == [w.ch("general")]
    s.close()


# ---- what is delivered -------------------------------------------------------------------

def test_a_post_arrives_live_as_get_shows_it(server, w):
    subs = {r: Subscriber.connect(server, token=w.tok(r)) for r in ("member", "moderator")}
    for s in subs.values():
        s.subscribe([w.ch("general")])
    t0 = time.time()
    p = create_post(server, w.tok("author"), w.ch("general"), "Live " + tag(), anonymous=True,
                    indicators=[{"type": "domain", "value": "live-%s.example" % tag()}])
    for role, s in subs.items():
        e = s.next(where=lambda m: m["type"] == "event")
        assert time.time() - t0 < 2.0
        assert e["event"] == "post.created" and e["channel_id"] == w.ch("general")
        assert e["community_id"] == w.c1 and isinstance(e["seq"], int)
        assert e["data"] == expect(server.get("posts/%s" % p["id"], token=w.tok(role)), 200)
    # the anonymous author is masked for the member, named for the moderator
    assert subs["member"].inbox.empty()
    for s in subs.values():
        s.close()


def test_comments_and_sightings_follow_their_post(server, w):
    ch = fresh_channel(server, w)
    member = Subscriber.connect(server, token=w.tok("member"))
    member.subscribe([ch])
    p = create_post(server, w.tok("author"), ch, anonymous=True)
    member.next(where=lambda m: m.get("event") == "post.created")
    c = expect(server.post("posts/%s/comments" % p["id"], token=w.tok("author"),
                           json={"body": "more details"}), 201)
    e = member.next(where=lambda m: m.get("event") == "comment.created")
    got = expect(server.get("posts/%s/comments" % p["id"], token=w.tok("member")), 200)
    assert e["data"] == got["items"][0] and e["data"]["id"] == c["id"]
    assert e["data"]["author"] is None      # the anonymous author's comment
    # a sighting by another organisation of an anonymous post: a count only
    expect(server.post("posts/%s/sightings" % p["id"], token=w.tok("reader"), json={}), 201)
    e = member.next(where=lambda m: m.get("event") == "sighting.created")
    assert e["data"] == {"post_id": p["id"], "total": 1, "sighting": None}
    assert w.reader["org_id"] not in json.dumps(e)
    member.close()


def test_raising_to_red_sends_post_deleted_to_exactly_those_who_lose_it(server, w):
    ch = fresh_channel(server, w)
    roles = ("member", "reader", "moderator", "owner")
    subs = {r: Subscriber.connect(server, token=w.tok(r)) for r in roles}
    for s in subs.values():
        s.subscribe([ch])
    create_post(server, w.tok("member"), ch)   # the member is seen in the channel
    p = create_post(server, w.tok("author"), ch)
    for s in subs.values():
        s.events(1.0)
    expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                        json={"tlp": "TLP:RED", "recipients": [w.member["id"]]}), 200)
    got = {r: s.events(1.5) for r, s in subs.items()}
    assert [e["event"] for e in of_post(got["member"], p["id"])] == ["post.updated"]
    for r in ("reader", "moderator", "owner"):
        lost = of_post(got[r], p["id"])
        assert [e["event"] for e in lost] == ["post.deleted"], (r, lost)
        assert lost[0]["data"] == {"id": p["id"], "channel_id": ch}
    # nothing more of it to those who lost it
    expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                        json={"body": "red details"}), 200)
    got = {r: s.events(1.0) for r, s in subs.items()}
    assert [e["event"] for e in of_post(got["member"], p["id"])] == ["post.updated"]
    for r in ("reader", "moderator", "owner"):
        assert of_post(got[r], p["id"]) == [] and "red details" not in json.dumps(got[r])
    for s in subs.values():
        s.close()


def test_since_replays_what_was_missed_in_order_once(server, w):
    ch = fresh_channel(server, w)
    s = Subscriber.connect(server, token=w.tok("member"))
    s.subscribe([ch])
    first = create_post(server, w.tok("author"), ch, "First")
    seen = s.next(where=lambda m: m.get("type") == "event")
    s.close()
    missed = [create_post(server, w.tok("author"), ch, "Missed %d" % i)["id"] for i in range(3)]
    expect(server.post("posts/%s/comments" % missed[0], token=w.tok("author"),
                       json={"body": "and a comment"}), 201)
    s = Subscriber.connect(server, token=w.tok("member"))
    s.subscribe([ch], since=seen["seq"])
    live = create_post(server, w.tok("author"), ch, "Live after")["id"]
    got = s.events(2.0)
    ids = [(e["event"], e["data"]["id"] if e["event"] != "comment.created"
            else e["data"]["post_id"]) for e in got]
    assert ids == [("post.created", missed[0]), ("post.created", missed[1]),
                   ("post.created", missed[2]), ("comment.created", missed[0]),
                   ("post.created", live)], ids
    seqs = [e["seq"] for e in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs) and seqs[0] > seen["seq"]
    assert first["id"] not in json.dumps(got)
    s.close()


def test_since_older_than_what_is_kept_is_resync(server, w):
    ch = fresh_channel(server, w)
    create_post(server, w.tok("author"), ch)
    s = Subscriber.connect(server, token=w.tok("member"))
    # as if the purge had pruned every event before now
    server.sql("UPDATE event_horizon SET pruned_seq = (SELECT max(seq) FROM events)")
    try:
        s.subscribe([ch], since=1)
        m = s.next()
        assert m == {"type": "resync", "channel_id": ch}
    finally:
        server.sql("UPDATE event_horizon SET pruned_seq = 0")
    s.close()


def test_more_than_1000_missed_events_is_resync(server, w):
    ch = fresh_channel(server, w)
    s = Subscriber.connect(server, token=w.tok("member"))
    s.subscribe([ch])
    create_post(server, w.tok("author"), ch)
    since = s.next(where=lambda m: m.get("type") == "event")["seq"]
    s.close()
    # 1,001 events after since, written in one go (one transaction)
    server.sql("INSERT INTO comments (post_id, author_id, body)"
               " SELECT p.id, p.author_id, 'c' || g FROM posts p, generate_series(1, 1001) g"
               " WHERE p.channel_id = %s", (ch,))
    s = Subscriber.connect(server, token=w.tok("member"))
    s.subscribe([ch], since=since)
    assert s.next() == {"type": "resync", "channel_id": ch}
    s.close()


def test_eight_writers_into_one_channel_reach_each_subscriber_once_in_order(server, w):
    ch = fresh_channel(server, w)
    subs = [Subscriber.connect(server, token=w.tok(r)) for r in ("member", "reader")]
    for s in subs:
        s.subscribe([ch])
    writers, each = 8, 15
    made, lock = [], threading.Lock()

    def write(n):
        sess = requests.Session()
        for i in range(each):
            r = sess.post(server.api + "/channels/%s/posts" % ch,
                          headers={"Authorization": "Bearer " + w.tok("author")},
                          json=post_fields("writer %d post %d" % (n, i)), timeout=30)
            assert r.status_code == 201, r.text
            with lock:
                made.append(r.json()["id"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in subs:
        got = []
        deadline = time.time() + 10
        while len(got) < writers * each and time.time() < deadline:
            got += s.events(0.5)
        ids = [e["data"]["id"] for e in got]
        assert sorted(ids) == sorted(made), (len(ids), len(made))
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        s.close()


# ---- losing access ------------------------------------------------------------------

def revoked_within_a_second(s, channel, act):
    """act() takes the access away: a revoked message comes within 1 s."""
    t0 = time.time()
    act()
    m = s.next(timeout=3, where=lambda m: m["type"] == "revoked")
    assert m == {"type": "revoked", "channel_id": channel}
    return time.time() - t0


def test_every_way_of_losing_a_channel_is_revoked_within_a_second(server):
    staff = platform_account(server, role="staff")
    org = make_org(server, staff["token"])["id"]
    comm, owner = new_community(server, staff["token"])
    cid = comm["id"]
    timings = {}

    def member():
        return add_member(server, cid, owner["token"], make_org(server, staff["token"])["id"])

    def chan(**kw):
        return new_channel(server, cid, owner["token"], name="rv-" + tag(), **kw)["id"]

    def listener(acct, channel):
        s = Subscriber.connect(server, token=acct["token"])
        assert s.subscribe([channel])[0]["channels"] == [channel]
        return s

    cases = {
        "removed": lambda a, ch: server.delete("communities/%s/members/%s" % (cid, a["id"]),
                                               token=owner["token"]),
        "suspended": lambda a, ch: set_member(server, cid, owner["token"], a["id"],
                                              status="suspended"),
        "organisation off-boarded": lambda a, ch: server.delete(
            "communities/%s/organisations/%s" % (cid, a["org_id"]), token=owner["token"]),
        "channel made restricted": lambda a, ch: server.patch(
            "channels/%s" % ch, token=owner["token"], json={"visibility": "restricted"}),
        "channel deleted": lambda a, ch: server.delete("channels/%s" % ch, token=owner["token"]),
    }
    for name, act in cases.items():
        a, ch = member(), chan()
        s = listener(a, ch)
        timings[name] = revoked_within_a_second(s, ch, lambda: act(a, ch))
        # nothing of the channel after it
        create_post(server, owner["token"], ch) if name != "channel deleted" else None
        assert s.events(1.0) == [], name
        s.close()
    # a reader removed from a restricted channel
    a, ch = member(), chan(visibility="restricted")
    expect(server.post("channels/%s/members" % ch, token=owner["token"],
                       json={"user_id": a["id"]}), 201)
    s = listener(a, ch)
    timings["reader removed"] = revoked_within_a_second(
        s, ch, lambda: server.delete("channels/%s/members/%s" % (ch, a["id"]),
                                     token=owner["token"]))
    s.close()
    assert all(t < 1.0 for t in timings.values()), timings
    del org


def test_logout_password_change_and_suspension_close_with_1008(server):
    staff = platform_account(server, role="staff")
    comm, owner = new_community(server, staff["token"])
    org = make_org(server, staff["token"])["id"]
    a = add_member(server, comm["id"], owner["token"], org)
    ch = new_channel(server, comm["id"], owner["token"], name="rv-" + tag())["id"]

    def listener(token):
        s = Subscriber.connect(server, token=token)
        s.subscribe([ch])
        return s

    s = listener(a["token"])
    t0 = time.time()
    assert server.post("auth/logout", token=a["token"]).status_code == 204
    assert s.wait_closed(3) == 1008 and time.time() - t0 < 1.5
    # a password change ends the other sessions (and their sockets)
    t1, t2 = login(server, a), login(server, a)
    s = listener(t2)
    r = server.patch("me", token=t1, json={"password": {"current": DEFAULT_PASSWORD,
                                                        "new": "Pale-Otter-Window-853"}})
    assert r.status_code == 200, r.text
    assert s.wait_closed(3) == 1008
    a["password"] = "Pale-Otter-Window-853"
    # the organisation suspended: every session of its people ends
    s = listener(login(server, a))
    expect(server.patch("organisations/%s" % org, token=staff["token"],
                        json={"status": "suspended"}), 200)
    assert s.wait_closed(3) == 1008


def test_a_session_that_expires_closes_its_socket(start_server):
    srv = start_server(ISACD_SESSION_MAX_S=3, ISACD_SESSION_IDLE_S=3)
    from identity_helpers import account
    acct = account(srv, role="staff")
    t0 = time.time()
    s = Subscriber.connect(srv, token=acct["token"])
    assert s.wait_closed(6) == 1008
    assert "session" in s.close_reason and time.time() - t0 < 5


def test_member_events_follow_the_roster_rule(server):
    staff = platform_account(server, role="staff")
    comm, owner = new_community(server, staff["token"])  # roster "moderators"
    cid = comm["id"]
    ch = new_channel(server, cid, owner["token"], name="roster-" + tag())["id"]
    plain = add_member(server, cid, owner["token"], make_org(server, staff["token"])["id"])
    listeners = {"owner": owner, "plain": plain}
    subs = {}
    for k, a in listeners.items():
        subs[k] = Subscriber.connect(server, token=a["token"])
        subs[k].subscribe([ch])
    newbie = add_member(server, cid, owner["token"], make_org(server, staff["token"])["id"])
    mod = add_member(server, cid, owner["token"], make_org(server, staff["token"])["id"],
                     role="moderator")
    got = {k: [e for e in s.events(1.5) if e["event"].startswith("member.")]
           for k, s in subs.items()}
    who = {k: [(e["event"], e["data"]["user_id"]) for e in v] for k, v in got.items()}
    # the owner sees everyone come; a plain member only the moderator
    assert who["owner"] == [("member.joined", newbie["id"]), ("member.joined", mod["id"])]
    assert who["plain"] == [("member.joined", mod["id"])]
    assert newbie["id"] not in json.dumps(got["plain"])
    assert all(e["channel_id"] is None and e["community_id"] == cid
               for v in got.values() for e in v)
    for s in subs.values():
        s.close()


def test_shutdown_closes_every_socket_with_1001(start_server, pg):
    srv = start_server()
    from identity_helpers import account
    staff = account(srv, role="staff")
    s = Subscriber.connect(srv, token=staff["token"])
    srv.stop()
    assert s.wait_closed(5) == 1001


# ---- the whole access matrix, as events ---------------------------------------------------

def test_events_follow_the_access_matrix(server):
    """For every role and every post of the matrix world, a post.updated
    reaches the role exactly when GET of that post answers 200, and shows
    what that GET shows."""
    mw = build_posts(build_world(server))
    channels = [ch["id"] for c in (mw.A, mw.B) for ch in c.channels.values()]
    subs = {}
    for role in ROLES:
        if role == "anonymous":
            continue
        s = Subscriber.connect(server, token=mw.token(role))
        sub, errors = s.subscribe(channels)
        subs[role] = s
    for p in mw.posts.values():
        a = mw.acct(p.author)
        expect(server.patch("posts/%s" % p.id, token=a["token"],
                            json={"body": p.body() + " (probed %s)" % tag()}), 200)
    time.sleep(1.0)
    wrong = []
    for role, s in subs.items():
        got = s.events(1.5)
        for p in mw.posts.values():
            r = server.get("posts/%s" % p.id, token=mw.token(role))
            mine = of_post(got, p.id, "post.updated")
            if r.status_code == 200:
                if len(mine) != 1 or mine[0]["data"] != r.json():
                    wrong.append((role, p.key, "expected the GET body", len(mine)))
            elif mine or p.id in json.dumps(got):
                wrong.append((role, p.key, "must not receive", r.status_code))
        s.close()
    assert not wrong, wrong
