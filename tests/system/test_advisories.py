"""The agency's advisories: one advisory, fanned out to many communities'
read-only advisories channels, acknowledged per organisation.

The module's world: 20 target communities (12 regional, 8 sector) and one
thematic community the advisories do not go to, each with an owner and two
member organisations, and one organisation with people in the first two.
Staff publish to the 20 at once; each community then has exactly one copy, a
post of kind "advisory" that its members read like any post; acknowledgements
are one state per organisation (the latest wins); a community's moderators
see their organisations' states and notes; staff see counts per community and
state and nothing else -- which every staff answer is scanned for, raw.
"""

import time

import pytest

from agency_helpers import (advisories_channel, advisory_body, expect, join, leaks,
                            sql_community, sql_org, sql_staff, sql_user, tag)
from conftest import Server, assert_problem
from realtime_helpers import Subscriber

N_REGIONAL, N_SECTOR = 12, 8


class World:
    pass


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def w(server):
    w = World()
    w.staff = sql_staff(server)
    w.shared_org = sql_org(server, "Shared Org " + tag())
    w.comms = []
    for i in range(N_REGIONAL + N_SECTOR):
        kind = "regional" if i < N_REGIONAL else "sector"
        c = World()
        c.id = sql_community(server, "%s %02d %s" % (kind.title(), i, tag()), kind=kind)
        c.owner = join(server, c.id, sql_user(server, sql_org(server, "Owner Org %d %s"
                                                                  % (i, tag()))), "owner")
        c.a = join(server, c.id, sql_user(server, sql_org(server, "A Org %d %s" % (i, tag()))))
        c.b = join(server, c.id, sql_user(server, sql_org(server, "B Org %d %s" % (i, tag()))))
        c.shared = (join(server, c.id, sql_user(server, w.shared_org, "Shared %d" % i))
                    if i < 2 else None)
        c.channel = advisories_channel(server, c.id)
        w.comms.append(c)
    w.other = World()
    w.other.id = sql_community(server, "Thematic " + tag(), kind="thematic")
    w.other.owner = join(server, w.other.id, sql_user(server, sql_org(server)), "owner")
    w.other.a = join(server, w.other.id, sql_user(server, sql_org(server)))
    w.other.channel = advisories_channel(server, w.other.id)
    # what staff must never be shown: every organisation, person and note
    w.private = {"shared org": w.shared_org}
    for i, c in enumerate(w.comms):
        for role in ("owner", "a", "b", "shared"):
            acct = getattr(c, role)
            if acct:
                w.private["%s %d id" % (role, i)] = acct["id"]
                w.private["%s %d name" % (role, i)] = acct["name"]
                w.private["%s %d org" % (role, i)] = acct["org_id"]
                w.private["%s %d org name" % (role, i)] = str(server.sql(
                    "SELECT name FROM organisations WHERE id = %s", (acct["org_id"],))[0][0])
    return w


@pytest.fixture(scope="module")
def adv(server, w):
    """The advisory to the 20, acknowledged: in every community A applies (a
    note), B read, then (even communities) mitigated; the owners' not yet;
    the shared organisation does not apply."""
    sectors = [c.id for c in w.comms[N_REGIONAL:]]
    r = server.post("advisories", token=w.staff["token"], json=advisory_body(
        tlp="TLP:AMBER", cves=["cve-2026-0042"], products=["Gateway X 9.1"],
        actions=["Install 9.1.3", "Reset VPN passwords"], source="NCSC-NL",
        targets={"kinds": ["regional"], "community_ids": sectors}))
    a = expect(r, 201)
    assert r.headers["Location"] == "/api/v1/advisories/" + a["id"]
    for i, c in enumerate(w.comms):
        expect(server.post("advisories/%s/acks" % a["id"], token=c.a["token"],
                           json={"status": "applies", "note": "secret note A%d" % i}), 201)
        expect(server.post("advisories/%s/acks" % a["id"], token=c.b["token"],
                           json={"status": "read"}), 201)
        if i % 2 == 0:
            expect(server.post("advisories/%s/acks" % a["id"], token=c.b["token"],
                               json={"status": "mitigated", "note": "patched B%d" % i}), 200)
    expect(server.post("advisories/%s/acks" % a["id"], token=w.comms[1].shared["token"],
                       json={"status": "does_not_apply", "note": "not ours"}), 201)
    for i in range(N_REGIONAL + N_SECTOR):
        w.private["note A%d" % i] = "secret note A%d" % i
        w.private["note B%d" % i] = "patched B%d" % i
    w.private["note shared"] = "not ours"
    return a


