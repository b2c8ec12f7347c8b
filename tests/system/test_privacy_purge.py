"""Retention that really deletes: the purge, its preview, legal holds.

Posts are made through the API and back-dated in SQL; `isacd purge` (the
command a cron job runs, the same statements as the purge inside `isacd
serve`) deletes what is past its retention.  Afterwards no row of any table
names a purged post, its id or its title (every table's row::text is
scanned, so a table a later migration adds is covered too).  The rules:
a channel's retention beats its community's, retention_by_tlp shortens and
never lengthens, ISACD_MAX_RETENTION_DAYS bounds, a legal hold on the
community, the channel or the post exempts until it is lifted; a dry run
deletes nothing and counts what the run then deletes; one purge runs at a
time; what has ended (sessions, tokens, invitations, tickets, idempotency
keys, login-failure records, old events, old IP addresses) goes too.  The
purge inside serve does the same on its timer, subscribers hear post.deleted,
and the API keeps answering while it runs.
"""

import re
import threading
import time

import psycopg2
import pytest

from community_helpers import assert_no_server_errors, audit, audit_of, expect, make_org
from conftest import Server, assert_problem, create_staff, login
from post_helpers import create_post
from privacy_helpers import (Cluster, backdate, channel_lines, post_exists, purge, purged,
                             rows_naming, tag)
from realtime_helpers import Subscriber


@pytest.fixture(scope="module")
def server(pg):
    # the purge inside serve stays off here: isacd purge runs it, when a
    # test says so
    s = Server(pg, ISACD_PURGE_INTERVAL_S="0")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def staff(server):
    acct = create_staff(server)
    acct["token"] = login(server, acct)
    acct["id"] = str(server.sql("SELECT id FROM users WHERE email = %s", (acct["email"],))[0][0])
    return acct


def cluster(server, staff, **fields):
    return Cluster(server, staff["token"], **fields)


# ---- what goes, and with what ---------------------------------------------------------

def test_an_expired_post_goes_with_everything_and_nothing_names_it(server, staff):
    c = cluster(server, staff)
    ch = c.channel()
    other = c.channel()
    title = "Expired " + tag()
    # made with an Idempotency-Key, edited, commented, sighted, shared, its
    # comment deleted by a moderator (audited), held and released (audited)
    r = server.post("channels/%s/posts" % ch["id"], token=c.member["token"],
                    headers={"Idempotency-Key": "k-" + tag()},
                    json={"kind": "incident", "title": title, "body": "body " + tag(),
                          "tlp": "TLP:GREEN",
                          "indicators": [{"type": "domain",
                                          "value": "expired-%s.example" % tag()}]})
    p = expect(r, 201)
    pid = p["id"]
    expect(server.patch("posts/" + pid, token=c.member["token"],
                        json={"body": "edited " + tag()}), 200)
    for who in (c.member2, c.moderator):
        expect(server.post("posts/%s/comments" % pid, token=who["token"],
                           json={"body": "comment " + tag()}), 201)
    gone = expect(server.post("posts/%s/comments" % pid, token=c.member2["token"],
                              json={"body": "to delete"}), 201)
    expect(server.delete("posts/%s/comments/%s" % (pid, gone["id"]),
                         token=c.moderator["token"]), 204)
    expect(server.post("posts/%s/sightings" % pid, token=c.member2["token"],
                       json={"note": "seen"}), 201)
    copy = expect(server.post("posts/%s/share" % pid, token=c.member["token"],
                              json={"channel_id": other["id"]}), 201)
    expect(server.patch("posts/" + pid, token=c.owner["token"],
                        json={"legal_hold": True, "reason": "looking"}), 200)
    expect(server.patch("posts/" + pid, token=c.owner["token"],
                        json={"legal_hold": False}), 200)
    kept = create_post(server, c.member["token"], ch["id"], "Young " + tag())
    assert rows_naming(server, pid), "the post is named before the purge"

    c.patch(retention_days=30)
    backdate(server, pid, 31)
    backdate(server, kept["id"], 29)
    out = purged(server)
    assert "deleted 1 posts and 2 comments" in out, out

    assert not post_exists(server, pid)
    assert post_exists(server, kept["id"]) and post_exists(server, copy["id"])
    assert rows_naming(server, pid) == {}
    # the copy shared from it is a post of its own, under its own channel's
    # retention: the title lives on there only
    assert rows_naming(server, title) == {"posts (%s)" % title: 1}
    assert server.sql("SELECT id::text FROM posts WHERE title = %s", (title,)) == [(copy["id"],)]
    # the copy stays, without its link; the audit trail keeps the actions
    assert expect(server.get("posts/" + copy["id"], token=c.member["token"]),
                  200)["shared_from"] is None
    actions = [e["action"] for e in audit_of(server, c.id, c.owner["token"], "post.legal_hold_set")]
    assert actions == ["post.legal_hold_set"]
    purge_entries = audit_of(server, c.id, c.owner["token"], "retention.purged")
    assert len(purge_entries) == 1 and purge_entries[0]["detail"]["posts"] == 1
    assert purge_entries[0]["detail"]["comments"] == 2
    assert_no_server_errors(server)


