"""Erasure: DELETE /me and staff DELETE /users/{id}.

The account's personal data goes -- e-mail, display name, password hash,
TOTP secret, sessions and tokens, invitations to its address, join
requests, memberships, its login-failure record -- and afterwards no row of
any table holds its e-mail address or display name (every table's row::text
is scanned) and no recipients list (of posts, revisions, indicators or
events) holds its id.  What it wrote stays as a former member's, with no
link back, except in a community that erases content on leave, where it is
deleted.  The audit trail keeps the actions, a pseudonym for the person.
Its open sockets close with 1008.  A wrong password is 403 and counts as a
failed login; the last owner of a community cannot be erased (409).
"""

import time

import pytest

from community_helpers import (add_existing, add_member, assert_no_server_errors, expect,
                               make_org, new_community)
from conftest import (DEFAULT_PASSWORD, Server, assert_problem, create_staff, login,
                      totp_code)
from identity_helpers import wait_for_fresh_totp_step
from post_helpers import create_post
from privacy_helpers import Cluster, post_exists, rows_naming, tag
from realtime_helpers import Subscriber

FORMER = {"display_name": "former member"}


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg, ISACD_PURGE_INTERVAL_S="0")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def staff(server):
    acct = create_staff(server)
    acct["token"] = login(server, acct)
    acct["id"] = str(server.sql("SELECT id FROM users WHERE email = %s", (acct["email"],))[0][0])
    return acct


def person(server, staff, cluster, name):
    """A member of the cluster with a display name found nowhere else."""
    return add_member(server, cluster.id, cluster.owner["token"],
                      make_org(server, staff["token"])["id"], name=name)


def recipients_naming(server, user_id):
    return {q: server.sql(q, (user_id,) * q.count("%s"))[0][0] for q in (
        "SELECT count(*) FROM posts WHERE %s = ANY (recipients)",
        "SELECT count(*) FROM post_revisions WHERE %s = ANY (recipients)",
        "SELECT count(*) FROM post_indicators WHERE %s = ANY (recipients)",
        "SELECT count(*) FROM events WHERE %s = ANY (recipients)"
        " OR %s = ANY (lost_recipients)")}


