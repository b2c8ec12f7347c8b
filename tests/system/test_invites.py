"""Invitations: the way into a closed community.

What users rely on: an invite is single use, bound to one e-mail address and
one organisation, expires, and can be revoked; only the hash of its token is
stored, so a database dump gives nobody a way in.  Accepting either creates
the account (and signs it in) or adds the signed-in account of the invited
address; every other use is refused with a status that says why (403 wrong
person, 404 no such invite, 409 conflict, 410 used/revoked/expired).  Only
moderators invite members and only owners invite moderators; the owner
invite that comes with a new community makes an owner.  Accepting is
throttled per client address like logins, and every step is in the
community's audit trail."""

import hashlib
import re
import secrets
import threading
import uuid
from datetime import timedelta

import pytest

from conftest import DEFAULT_PASSWORD, Server, assert_problem, unique_email
from community_helpers import (INVITE_RE, accept_new, add_member, assert_no_server_errors, audit,
                               create_community, expect, invite, make_org, membership_of,
                               new_community, platform_account)
from identity_helpers import SESSION_RE, account, create_token, error_fields, parse_ts, server_now


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def server(pg):
    # many refused accepts in one module: keep the per-address throttle out of
    # the way here (it has its own test on its own server below)
    s = Server(pg, ISACD_LOGIN_MAX_IP=10000)
    yield s
    s.stop()
    pg.drop_database(s.db)


@pytest.fixture(scope="module")
def staff(server):
    return account(server, role="staff")


@pytest.fixture(scope="module")
def org(server, staff):
    return make_org(server, staff["token"])


@pytest.fixture(scope="module")
def cluster(server, staff, org):
    """A community with an owner and a moderator (both of `org`)."""
    comm, owner = new_community(server, staff["token"], org_id=org["id"])
    mod = add_member(server, comm["id"], owner["token"], org["id"], role="moderator")
    return {"id": comm["id"], "owner": owner, "mod": mod}


def invites_of(server, cid, token):
    return {i["id"]: i for i in expect(server.get("communities/%s/invites?limit=200" % cid,
                                                  token=token), 200)["items"]}


def accept_body(token, **kw):
    body = {"token": token, "display_name": "New Person", "password": DEFAULT_PASSWORD}
    body.update(kw)
    return body


# ---- creating ---------------------------------------------------------------

def test_create_gives_a_token_whose_hash_only_is_stored(server, cluster, org):
    email = unique_email("hash")
    r = server.post("communities/%s/invites" % cluster["id"], token=cluster["owner"]["token"],
                    json={"email": email, "organisation_id": org["id"]})
    inv = expect(r, 201)
    assert INVITE_RE.match(inv["token"]), inv["token"]
    assert len(inv["token"]) == len("isacd_inv_") + 43
    assert inv["email"] == email and inv["role"] == "member" and inv["state"] == "pending"
    assert inv["organisation"] == {"id": org["id"], "name": org["name"]}
    assert inv["created_by"]["id"] == cluster["owner"]["id"]
    lifetime = parse_ts(inv["expires_at"]) - parse_ts(inv["created_at"])
    assert timedelta(days=7) - timedelta(seconds=2) <= lifetime <= timedelta(days=7, seconds=2)
    assert abs(parse_ts(inv["created_at"]) - server_now(r)) < timedelta(seconds=5)

    token = inv["token"]
    secret_part = token[len("isacd_inv_"):]
    (stored,) = server.sql("SELECT token_hash FROM invites WHERE id = %s", (inv["id"],))[0]
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    (row,) = server.sql("SELECT i::text FROM invites i WHERE id = %s", (inv["id"],))[0]
    assert token not in row and secret_part not in row
    # nor anywhere else: the audit trail and the server's own log
    leaked = server.sql("SELECT count(*) FROM audit_log WHERE detail::text LIKE %s",
                        ("%" + secret_part + "%",))[0][0]
    assert leaked == 0
    assert secret_part not in server.logs()
    # the list never shows a token
    listed = invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]
    assert "token" not in listed and listed["state"] == "pending"


def test_two_invites_get_different_tokens(server, cluster, org):
    a = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    b = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    assert a["token"] != b["token"] and a["id"] != b["id"]