def test_the_channel_beats_the_community_and_young_posts_stay(server, staff):
    c = cluster(server, staff, retention_days=30)
    longer = c.channel(retention_days=60)
    shorter = c.channel(retention_days=10)
    plain = c.channel()
    assert longer["effective_retention_days"] == 60 and plain["effective_retention_days"] == 30
    posts = {}
    for name, ch in (("longer", longer), ("shorter", shorter), ("plain", plain)):
        for age in (5, 20, 45, 70):
            p = c.post(ch["id"])
            backdate(server, p["id"], age)
            posts[(name, age)] = p["id"]
    purged(server)
    left = {k for k, pid in posts.items() if post_exists(server, pid)}
    assert left == {("longer", 5), ("longer", 20), ("longer", 45), ("shorter", 5),
                    ("plain", 5), ("plain", 20)}
    # null on both: kept for ever
    keep = cluster(server, staff)
    ch = keep.channel()
    p = keep.post(ch["id"])
    backdate(server, p["id"], 3000)
    purged(server)
    assert post_exists(server, p["id"])


def test_retention_by_tlp_shortens_and_never_lengthens(server, staff):
    c = cluster(server, staff, retention_days=100,
                retention_by_tlp={"TLP:RED": 10, "TLP:CLEAR": 300})
    ch = c.channel()
    assert ch["effective_retention_days"] == 100
    assert ch["effective_retention_by_tlp"] == {"TLP:RED": 10}
    red = c.post(ch["id"], tlp="TLP:RED", recipients=[c.owner["id"]])
    green = c.post(ch["id"], tlp="TLP:GREEN")
    clear_old = c.post(ch["id"], tlp="TLP:CLEAR")
    for pid, age in ((red["id"], 20), (green["id"], 20), (clear_old["id"], 150)):
        backdate(server, pid, age)
    purged(server)
    assert not post_exists(server, red["id"])
    assert post_exists(server, green["id"])
    assert not post_exists(server, clear_old["id"]), "300 days for CLEAR would lengthen 100"
    # a community that keeps posts still drops its TLP:RED ones
    k = cluster(server, staff, retention_by_tlp={"TLP:RED": 5})
    ch = k.channel()
    assert ch["effective_retention_days"] is None
    assert ch["effective_retention_by_tlp"] == {"TLP:RED": 5}
    red = k.post(ch["id"], tlp="TLP:RED", recipients=[k.owner["id"]])
    amber = k.post(ch["id"], tlp="TLP:AMBER")
    backdate(server, red["id"], 6)
    backdate(server, amber["id"], 600)
    purged(server)
    assert not post_exists(server, red["id"]) and post_exists(server, amber["id"])


def test_a_lowered_platform_maximum_bounds_what_was_set(server, staff, start_server):
    c = cluster(server, staff, retention_days=300)
    ch = c.channel()
    p = c.post(ch["id"])
    backdate(server, p["id"], 250)
    purged(server)
    assert post_exists(server, p["id"])
    low = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="0", ISACD_MAX_RETENTION_DAYS="200")
    got = expect(low.get("channels/" + ch["id"], token=c.owner["token"]), 200)
    assert got["effective_retention_days"] == 200 and got["retention_days"] is None
    community = expect(low.get("communities/" + c.id, token=c.owner["token"]), 200)
    assert community["retention_days"] == 300 and community["effective_retention_days"] == 200
    purged(server, env={"ISACD_MAX_RETENTION_DAYS": "200"})
    assert not post_exists(server, p["id"])


# ---- legal hold ---------------------------------------------------------------------------

