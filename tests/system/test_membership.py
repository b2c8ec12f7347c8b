"""Membership: joining by request, roles and standing, leaving and removal,
organisation off-boarding, suspending an organisation, the roster rule and
communities that require TOTP.

What users rely on: a listed community that takes requests can be asked to
join, and only its moderators decide; nobody can act on someone of an equal
or higher role (owners excepted among themselves), so a moderator can never
promote themselves or touch an owner; a community always keeps an active
owner, even when two owners demote each other at the same instant; leaving
or being removed takes the explicit channel readerships along; a company
that leaves a cluster takes all its people and pending invites with it; a
suspended organisation is cut off at once (every session and token); the
roster shows members only what the community allows; and a community that
requires TOTP keeps members without it out of its content."""

import threading
import uuid

import pytest

from conftest import assert_problem, totp_code
from community_helpers import (add_existing, add_member, assert_no_server_errors,
                               audit, audit_of, channel_ids, expect, invite, make_org, member_ids,
                               membership_of, new_channel, new_community, platform_account,
                               set_member)
from identity_helpers import account, create_token, try_login, wait_for_fresh_totp_step


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def staff(server):
    return account(server, role="staff")


def community(server, staff, **fields):
    """A fresh community: (community id, owner, moderator, member), one org."""
    org = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org["id"], **fields)
    mod = add_member(server, comm["id"], owner["token"], org["id"], role="moderator")
    member = add_member(server, comm["id"], owner["token"], org["id"])
    return comm["id"], owner, mod, member


def jr_path(cid, rid=None, action=None):
    p = "communities/%s/join-requests" % cid
    if rid:
        p += "/" + rid
    if action:
        p += "/" + action
    return p


def role_and_status(server, cid, user_id):
    rows = server.sql("SELECT role, status FROM memberships WHERE community_id = %s"
                      " AND user_id = %s", (cid, user_id))
    return tuple(rows[0]) if rows else None


# ---- join requests -----------------------------------------------------------

@pytest.fixture(scope="module")
def open_comm(server, staff):
    """A listed community that takes join requests."""
    return community(server, staff, listed=True, join_policy="request")


def test_join_request_approved(server, open_comm):
    cid, owner, mod, member = open_comm
    asker = platform_account(server, name="Asker One")
    r = server.post(jr_path(cid), token=asker["token"], json={"message": "we run a grid"})
    jr = expect(r, 201)
    assert jr["status"] == "pending" and jr["message"] == "we run a grid"
    assert jr["community_id"] == cid and jr["decided_at"] is None
    assert jr["user"]["id"] == asker["id"] and jr["user"]["display_name"] == "Asker One"
    assert jr["user"]["organisation"]["id"] == asker["org_id"]

    assert_problem(server.post(jr_path(cid), token=asker["token"], json={"message": "again"}),
                   409)
    assert membership_of(server, asker["token"], cid) == \
        {"community_id": cid, "role": None, "status": "pending", "join_request_id": jr["id"]}
    assert expect(server.get(jr_path(cid, jr["id"]), token=asker["token"]), 200) == jr
    # a member of the community, and a stranger, see nothing of it
    assert_problem(server.get(jr_path(cid, jr["id"]), token=member["token"]), 404)
    stranger = platform_account(server)
    assert_problem(server.get(jr_path(cid, jr["id"]), token=stranger["token"]), 404)
    # a pending requester is no member
    assert_problem(server.get("communities/%s/members" % cid, token=asker["token"]), 403)

    pending = expect(server.get(jr_path(cid) + "?status=pending", token=mod["token"]), 200)
    assert jr["id"] in [x["id"] for x in pending["items"]]
    assert all(x["status"] == "pending" for x in pending["items"])
    assert_problem(server.get(jr_path(cid), token=member["token"]), 403)

    done = expect(server.post(jr_path(cid, jr["id"], "approve"), token=mod["token"]), 200)
    assert done["status"] == "approved" and done["decided_at"] is not None
    assert membership_of(server, asker["token"], cid) == \
        {"community_id": cid, "role": "member", "status": "active"}
    assert asker["id"] in member_ids(server, cid, mod["token"])
    # deciding twice
    assert_problem(server.post(jr_path(cid, jr["id"], "approve"), token=mod["token"]), 409)
    assert_problem(server.post(jr_path(cid, jr["id"], "deny"), token=owner["token"]), 409)
    assert role_and_status(server, cid, asker["id"]) == ("member", "active")
    # now a member: asking again is 409
    assert_problem(server.post(jr_path(cid), token=asker["token"]), 409)
    approved = audit_of(server, cid, mod["token"], "join_request.approved")
    assert [a["detail"]["join_request_id"] for a in approved].count(jr["id"]) == 1
    assert approved[0]["actor"]["id"] == mod["id"]
    assert approved[0]["subject"]["id"] == asker["id"]