def test_erasing_oneself_leaves_no_trace_and_content_as_a_former_members(server, staff):
    k = Cluster(server, staff["token"])
    e = Cluster(server, staff["token"], erase_content_on_leave=True)
    name = "Erin Erasable " + tag()
    p = person(server, staff, k, name)
    add_existing(server, e.id, e.owner["token"], p)
    q = k.member
    ch = k.channel()
    ech = e.channel()

    # what P wrote in K: a post with an indicator, edited; an anonymous post;
    # a TLP:RED post for Q; a comment and a sighting on Q's post
    mine = create_post(server, p["token"], ch["id"], "Mine " + tag(),
                       indicators=[{"type": "domain", "value": "erin-%s.example" % tag()}])
    expect(server.patch("posts/" + mine["id"], token=p["token"], json={"body": "edited"}), 200)
    anon = create_post(server, p["token"], ch["id"], "Anon " + tag(), anonymous=True)
    red = create_post(server, p["token"], ch["id"], "Red " + tag(), tlp="TLP:RED",
                      recipients=[k.owner["id"]])
    qs = create_post(server, q["token"], ch["id"], "Q's " + tag())
    comment = expect(server.post("posts/%s/comments" % qs["id"], token=p["token"],
                                 json={"body": "a comment by P"}), 201)
    expect(server.post("posts/%s/sightings" % qs["id"], token=p["token"], json={}), 201)
    # Q's TLP:RED post is for P alone; another for P and the owner, edited
    for_p = create_post(server, q["token"], ch["id"], "For P " + tag(), tlp="TLP:RED",
                        recipients=[p["id"]])
    for_both = create_post(server, q["token"], ch["id"], "For both " + tag(), tlp="TLP:RED",
                           recipients=[p["id"], k.owner["id"]])
    expect(server.patch("posts/" + for_both["id"], token=q["token"],
                        json={"body": "edited"}), 200)
    # in E, which erases content on leave
    egone = create_post(server, p["token"], ech["id"], "E post " + tag())
    eq = create_post(server, e.member["token"], ech["id"], "E other " + tag())
    ecomment = expect(server.post("posts/%s/comments" % eq["id"], token=p["token"],
                                  json={"body": "bye"}), 201)
    # an API token, TOTP, an invitation to P's address elsewhere, a join
    # request, an idempotency key, a failed login
    expect(server.post("me/tokens", token=p["token"], json={"name": "t", "scopes": ["read"]}),
           201)
    secret = expect(server.post("me/totp", token=p["token"]), 200)["secret"]
    wait_for_fresh_totp_step()
    expect(server.post("me/totp/confirm", token=p["token"],
                       json={"code": totp_code(secret, at=time.time() - 30)}), 200)
    third, third_owner = new_community(server, staff["token"], join_policy="request",
                                       listed=True)
    expect(server.post("communities/%s/invites" % third["id"], token=third_owner["token"],
                       json={"email": p["email"].upper(), "organisation_id": p["org_id"]}), 201)
    req_c, _ = new_community(server, staff["token"], join_policy="request", listed=True)
    expect(server.post("communities/%s/join-requests" % req_c["id"], token=p["token"],
                       json={"message": "let me in"}), 201)
    expect(server.post("channels/%s/posts" % ch["id"], token=p["token"],
                       headers={"Idempotency-Key": "erin-" + tag()},
                       json={"kind": "incident", "title": "keyed", "body": "b",
                             "tlp": "TLP:GREEN"}), 201)
    assert server.post("auth/login", json={"email": p["email"],
                                           "password": "Wrong-" + tag()}).status_code == 401
    s = Subscriber.connect(server, token=p["token"])
    assert s.subscribe([ch["id"]])[0]["channels"] == [ch["id"]]
    assert rows_naming(server, p["email"], name)

    # a wrong password is refused, and counts as a failed login
    failures = server.sql("SELECT failures FROM auth_throttle WHERE key = isacd_account_key(%s)",
                          (p["email"],))[0][0]
    problem = assert_problem(server.delete("me", token=p["token"],
                                           json={"password": "Not-The-One-123"}), 403)
    assert [x["field"] for x in problem["errors"]] == ["password"]
    assert server.sql("SELECT failures FROM auth_throttle WHERE key = isacd_account_key(%s)",
                      (p["email"],))[0][0] == failures + 1
    assert server.sql("SELECT count(*) FROM audit_log WHERE action = 'erasure_failed'"
                      " AND actor_id = %s", (p["id"],))[0][0] == 1

    r = server.delete("me", token=p["token"], json={"password": p["password"]})
    assert r.status_code == 204, r.text

    # no trace of the person
    assert rows_naming(server, p["email"], name) == {}
    assert set(recipients_naming(server, p["id"]).values()) == {0}
    assert server.sql("SELECT count(*) FROM users WHERE id = %s", (p["id"],))[0][0] == 0
    # the socket closed with 1008, the credentials are gone
    assert s.wait_closed(5) == 1008
    assert_problem(server.get("me", token=p["token"]), 401)
    assert server.post("auth/login", json={"email": p["email"],
                                           "password": p["password"]}).status_code == 401

    # what P wrote in K stays, a former member's
    for pid in (mine["id"], anon["id"]):
        got = expect(server.get("posts/" + pid, token=k.moderator["token"]), 200)
        assert got["author"] == FORMER and got["can_edit"] is False
    assert expect(server.get("posts/" + anon["id"], token=q["token"]), 200)["author"] is None
    got = expect(server.get("posts/" + red["id"], token=k.owner["token"]), 200)
    assert got["author"] == FORMER and got["recipients"] == [k.owner["id"]]
    revs = expect(server.get("posts/%s/revisions" % mine["id"], token=q["token"]), 200)["items"]
    assert revs and all(v["editor"] == FORMER for v in revs)
    comments = expect(server.get("posts/%s/comments" % qs["id"], token=q["token"]), 200)["items"]
    assert [(x["id"], x["author"]) for x in comments] == [(comment["id"], FORMER)]
    sightings = expect(server.get("posts/%s/sightings" % qs["id"], token=q["token"]), 200)
    assert sightings["total"] == 1
    # Q's posts for P: P has left their recipients (the one for P alone is
    # its author's only now)
    assert expect(server.get("posts/" + for_p["id"], token=q["token"]), 200)["recipients"] == []
    assert expect(server.get("posts/" + for_both["id"], token=q["token"]),
                  200)["recipients"] == [k.owner["id"]]
    # in E it is gone
    assert not post_exists(server, egone["id"])
    assert expect(server.get("posts/%s/comments" % eq["id"], token=e.owner["token"]),
                  200)["items"] == []
    assert ecomment

    # the audit trail keeps the actions, with a pseudonym
    erased = server.sql("SELECT actor_id, detail, ip FROM audit_log"
                        " WHERE action = 'account.erased' ORDER BY id DESC LIMIT 1")[0]
    assert erased[0] is None and erased[1]["by"] == "self" and erased[2] is None
    pseudonym = erased[1]["pseudonym"]
    mine_before = server.sql("SELECT action, actor_id FROM audit_log"
                             " WHERE detail ->> 'actor_pseudonym' = %s", (pseudonym,))
    assert {a for a, _ in mine_before} >= {"totp_enabled", "token_created", "erasure_failed"}
    assert all(actor is None for _, actor in mine_before)
    assert_no_server_errors(server)