def test_a_legal_hold_exempts_until_it_is_lifted_and_every_change_is_audited(server, staff):
    c = cluster(server, staff, retention_days=30)
    held_channel = c.channel()
    ch = c.channel()
    on_post = c.post(ch["id"])
    in_channel = c.post(held_channel["id"])
    free = c.post(ch["id"])
    for p in (on_post, in_channel, free):
        backdate(server, p["id"], 40)
    got = expect(server.patch("posts/" + on_post["id"], token=c.owner["token"],
                              json={"legal_hold": True, "reason": "case 2026-17"}), 200)
    assert got == {"id": on_post["id"], "legal_hold": True, "legal_hold_reason": "case 2026-17"}
    got = expect(server.patch("channels/" + held_channel["id"], token=staff["token"],
                              json={"legal_hold": True, "reason": "subpoena 9"}), 200)
    assert got["legal_hold"] is True
    # members see that the channel is held (not why)
    seen = expect(server.get("channels/" + held_channel["id"], token=c.member["token"]), 200)
    assert seen["legal_hold"] is True and "subpoena" not in str(seen)
    purged(server)
    assert post_exists(server, on_post["id"]) and post_exists(server, in_channel["id"])
    assert not post_exists(server, free["id"])
    # the preview says so
    prev = expect(server.get("communities/%s/retention" % c.id, token=c.owner["token"]), 200)
    held = [x for x in prev["channels"] if x["channel_id"] == held_channel["id"]][0]
    assert held["legal_hold"] is True and held["legal_hold_reason"] == "subpoena 9"
    assert held["due"] == {"posts": 0, "comments": 0}

    # a hold on the whole community keeps everything in it
    expect(server.patch("communities/" + c.id, token=c.owner["token"],
                        json={"legal_hold": True, "reason": "whole cluster"}), 200)
    expect(server.patch("posts/" + on_post["id"], token=c.owner["token"],
                        json={"legal_hold": False}), 200)
    expect(server.patch("channels/" + held_channel["id"], token=c.owner["token"],
                        json={"legal_hold": False}), 200)
    assert expect(server.get("channels/" + ch["id"], token=c.member["token"]),
                  200)["legal_hold"] is True
    purged(server)
    assert post_exists(server, on_post["id"]) and post_exists(server, in_channel["id"])
    expect(server.patch("communities/" + c.id, token=staff["token"],
                        json={"legal_hold": False, "reason": "released by the court"}), 200)
    purged(server)
    assert not post_exists(server, on_post["id"]) and not post_exists(server, in_channel["id"])

    trail = [(e["action"], e["detail"].get("reason"), (e["actor"] or {}).get("id"))
             for e in reversed(audit(server, c.id, c.owner["token"]))
             if "legal_hold" in e["action"]]
    assert trail == [
        ("post.legal_hold_set", "case 2026-17", c.owner["id"]),
        ("channel.legal_hold_set", "subpoena 9", staff["id"]),
        ("community.legal_hold_set", "whole cluster", c.owner["id"]),
        ("post.legal_hold_lifted", None, c.owner["id"]),
        ("channel.legal_hold_lifted", None, c.owner["id"]),
        ("community.legal_hold_lifted", "released by the court", staff["id"]),
    ], trail
    # setting what is set changes nothing and is not audited again
    expect(server.patch("channels/" + ch["id"], token=c.owner["token"],
                        json={"legal_hold": True, "reason": "r"}), 200)
    expect(server.patch("channels/" + ch["id"], token=c.owner["token"],
                        json={"legal_hold": True, "reason": "r"}), 200)
    assert len(audit_of(server, c.id, c.owner["token"], "channel.legal_hold_set")) == 2


def test_who_may_hold_and_set_retention(server, staff):
    c = cluster(server, staff)
    ch = c.channel()
    p = c.post(ch["id"])
    hold = {"legal_hold": True, "reason": "r"}
    for who in (c.moderator, c.member):
        assert_problem(server.patch("posts/" + p["id"], token=who["token"], json=hold), 403)
        assert_problem(server.patch("channels/" + ch["id"], token=who["token"], json=hold), 403)
        assert_problem(server.patch("communities/" + c.id, token=who["token"], json=hold), 403)
        assert_problem(server.patch("channels/" + ch["id"], token=who["token"],
                                    json={"retention_days": 5}), 403)
        assert_problem(server.get("communities/%s/retention" % c.id, token=who["token"]), 403)
    # an owner of another community does not know these
    other = cluster(server, staff)
    assert_problem(server.patch("posts/" + p["id"], token=other.owner["token"], json=hold), 404)
    assert_problem(server.patch("channels/" + ch["id"], token=other.owner["token"],
                                json=hold), 404)
    # staff govern retention without reading the channel
    got = expect(server.patch("channels/" + ch["id"], token=staff["token"],
                              json={"retention_days": 7}), 200)
    assert got["effective_retention_days"] == 7 and got["retention_due"]["posts"] == 0
    assert_problem(server.get("channels/" + ch["id"], token=staff["token"]), 404)