def test_join_request_denied(server, open_comm):
    cid, owner, mod, member = open_comm
    asker = platform_account(server)
    jr = expect(server.post(jr_path(cid), token=asker["token"]), 201)   # no body at all
    assert jr["message"] is None
    done = expect(server.post(jr_path(cid, jr["id"], "deny"), token=owner["token"]), 200)
    assert done["status"] == "denied"
    assert membership_of(server, asker["token"], cid) is None
    assert role_and_status(server, cid, asker["id"]) is None
    assert_problem(server.get("communities/%s/members" % cid, token=asker["token"]), 403)
    # the requester can still read the decision
    assert expect(server.get(jr_path(cid, jr["id"]), token=asker["token"]), 200)["status"] \
        == "denied"
    assert_problem(server.post(jr_path(cid, jr["id"], "approve"), token=owner["token"]), 409)
    assert role_and_status(server, cid, asker["id"]) is None
    denied = expect(server.get(jr_path(cid) + "?status=denied", token=mod["token"]), 200)
    assert jr["id"] in [x["id"] for x in denied["items"]]
    assert any(a["detail"].get("join_request_id") == jr["id"]
               for a in audit_of(server, cid, owner["token"], "join_request.denied"))


def test_plain_members_cannot_decide(server, open_comm):
    cid, owner, mod, member = open_comm
    asker = platform_account(server)
    jr = expect(server.post(jr_path(cid), token=asker["token"]), 201)
    assert_problem(server.post(jr_path(cid, jr["id"], "approve"), token=member["token"]), 403)
    assert_problem(server.post(jr_path(cid, jr["id"], "deny"), token=asker["token"]), 403)
    assert_problem(server.post(jr_path(cid, str(uuid.uuid4()), "approve"),
                               token=mod["token"]), 404)
    assert role_and_status(server, cid, asker["id"]) is None


def test_join_requests_of_another_community_cannot_be_touched(server, staff, open_comm):
    cid, owner, mod, member = open_comm
    other_cid, other_owner, other_mod, _ = community(server, staff, listed=True,
                                                     join_policy="request")
    asker = platform_account(server)
    jr = expect(server.post(jr_path(cid), token=asker["token"]), 201)
    # a moderator of the other community cannot read or decide it, by either path
    for path_cid in (other_cid, cid):
        assert_problem(server.get(jr_path(path_cid, jr["id"]), token=other_mod["token"]), 404)
    assert_problem(server.post(jr_path(other_cid, jr["id"], "approve"),
                               token=other_mod["token"]), 404)
    assert_problem(server.post(jr_path(cid, jr["id"], "approve"),
                               token=other_mod["token"]), 403)
    assert jr["id"] not in [x["id"] for x in expect(
        server.get(jr_path(other_cid), token=other_mod["token"]), 200)["items"]]
    assert expect(server.get(jr_path(cid, jr["id"]), token=asker["token"]), 200)["status"] \
        == "pending"
    assert role_and_status(server, other_cid, asker["id"]) is None
    assert role_and_status(server, cid, asker["id"]) is None


def test_join_request_to_an_unlisted_community_is_404(server, staff):
    cid, owner, mod, member = community(server, staff, listed=False, join_policy="request")
    asker = platform_account(server)
    assert_problem(server.post(jr_path(cid), token=asker["token"]), 404)
    assert_problem(server.get("communities/" + cid, token=asker["token"]), 404)


def test_join_request_to_an_invite_only_community_is_403(server, staff):
    cid, owner, mod, member = community(server, staff, listed=True, join_policy="invite")
    asker = platform_account(server)
    assert_problem(server.post(jr_path(cid), token=asker["token"]), 403)
    assert server.sql("SELECT count(*) FROM join_requests WHERE community_id = %s",
                      (cid,))[0][0] == 0


def test_members_cannot_request_to_join(server, open_comm):
    cid, owner, mod, member = open_comm
    for who in (member, mod, owner):
        assert_problem(server.post(jr_path(cid), token=who["token"]), 409)


