"""Export: GET /me/export, everything isacd keeps about the caller.

One JSON document: the account, its organisation, memberships, join
requests, readerships, sessions and API tokens (no secret), the second
factor (not its secret), the audit entries about the caller, and every
post (anonymous and TLP:RED ones too, with their revisions), comment and
sighting the caller wrote, the advisory acknowledgements the caller gave
and the self-assessments the caller submitted.  Nothing about other people beyond what the
caller may read anyway: no other person's e-mail address or name, no
secret, and actions others took on the caller without who took them.
"""

import time

import pytest

from community_helpers import add_member, expect, make_org, new_community
from conftest import Server, assert_problem, create_staff, login, totp_code
from identity_helpers import wait_for_fresh_totp_step
from post_helpers import create_post
from privacy_helpers import Cluster, tag


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg, ISACD_PURGE_INTERVAL_S="0")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def staff(server):
    acct = create_staff(server)
    acct["token"] = login(server, acct)
    return acct


def test_the_export_holds_everything_of_the_caller_and_nothing_of_others(server, staff):
    k = Cluster(server, staff["token"])
    p = add_member(server, k.id, k.owner["token"], make_org(server, staff["token"])["id"],
                   name="Exporting Person " + tag())
    q = k.member
    ch = k.channel()
    restricted = k.channel(visibility="restricted")
    expect(server.post("channels/%s/members" % restricted["id"], token=k.owner["token"],
                       json={"user_id": p["id"]}), 201)
    posts = [create_post(server, p["token"], ch["id"], "Mine " + tag(),
                         indicators=[{"type": "ipv4", "value": "192.0.2.%d" % (i + 1)}])
             for i in range(2)]
    posts.append(create_post(server, p["token"], ch["id"], "Anon " + tag(), anonymous=True))
    posts.append(create_post(server, p["token"], ch["id"], "Red " + tag(), tlp="TLP:RED",
                             recipients=[k.owner["id"]]))
    expect(server.patch("posts/" + posts[0]["id"], token=p["token"],
                        json={"title": "Renamed " + tag()}), 200)
    qs = create_post(server, q["token"], ch["id"], "Q's own " + tag())
    cm = expect(server.post("posts/%s/comments" % qs["id"], token=p["token"],
                            json={"body": "P says " + tag()}), 201)
    expect(server.post("posts/%s/comments" % posts[1]["id"], token=q["token"],
                       json={"body": "Q says " + tag()}), 201)
    expect(server.post("posts/%s/sightings" % qs["id"], token=p["token"],
                       json={"note": "seen by P"}), 201)
    tok = expect(server.post("me/tokens", token=p["token"],
                             json={"name": "export-token", "scopes": ["read"]}), 201)
    secret = expect(server.post("me/totp", token=p["token"]), 200)["secret"]
    wait_for_fresh_totp_step()
    expect(server.post("me/totp/confirm", token=p["token"],
                       json={"code": totp_code(secret, at=time.time() - 30)}), 200)
    other, _ = new_community(server, staff["token"], join_policy="request", listed=True)
    expect(server.post("communities/%s/join-requests" % other["id"], token=p["token"],
                       json={"message": "please " + tag()}), 201)
    # an advisory to P's community, which P acknowledges for their
    # organisation (with a note), and a self-assessment P submits
    adv = expect(server.post("advisories", token=staff["token"], json={
        "title": "Patch the gateways " + tag(), "summary": "Exploited.",
        "body": "Patch now.", "severity": "high", "tlp": "TLP:GREEN",
        "targets": {"community_ids": [k.id]}}), 201)
    expect(server.post("advisories/%s/acks" % adv["id"], token=p["token"],
                       json={"status": "applies", "note": "P's note " + tag()}), 201)
    quest = expect(server.get("assessment", token=p["token"]), 200)
    answers = [{"question_id": qq["id"], "option_id": qq["options"][0]["id"]}
               for pr in quest["principles"] for qq in pr["questions"]]
    mine = expect(server.post("organisations/%s/assessments" % p["org_id"], token=p["token"],
                              json={"answers": answers}), 201)
    # the owner suspends and reactivates P: actions on P, by someone else
    for status in ("suspended", "active"):
        expect(server.patch("communities/%s/members/%s" % (k.id, p["id"]),
                            token=k.owner["token"], json={"status": status}), 200)

    r = server.get("me/export", token=p["token"])
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["Content-Disposition"]
    doc = r.json()
    assert set(doc) == {"exported_at", "account", "organisation", "memberships",
                        "join_requests", "channel_readerships", "sessions", "api_tokens",
                        "totp", "audit", "posts", "comments", "sightings",
                        "advisory_acks", "assessments"}
    assert doc["account"]["email"] == p["email"] and doc["account"]["id"] == p["id"]
    assert doc["organisation"]["id"] == p["org_id"]
    assert [m["community"]["id"] for m in doc["memberships"]] == [k.id]
    assert [j["community_id"] for j in doc["join_requests"]] == [other["id"]]
    assert [x["channel_id"] for x in doc["channel_readerships"]] == [restricted["id"]]
    assert doc["totp"]["confirmed_at"] and "secret" not in doc["totp"]
    assert [t["id"] for t in doc["api_tokens"]] == [tok["id"]]
    assert len(doc["sessions"]) >= 1 and all(s["ip"] == "127.0.0.1" for s in doc["sessions"])
    # every post P wrote, anonymous and TLP:RED included, with revisions
    assert sorted(x["post"]["id"] for x in doc["posts"]) == sorted(x["id"] for x in posts)
    by_id = {x["post"]["id"]: x for x in doc["posts"]}
    assert [v["revision"] for v in by_id[posts[0]["id"]]["revisions"]] == [1]
    assert by_id[posts[2]["id"]]["post"]["author"]["id"] == p["id"]
    assert [c["id"] for c in doc["comments"]] == [cm["id"]]
    assert doc["comments"][0]["post_id"] == qs["id"]
    assert [s["post_id"] for s in doc["sightings"]] == [qs["id"]]
    assert [(a["advisory_id"], a["status"]) for a in doc["advisory_acks"]] == \
        [(adv["id"], "applies")]
    assert doc["advisory_acks"][0]["note"].startswith("P's note ")
    assert [a["id"] for a in doc["assessments"]] == [mine["id"]]
    assert doc["assessments"][0]["answers"] == answers
    # the audit entries about P: P's own actions with what P did, others'
    # actions on P without who
    actions = {(a["action"], a["by_me"]) for a in doc["audit"]}
    assert {("token_created", True), ("totp_enabled", True), ("invite.accepted", True),
            ("member.suspended", False), ("member.reactivated", False)} <= actions
    for a in doc["audit"]:
        if not a["by_me"]:
            assert a["ip"] is None and a["detail"] is None and "actor" not in a
    # nothing of other people, and no secret
    text = r.text
    for needle in (q["email"], q["name"], k.owner["email"], k.owner["name"],
                   k.moderator["email"], secret, tok["token"]):
        assert needle not in text, needle
    assert "token_hash" not in text and "password" not in text


def test_the_export_needs_an_interactive_session(server, staff):
    k = Cluster(server, staff["token"])
    tok = expect(server.post("me/tokens", token=k.member["token"],
                             json={"name": "r", "scopes": ["read"]}), 201)["token"]
    assert_problem(server.get("me/export", token=tok), 403)
    assert_problem(server.get("me/export"), 401)