# ---- the preview and the counts a change causes -----------------------------------------

def test_the_preview_and_a_shortening_patch_say_what_the_next_run_deletes(server, staff):
    c = cluster(server, staff)
    a = c.channel()
    b = c.channel(visibility="restricted")
    for age in (10, 50, 100):
        p = c.post(a["id"])
        backdate(server, p["id"], age)
        for _ in range(2):
            expect(server.post("posts/%s/comments" % p["id"], token=c.member2["token"],
                               json={"body": "c"}), 201)
    q = c.post(b["id"], who=c.owner)
    backdate(server, q["id"], 100)
    prev = expect(server.get("communities/%s/retention" % c.id, token=c.owner["token"]), 200)
    assert set(prev) == {"community_id", "retention_days", "retention_by_tlp", "legal_hold",
                         "legal_hold_reason", "max_retention_days", "channels", "next_run_at"}
    assert prev["retention_days"] is None and prev["max_retention_days"] == 730
    assert prev["next_run_at"] is None    # the purge inside serve is off here
    by_id = {x["channel_id"]: x for x in prev["channels"]}
    assert by_id[a["id"]]["due"] == {"posts": 0, "comments": 0}
    assert by_id[b["id"]]["name"] == b["name"]

    got = c.patch(retention_days=40)
    assert got["retention_due"] == {"posts": 3, "comments": 4}
    got = expect(server.patch("channels/" + a["id"], token=c.owner["token"],
                              json={"retention_days": 80}), 200)
    assert got["retention_due"] == {"posts": 1, "comments": 2}
    prev = expect(server.get("communities/%s/retention" % c.id, token=staff["token"]), 200)
    by_id = {x["channel_id"]: x for x in prev["channels"]}
    assert by_id[a["id"]]["retention_days"] == 80
    assert by_id[a["id"]]["due"] == {"posts": 1, "comments": 2}
    assert by_id[b["id"]]["due"] == {"posts": 1, "comments": 0}
    dry = purged(server, "--dry-run")
    real = purged(server)
    mine = {ln for ln in channel_lines(dry) if ln.startswith(c.community["name"] + " /")}
    assert mine == {"%s / %s: 1 posts, 2 comments" % (c.community["name"], a["name"]),
                    "%s / %s: 1 posts, 0 comments" % (c.community["name"], b["name"])}
    assert channel_lines(real) == channel_lines(dry)
    prev = expect(server.get("communities/%s/retention" % c.id, token=c.owner["token"]), 200)
    assert all(x["due"] == {"posts": 0, "comments": 0} for x in prev["channels"])


def test_a_dry_run_deletes_nothing_and_counts_what_the_run_then_deletes(server, staff):
    c = cluster(server, staff, retention_days=20)
    chs = [c.channel() for _ in range(3)]
    ids = []
    for i, ch in enumerate(chs):
        for _ in range(i + 1):
            p = c.post(ch["id"])
            backdate(server, p["id"], 25)
            ids.append(p["id"])
    before = server.sql("SELECT count(*) FROM posts")[0][0]
    dry = purged(server, "--dry-run")
    assert server.sql("SELECT count(*) FROM posts")[0][0] == before
    assert all(post_exists(server, pid) for pid in ids)
    m = re.search(r"would delete (\d+) posts and (\d+) comments", dry)
    assert m and int(m.group(1)) >= 6, dry
    real = purged(server)
    assert re.search(r"deleted %s posts and %s comments" % (m.group(1), m.group(2)), real), real
    assert channel_lines(real) == channel_lines(dry)
    sweeps_dry = [ln for ln in dry.splitlines() if ln.startswith("  ") and " / " not in ln]
    sweeps_real = [ln for ln in real.splitlines() if ln.startswith("  ") and " / " not in ln
                   and "forgotten" not in ln]
    assert sweeps_dry == sweeps_real
    assert not any(post_exists(server, pid) for pid in ids)