def copies(server, w, c, token=None):
    """The posts of a community's advisories channel, as its member reads them."""
    r = server.get("channels/%s/posts" % c.channel, token=token or c.a["token"])
    return expect(r, 200)["items"]


# ---- fan-out -------------------------------------------------------------------------

def test_every_community_has_a_read_only_advisories_channel(server, w):
    c = w.comms[0]
    chans = expect(server.get("communities/%s/channels" % c.id, token=c.a["token"]), 200)
    adv_ch = [ch for ch in chans["items"] if ch["name"] == "advisories"]
    assert len(adv_ch) == 1 and adv_ch[0]["id"] == c.channel
    assert adv_ch[0]["posting"] == "agency"
    assert adv_ch[0]["can_post"] is False and adv_ch[0]["can_moderate"] is False
    owner_view = expect(server.get("channels/" + c.channel, token=c.owner["token"]), 200)
    assert owner_view["can_post"] is False and owner_view["can_moderate"] is False


def test_one_advisory_reaches_twenty_communities_once(server, w, adv):
    assert adv["target_count"] == N_REGIONAL + N_SECTOR and adv["version"] == 1
    assert adv["targets"] == {"all": False, "kinds": ["regional"],
                              "community_ids": sorted(c.id for c in w.comms[N_REGIONAL:])}
    for c in w.comms:
        items = copies(server, w, c)
        assert len(items) == 1, items
        p = items[0]
        assert p["kind"] == "advisory" and p["title"] == adv["title"]
        assert p["tlp"] == "TLP:AMBER" and p["severity"] == "high"
        assert p["advisory"] == {"id": adv["id"], "version": 1}
        assert p["community_id"] == c.id and p["channel_id"] == c.channel
        assert "Install 9.1.3" in p["body"] and "CVE-2026-0042" in p["body"]
        assert p["indicators"][0]["type"] == "cve"
        assert p["can_edit"] is False and p["can_delete"] is False
    # the thematic community was not a target
    assert copies(server, w, w.other) == []
    assert_problem(server.get("advisories/" + adv["id"], token=w.other.a["token"]), 404)
    mine = expect(server.get("advisories", token=w.other.a["token"]), 200)["items"]
    assert adv["id"] not in [x["id"] for x in mine]
    # one advisory, one row of targets: no N unrelated copies
    assert server.sql("SELECT count(*) FROM advisories WHERE id = %s", (adv["id"],))[0][0] == 1
    assert server.sql("SELECT count(*) FROM posts WHERE advisory_id = %s",
                      (adv["id"],))[0][0] == N_REGIONAL + N_SECTOR


def test_a_member_sees_the_advisory_as_sent_to_their_community_only(server, w, adv):
    c = w.comms[3]
    got = expect(server.get("advisories/" + adv["id"], token=c.a["token"]), 200)
    assert got["targets"] is None and got["target_count"] is None
    post_id = copies(server, w, c)[0]["id"]
    assert got["communities"] == [{"id": c.id, "name": got["communities"][0]["name"],
                                   "post_id": post_id}]
    assert got["acknowledgement"]["status"] == "applies"
    # the other 19 targets are not this member's to know of
    text = server.get("advisories/" + adv["id"], token=c.a["token"]).text
    assert not leaks(text, {str(i): o.id for i, o in enumerate(w.comms) if o is not c})
    listed = expect(server.get("advisories", token=c.a["token"]), 200)["items"]
    assert [x["id"] for x in listed].count(adv["id"]) == 1