def test_the_last_owner_cannot_be_erased(server, staff):
    c, owner = new_community(server, staff["token"], owner_name="Only Owner " + tag())
    problem = assert_problem(server.delete("me", token=owner["token"],
                                           json={"password": DEFAULT_PASSWORD}), 409)
    assert "owner" in problem["detail"]
    assert expect(server.get("me", token=owner["token"]), 200)["id"] == owner["id"]
    assert_problem(server.delete("users/" + owner["id"], token=staff["token"]), 409)
    # with a second owner, the first may go
    second = add_member(server, c["id"], owner["token"], make_org(server, staff["token"])["id"])
    expect(server.patch("communities/%s/members/%s" % (c["id"], second["id"]),
                        token=owner["token"], json={"role": "owner"}), 200)
    assert server.delete("me", token=owner["token"],
                         json={"password": DEFAULT_PASSWORD}).status_code == 204
    members = expect(server.get("communities/%s/members" % c["id"], token=second["token"]),
                     200)["items"]
    assert [m["user_id"] for m in members] == [second["id"]]


def test_staff_erase_an_account_whatever_it_wrote(server, staff):
    """A prolific account: its content is rewritten in bounded steps, each
    far below the events a transaction may write, then the account goes."""
    k = Cluster(server, staff["token"])
    e = Cluster(server, staff["token"], erase_content_on_leave=True)
    name = "Prolific Poster " + tag()
    p = person(server, staff, k, name)
    add_existing(server, e.id, e.owner["token"], p)
    ch, ech = k.channel(), e.channel()
    for cid, chid, n in ((k.id, ch["id"], 1200), (e.id, ech["id"], 700)):
        server.sql("INSERT INTO posts (community_id, channel_id, author_id, kind, title, body,"
                   " tlp) SELECT %s, %s, %s, 'incident', 'bulk ' || g, 'b', 'TLP:GREEN'"
                   " FROM generate_series(1, %s) g", (cid, chid, p["id"], n))
    quiet = k.channel()
    s = Subscriber.connect(server, token=p["token"])
    s.subscribe([quiet["id"]])
    # only staff; an unknown id is 404; a member may not
    assert_problem(server.delete("users/" + p["id"], token=k.owner["token"]), 403)
    assert_problem(server.delete("users/00000000-0000-4000-8000-000000000000",
                                 token=staff["token"]), 404)
    assert_problem(server.delete("users/not-a-uuid", token=staff["token"]), 404)
    r = server.delete("users/" + p["id"], token=staff["token"])
    assert r.status_code == 204, r.text
    assert s.wait_closed(5) == 1008
    assert server.sql("SELECT count(*) FROM posts WHERE channel_id = %s AND author_id IS NULL",
                      (ch["id"],))[0][0] == 1200
    assert server.sql("SELECT count(*) FROM posts WHERE channel_id = %s", (ech["id"],))[0][0] == 0
    assert rows_naming(server, p["email"], name) == {}
    erased = server.sql("SELECT actor_id::text, detail ->> 'by' FROM audit_log"
                        " WHERE action = 'account.erased' ORDER BY id DESC LIMIT 1")[0]
    assert erased == (staff["id"], "staff")
    # again: the account is gone
    assert_problem(server.delete("users/" + p["id"], token=staff["token"]), 404)


BAD_BODIES = [({}, "password"), ({"password": ""}, "password"), ({"password": 5}, "password"),
              ({"password": None}, "password"), ({"password": "x" * 1025}, "password"),
              ({"password": DEFAULT_PASSWORD, "confirm": True}, "confirm")]


@pytest.mark.parametrize("body,field", BAD_BODIES)
def test_a_bad_erasure_body_is_400_and_erases_nothing(server, staff, body, field):
    c = Cluster(server, staff["token"])
    problem = assert_problem(server.delete("me", token=c.member["token"], json=body), 400)
    assert field in [x["field"] for x in problem["errors"]]
    assert expect(server.get("me", token=c.member["token"]), 200)["id"] == c.member["id"]


def test_erasure_needs_an_interactive_session(server, staff):
    c = Cluster(server, staff["token"])
    tok = expect(server.post("me/tokens", token=c.member["token"],
                             json={"name": "w", "scopes": ["read", "write"]}), 201)["token"]
    assert_problem(server.delete("me", token=tok, json={"password": DEFAULT_PASSWORD}), 403)
    r = server.delete("me", token=c.member["token"], data=b"not json",
                      headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    assert expect(server.get("me", token=c.member["token"]), 200)["id"] == c.member["id"]