def test_the_report_and_the_log_carry_counts_never_titles_or_ids(server, staff):
    c = cluster(server, staff, retention_days=3)
    ch = c.channel()
    title = "Secret title " + tag()
    p = c.post(ch["id"], title=title)
    backdate(server, p["id"], 4)
    out = purge(server)
    assert out.returncode == 0
    for text in (out.stdout, out.stderr):
        assert title not in text and p["id"] not in text
        assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", text), text


def test_a_second_purger_is_kept_out(server, staff):
    c = cluster(server, staff, retention_days=3)
    ch = c.channel()
    p = c.post(ch["id"])
    backdate(server, p["id"], 4)
    holder = psycopg2.connect(server.pg.dsn(server.db))
    holder.autocommit = True
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(isacd_purge_lock_key())")
        out = purge(server)
        assert out.returncode == 1
        assert "another purge is running" in out.stderr, out.stderr
        assert post_exists(server, p["id"])
        # a dry run deletes nothing, so it is not kept out
        assert purge(server, "--dry-run").returncode == 0
    finally:
        holder.close()
    purged(server)
    assert not post_exists(server, p["id"])


def test_a_post_with_thousands_of_comments_is_one_event(server, staff):
    """Comments go with their post without an event each: a batch writes
    one event per post, far below the 4,095 a transaction may write."""
    c = cluster(server, staff, retention_days=3)
    ch = c.channel()
    p = c.post(ch["id"])
    for _ in range(3):      # (each INSERT writes an event per comment)
        server.sql("INSERT INTO comments (post_id, author_id, body)"
                   " SELECT %s, %s, 'bulk ' || g FROM generate_series(1, 2000) g",
                   (p["id"], c.member2["id"]))
    backdate(server, p["id"], 4)
    out = purged(server)
    assert "6000 comments" in out, out
    assert not post_exists(server, p["id"])
    assert server.sql("SELECT count(*) FROM comments WHERE post_id = %s", (p["id"],))[0][0] == 0


# ---- what has ended ------------------------------------------------------------------------