def test_acknowledgement_is_one_state_per_organisation_and_the_latest_wins(server, w, adv):
    c = w.comms[0]
    got = expect(server.get("advisories/%s/acks" % adv["id"], token=c.owner["token"],
                            params={"community_id": c.id}), 200)
    by_org = {o["organisation"]["id"]: o for o in got["organisations"]}
    assert set(by_org) == {c.owner["org_id"], c.a["org_id"], c.b["org_id"], w.shared_org}
    assert by_org[c.owner["org_id"]]["status"] is None
    assert (by_org[c.a["org_id"]]["status"], by_org[c.a["org_id"]]["note"]) == \
        ("applies", "secret note A0")
    assert (by_org[c.b["org_id"]]["status"], by_org[c.b["org_id"]]["note"]) == \
        ("mitigated", "patched B0")
    # the shared organisation acknowledged through its person in community 1
    assert by_org[w.shared_org]["status"] == "does_not_apply"
    assert got["community_id"] == c.id and got["version"] == 1
    # a colleague of the same organisation replaces the state, for both
    colleague = join(server, c.id, sql_user(server, c.a["org_id"]))
    expect(server.post("advisories/%s/acks" % adv["id"], token=colleague["token"],
                       json={"status": "mitigated"}), 200)
    again = expect(server.get("advisories/" + adv["id"], token=c.a["token"]), 200)
    assert again["acknowledgement"]["status"] == "mitigated"
    assert again["acknowledgement"]["note"] is None
    expect(server.post("advisories/%s/acks" % adv["id"], token=c.a["token"],
                       json={"status": "applies", "note": "secret note A0"}), 200)


def test_moderators_see_their_own_community_only(server, w, adv):
    c0, c1 = w.comms[0], w.comms[1]
    # an owner of c0 asking about c1: not their community to know of
    assert_problem(server.get("advisories/%s/acks" % adv["id"], token=c0.owner["token"],
                              params={"community_id": c1.id}), 404)
    # a plain member of c0
    assert_problem(server.get("advisories/%s/acks" % adv["id"], token=c0.a["token"],
                              params={"community_id": c0.id}), 403)
    # the community the advisory did not go to
    assert_problem(server.get("advisories/%s/acks" % adv["id"], token=w.other.owner["token"],
                              params={"community_id": w.other.id}), 404)
    # staff asking for a community's notes: staff read no community content
    assert_problem(server.get("advisories/%s/acks" % adv["id"], token=w.staff["token"],
                              params={"community_id": c0.id}), 403)
    # a moderator without community_id asks for the agency's counts
    assert_problem(server.get("advisories/%s/acks" % adv["id"], token=c0.owner["token"]), 403)