# ---- roles and status ----------------------------------------------------------

def test_suspend_and_reactivate_by_a_moderator(server, staff):
    cid, owner, mod, member = community(server, staff)
    ch = new_channel(server, cid, mod["token"])
    r = set_member(server, cid, mod["token"], member["id"], status="suspended")
    assert expect(r, 200)["status"] == "suspended"
    assert role_and_status(server, cid, member["id"]) == ("member", "suspended")
    for path in ("communities/%s/members" % cid, "communities/%s/channels" % cid,
                 "channels/" + ch["id"]):
        body = assert_problem(server.get(path, token=member["token"]), 403)
        assert "suspended" in body["detail"], body
    # the community itself stays visible, with the standing
    comm = expect(server.get("communities/" + cid, token=member["token"]), 200)
    assert comm["membership"] == {"role": "member", "status": "suspended"}
    assert membership_of(server, member["token"], cid)["status"] == "suspended"
    # moderators still see the suspended member
    assert member["id"] in member_ids(server, cid, mod["token"])

    r = set_member(server, cid, mod["token"], member["id"], status="active")
    assert expect(r, 200)["status"] == "active"
    assert member["id"] in member_ids(server, cid, member["token"])
    expect(server.get("channels/" + ch["id"], token=member["token"]), 200)
    # the same change again is a no-op, and not audited
    expect(set_member(server, cid, mod["token"], member["id"], status="active"), 200)
    actions = [a["action"] for a in audit(server, cid, owner["token"])
               if a["subject"] and a["subject"]["id"] == member["id"]]
    assert actions.count("member.suspended") == 1
    assert actions.count("member.reactivated") == 1


def test_owner_promotes_member_to_moderator_and_moderator_to_owner(server, staff):
    cid, owner, mod, member = community(server, staff)
    r = set_member(server, cid, owner["token"], member["id"], role="moderator")
    assert expect(r, 200)["role"] == "moderator"
    # the new moderator moderates at once
    new_channel(server, cid, member["token"])
    r = set_member(server, cid, owner["token"], mod["id"], role="owner")
    assert expect(r, 200)["role"] == "owner"
    assert membership_of(server, mod["token"], cid)["role"] == "owner"
    changes = audit_of(server, cid, owner["token"], "member.role_changed")
    seen = {(a["subject"]["id"], a["detail"]["before"]["role"], a["detail"]["after"]["role"])
            for a in changes}
    assert (member["id"], "member", "moderator") in seen
    assert (mod["id"], "moderator", "owner") in seen


def test_moderators_cannot_change_roles_or_escalate(server, staff):
    cid, owner, mod, member = community(server, staff)
    mod2 = add_member(server, cid, owner["token"], owner["org_id"], role="moderator")
    attempts = [
        (mod, member["id"], {"role": "moderator"}),   # a moderator changes a role
        (mod, mod["id"], {"role": "owner"}),          # promotes itself
        (mod, mod["id"], {"status": "suspended"}),    # acts on itself as a moderator
        (mod, owner["id"], {"status": "suspended"}),  # suspends an owner
        (mod, owner["id"], {"role": "member"}),       # demotes an owner
        (mod, mod2["id"], {"status": "suspended"}),   # suspends another moderator
        (member, mod["id"], {"status": "suspended"}),  # a member suspends a moderator
        (member, member["id"], {"role": "owner"}),    # a member promotes itself
        (member, owner["id"], {"role": "member"}),
    ]
    for actor, target, change in attempts:
        r = set_member(server, cid, actor["token"], target, **change)
        assert_problem(r, 403)
    for actor, target in [(member, mod["id"]), (member, owner["id"]), (mod, owner["id"]),
                          (mod, mod2["id"])]:
        r = server.delete("communities/%s/members/%s" % (cid, target), token=actor["token"])
        assert_problem(r, 403)
    assert role_and_status(server, cid, owner["id"]) == ("owner", "active")
    assert role_and_status(server, cid, mod["id"]) == ("moderator", "active")
    assert role_and_status(server, cid, mod2["id"]) == ("moderator", "active")
    assert role_and_status(server, cid, member["id"]) == ("member", "active")
    assert audit_of(server, cid, owner["token"], "member.role_changed") == []
    assert audit_of(server, cid, owner["token"], "member.suspended") == []


