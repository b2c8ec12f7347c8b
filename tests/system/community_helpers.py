"""Setup helpers shared by the community system tests (communities, invites,
membership, channels, pagination, bad input, the SQL access layer).

Everything goes through the public API the way a real cluster is set up:
staff create an organisation and a community, the owner accepts the invite
that came with it (creating their account), and the owner or a moderator
invites everyone else.  Accounts are dicts like identity_helpers.account():
{"id", "email", "password", "token", "org_id", "name"}.
"""

import re
import uuid

from conftest import DEFAULT_PASSWORD, create_user, login, unique_email

INVITE_RE = re.compile(r"^isacd_inv_[A-Za-z0-9_-]{43}$")


def uid():
    return uuid.uuid4().hex[:10]


def expect(r, status):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else None


def make_org(server, token, name=None):
    """A new organisation (as staff, or an active moderator/owner)."""
    r = server.post("organisations", token=token, json={"name": name or "Org " + uid()})
    return expect(r, 201)


def create_community(server, staff_token, org_id, owner_email=None, **fields):
    """POST /communities → {community, owner_invite} (201)."""
    body = {"name": fields.pop("name", "Community " + uid()),
            "kind": fields.pop("kind", "sector"),
            "owner": {"email": owner_email or unique_email("owner"),
                      "organisation_id": org_id}}
    body.update(fields)
    return expect(server.post("communities", token=staff_token, json=body), 201)


def accept_new(server, invite_token, name=None, password=DEFAULT_PASSWORD):
    """Accept an invite creating the account: → the 201 body."""
    r = server.post("invites/accept", json={"token": invite_token,
                                            "display_name": name or "Member " + uid(),
                                            "password": password})
    return expect(r, 201)


def _acct(body, password, org_id):
    user = body["user"]
    return {"id": user["id"], "email": user["email"], "password": password,
            "token": body["token"], "org_id": org_id, "name": user["display_name"]}


def new_community(server, staff_token, org_id=None, owner_name=None, **fields):
    """A community with an owner who accepted the owner invite.

    → (community json, owner account).  A new organisation is made for the
    owner unless org_id is given."""
    org_id = org_id or make_org(server, staff_token)["id"]
    created = create_community(server, staff_token, org_id, **fields)
    body = accept_new(server, created["owner_invite"]["token"],
                      name=owner_name or "Owner " + uid())
    return created["community"], _acct(body, DEFAULT_PASSWORD, org_id)


def invite(server, cid, token, org_id, email=None, role=None):
    """POST /communities/{cid}/invites → the invite json with its token (201)."""
    body = {"email": email or unique_email("inv"), "organisation_id": org_id}
    if role is not None:
        body["role"] = role
    return expect(server.post("communities/%s/invites" % cid, token=token, json=body), 201)


def add_member(server, cid, inviter_token, org_id, role=None, name=None):
    """Invite a new address and accept it, creating the account → account."""
    inv = invite(server, cid, inviter_token, org_id, role=role)
    body = accept_new(server, inv["token"], name=name)
    assert body["community_id"] == cid
    return _acct(body, DEFAULT_PASSWORD, org_id)


def add_existing(server, cid, inviter_token, acct, role=None):
    """Invite an existing account (its address and organisation) and accept
    with its bearer token."""
    inv = invite(server, cid, inviter_token, acct["org_id"], email=acct["email"], role=role)
    r = server.post("invites/accept", token=acct["token"], json={"token": inv["token"]})
    expect(r, 201)
    return acct


def platform_account(server, role="user", organisation=None, name="Uma User"):
    """An account made outside any community (isacd create-staff + SQL),
    signed in, with its organisation id."""
    acct = create_user(server, role=role, organisation=organisation, name=name)
    acct["token"] = login(server, acct)
    acct["org_id"] = str(server.sql("SELECT organisation_id FROM users WHERE id = %s",
                                    (acct["id"],))[0][0])
    acct["name"] = name
    return acct


def set_member(server, cid, actor_token, user_id, **change):
    """PATCH /communities/{cid}/members/{user_id} → the response."""
    return server.patch("communities/%s/members/%s" % (cid, user_id), token=actor_token,
                        json=change)


def member_ids(server, cid, token):
    """User ids of GET /communities/{cid}/members (one page of up to 200)."""
    r = server.get("communities/%s/members?limit=200" % cid, token=token)
    return {m["user_id"] for m in expect(r, 200)["items"]}


def membership_of(server, token, cid):
    """The caller's GET /me memberships entry for a community, or None."""
    me = expect(server.get("me", token=token), 200)
    found = [m for m in me["memberships"] if m["community_id"] == cid]
    assert len(found) <= 1, me
    return found[0] if found else None


def audit(server, cid, token, limit=200):
    """The community's audit entries (newest first), one page."""
    return expect(server.get("communities/%s/audit?limit=%d" % (cid, limit), token=token),
                  200)["items"]


def audit_of(server, cid, token, action):
    return [a for a in audit(server, cid, token) if a["action"] == action]


def new_channel(server, cid, token, name=None, visibility="community", posting="members",
                **extra):
    body = {"name": name or "ch-" + uid(), "visibility": visibility, "posting": posting}
    body.update(extra)
    return expect(server.post("communities/%s/channels" % cid, token=token, json=body), 201)


def channel_ids(server, cid, token):
    r = server.get("communities/%s/channels?limit=200" % cid, token=token)
    return [c["id"] for c in expect(r, 200)["items"]]


def walk(server, path, token, limit=2, between=None):
    """Page through a list with ?limit=: → (items, pages).  Checks the page
    shape on the way; between(page_no) runs after each page."""
    items, pages, cursor = [], 0, None
    sep = "&" if "?" in path else "?"
    while True:
        url = "%s%slimit=%d" % (path, sep, limit)
        if cursor:
            url += "&cursor=" + cursor
        body = expect(server.get(url, token=token), 200)
        assert set(body) == {"items", "next_cursor"}, body
        assert len(body["items"]) <= limit
        pages += 1
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert len(body["items"]) == limit, body
        assert isinstance(cursor, str) and cursor
        if between:
            between(pages)
        assert pages < 1000


def assert_no_server_errors(server):
    """No request of the module was answered 5xx, and nothing was logged at
    level error (a database error, say)."""
    lines = server.log_lines()
    bad = [ln for ln in lines if ln.get("msg") == "request"
           and int(ln.get("status", 0)) >= 500]
    bad += [ln for ln in lines if ln.get("level") == "error"]
    assert not bad, bad[:10]