def test_staff_see_counts_per_community_and_state_only(server, w, adv):
    r = server.get("advisories/%s/acks" % adv["id"], token=w.staff["token"])
    got = expect(r, 200)
    assert got["target_count"] == N_REGIONAL + N_SECTOR
    by_c = {x["community"]["id"]: x for x in got["communities"]}
    assert set(by_c) == {c.id for c in w.comms}
    for i, c in enumerate(w.comms):
        x = by_c[c.id]
        shared = 1 if i < 2 else 0
        want = {"organisations": 3 + shared, "read": 0 if i % 2 == 0 else 1, "applies": 1,
                "does_not_apply": shared, "mitigated": 1 if i % 2 == 0 else 0,
                "pending": 1}
        assert {k: x[k] for k in want} == want, (i, x)
    n = N_REGIONAL + N_SECTOR
    assert got["totals"] == {"organisations": 3 * n + 1, "read": n // 2, "applies": n,
                             "does_not_apply": 1, "mitigated": n // 2, "pending": n}
    # never an organisation, a person or a note: on the raw bytes of every
    # staff answer about the advisory
    for path in ("advisories/%s/acks" % adv["id"], "advisories/" + adv["id"], "advisories"):
        text = server.get(path, token=w.staff["token"]).content.decode()
        assert not leaks(text, w.private), (path, leaks(text, w.private))


def test_staff_without_membership_cannot_acknowledge(server, w, adv):
    assert_problem(server.post("advisories/%s/acks" % adv["id"], token=w.staff["token"],
                               json={"status": "read"}), 403)


def test_the_channel_is_read_only_for_everyone(server, w, adv):
    c = w.comms[5]
    post = copies(server, w, c)[0]
    body = {"kind": "incident", "title": "mine", "body": "x", "tlp": "TLP:GREEN"}
    for who in (c.a, c.owner):
        assert_problem(server.post("channels/%s/posts" % c.channel, token=who["token"],
                                   json=body), 403)
        assert_problem(server.delete("posts/" + post["id"], token=who["token"]), 403)
        assert_problem(server.post("posts/%s/comments" % post["id"], token=who["token"],
                                   json={"body": "hi"}), 403)
        assert_problem(server.post("posts/%s/sightings" % post["id"], token=who["token"],
                                   json={}), 403)
        assert_problem(server.patch("channels/" + c.channel, token=who["token"],
                                    json={"name": "renamed"}), 403)
        assert_problem(server.delete("channels/" + c.channel, token=who["token"]), 403)
    # staff who are members cannot edit the copy either: only through PATCH /advisories
    join(server, c.id, w.staff)
    try:
        assert_problem(server.patch("posts/" + post["id"], token=w.staff["token"],
                                    json={"title": "edited"}), 403)
    finally:
        server.sql("DELETE FROM memberships WHERE community_id = %s AND user_id = %s",
                   (c.id, w.staff["id"]))
    # nor can a moderator create another channel of that name
    assert_problem(server.post("communities/%s/channels" % c.id, token=c.owner["token"],
                               json={"name": "Advisories", "visibility": "community",
                                     "posting": "members"}), 409)


def test_an_amber_advisory_stays_in_its_targets(server, w):
    word = "zebrafish" + tag()
    target, other = w.comms[6], w.comms[7]
    cve = "CVE-2026-%d" % (10000 + int(tag(), 16) % 89999)
    a = expect(server.post("advisories", token=w.staff["token"], json=advisory_body(
        title="Amber " + word, tlp="TLP:AMBER", cves=[cve],
        targets={"community_ids": [target.id]})), 201)
    assert a["target_count"] == 1
    found = expect(server.get("search", token=target.a["token"], params={"q": word}), 200)
    assert [i["post"]["kind"] for i in found["items"]] == ["advisory"]
    post_id = found["items"][0]["post"]["id"]
    assert expect(server.get("search", token=other.a["token"], params={"q": word}),
                  200)["items"] == []
    assert_problem(server.get("posts/" + post_id, token=other.a["token"]), 404)
    assert_problem(server.get("advisories/" + a["id"], token=other.a["token"]), 404)
    assert_problem(server.post("advisories/%s/acks" % a["id"], token=other.a["token"],
                               json={"status": "read"}), 404)
    assert a["cves"] == [cve]
    seen = expect(server.get("indicators", token=other.a["token"],
                             params={"type": "cve", "value": cve}), 200)
    assert seen["items"] == []
    seen = expect(server.get("indicators", token=target.a["token"],
                             params={"type": "cve", "value": cve}), 200)
    assert [x["post"]["id"] for x in seen["items"]] == [post_id]


def test_an_update_is_a_new_version_everywhere_at_once(server, w):
    targets = w.comms[8:12]
    a = expect(server.post("advisories", token=w.staff["token"], json=advisory_body(
        targets={"community_ids": [c.id for c in targets]})), 201)
    first = {c.id: copies(server, w, c)[0]["id"] for c in targets}
    got = expect(server.patch("advisories/" + a["id"], token=w.staff["token"],
                              json={"title": "Updated " + a["title"], "severity": "critical",
                                    "actions": ["Patch now"]}), 200)
    assert got["version"] == 2 and got["severity"] == "critical"
    for c in targets:
        items = [p for p in copies(server, w, c) if p.get("advisory", {})
                 and p["advisory"]["id"] == a["id"]]
        assert len(items) == 1 and items[0]["id"] == first[c.id]
        assert items[0]["advisory"]["version"] == 2
        assert items[0]["title"] == "Updated " + a["title"]
        assert "version 2" in items[0]["body"] and "Patch now" in items[0]["body"]
        revs = expect(server.get("posts/%s/revisions" % items[0]["id"],
                                 token=c.a["token"]), 200)["items"]
        assert [r["title"] for r in revs] == [a["title"]]
    # the same again changes nothing
    same = expect(server.patch("advisories/" + a["id"], token=w.staff["token"],
                               json={"severity": "critical"}), 200)
    assert same["version"] == 2
    # a new target gets the current version; a dropped one loses its copy
    new_ids = [c.id for c in targets[1:]] + [w.comms[12].id]
    got = expect(server.patch("advisories/" + a["id"], token=w.staff["token"],
                              json={"targets": {"community_ids": new_ids}}), 200)
    assert got["version"] == 2 and got["target_count"] == 4
    assert [p for p in copies(server, w, targets[0])
            if (p.get("advisory") or {}).get("id") == a["id"]] == []
    added = [p for p in copies(server, w, w.comms[12])
             if (p.get("advisory") or {}).get("id") == a["id"]]
    assert len(added) == 1 and added[0]["advisory"]["version"] == 2
    assert_problem(server.get("advisories/" + a["id"], token=targets[0].a["token"]), 404)


def test_withdrawal_removes_it_everywhere_and_keeps_the_counts(server, w):
    targets = w.comms[13:16]
    a = expect(server.post("advisories", token=w.staff["token"], json=advisory_body(
        targets={"community_ids": [c.id for c in targets]})), 201)
    post_ids = {c.id: copies(server, w, c)[0]["id"] for c in targets}
    expect(server.post("advisories/%s/acks" % a["id"], token=targets[0].a["token"],
                       json={"status": "applies", "note": "we use it"}), 201)
    got = expect(server.post("advisories/%s/withdraw" % a["id"], token=w.staff["token"]), 200)
    assert got["status"] == "withdrawn" and got["withdrawn_at"]
    for c in targets:
        assert_problem(server.get("posts/" + post_ids[c.id], token=c.a["token"]), 404)
        assert_problem(server.get("advisories/" + a["id"], token=c.a["token"]), 404)
        assert a["id"] not in [x["id"] for x in expect(server.get(
            "advisories", token=c.a["token"]), 200)["items"]]
    assert_problem(server.post("advisories/%s/acks" % a["id"], token=targets[1].a["token"],
                               json={"status": "read"}), 404)
    counts = expect(server.get("advisories/%s/acks" % a["id"], token=w.staff["token"]), 200)
    assert counts["status"] == "withdrawn" and counts["totals"]["applies"] == 1
    # withdrawn is final: no new version, and withdrawing again changes nothing
    assert_problem(server.patch("advisories/" + a["id"], token=w.staff["token"],
                                json={"title": "again"}), 409)
    again = expect(server.post("advisories/%s/withdraw" % a["id"], token=w.staff["token"]),
                   200)
    assert again["withdrawn_at"] == got["withdrawn_at"]
    assert expect(server.get("advisories/" + a["id"], token=w.staff["token"]),
                  200)["status"] == "withdrawn"


def test_targets_must_name_communities_that_exist(server, w):
    import uuid
    assert_problem(server.post("advisories", token=w.staff["token"], json=advisory_body(
        targets={"community_ids": [str(uuid.uuid4())]})), 422)
    r = server.post("advisories", token=w.staff["token"], json=advisory_body(
        targets={"kinds": ["thematic"], "community_ids": []}))
    assert r.status_code == 201      # the thematic community exists
    a = r.json()
    assert a["target_count"] >= 1
    expect(server.post("advisories/%s/withdraw" % a["id"], token=w.staff["token"]), 200)


def test_a_retry_with_the_same_key_publishes_once(server, w):
    body = advisory_body(targets={"community_ids": [w.comms[16].id]})
    key = {"Idempotency-Key": "adv-" + tag()}
    first = server.post("advisories", token=w.staff["token"], json=body, headers=key)
    second = server.post("advisories", token=w.staff["token"], json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    # the main advisory went to community 16 too: this one adds one copy
    assert [p["advisory"]["id"] for p in copies(server, w, w.comms[16])].count(
        first.json()["id"]) == 1
    assert server.sql("SELECT count(*) FROM advisories WHERE title = %s",
                      (body["title"],))[0][0] == 1


def test_only_staff_publish(server, w):
    c = w.comms[0]
    for who in (c.a, c.owner):
        assert_problem(server.post("advisories", token=who["token"], json=advisory_body()), 403)
        assert_problem(server.post("advisories/%s/withdraw" % w.comms[0].id,
                                   token=who["token"]), 403)


def test_the_advisory_arrives_live_on_the_advisories_channel(server, w):
    c = w.comms[17]
    live = Subscriber.connect(server, token=c.a["token"])
    outside = Subscriber.connect(server, token=w.other.a["token"])
    try:
        sub, errors = live.subscribe([c.channel])
        assert sub["channels"] == [c.channel] and errors == []
        assert outside.subscribe([w.other.channel])[0]["channels"] == [w.other.channel]
        t0 = time.time()
        a = expect(server.post("advisories", token=w.staff["token"], json=advisory_body(
            targets={"community_ids": [c.id]})), 201)
        ev = live.next(timeout=5, where=lambda m: m["type"] == "event")
        assert time.time() - t0 < 2
        assert ev["event"] == "post.created" and ev["channel_id"] == c.channel
        assert ev["data"]["advisory"] == {"id": a["id"], "version": 1}
        assert ev["data"] == expect(server.get("posts/" + ev["data"]["id"],
                                               token=c.a["token"]), 200)
        expect(server.patch("advisories/" + a["id"], token=w.staff["token"],
                            json={"summary": "Now with a patch."}), 200)
        ev = live.next(timeout=5, where=lambda m: m["type"] == "event")
        assert ev["event"] == "post.updated" and ev["data"]["advisory"]["version"] == 2
        expect(server.post("advisories/%s/withdraw" % a["id"], token=w.staff["token"]), 200)
        ev = live.next(timeout=5, where=lambda m: m["type"] == "event")
        assert ev["event"] == "post.deleted" and ev["data"]["id"] == ev["data"]["id"]
        assert outside.events(timeout=1) == []
    finally:
        live.close()
        outside.close()


def test_a_new_community_comes_with_its_advisories_channel(server, w):
    staff = w.staff
    org = sql_org(server)
    r = server.post("communities", token=staff["token"], json={
        "name": "Fresh " + tag(), "kind": "sector", "statistics": "agency",
        "owner": {"email": "fresh-%s@example.org" % tag(), "organisation_id": org}})
    made = expect(r, 201)["community"]
    assert made["statistics"] == "agency"
    n = server.sql("SELECT count(*) FROM channels WHERE community_id = %s AND posting = 'agency'"
                   " AND name = 'advisories'", (made["id"],))[0][0]
    assert n == 1


def test_the_migration_gives_existing_communities_their_channel(pg, tmp_path):
    """A database from before advisories: its communities get their
    advisories channel from the migration, and a channel that already had
    the name keeps its content under another, on the record."""
    import os
    import shutil
    from conftest import ROOT, run_isacd
    old = tmp_path / "schema"
    (old / "functions").mkdir(parents=True)
    for f in os.listdir(os.path.join(ROOT, "schema")):
        if f.endswith(".sql") and f < "0030":
            shutil.copy(os.path.join(ROOT, "schema", f), old / f)
    db = "m_" + tag()
    pg.sql("postgres", "CREATE DATABASE %s" % db)
    out = run_isacd(["migrate", "--dir", str(old)], pg.env(db))
    assert out.returncode == 0, out.stderr
    cid = pg.sql(db, "INSERT INTO communities (name, kind) VALUES ('Old', 'sector')"
                     " RETURNING id")[0][0]
    mine = pg.sql(db, "INSERT INTO channels (community_id, name, visibility, posting)"
                      " VALUES (%s, 'Advisories', 'community', 'members') RETURNING id",
                  (cid,))[0][0]
    out = run_isacd(["migrate"], pg.env(db))
    assert out.returncode == 0, out.stderr
    rows = pg.sql(db, "SELECT id, name, posting FROM channels WHERE community_id = %s"
                      " ORDER BY posting", (cid,))
    assert [(r[1], r[2]) for r in rows] == [("advisories", "agency"),
                                           ("advisories-" + str(mine)[:8], "members")]
    audit = pg.sql(db, "SELECT detail FROM audit_log WHERE community_id = %s"
                       " AND action = 'channel.updated'", (cid,))
    assert audit[0][0]["after"] == {"name": "advisories-" + str(mine)[:8]}