def test_a_member_cannot_remove_another_member(server, staff):
    cid, owner, mod, member = community(server, staff)
    other = add_member(server, cid, owner["token"], owner["org_id"])
    r = server.delete("communities/%s/members/%s" % (cid, other["id"]), token=member["token"])
    assert_problem(r, 403)
    assert role_and_status(server, cid, other["id"]) == ("member", "active")


def test_changing_someone_who_is_no_member_is_404(server, staff):
    cid, owner, mod, member = community(server, staff)
    stranger = platform_account(server)
    assert_problem(set_member(server, cid, owner["token"], stranger["id"], role="moderator"),
                   404)
    assert_problem(server.delete("communities/%s/members/%s" % (cid, stranger["id"]),
                                 token=owner["token"]), 404)
    # and an outsider acting on an unlisted community sees no community
    assert_problem(set_member(server, cid, stranger["token"], member["id"],
                              status="suspended"), 404)
    assert_problem(server.delete("communities/%s/members/%s" % (cid, stranger["id"]),
                                 token=stranger["token"]), 404)


# ---- the last owner ----------------------------------------------------------------

def test_the_last_owner_cannot_leave_be_demoted_suspended_or_removed(server, staff):
    cid, owner, mod, member = community(server, staff)
    me = "communities/%s/members/%s" % (cid, owner["id"])
    assert_problem(server.delete(me, token=owner["token"]), 409)
    assert_problem(set_member(server, cid, owner["token"], owner["id"], role="moderator"), 409)
    assert_problem(set_member(server, cid, owner["token"], owner["id"], status="suspended"),
                   409)
    assert_problem(set_member(server, cid, owner["token"], owner["id"], role="member",
                              status="suspended"), 409)
    # nobody below can remove them either
    assert_problem(server.delete(me, token=mod["token"]), 403)
    assert role_and_status(server, cid, owner["id"]) == ("owner", "active")


def test_a_suspended_owner_does_not_count(server, staff):
    cid, owner, mod, member = community(server, staff)
    expect(set_member(server, cid, owner["token"], mod["id"], role="owner"), 200)
    expect(set_member(server, cid, owner["token"], mod["id"], status="suspended"), 200)
    # `owner` is now the only *active* owner
    assert_problem(set_member(server, cid, owner["token"], owner["id"], role="moderator"), 409)
    assert_problem(set_member(server, cid, owner["token"], owner["id"], status="suspended"),
                   409)
    assert_problem(server.delete("communities/%s/members/%s" % (cid, owner["id"]),
                                 token=owner["token"]), 409)
    # the suspended owner cannot act at all
    assert_problem(set_member(server, cid, mod["token"], owner["id"], role="member"), 403)
    assert role_and_status(server, cid, owner["id"]) == ("owner", "active")


def test_with_two_owners_one_may_demote_the_other(server, staff):
    cid, owner, mod, member = community(server, staff)
    expect(set_member(server, cid, owner["token"], mod["id"], role="owner"), 200)
    r = set_member(server, cid, mod["token"], owner["id"], role="moderator")
    assert expect(r, 200)["role"] == "moderator"
    # the demoted one can no longer change roles
    assert_problem(set_member(server, cid, owner["token"], mod["id"], role="moderator"), 403)
    # and the remaining owner is now the last one
    assert_problem(set_member(server, cid, mod["token"], mod["id"], role="moderator"), 409)


def test_two_owners_demoting_each_other_at_once_leave_one_owner(server, staff):
    cid, a, b, member = community(server, staff)
    expect(set_member(server, cid, a["token"], b["id"], role="owner"), 200)
    for _ in range(6):
        server.sql("UPDATE memberships SET role = 'owner', status = 'active'"
                   " WHERE community_id = %s AND user_id IN (%s, %s)", (cid, a["id"], b["id"]))
        barrier = threading.Barrier(2)
        results = {}

        def demote(actor, target):
            barrier.wait()
            results[actor["id"]] = set_member(server, cid, actor["token"], target["id"],
                                              role="moderator")

        threads = [threading.Thread(target=demote, args=(a, b)),
                   threading.Thread(target=demote, args=(b, a))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results.values())
        assert codes[0] == 200 and codes[1] in (403, 409), \
            [(r.status_code, r.text) for r in results.values()]
        owners = server.sql("SELECT user_id FROM memberships WHERE community_id = %s"
                            " AND role = 'owner' AND status = 'active'", (cid,))
        assert len(owners) == 1, owners


# ---- leaving and removal ------------------------------------------------------------