def test_what_has_ended_is_swept_and_old_ip_addresses_dropped(server, staff):
    c = cluster(server, staff)
    acct = c.member2
    # sessions: expired, revoked
    old = login(server, {"email": acct["email"], "password": acct["password"]})
    server.sql("UPDATE sessions SET expires_at = now() - interval '1 minute'"
               " WHERE token_hash = encode(sha256(convert_to(%s, 'UTF8')), 'hex')", (old,))
    revoked = login(server, {"email": acct["email"], "password": acct["password"]})
    expect(server.post("auth/logout", token=revoked), 204)
    tok = expect(server.post("me/tokens", token=acct["token"],
                             json={"name": "t", "scopes": ["read"]}), 201)
    expect(server.delete("me/tokens/" + tok["id"], token=acct["token"]), 204)
    # an invitation expired long ago, another pending
    inv = expect(server.post("communities/%s/invites" % c.id, token=c.owner["token"],
                             json={"email": "gone-%s@example.org" % tag(),
                                   "organisation_id": make_org(server, staff["token"])["id"]}),
                 201)
    server.sql("UPDATE invites SET created_at = now() - interval '40 days',"
               " expires_at = now() - interval '33 days' WHERE id = %s", (inv["id"],))
    pending = expect(server.post("communities/%s/invites" % c.id, token=c.owner["token"],
                                 json={"email": "pending-%s@example.org" % tag(),
                                       "organisation_id": make_org(server, staff["token"])["id"]}),
                     201)
    # an idempotency key of two days ago, a failed login of long ago
    ch = c.channel()
    expect(server.post("channels/%s/posts" % ch["id"], token=acct["token"],
                       headers={"Idempotency-Key": "old-key"},
                       json={"kind": "incident", "title": "t", "body": "b", "tlp": "TLP:GREEN"}),
           201)
    server.sql("UPDATE idempotency_keys SET created_at = now() - interval '2 days'"
               " WHERE key = 'old-key'")
    assert server.post("auth/login", json={"email": acct["email"],
                                           "password": "wrong-" + tag()}).status_code == 401
    server.sql("UPDATE auth_throttle SET window_start = now() - interval '3 days'")
    # events older than the replay window; audit IPs older than 30 days
    server.sql("UPDATE events SET created_at = now() - interval '25 hours'"
               " WHERE seq = (SELECT min(seq) FROM events)")
    server.sql("UPDATE audit_log SET at = now() - interval '31 days'"
               " WHERE id = (SELECT min(id) FROM audit_log WHERE ip IS NOT NULL)")
    young_ips = server.sql("SELECT count(*) FROM audit_log WHERE ip IS NOT NULL"
                           " AND at > now() - interval '1 day'")[0][0]
    ticket = expect(server.post("realtime/tickets", token=acct["token"]), 201)
    server.sql("UPDATE realtime_tickets SET expires_at = now() - interval '1 minute'")
    assert ticket

    dry = purged(server, "--dry-run")
    counts = dict(re.findall(r"^  ([^/:]+): (\d+)$", dry, re.M))
    for what in ("ended sessions", "ended API tokens", "expired realtime tickets",
                 "invitations no longer pending for 30 days", "idempotency keys past 24 hours",
                 "stale login-failure records", "events past the replay window",
                 "old IP addresses in the audit trail"):
        assert int(counts[what]) >= 1, (what, dry)
    purged(server)
    for q in ("SELECT count(*) FROM sessions WHERE expires_at < now() OR revoked_at IS NOT NULL",
              "SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL",
              "SELECT count(*) FROM realtime_tickets",
              "SELECT count(*) FROM idempotency_keys WHERE key = 'old-key'",
              "SELECT count(*) FROM auth_throttle WHERE window_start < now() - interval '1 day'",
              "SELECT count(*) FROM events WHERE created_at < now() - interval '24 hours'",
              "SELECT count(*) FROM audit_log WHERE ip IS NOT NULL"
              " AND at < now() - interval '30 days'"):
        assert server.sql(q)[0][0] == 0, q
    assert server.sql("SELECT count(*) FROM invites WHERE id = %s", (inv["id"],))[0][0] == 0
    assert server.sql("SELECT count(*) FROM invites WHERE id = %s", (pending["id"],))[0][0] == 1
    assert server.sql("SELECT count(*) FROM audit_log WHERE ip IS NOT NULL"
                      " AND at > now() - interval '1 day'")[0][0] >= young_ips
    # a replay from before the pruned events is a resync; the live session works
    assert server.sql("SELECT pruned_seq > 0 FROM event_horizon")[0][0]
    assert expect(server.get("me", token=acct["token"]), 200)["id"] == acct["id"]


# ---- inside serve ------------------------------------------------------------------------------

def test_the_purge_inside_serve_runs_on_its_timer_and_subscribers_hear_of_it(
        server, staff, start_server):
    c = cluster(server, staff, retention_days=3)
    ch = c.channel()
    # isacd purge from cron: a subscriber of a running isacd hears of it
    by_cron = c.post(ch["id"])
    s = Subscriber.connect(server, token=c.member["token"])
    assert s.subscribe([ch["id"]])[0]["channels"] == [ch["id"]]
    backdate(server, by_cron["id"], 4)
    purged(server)
    got = s.next(10, where=lambda m: m.get("type") == "event"
                 and m.get("event") == "post.deleted")
    assert got["data"] == {"id": by_cron["id"], "channel_id": ch["id"]}
    s.close()
    p = c.post(ch["id"])
    young = c.post(ch["id"])
    backdate(server, p["id"], 4)
    # a server whose purge runs one second after it starts
    fast = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="1")
    s = Subscriber.connect(fast, token=c.member["token"])
    s.subscribe([ch["id"]])
    got = s.next(15, where=lambda m: m.get("type") == "event"
                 and m.get("event") == "post.deleted")
    assert got["data"] == {"id": p["id"], "channel_id": ch["id"]}
    assert not post_exists(server, p["id"]) and post_exists(server, young["id"])
    s.close()
    deadline = time.time() + 20
    while time.time() < deadline and "isacd_purge_runs_total{outcome=\"done\"} 0" in \
            fast.get("/metrics").text:
        time.sleep(0.2)
    metrics = fast.get("/metrics").text
    assert re.search(r'^isacd_purge_posts_total [1-9]', metrics, re.M), metrics
    # once subscribers had time to hear of it, its events are forgotten too
    deadline = time.time() + 20
    while time.time() < deadline and rows_naming(server, p["id"]):
        time.sleep(0.5)
    assert rows_naming(server, p["id"]) == {}
    lines = [ln for ln in fast.log_lines() if "purge" in ln.get("msg", "")]
    assert any("posts and" in ln["msg"] for ln in lines), lines
    assert p["id"] not in fast.logs() and p["title"] not in fast.logs()
    prev = expect(fast.get("communities/%s/retention" % c.id, token=c.owner["token"]), 200)
    assert prev["next_run_at"] and prev["next_run_at"].endswith("Z")


