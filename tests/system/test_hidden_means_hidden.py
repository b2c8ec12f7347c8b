"""Hidden means hidden, tested by difference.

For each principal of the access-matrix world (world.py: build_world and
build_posts), take the raw bytes of every GET it may make -- and of the
reads it may not make, whose 404s must not change either: the directory,
each community and its roster, channels, invites, join requests and audit
trail, each channel and its posts and readers, each post and its comments,
sightings, revisions and STIX export, search, correlation and the bulk
lookup, and its own account.  Then others do what the principal must not
see; then the bytes are taken again, and they must be identical.

Three rounds, each with the principals that must see nothing of it:

* A's hidden content: a TLP:RED post in A's restricted channel by the
  reader for the owner (carrying the world's indicators and search word),
  commented, sighted and edited by them; a second one made, commented and
  deleted; A's moderator reads that channel and must not notice (its
  updated_at, its list, seen_in, search).  Seen only by the reader and the
  owner.
* B's life: a TLP:RED post of B's owner for themselves, commented, sighted,
  edited, and a second one deleted; a TLP:GREEN post shared within B; a new
  member invited, accepting, suspended, reactivated and removed; an invite
  made and revoked.  B's plain member ("other") sees the roster as
  "moderators" shows it and must notice nothing; staff see B's audit trail
  and member count, so they are not blind to it.
* A's doors: a join request to A by an account of no community, denied; an
  invite to A made and revoked.  Only A's moderators and owners (and staff,
  through A's audit trail) see those.

A principal's own token use is not hidden activity: the one field that may
move between the two snapshots is the last_used_at of the caller's own API
token (touched at most once a minute), and only forwards.
"""

import json
import uuid

import pytest
import requests

from world import ROLES, build_posts, build_world, expect


@pytest.fixture(scope="module")
def w(server):
    world = build_posts(build_world(server))
    # accounts the rounds act with, made before any snapshot: making them
    # later would change what everyone sees (GET /organisations)
    world.requester = world.fresh_outsider()
    world.newcomer_email = world.fresh_email("newcomer")
    assert world.guest_org
    return world


def urls(w):
    """Every read of the world, as (method, path, json body)."""
    out = [("GET", "me", None), ("GET", "me/tokens", None),
           ("GET", "communities?limit=200", None), ("GET", "organisations?limit=200", None)]
    ind = w.indicator
    for t, v in ind.values():
        out.append(("GET", "indicators?type=%s&value=%s&limit=200" % (t, v), None))
    out.append(("POST", "indicators/lookup",
                {"indicators": [{"type": t, "value": v} for t, v in ind.values()]}))
    out.append(("GET", "search?q=%s&limit=200" % w.word, None))
    for c in (w.A, w.B):
        for sub in ("", "/members?limit=200", "/channels?limit=200", "/invites?limit=200",
                    "/join-requests?limit=200", "/audit?limit=200"):
            out.append(("GET", "communities/%s%s" % (c.id, sub), None))
        for ch in c.channels.values():
            for sub in ("", "/posts?limit=200", "/members?limit=200"):
                out.append(("GET", "channels/%s%s" % (ch["id"], sub), None))
    for p in w.posts.values():
        for sub in ("", "/comments?limit=200", "/sightings", "/revisions?limit=200", "/stix"):
            out.append(("GET", "posts/%s%s" % (p.id, sub), None))
    return out


def snapshot(server, w, role):
    """{request: (status, raw body)} of every read, as the role."""
    s = requests.Session()
    tok = w.token(role)
    if tok:
        s.headers["Authorization"] = "Bearer " + tok
    got = {}
    for method, path, body in urls(w):
        r = s.request(method, server.api + "/" + path, json=body, timeout=15)
        assert r.status_code < 500, (role, method, path, r.status_code, r.text)
        got[(method, path)] = (r.status_code, r.content)
    s.close()
    return got


def own_token_use_only(w, role, before, after):
    """Whether two answers of GET me/tokens differ only in the caller's own
    token's last_used_at, moved forwards."""
    a, b = json.loads(before), json.loads(after)
    for x, y in zip(a["items"], b["items"]):
        if x.get("last_used_at") != y.get("last_used_at"):
            if not (x["last_used_at"] or "") < (y["last_used_at"] or ""):
                return False
            x["last_used_at"] = y["last_used_at"]
    return a == b and role == "readonly"


def assert_unchanged(server, w, blind, act):
    before = {role: snapshot(server, w, role) for role in blind}
    act()
    for role in blind:
        after = snapshot(server, w, role)
        changed = []
        for key, (status, body) in before[role].items():
            status2, body2 = after[key]
            if (status, body) == (status2, body2):
                continue
            if key == ("GET", "me/tokens") and status == status2 == 200 \
                    and own_token_use_only(w, role, body, body2):
                continue
            changed.append("%s %s: %d %s\n  -> %d %s" % (
                key[0], key[1], status, body[:300], status2, body2[:300]))
        assert not changed, "%s noticed what it must not see:\n%s" % (role, "\n".join(changed))


def call(server, method, path, token, body=None, status=None):
    r = server.request(method, path, token=token, json=body)
    if status is not None:
        assert r.status_code == status, (method, path, r.status_code, r.text)
    return r.json() if r.content else None


def red_post(w, author, recipients, title, indicators=True):
    body = {"kind": "incident", "title": "%s %s" % (w.word, title),
            "body": "hidden %s %s" % (w.word, uuid.uuid4().hex), "tlp": "TLP:RED",
            "recipients": [r["id"] for r in recipients]}
    if indicators:
        body["indicators"] = [{"type": t, "value": v} for t, v in w.indicator.values()]
    return body