def test_leave(server, staff):
    cid, owner, mod, member = community(server, staff)
    r = server.delete("communities/%s/members/%s" % (cid, member["id"]), token=member["token"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(server.get("communities/" + cid, token=member["token"]), 404)
    assert membership_of(server, member["token"], cid) is None
    assert member["id"] not in member_ids(server, cid, owner["token"])
    left = audit_of(server, cid, owner["token"], "member.left")
    assert len(left) == 1 and left[0]["actor"]["id"] == member["id"]
    assert left[0]["subject"]["id"] == member["id"]
    # gone is gone: leaving again is 404
    assert_problem(server.delete("communities/%s/members/%s" % (cid, member["id"]),
                                 token=member["token"]), 404)


def test_a_suspended_member_may_leave(server, staff):
    cid, owner, mod, member = community(server, staff)
    expect(set_member(server, cid, mod["token"], member["id"], status="suspended"), 200)
    r = server.delete("communities/%s/members/%s" % (cid, member["id"]), token=member["token"])
    assert r.status_code == 204, r.text
    assert role_and_status(server, cid, member["id"]) is None


def test_leaving_a_listed_community_leaves_it_visible(server, staff):
    cid, owner, mod, member = community(server, staff, listed=True)
    assert server.delete("communities/%s/members/%s" % (cid, member["id"]),
                         token=member["token"]).status_code == 204
    comm = expect(server.get("communities/" + cid, token=member["token"]), 200)
    assert comm["membership"] is None and comm["member_count"] is None


def test_removal_drops_explicit_channel_readerships(server, staff):
    cid, owner, mod, member = community(server, staff)
    secret = new_channel(server, cid, mod["token"], visibility="restricted")
    expect(server.post("channels/%s/members" % secret["id"], token=mod["token"],
                       json={"user_id": member["id"]}), 201)
    expect(server.get("channels/" + secret["id"], token=member["token"]), 200)
    r = server.delete("communities/%s/members/%s" % (cid, member["id"]), token=mod["token"])
    assert r.status_code == 204, r.text
    assert server.sql("SELECT count(*) FROM channel_readers WHERE user_id = %s",
                      (member["id"],))[0][0] == 0
    removed = audit_of(server, cid, owner["token"], "member.removed")
    assert len(removed) == 1 and removed[0]["subject"]["id"] == member["id"]
    assert removed[0]["actor"]["id"] == mod["id"]
    # invited back, they do not get the restricted channel back with it
    add_existing(server, cid, owner["token"], member)
    assert_problem(server.get("channels/" + secret["id"], token=member["token"]), 404)
    assert secret["id"] not in channel_ids(server, cid, member["token"])


def test_owners_may_remove_owners(server, staff):
    cid, owner, mod, member = community(server, staff)
    expect(set_member(server, cid, owner["token"], mod["id"], role="owner"), 200)
    r = server.delete("communities/%s/members/%s" % (cid, mod["id"]), token=owner["token"])
    assert r.status_code == 204, r.text
    assert role_and_status(server, cid, mod["id"]) is None


# ---- organisation off-boarding ---------------------------------------------------------

def test_organisation_offboarding(server, staff):
    org_a = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org_a["id"])
    cid = comm["id"]
    mod = add_member(server, cid, owner["token"], org_a["id"], role="moderator")
    org_b = make_org(server, staff["token"])
    b1 = add_member(server, cid, owner["token"], org_b["id"])
    b2 = add_member(server, cid, mod["token"], org_b["id"])
    pending_b = invite(server, cid, mod["token"], org_b["id"])
    pending_a = invite(server, cid, mod["token"], org_a["id"])
    org_c = make_org(server, staff["token"])
    c_mod = add_member(server, cid, owner["token"], org_c["id"], role="moderator")
    secret = new_channel(server, cid, mod["token"], visibility="restricted")
    expect(server.post("channels/%s/members" % secret["id"], token=mod["token"],
                       json={"user_id": b1["id"]}), 201)
    base = "communities/%s/organisations/" % cid

    # a moderator cannot off-board an organisation with a moderator in it
    assert_problem(server.delete(base + org_c["id"], token=mod["token"]), 403)
    assert role_and_status(server, cid, c_mod["id"]) == ("moderator", "active")
    # a plain member cannot off-board anything
    assert_problem(server.delete(base + org_a["id"], token=b1["token"]), 403)

    r = server.delete(base + org_b["id"], token=mod["token"])
    assert expect(r, 200) == {"removed": 2, "invites_revoked": 1}
    for gone in (b1, b2):
        assert role_and_status(server, cid, gone["id"]) is None
        assert membership_of(server, gone["token"], cid) is None
        assert_problem(server.get("communities/" + cid, token=gone["token"]), 404)
    assert server.sql("SELECT count(*) FROM channel_readers WHERE user_id = %s",
                      (b1["id"],))[0][0] == 0
    states = {i["id"]: i["state"] for i in expect(
        server.get("communities/%s/invites?limit=200" % cid, token=owner["token"]),
        200)["items"]}
    assert states[pending_b["id"]] == "revoked"
    assert states[pending_a["id"]] == "pending"
    assert_problem(server.post("invites/accept", json={
        "token": pending_b["token"], "display_name": "Late", "password": owner["password"]}),
        410)
    entry = audit_of(server, cid, owner["token"], "organisation.removed")
    assert len(entry) == 1
    detail = entry[0]["detail"]
    assert detail["organisation_id"] == org_b["id"] and detail["name"] == org_b["name"]
    assert sorted(detail["user_ids"]) == sorted([b1["id"], b2["id"]])
    assert entry[0]["actor"]["id"] == mod["id"]

    # nothing left of that organisation here, and an unknown one: 404
    assert_problem(server.delete(base + org_b["id"], token=owner["token"]), 404)
    assert_problem(server.delete(base + str(uuid.uuid4()), token=owner["token"]), 404)
    # an owner may off-board the organisation of a moderator
    r = server.delete(base + org_c["id"], token=owner["token"])
    assert expect(r, 200) == {"removed": 1, "invites_revoked": 0}
    # the organisation of the only owner cannot go
    assert_problem(server.delete(base + org_a["id"], token=owner["token"]), 409)
    assert role_and_status(server, cid, owner["id"]) == ("owner", "active")
    assert role_and_status(server, cid, mod["id"]) == ("moderator", "active")
    assert server.sql("SELECT revoked_at IS NULL FROM invites WHERE id = %s",
                      (pending_a["id"],))[0][0] is True


def test_offboarding_revokes_only_pending_invites(server, staff):
    """Expired (and accepted) invites of the organisation are history: they
    are neither revoked nor counted in invites_revoked."""
    cid, owner, mod, member = community(server, staff)
    org_b = make_org(server, staff["token"])
    add_member(server, cid, owner["token"], org_b["id"])             # an accepted invite
    pending = invite(server, cid, owner["token"], org_b["id"])
    expired = invite(server, cid, owner["token"], org_b["id"])
    server.sql("UPDATE invites SET expires_at = now() - interval '1 second' WHERE id = %s",
               (expired["id"],))
    r = server.delete("communities/%s/organisations/%s" % (cid, org_b["id"]),
                      token=owner["token"])
    assert expect(r, 200) == {"removed": 1, "invites_revoked": 1}
    states = {i["id"]: i["state"] for i in expect(
        server.get("communities/%s/invites?limit=200" % cid, token=owner["token"]),
        200)["items"]}
    assert states[pending["id"]] == "revoked"
    assert states[expired["id"]] == "expired"


# ---- suspending an organisation -------------------------------------------------------

def test_suspending_an_organisation_cuts_its_people_off(server, staff):
    org = make_org(server, staff["token"])
    comm, u1 = new_community(server, staff["token"], org_id=org["id"])
    u2 = add_member(server, comm["id"], u1["token"], org["id"])
    second_session = expect(try_login(server, u1["email"], u1["password"]), 200)["token"]
    pat = create_token(server, u1["token"], scopes=("read", "write"))["token"]
    bystander = platform_account(server)
    for t in (u1["token"], second_session, pat, u2["token"]):
        expect(server.get("me", token=t), 200)

    r = server.patch("organisations/" + org["id"], token=staff["token"],
                     json={"status": "suspended"})
    assert expect(r, 200)["status"] == "suspended"
    for t in (u1["token"], second_session, pat, u2["token"]):
        assert_problem(server.get("me", token=t), 401)
        assert_problem(server.get("communities/" + comm["id"], token=t), 401)
    expect(server.get("me", token=bystander["token"]), 200)

    wrong = try_login(server, bystander["email"], "Wrong-Password-999")
    assert_problem(wrong, 401)
    for who in (u1, u2):
        r = try_login(server, who["email"], who["password"])
        assert_problem(r, 401)
        assert r.json() == wrong.json()
    rows = server.sql("SELECT detail FROM audit_log WHERE action = 'organisation.suspended'"
                      " AND detail->>'organisation_id' = %s", (org["id"],))
    assert len(rows) == 1
    assert rows[0][0]["sessions_ended"] >= 3 and rows[0][0]["tokens_revoked"] == 1
    # not staff: cannot lift it
    assert_problem(server.patch("organisations/" + org["id"], token=bystander["token"],
                                json={"status": "active"}), 403)

    r = server.patch("organisations/" + org["id"], token=staff["token"],
                     json={"status": "active"})
    assert expect(r, 200)["status"] == "active"
    fresh = expect(try_login(server, u1["email"], u1["password"]), 200)["token"]
    expect(server.get("me", token=fresh), 200)
    expect(try_login(server, u2["email"], u2["password"]), 200)
    # what was revoked stays revoked
    for t in (u1["token"], second_session, pat, u2["token"]):
        assert_problem(server.get("me", token=t), 401)
    assert server.sql("SELECT count(*) FROM audit_log WHERE action ="
                      " 'organisation.reactivated' AND detail->>'organisation_id' = %s",
                      (org["id"],))[0][0] == 1


def test_a_suspended_organisation_never_authenticates(server, staff):
    """Even a session that was not revoked (the status set behind the API's
    back) does not get in while its organisation is suspended."""
    org = make_org(server, staff["token"])
    comm, u1 = new_community(server, staff["token"], org_id=org["id"])
    pat = create_token(server, u1["token"], scopes=("read",))["token"]
    server.sql("UPDATE organisations SET status = 'suspended' WHERE id = %s", (org["id"],))
    try:
        for t in (u1["token"], pat):
            assert_problem(server.get("me", token=t), 401)
            assert_problem(server.get("communities/%s/members" % comm["id"], token=t), 401)
    finally:
        server.sql("UPDATE organisations SET status = 'active' WHERE id = %s", (org["id"],))
    expect(server.get("me", token=u1["token"]), 200)
    expect(server.get("me", token=pat), 200)


# ---- who may create organisations ------------------------------------------------------

def test_moderators_may_create_organisations_plain_members_not(server, staff):
    cid, owner, mod, member = community(server, staff)
    expect(server.post("organisations", token=mod["token"],
                       json={"name": "Mod Org " + uuid.uuid4().hex[:8]}), 201)
    expect(server.post("organisations", token=owner["token"],
                       json={"name": "Owner Org " + uuid.uuid4().hex[:8]}), 201)
    name = "Member Org " + uuid.uuid4().hex[:8]
    assert_problem(server.post("organisations", token=member["token"], json={"name": name}),
                   403)
    outsider = platform_account(server)
    assert_problem(server.post("organisations", token=outsider["token"],
                               json={"name": name}), 403)
    # a suspended moderator is not an active one
    expect(set_member(server, cid, owner["token"], mod["id"], status="suspended"), 200)
    assert_problem(server.post("organisations", token=mod["token"], json={"name": name}), 403)
    assert server.sql("SELECT count(*) FROM organisations WHERE name = %s", (name,))[0][0] == 0


# ---- the roster rule -----------------------------------------------------------------------

def test_roster_moderators_and_members(server, staff):
    cid, owner, mod, a = community(server, staff)
    b = add_member(server, cid, owner["token"], owner["org_id"])
    c = add_member(server, cid, owner["token"], owner["org_id"])
    expect(set_member(server, cid, mod["token"], c["id"], status="suspended"), 200)

    # roster "moderators" (the default)
    assert member_ids(server, cid, a["token"]) == {a["id"], owner["id"], mod["id"]}
    everyone = {owner["id"], mod["id"], a["id"], b["id"], c["id"]}
    assert member_ids(server, cid, mod["token"]) == everyone
    assert member_ids(server, cid, owner["token"]) == everyone
    items = expect(server.get("communities/%s/members" % cid, token=mod["token"]),
                   200)["items"]
    by_id = {m["user_id"]: m for m in items}
    assert by_id[c["id"]]["status"] == "suspended"
    assert set(by_id[a["id"]]) == {"user_id", "display_name", "organisation", "role",
                                   "status", "joined_at"}
    assert by_id[a["id"]]["organisation"]["id"] == owner["org_id"]

    # roster "members": members see every active member, not the suspended one
    expect(server.patch("communities/" + cid, token=owner["token"], json={"roster": "members"}),
           200)
    assert member_ids(server, cid, a["token"]) == {owner["id"], mod["id"], a["id"], b["id"]}
    assert member_ids(server, cid, mod["token"]) == everyone


# ---- communities that require TOTP -----------------------------------------------------

def test_require_totp_keeps_members_without_it_out(server, staff):
    cid, owner, mod, member = community(server, staff)
    ch = new_channel(server, cid, mod["token"])
    expect(server.patch("communities/" + cid, token=staff["token"],
                        json={"require_totp": True}), 200)
    for path in ("communities/%s/members" % cid, "communities/%s/channels" % cid,
                 "channels/" + ch["id"]):
        body = assert_problem(server.get(path, token=member["token"]), 403)
        assert body["type"] == "totp-required", body
        assert "/api/v1/me/totp" in body["detail"], body
    # the community itself is still there for them
    expect(server.get("communities/" + cid, token=member["token"]), 200)

    enrol = expect(server.post("me/totp", token=member["token"]), 200)
    wait_for_fresh_totp_step()
    expect(server.post("me/totp/confirm", token=member["token"],
                       json={"code": totp_code(enrol["secret"])}), 200)
    assert member["id"] in member_ids(server, cid, member["token"])
    assert ch["id"] in channel_ids(server, cid, member["token"])
    expect(server.get("channels/" + ch["id"], token=member["token"]), 200)
    # the moderator without TOTP is kept out of content just the same
    body = assert_problem(server.get("communities/%s/channels" % cid, token=mod["token"]), 403)
    assert body["type"] == "totp-required"


def test_a_moderator_without_totp_or_suspended_is_told_why(server, staff):
    """Managing members needs an active moderator or owner: a moderator held
    back by the community's TOTP rule gets the totp-required problem, a
    suspended one is told they are suspended, as on every other route."""
    cid, owner, mod, member = community(server, staff)
    expect(server.patch("communities/" + cid, token=staff["token"],
                        json={"require_totp": True}), 200)
    attempts = [
        lambda: set_member(server, cid, mod["token"], member["id"], status="suspended"),
        lambda: server.delete("communities/%s/members/%s" % (cid, member["id"]),
                              token=mod["token"]),
        lambda: server.delete("communities/%s/organisations/%s" % (cid, member["org_id"]),
                              token=mod["token"]),
    ]
    for attempt in attempts:
        assert assert_problem(attempt(), 403)["type"] == "totp-required"
    expect(server.patch("communities/" + cid, token=staff["token"],
                        json={"require_totp": False}), 200)
    # suspended by an owner, the moderator is told so
    expect(set_member(server, cid, owner["token"], mod["id"], status="suspended"), 200)
    for attempt in attempts:
        assert "suspended" in assert_problem(attempt(), 403)["detail"]
    assert role_and_status(server, cid, member["id"]) == ("member", "active")


def test_staff_cannot_suspend_their_own_organisation(server, staff):
    """It would end their own session at once, with nobody left to undo it."""
    own = server.get("me", token=staff["token"]).json()["organisation"]["id"]
    r = server.patch("organisations/" + own, token=staff["token"], json={"status": "suspended"})
    assert "your own organisation" in assert_problem(r, 409)["detail"]
    assert server.get("me", token=staff["token"]).status_code == 200
    assert server.sql("SELECT status FROM organisations WHERE id = %s", (own,))[0][0] == "active"


def test_accepting_an_invite_settles_a_pending_join_request_on_the_record(server, staff):
    org = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org["id"], listed=True,
                                join_policy="request")
    acct = platform_account(server, organisation=org["name"])
    jr = expect(server.post("communities/%s/join-requests" % comm["id"], token=acct["token"],
                            json={}), 201)
    inv = invite(server, comm["id"], owner["token"], org["id"], email=acct["email"])
    expect(server.post("invites/accept", token=acct["token"], json={"token": inv["token"]}), 201)
    got = expect(server.get("communities/%s/join-requests/%s" % (comm["id"], jr["id"]),
                            token=owner["token"]), 200)
    assert got["status"] == "approved" and got["decided_at"]
    entry = audit_of(server, comm["id"], owner["token"], "join_request.approved")
    assert entry and entry[0]["subject"]["id"] == acct["id"]
    assert entry[0]["actor"]["id"] == owner["id"]