def test_purging_under_api_load_answers_every_request(server, staff):
    c = cluster(server, staff, retention_days=30)
    ch = c.channel()
    server.sql("INSERT INTO posts (community_id, channel_id, author_id, kind, title, body, tlp,"
               " created_at) SELECT %s, %s, %s, 'incident', 'load ' || g, 'b', 'TLP:GREEN',"
               " now() - interval '40 days' FROM generate_series(1, 3000) g",
               (c.id, ch["id"], c.member["id"]))
    stop = threading.Event()
    statuses = []

    def load(token, write):
        while not stop.is_set():
            if write:
                r = server.post("channels/%s/posts" % ch["id"], token=token,
                                json={"kind": "incident", "title": "now", "body": "b",
                                      "tlp": "TLP:GREEN"})
            else:
                r = server.get("channels/%s/posts?limit=50" % ch["id"], token=token)
            statuses.append(r.status_code)

    threads = [threading.Thread(target=load, args=(c.member["token"], False)),
               threading.Thread(target=load, args=(c.member2["token"], False)),
               threading.Thread(target=load, args=(c.owner["token"], True))]
    for t in threads:
        t.start()
    try:
        out = purged(server, env={"ISACD_PURGE_BATCH": "100"})
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert "deleted 3000 posts" in out, out
    assert statuses and all(s < 500 for s in statuses), sorted(set(statuses))
    assert_no_server_errors(server)


# ---- bad input ---------------------------------------------------------------------------------

BAD_HOLDS = [
    ({"legal_hold": True}, "reason"),
    ({"legal_hold": True, "reason": None}, "reason"),
    ({"legal_hold": True, "reason": ""}, "reason"),
    ({"legal_hold": True, "reason": "x" * 501}, "reason"),
    ({"legal_hold": True, "reason": "two\nlines"}, "reason"),
    ({"legal_hold": True, "reason": 5}, "reason"),
    ({"legal_hold": "yes", "reason": "r"}, "legal_hold"),
    ({"legal_hold": 1, "reason": "r"}, "legal_hold"),
    ({"legal_hold": None, "reason": "r"}, "legal_hold"),
    ({"reason": "r"}, "legal_hold"),
    ({"legal_hold": True, "reason": "r", "name": "x"}, "name"),
    ({"legal_hold": False, "title": "x"}, "title"),
    ({"legal_hold": True, "reason": ["r"]}, "reason"),
]


@pytest.mark.parametrize("body,field", BAD_HOLDS)
@pytest.mark.parametrize("kind", ["communities", "channels", "posts"])
def test_a_bad_hold_is_400_naming_the_field(server, staff, kind, body, field, request):
    c = getattr(request.module, "_bad_cluster", None)
    if c is None:
        c = cluster(server, staff)
        c.ch = c.channel()
        c.p = c.post(c.ch["id"])
        request.module._bad_cluster = c
    target = {"communities": c.id, "channels": c.ch["id"], "posts": c.p["id"]}[kind]
    r = server.patch("%s/%s" % (kind, target), token=c.owner["token"], json=body)
    problem = assert_problem(r, 400)
    assert field in [e["field"] for e in problem["errors"]], problem
    held = server.sql("SELECT legal_hold FROM %s WHERE id = %%s" % kind, (target,))[0][0]
    assert held is False


@pytest.mark.parametrize("path", ["communities/not-a-uuid/retention",
                                  "communities/9b1c575c-4568-43d1-a7f0-73d2a1e25501/retention"])
def test_the_preview_of_nothing_is_404(server, staff, path):
    assert_problem(server.get(path, token=staff["token"]), 404)


def test_isacd_purge_refuses_unknown_options(server):
    out = purge(server, "--bogus")
    assert out.returncode == 2 and "--bogus" in out.stderr
    out = purge(server, "--help")
    assert out.returncode == 0 and "--dry-run" in out.stdout