def test_a_hidden_red_thread_in_a_is_noticed_by_nobody_else(server, w):
    reader, owner = w.users["reader"], w.users["owner"]
    ch = w.A.channels["restricted"]["id"]
    blind = [r for r in ROLES if r not in ("reader", "owner")]

    def act():
        p = call(server, "POST", "channels/%s/posts" % ch, reader["token"],
                 red_post(w, reader, [owner], "red thread"), 201)
        call(server, "POST", "posts/%s/comments" % p["id"], owner["token"],
             {"body": "seen it " + w.word}, 201)
        call(server, "POST", "posts/%s/sightings" % p["id"], owner["token"],
             {"note": "here too"}, 201)
        call(server, "PATCH", "posts/%s" % p["id"], reader["token"],
             {"title": "%s red thread, edited" % w.word}, 200)
        q = call(server, "POST", "channels/%s/posts" % ch, reader["token"],
                 red_post(w, reader, [owner], "red and gone"), 201)
        call(server, "POST", "posts/%s/comments" % q["id"], owner["token"], {"body": "x"}, 201)
        call(server, "DELETE", "posts/%s" % q["id"], reader["token"], None, 204)

    assert_unchanged(server, w, blind, act)


def test_life_in_b_is_noticed_by_nobody_in_a_nor_by_b_s_plain_member(server, w):
    bo = w.B.owner
    general = w.B.channels["general"]["id"]
    blind = [r for r in ROLES if r != "staff"]

    def act():
        p = call(server, "POST", "channels/%s/posts" % general, bo["token"],
                 red_post(w, bo, [bo], "b's own red"), 201)
        call(server, "POST", "posts/%s/comments" % p["id"], bo["token"], {"body": "note"}, 201)
        call(server, "POST", "posts/%s/sightings" % p["id"], bo["token"], {}, 201)
        call(server, "PATCH", "posts/%s" % p["id"], bo["token"], {"body": "edited"}, 200)
        q = call(server, "POST", "channels/%s/posts" % general, bo["token"],
                 red_post(w, bo, [bo], "b's red, gone"), 201)
        call(server, "DELETE", "posts/%s" % q["id"], bo["token"], None, 204)
        # a TLP:GREEN post of the restricted channel shared into another
        # channel other cannot read either
        g = call(server, "POST", "channels/%s/posts" % w.B.channels["restricted"]["id"],
                 bo["token"], {"kind": "advisory", "title": "%s green" % w.word,
                               "body": "b only", "tlp": "TLP:GREEN"}, 201)
        call(server, "POST", "posts/%s/share" % g["id"], bo["token"],
             {"channel_id": w.fresh_channel("B", "restricted")["id"]}, 201)
        # a member comes, is suspended, comes back and goes; an invite is
        # made and revoked
        inv = call(server, "POST", "communities/%s/invites" % w.B.id, bo["token"],
                   {"email": w.newcomer_email, "organisation_id": w.guest_org}, 201)
        acct = call(server, "POST", "invites/accept", None,
                    {"token": inv["token"], "display_name": "Newcomer",
                     "password": "Grey-Heron-Lantern-417"}, 201)
        uid = acct["user"]["id"]
        for status in ("suspended", "active"):
            call(server, "PATCH", "communities/%s/members/%s" % (w.B.id, uid), bo["token"],
                 {"status": status}, 200)
        call(server, "DELETE", "communities/%s/members/%s" % (w.B.id, uid), bo["token"],
             None, 204)
        inv = call(server, "POST", "communities/%s/invites" % w.B.id, bo["token"],
                   {"email": w.fresh_email("never"), "organisation_id": w.guest_org}, 201)
        call(server, "DELETE", "communities/%s/invites/%s" % (w.B.id, inv["id"]),
             bo["token"], None, 204)

    assert_unchanged(server, w, blind, act)


def test_a_s_doors_are_seen_by_its_moderators_only(server, w):
    owner = w.users["owner"]["token"]
    blind = [r for r in ROLES if r not in ("moderator", "owner", "staff")]

    def act():
        jr = call(server, "POST", "communities/%s/join-requests" % w.A.id,
                  w.requester["token"], {"message": "let us in"}, 201)
        call(server, "POST", "communities/%s/join-requests/%s/deny" % (w.A.id, jr["id"]),
             owner, None, 200)
        inv = call(server, "POST", "communities/%s/invites" % w.A.id, owner,
                   {"email": w.fresh_email("door"), "organisation_id": w.guest_org}, 201)
        call(server, "DELETE", "communities/%s/invites/%s" % (w.A.id, inv["id"]), owner,
             None, 204)

    assert_unchanged(server, w, blind, act)


def test_a_channel_s_updated_at_ignores_what_its_reader_cannot_see(server, w):
    """The oracle the review found: the event counter's update moved the
    channel's updated_at whenever anything happened in it."""
    mod = w.users["moderator"]["token"]
    reader, owner = w.users["reader"], w.users["owner"]
    ch = w.A.channels["restricted"]["id"]
    before = call(server, "GET", "channels/%s" % ch, mod, None, 200)
    p = call(server, "POST", "channels/%s/posts" % ch, reader["token"],
             red_post(w, reader, [owner], "stamp", indicators=False), 201)
    call(server, "POST", "posts/%s/comments" % p["id"], owner["token"], {"body": "x"}, 201)
    call(server, "DELETE", "posts/%s" % p["id"], reader["token"], None, 204)
    assert call(server, "GET", "channels/%s" % ch, mod, None, 200) == before
    # a change its readers do see moves it
    call(server, "PATCH", "channels/%s" % ch, owner["token"],
         {"description": "now with a description"}, 200)
    after = call(server, "GET", "channels/%s" % ch, mod, None, 200)
    assert after["updated_at"] >= before["updated_at"] and after["description"]