def test_moderators_invite_members(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["mod"]["token"], org["id"])
    assert inv["role"] == "member"
    assert inv["created_by"]["id"] == cluster["mod"]["id"]
    body = accept_new(server, inv["token"])
    assert membership_of(server, body["token"], cluster["id"]) == \
        {"community_id": cluster["id"], "role": "member", "status": "active"}


def test_owners_invite_moderators(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"], role="moderator")
    assert inv["role"] == "moderator"
    body = accept_new(server, inv["token"])
    assert membership_of(server, body["token"], cluster["id"])["role"] == "moderator"
    # and the new moderator can invite members at once
    invite(server, cluster["id"], body["token"], org["id"])


def test_a_moderator_cannot_invite_a_moderator(server, cluster, org):
    email = unique_email("mm")
    r = server.post("communities/%s/invites" % cluster["id"], token=cluster["mod"]["token"],
                    json={"email": email, "organisation_id": org["id"], "role": "moderator"})
    assert_problem(r, 403)
    assert server.sql("SELECT count(*) FROM invites WHERE email = %s", (email,))[0][0] == 0


def test_role_owner_cannot_be_invited(server, cluster, org):
    r = server.post("communities/%s/invites" % cluster["id"], token=cluster["owner"]["token"],
                    json={"email": unique_email("own"), "organisation_id": org["id"],
                          "role": "owner"})
    assert "role" in error_fields(assert_problem(r, 400))


def test_a_plain_member_cannot_invite(server, cluster, org):
    member = add_member(server, cluster["id"], cluster["owner"]["token"], org["id"])
    r = server.post("communities/%s/invites" % cluster["id"], token=member["token"],
                    json={"email": unique_email("pm"), "organisation_id": org["id"]})
    assert_problem(r, 403)
    assert_problem(server.get("communities/%s/invites" % cluster["id"], token=member["token"]),
                   403)


def test_a_second_pending_invite_for_the_same_address_is_409(server, cluster, org):
    email = unique_email("twice")
    invite(server, cluster["id"], cluster["owner"]["token"], org["id"], email=email)
    r = server.post("communities/%s/invites" % cluster["id"], token=cluster["mod"]["token"],
                    json={"email": email.upper(), "organisation_id": org["id"]})
    assert_problem(r, 409)
    assert server.sql("SELECT count(*) FROM invites WHERE lower(email) = lower(%s)",
                      (email,))[0][0] == 1


def test_inviting_a_member_is_409(server, cluster, org):
    for email in (cluster["mod"]["email"], cluster["owner"]["email"].upper()):
        r = server.post("communities/%s/invites" % cluster["id"],
                        token=cluster["owner"]["token"],
                        json={"email": email, "organisation_id": org["id"]})
        assert_problem(r, 409)


def test_unknown_or_suspended_organisation_is_422(server, cluster, staff):
    suspended = make_org(server, staff["token"])
    expect(server.patch("organisations/" + suspended["id"], token=staff["token"],
                        json={"status": "suspended"}), 200)
    for org_id in (str(uuid.uuid4()), suspended["id"]):
        r = server.post("communities/%s/invites" % cluster["id"],
                        token=cluster["owner"]["token"],
                        json={"email": unique_email("org"), "organisation_id": org_id})
        body = assert_problem(r, 422)
        assert error_fields(body)[0] == "organisation_id"


def test_the_owner_invite_of_a_new_community_makes_an_owner(server, staff, org):
    created = create_community(server, staff["token"], org["id"])
    cid = created["community"]["id"]
    oi = created["owner_invite"]
    assert INVITE_RE.match(oi["token"]) and set(oi) == {"id", "token", "expires_at"}
    (stored,) = server.sql("SELECT token_hash FROM invites WHERE id = %s", (oi["id"],))[0]
    assert stored == hashlib.sha256(oi["token"].encode()).hexdigest()
    body = accept_new(server, oi["token"])
    assert body["community_id"] == cid
    assert membership_of(server, body["token"], cid) == \
        {"community_id": cid, "role": "owner", "status": "active"}
    comm = expect(server.get("communities/" + cid, token=body["token"]), 200)
    assert comm["membership"] == {"role": "owner", "status": "active"}
    listed = invites_of(server, cid, body["token"])[oi["id"]]
    assert listed["role"] == "owner" and listed["state"] == "accepted"


# ---- accepting --------------------------------------------------------------

def test_accept_creates_the_account_and_signs_it_in(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    r = server.post("invites/accept", json=accept_body(inv["token"], display_name="Nina New"))
    body = expect(r, 201)
    assert set(body) == {"user", "token", "expires_at", "community_id"}
    assert SESSION_RE.match(body["token"])
    assert body["community_id"] == cluster["id"]
    assert body["user"]["email"] == inv["email"]
    assert body["user"]["display_name"] == "Nina New"
    assert body["user"]["organisation"]["id"] == org["id"]
    assert parse_ts(body["expires_at"]) > server_now(r)
    me = expect(server.get("me", token=body["token"]), 200)
    assert me["id"] == body["user"]["id"]
    assert {"community_id": cluster["id"], "role": "member", "status": "active"} \
        in me["memberships"]
    # a real account: the password signs in too
    r = server.post("auth/login", json={"email": inv["email"], "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "accepted"


def test_accept_into_an_existing_account(server, cluster):
    acct = platform_account(server)
    inv = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                 email=acct["email"].upper())
    r = server.post("invites/accept", token=acct["token"], json={"token": inv["token"]})
    body = expect(r, 201)
    assert set(body) == {"user", "community_id"}
    assert body["community_id"] == cluster["id"] and body["user"]["id"] == acct["id"]
    assert membership_of(server, acct["token"], cluster["id"]) == \
        {"community_id": cluster["id"], "role": "member", "status": "active"}
    # no second account was made
    assert server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (acct["email"],))[0][0] == 1


def test_accept_with_a_bearer_refuses_account_fields(server, cluster):
    acct = platform_account(server)
    inv = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                 email=acct["email"])
    r = server.post("invites/accept", token=acct["token"], json=accept_body(inv["token"]))
    assert_problem(r, 400)
    assert membership_of(server, acct["token"], cluster["id"]) is None


def test_accept_for_another_address_is_403(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    other = platform_account(server, organisation=org["name"])   # same organisation
    assert other["org_id"] == org["id"]
    r = server.post("invites/accept", token=other["token"], json={"token": inv["token"]})
    assert_problem(r, 403)
    assert membership_of(server, other["token"], cluster["id"]) is None
    # the invite is untouched: its addressee can still use it
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "pending"
    accept_new(server, inv["token"])


def test_inviting_an_address_says_nothing_of_its_account(server, cluster, org):
    """Whether an address has an account, and in which organisation, is not
    the inviter's to learn: an address with an account in another
    organisation is invited exactly as one with no account (the answer
    differs only in the ids and times it is made of), and the invitation
    fails when it is accepted."""
    acct = platform_account(server)
    assert acct["org_id"] != org["id"]
    owner = cluster["owner"]["token"]

    def shape(r):
        body = r.json()
        return sorted(body), body["role"], body["state"], body["organisation"]["id"]

    r_acct = server.post("communities/%s/invites" % cluster["id"], token=owner,
                         json={"email": acct["email"], "organisation_id": org["id"]})
    r_none = server.post("communities/%s/invites" % cluster["id"], token=owner,
                         json={"email": unique_email("none"), "organisation_id": org["id"]})
    assert r_acct.status_code == r_none.status_code == 201, (r_acct.text, r_none.text)
    assert shape(r_acct) == shape(r_none)
    r = server.post("invites/accept", token=acct["token"], json={"token": r_acct.json()["token"]})
    assert "another organisation" in assert_problem(r, 403)["detail"]
    assert membership_of(server, acct["token"], cluster["id"]) is None


def test_accept_for_another_organisation_is_403(server, cluster, org):
    """Should an invite and its account disagree on the organisation (made
    before the account existed elsewhere), accepting it is refused."""
    acct = platform_account(server)
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    server.sql("UPDATE invites SET email = %s WHERE id = %s", (acct["email"], inv["id"]))
    r = server.post("invites/accept", token=acct["token"], json={"token": inv["token"]})
    assert "another organisation" in assert_problem(r, 403)["detail"]
    assert membership_of(server, acct["token"], cluster["id"]) is None
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "pending"


def test_accept_with_an_invalid_bearer_is_401(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    r = server.post("invites/accept", token="isacd_s_" + "A" * 43, json={"token": inv["token"]})
    assert_problem(r, 401)
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "pending"


def test_accept_with_a_read_only_api_token_is_403(server, cluster):
    acct = platform_account(server)
    pat = create_token(server, acct["token"], scopes=("read",))
    inv = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                 email=acct["email"])
    assert_problem(server.post("invites/accept", token=pat["token"],
                               json={"token": inv["token"]}), 403)
    assert membership_of(server, acct["token"], cluster["id"]) is None


def test_an_invite_is_single_use(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    first = accept_new(server, inv["token"])
    assert_problem(server.post("invites/accept", json=accept_body(inv["token"])), 410)
    # not even by the account that used it
    r = server.post("invites/accept", token=first["token"], json={"token": inv["token"]})
    assert_problem(r, 410)
    assert server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (inv["email"],))[0][0] == 1


def test_revoked_invite_is_410(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    path = "communities/%s/invites/%s" % (cluster["id"], inv["id"])
    r = server.delete(path, token=cluster["mod"]["token"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(server.post("invites/accept", json=accept_body(inv["token"])), 410)
    assert_problem(server.delete(path, token=cluster["mod"]["token"]), 409)
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "revoked"
    assert server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (inv["email"],))[0][0] == 0
    # a new invite for the same address may be sent once the old one is revoked
    invite(server, cluster["id"], cluster["owner"]["token"], org["id"], email=inv["email"])


def test_revoking_an_accepted_or_unknown_invite(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    accept_new(server, inv["token"])
    base = "communities/%s/invites/" % cluster["id"]
    assert_problem(server.delete(base + inv["id"], token=cluster["owner"]["token"]), 409)
    assert_problem(server.delete(base + str(uuid.uuid4()), token=cluster["owner"]["token"]),
                   404)


def test_a_moderator_cannot_revoke_a_moderator_invite(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"], role="moderator")
    path = "communities/%s/invites/%s" % (cluster["id"], inv["id"])
    assert_problem(server.delete(path, token=cluster["mod"]["token"]), 403)
    assert server.delete(path, token=cluster["owner"]["token"]).status_code == 204


def test_expired_invite_is_410_and_listed_as_expired(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    server.sql("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = %s",
               (inv["id"],))
    assert_problem(server.post("invites/accept", json=accept_body(inv["token"])), 410)
    acct_free = server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                           (inv["email"],))[0][0]
    assert acct_free == 0
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "expired"
    path = "communities/%s/invites/%s" % (cluster["id"], inv["id"])
    assert_problem(server.delete(path, token=cluster["owner"]["token"]), 409)


def test_an_expired_invite_does_not_block_a_new_one(server, cluster, org):
    """An expired invite is not pending: the address can be invited again
    (it cannot be revoked any more, so nothing else could free it)."""
    old = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    server.sql("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = %s",
               (old["id"],))
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[old["id"]]["state"] \
        == "expired"
    r = server.post("communities/%s/invites" % cluster["id"], token=cluster["owner"]["token"],
                    json={"email": old["email"], "organisation_id": org["id"]})
    fresh = expect(r, 201)
    assert fresh["state"] == "pending"
    assert_problem(server.post("invites/accept", json=accept_body(old["token"])), 410)
    accept_new(server, fresh["token"])


def test_expired_invite_with_a_bearer_is_410(server, cluster):
    acct = platform_account(server)
    inv = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                 email=acct["email"])
    server.sql("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = %s",
               (inv["id"],))
    assert_problem(server.post("invites/accept", token=acct["token"],
                               json={"token": inv["token"]}), 410)
    assert membership_of(server, acct["token"], cluster["id"]) is None


def test_unknown_token_is_404(server):
    for _ in range(2):
        token = "isacd_inv_" + secrets.token_urlsafe(32)
        assert len(token) == len("isacd_inv_") + 43
        assert_problem(server.post("invites/accept", json=accept_body(token)), 404)


@pytest.mark.parametrize("token", [
    "isacd_inv_",
    "isacd_inv_" + "A" * 42,
    "isacd_inv_" + "A" * 44,
    "isacd_inv_" + "!" * 43,
    "isacd_inv_" + "A" * 42 + "=",
    "isacd_s_" + "A" * 43,
    "isacd_pat_" + "A" * 43,
    "ISACD_INV_" + "A" * 43,
    "not-a-token",
    " isacd_inv_" + "A" * 43,
])
def test_malformed_token_is_404(server, token):
    assert_problem(server.post("invites/accept", json=accept_body(token)), 404)


def test_accept_without_bearer_when_the_address_has_an_account_is_409(server, cluster):
    acct = platform_account(server)
    inv = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                 email=acct["email"])
    assert_problem(server.post("invites/accept", json=accept_body(inv["token"])), 409)
    # the invite still works for the account itself
    r = server.post("invites/accept", token=acct["token"], json={"token": inv["token"]})
    expect(r, 201)


def test_accept_without_bearer_needs_name_and_password(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    r = server.post("invites/accept", json={"token": inv["token"], "password": DEFAULT_PASSWORD})
    assert "display_name" in error_fields(assert_problem(r, 400))
    r = server.post("invites/accept", json={"token": inv["token"], "display_name": "N"})
    assert "password" in error_fields(assert_problem(r, 400))
    r = server.post("invites/accept", json=accept_body(inv["token"], password="short"))
    assert "password" in error_fields(assert_problem(r, 400))
    assert invites_of(server, cluster["id"], cluster["owner"]["token"])[inv["id"]]["state"] \
        == "pending"


def test_accept_by_a_member_already_is_409(server, cluster):
    acct = platform_account(server)
    first = invite(server, cluster["id"], cluster["owner"]["token"], acct["org_id"],
                   email=acct["email"])
    # a second pending invite cannot exist for the address, so make the member
    # through the first and then give them one more by SQL
    expect(server.post("invites/accept", token=acct["token"], json={"token": first["token"]}),
           201)
    token = "isacd_inv_" + secrets.token_urlsafe(32)
    server.sql("INSERT INTO invites (community_id, email, organisation_id, role, token_hash,"
               " expires_at) VALUES (%s, %s, %s, 'member', %s, now() + interval '1 day')",
               (cluster["id"], acct["email"], acct["org_id"],
                hashlib.sha256(token.encode()).hexdigest()))
    assert_problem(server.post("invites/accept", token=acct["token"], json={"token": token}),
                   409)


def test_accept_is_rate_limited_per_address(start_server):
    s = start_server(ISACD_LOGIN_MAX_IP=3)
    statuses = []
    for i in range(3):
        token = ("isacd_inv_" + secrets.token_urlsafe(32)) if i != 1 else "isacd_inv_bad"
        r = s.post("invites/accept", json=accept_body(token))
        statuses.append(r.status_code)
    assert statuses == [404, 404, 404], statuses
    r = s.post("invites/accept", json=accept_body("isacd_inv_" + secrets.token_urlsafe(32)))
    assert_problem(r, 429)
    assert re.fullmatch(r"[1-9][0-9]*", r.headers.get("Retry-After", "")), r.headers
    # locked means locked: a real invite waits too
    staff = account(s, role="staff")
    org = make_org(s, staff["token"])
    created = create_community(s, staff["token"], org["id"])
    r = s.post("invites/accept", json=accept_body(created["owner_invite"]["token"]))
    assert_problem(r, 429)
    assert s.sql("SELECT count(*) FROM memberships")[0][0] == 0


def test_a_successful_accept_gives_an_attempt_back(start_server):
    s = start_server(ISACD_LOGIN_MAX_IP=3)
    staff = account(s, role="staff")
    org = make_org(s, staff["token"])
    created = create_community(s, staff["token"], org["id"])

    def unknown():
        return s.post("invites/accept",
                      json=accept_body("isacd_inv_" + secrets.token_urlsafe(32)))

    assert unknown().status_code == 404
    assert unknown().status_code == 404
    expect(s.post("invites/accept", json=accept_body(created["owner_invite"]["token"])), 201)
    # the success did not count: one more failure is answered, then the lock
    assert unknown().status_code == 404
    assert_problem(unknown(), 429)


def test_two_accepts_of_one_invite_at_once_make_one_member(server, cluster, org):
    inv = invite(server, cluster["id"], cluster["owner"]["token"], org["id"])
    barrier = threading.Barrier(4)
    results = []

    def go(n):
        barrier.wait()
        results.append(server.post("invites/accept", json=accept_body(
            inv["token"], display_name="Racer %d" % n)))

    threads = [threading.Thread(target=go, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    # one winner; each loser, by when it came, finds the invitation used
    # (410) or, having passed that check before the winner committed, the
    # e-mail taken (409)
    assert codes.count(201) == 1, [(r.status_code, r.text) for r in results]
    for r in results:
        if r.status_code != 201:
            assert_problem(r, r.status_code)
            assert r.status_code in (409, 410), (r.status_code, r.text)
    assert server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (inv["email"],))[0][0] == 1
    assert server.sql("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
                      " WHERE lower(u.email) = lower(%s)", (inv["email"],))[0][0] == 1


def test_accept_when_the_invited_organisation_was_suspended_is_403(server, staff):
    org2 = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org2["id"])
    other = make_org(server, staff["token"])
    inv = invite(server, comm["id"], owner["token"], other["id"])
    expect(server.patch("organisations/" + other["id"], token=staff["token"],
                        json={"status": "suspended"}), 200)
    assert_problem(server.post("invites/accept", json=accept_body(inv["token"])), 403)
    assert server.sql("SELECT count(*) FROM users WHERE lower(email) = lower(%s)",
                      (inv["email"],))[0][0] == 0
    expect(server.patch("organisations/" + other["id"], token=staff["token"],
                        json={"status": "active"}), 200)
    accept_new(server, inv["token"])


def test_invites_of_another_community_cannot_be_touched(server, cluster, staff, org):
    other, other_owner = new_community(server, staff["token"], org_id=org["id"])
    theirs = invite(server, other["id"], other_owner["token"], org["id"])
    r = server.delete("communities/%s/invites/%s" % (cluster["id"], theirs["id"]),
                      token=cluster["owner"]["token"])
    assert_problem(r, 404)
    assert theirs["id"] not in invites_of(server, cluster["id"], cluster["owner"]["token"])
    assert invites_of(server, other["id"], other_owner["token"])[theirs["id"]]["state"] \
        == "pending"
    # and the owner of one community sees nothing of the other's
    assert_problem(server.get("communities/%s/invites" % other["id"],
                              token=cluster["owner"]["token"]), 404)


def test_audit_trail_of_invites(server, cluster, org, staff):
    cid, owner = cluster["id"], cluster["owner"]
    used = invite(server, cid, owner["token"], org["id"])
    body = accept_new(server, used["token"])
    revoked = invite(server, cid, cluster["mod"]["token"], org["id"])
    assert server.delete("communities/%s/invites/%s" % (cid, revoked["id"]),
                         token=owner["token"]).status_code == 204
    entries = audit(server, cid, owner["token"])
    created = [a for a in entries if a["action"] == "invite.created"
               and a["detail"].get("invite_id") in (used["id"], revoked["id"])]
    assert len(created) == 2
    by_id = {a["detail"]["invite_id"]: a for a in created}
    assert by_id[used["id"]]["actor"]["id"] == owner["id"]
    assert by_id[used["id"]]["detail"]["email"] == used["email"]
    assert by_id[used["id"]]["detail"]["role"] == "member"
    assert by_id[used["id"]]["detail"]["organisation_id"] == org["id"]
    assert by_id[revoked["id"]]["actor"]["id"] == cluster["mod"]["id"]
    accepted = [a for a in entries if a["action"] == "invite.accepted"
                and a["detail"].get("invite_id") == used["id"]]
    assert len(accepted) == 1
    assert accepted[0]["actor"]["id"] == body["user"]["id"]
    assert accepted[0]["detail"]["role"] == "member"
    rev = [a for a in entries if a["action"] == "invite.revoked"
           and a["detail"].get("invite_id") == revoked["id"]]
    assert len(rev) == 1 and rev[0]["actor"]["id"] == owner["id"]
    # staff may read the trail too, plain members may not
    assert audit(server, cid, staff["token"])[0]["id"] == entries[0]["id"]
    assert audit(server, cid, cluster["mod"]["token"])[0]["id"] == entries[0]["id"]
    member = accept_new(server, invite(server, cid, owner["token"], org["id"])["token"])
    assert_problem(server.get("communities/%s/audit" % cid, token=member["token"]), 403)
    # newest first, ids as strings, no address of the client, no token
    ids = [int(a["id"]) for a in entries]
    assert ids == sorted(ids, reverse=True)
    for a in entries:
        assert set(a) == {"id", "at", "action", "actor", "subject", "detail"}
        assert isinstance(a["id"], str)
        text = str(a)
        assert used["token"][10:] not in text and revoked["token"][10:] not in text
        assert "127.0.0.1" not in text
