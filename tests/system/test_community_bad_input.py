"""Bad input on every community, invite, membership and channel endpoint.

What users rely on: a request that is wrong is refused with an RFC 9457
problem that names what is wrong (400 with errors[].field for a body, 404 for
an id in the path that is not a UUID, 400 for a bad query parameter), the
refusal changes nothing, and no input ever makes the server answer 5xx.
Bodies sent to routes that take none (approve, deny) are ignored."""

import json
import uuid

import pytest

from conftest import assert_problem
from community_helpers import (add_member, assert_no_server_errors, expect, make_org, new_channel,
                               new_community, platform_account)
from identity_helpers import account, error_fields

# an id that no row has; fixed, so that every xdist worker collects the same test ids
RANDOM_ID = "3f5c2a9e-8b1d-4e6f-a0c7-5d9e2b4f7a13"


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def ids(server):
    """Real ids everywhere, so that only the input can be wrong."""
    staff = account(server, role="staff")
    org = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org["id"], listed=True,
                                join_policy="request")
    member = add_member(server, comm["id"], owner["token"], org["id"])
    ch = new_channel(server, comm["id"], owner["token"])
    return {"staff": staff["token"], "owner": owner["token"], "cid": comm["id"],
            "uid": member["id"], "chid": ch["id"], "org": org["id"]}


# route name -> method, path, who calls, a valid-looking body
ROUTES = {
    "create-community": ("POST", "communities", "staff",
                         {"name": "Valid Name", "kind": "sector",
                          "owner": {"email": "o@example.org", "organisation_id": "{org}"}}),
    "patch-community": ("PATCH", "communities/{cid}", "owner", {"description": "d"}),
    "patch-member": ("PATCH", "communities/{cid}/members/{uid}", "owner", {"status": "active"}),
    "create-invite": ("POST", "communities/{cid}/invites", "owner",
                      {"email": "i@example.org", "organisation_id": "{org}"}),
    "accept-invite": ("POST", "invites/accept", None,
                      {"token": "isacd_inv_" + "A" * 43, "display_name": "N",
                       "password": "Grey-Heron-Lantern-417"}),
    "create-join-request": ("POST", "communities/{cid}/join-requests", "owner",
                            {"message": "hi"}),
    "create-channel": ("POST", "communities/{cid}/channels", "owner",
                       {"name": "c", "visibility": "community", "posting": "members"}),
    "patch-channel": ("PATCH", "channels/{chid}", "owner", {"description": "d"}),
    "add-reader": ("POST", "channels/{chid}/members", "owner", {"user_id": "{uid}"}),
    "patch-organisation": ("PATCH", "organisations/{org}", "staff", {"sector": "energy"}),
}


def fill(value, ids):
    """Put the fixture's ids into a path or a body."""
    if isinstance(value, str):
        for k in ("cid", "uid", "chid", "org"):
            value = value.replace("{%s}" % k, ids[k])
        return value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def call(server, ids, route, body=None, data=None, content_type="application/json"):
    method, path, who, _ = ROUTES[route]
    token = ids[who] if who else None
    if data is not None:
        return server.request(method, fill(path, ids), token=token, data=data,
                              headers={"Content-Type": content_type})
    return server.request(method, fill(path, ids), token=token, json=fill(body, ids))


STATE_SQL = ("SELECT (SELECT count(*) FROM communities), (SELECT count(*) FROM channels),"
             " (SELECT count(*) FROM invites), (SELECT count(*) FROM memberships),"
             " (SELECT count(*) FROM join_requests), (SELECT count(*) FROM channel_readers),"
             " (SELECT count(*) FROM audit_log), (SELECT count(*) FROM users),"
             " (SELECT string_agg(status || coalesce(sector, ''), ',' ORDER BY id)"
             "  FROM organisations),"
             " (SELECT string_agg(coalesce(description, '') || name, ',' ORDER BY id)"
             "  FROM communities),"
             " (SELECT string_agg(coalesce(description, '') || name, ',' ORDER BY id)"
             "  FROM channels)")


def state(server):
    return server.sql(STATE_SQL)[0]


# ---- bodies that are not a JSON object ------------------------------------------

RAW_BODIES = {
    "truncated": b'{"name": ',
    "trailing-garbage": b'{"name": "x"} trailing',
    "single-quotes": b"{'name': 'x'}",
    "array": b"[]",
    "string": b'"text"',
    "number": b"42",
    "null": b"null",
    "true": b"true",
    "empty": b"",
    "bad-utf8-value": b'{"name": "\xff\xfe"}',
    "bad-utf8-key": b'{"\xc3\x28": "x"}',
    "overlong-utf8": b'{"name": "\xc0\xaf"}',
    "lone-surrogate": b'{"name": "\\ud800"}',
    "bad-utf8-in-nested": b'{"owner": {"email": "\xe2\x28\xa1@example.org"}}',
    "huge-integer": b'{"retention_days": 123456789012345678901234567890}',
    "duplicate-key": b'{"name": "a", "name": "b"}',
    "deep-nesting": b'{"a":' * 3000 + b"1" + b"}" * 3000,
}


# the body of a join request is optional: an empty one is fine (tested below)
RAW_CASES = [(route, case) for route in ROUTES for case in RAW_BODIES
             if not (route == "create-join-request" and case == "empty")]


@pytest.mark.parametrize("route,case", RAW_CASES, ids=["%s-%s" % rc for rc in RAW_CASES])
def test_body_that_is_not_a_json_object_is_400(server, ids, route, case):
    before = state(server)
    r = call(server, ids, route, data=RAW_BODIES[case])
    assert_problem(r, 400)
    assert state(server) == before


@pytest.mark.parametrize("route", list(ROUTES))
def test_body_that_is_not_json_is_415(server, ids, route):
    body = json.dumps(fill(ROUTES[route][3], ids)).encode()
    assert_problem(call(server, ids, route, data=body, content_type="text/plain"), 415)


@pytest.mark.parametrize("route", list(ROUTES))
def test_unknown_field_is_named(server, ids, route):
    body = dict(ROUTES[route][3])
    body["surprise_field"] = 1
    before = state(server)
    r = call(server, ids, route, body=body)
    assert "surprise_field" in error_fields(assert_problem(r, 400))
    assert state(server) == before


def test_an_empty_join_request_body_is_allowed(server, ids):
    asker = platform_account(server)
    r = server.post("communities/%s/join-requests" % ids["cid"], token=asker["token"], data=b"",
                    headers={"Content-Type": "application/json"})
    assert expect(r, 201)["message"] is None


# ---- fields ------------------------------------------------------------------------

def comm(**over):
    """A create-community body with some fields replaced (None removes one)."""
    body = {"name": "Valid " + "Name", "kind": "sector",
            "owner": {"email": "o@example.org", "organisation_id": "{org}"}}
    for k, v in over.items():
        if v is ...:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def owner(**over):
    o = {"email": "o@example.org", "organisation_id": "{org}"}
    for k, v in over.items():
        if v is ...:
            o.pop(k, None)
        else:
            o[k] = v
    return comm(owner=o)


def chan(**over):
    body = {"name": "c", "visibility": "community", "posting": "members"}
    for k, v in over.items():
        if v is ...:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def inv(**over):
    body = {"email": "i@example.org", "organisation_id": "{org}"}
    for k, v in over.items():
        if v is ...:
            body.pop(k, None)
        else:
            body[k] = v
    return body


def acc(**over):
    body = {"token": "isacd_inv_" + "A" * 43, "display_name": "N",
            "password": "Grey-Heron-Lantern-417"}
    for k, v in over.items():
        if v is ...:
            body.pop(k, None)
        else:
            body[k] = v
    return body


# as long as an address may be (254), and one character more, with a valid
# local part (<= 64) and domain labels (<= 63), so only the length is wrong
EMAIL_254 = "a" * 64 + "@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 63 + ".org"
EMAIL_255 = "a" * 64 + "@" + "b" * 61 + "." + "c" * 60 + "." + "d" * 63 + ".org"
assert len(EMAIL_254) == 254 and len(EMAIL_255) == 255

# community fields shared by create and patch: (field, bad value)
COMMUNITY_FIELD_VALUES = [
    ("name", 5), ("name", ""), ("name", " Leading"), ("name", "Trailing "),
    ("name", "two\nlines"), ("name", "x" * 201), ("name", "é" * 201), ("name", ["n"]),
    ("name", True),
    ("kind", "national"), ("kind", "Sector"), ("kind", 1), ("kind", ["sector"]),
    ("description", 5), ("description", "x" * 2001), ("description", {"a": 1}),
    ("listed", "true"), ("listed", 1), ("listed", "yes"),
    ("join_policy", "open"), ("join_policy", 0),
    ("roster", "all"), ("roster", True),
    ("retention_days", 0), ("retention_days", 731), ("retention_days", "30"),
    ("retention_days", 1.5), ("retention_days", -1), ("retention_days", True),
    ("retention_days", 2 ** 62), ("retention_days", 1e20),
    ("retention_by_tlp", {"TLP:PURPLE": 30}), ("retention_by_tlp", {"tlp:red": 30}),
    ("retention_by_tlp", {"TLP:RED": "30"}), ("retention_by_tlp", {"TLP:RED": 1.5}),
    ("retention_by_tlp", {"TLP:RED": 0}), ("retention_by_tlp", {"TLP:RED": 731}),
    ("retention_by_tlp", {"TLP:RED": None}), ("retention_by_tlp", {"TLP:RED": True}),
    ("retention_by_tlp", {"TLP:AMBER": 30, "TLP:GREY": 5}),
    ("retention_by_tlp", ["TLP:RED"]), ("retention_by_tlp", "TLP:RED"),
    ("retention_by_tlp", 30),
    ("require_totp", "false"), ("require_totp", 0),
    ("erase_content_on_leave", "no"), ("erase_content_on_leave", 1),
]

FIELD_CASES = []
for f, v in COMMUNITY_FIELD_VALUES:
    FIELD_CASES.append(("create-community", comm(**{f: v}), f))
    FIELD_CASES.append(("patch-community", {f: v}, f))
FIELD_CASES += [
    # create only: required fields and the owner
    ("create-community", comm(name=...), "name"),
    ("create-community", comm(kind=...), "kind"),
    ("create-community", comm(name=None), "name"),
    ("create-community", comm(owner=...), "owner"),
    ("create-community", comm(owner=None), "owner"),
    ("create-community", comm(owner="o@example.org"), "owner"),
    ("create-community", comm(owner=["o@example.org"]), "owner"),
    ("create-community", owner(email=...), "owner.email"),
    ("create-community", owner(email=5), "owner.email"),
    ("create-community", owner(email="not-an-email"), "owner.email"),
    ("create-community", owner(email=EMAIL_255), "owner.email"),
    ("create-community", owner(email="a@b.org\nBcc: x@y.org"), "owner.email"),
    ("create-community", owner(organisation_id=...), "owner.organisation_id"),
    ("create-community", owner(organisation_id="not-a-uuid"), "owner.organisation_id"),
    ("create-community", owner(organisation_id=RANDOM_ID[:-1]), "owner.organisation_id"),
    ("create-community", owner(organisation_id="{" + RANDOM_ID + "}"), "owner.organisation_id"),
    ("create-community", owner(organisation_id=5), "owner.organisation_id"),
    ("create-community", owner(role="owner"), "owner.role"),
    ("patch-community", {"owner": {"email": "o@example.org", "organisation_id": RANDOM_ID}},
     "owner"),
    ("patch-community", {"id": RANDOM_ID}, "id"),
    ("patch-community", {"member_count": 3}, "member_count"),
    # members
    ("patch-member", {"role": "admin"}, "role"),
    ("patch-member", {"role": "Owner"}, "role"),
    ("patch-member", {"role": 1}, "role"),
    ("patch-member", {"status": "banned"}, "status"),
    ("patch-member", {"status": False}, "status"),
    ("patch-member", {}, "role"),
    ("patch-member", {"role": None, "status": None}, "role"),
    ("patch-member", {"role": "member", "user_id": RANDOM_ID}, "user_id"),
    # invites
    ("create-invite", inv(email=...), "email"),
    ("create-invite", inv(email=5), "email"),
    ("create-invite", inv(email=""), "email"),
    ("create-invite", inv(email="nobody"), "email"),
    ("create-invite", inv(email=EMAIL_255), "email"),
    ("create-invite", inv(email=["i@example.org"]), "email"),
    ("create-invite", inv(organisation_id=...), "organisation_id"),
    ("create-invite", inv(organisation_id="123"), "organisation_id"),
    ("create-invite", inv(organisation_id=RANDOM_ID.replace("-", "")[:31] + "g"),
     "organisation_id"),
    ("create-invite", inv(organisation_id=5), "organisation_id"),
    ("create-invite", inv(role="admin"), "role"),
    ("create-invite", inv(role="owner"), "role"),
    ("create-invite", inv(role=2), "role"),
    ("create-invite", inv(token="isacd_inv_" + "A" * 43), "token"),
    # accepting
    ("accept-invite", acc(token=...), "token"),
    ("accept-invite", acc(token=5), "token"),
    ("accept-invite", acc(token=""), "token"),
    ("accept-invite", acc(token="x" * 129), "token"),
    ("accept-invite", acc(token=["isacd_inv_" + "A" * 43]), "token"),
    ("accept-invite", acc(display_name=5), "display_name"),
    ("accept-invite", acc(display_name=""), "display_name"),
    ("accept-invite", acc(display_name="x" * 101), "display_name"),
    ("accept-invite", acc(display_name=" Padded"), "display_name"),
    ("accept-invite", acc(password=5), "password"),
    ("accept-invite", acc(password=""), "password"),
    ("accept-invite", acc(password="p" * 2000), "password"),
    ("accept-invite", acc(display_name=...), "display_name"),
    ("accept-invite", acc(password=...), "password"),
    ("accept-invite", acc(email="x@example.org"), "email"),
    # join requests
    ("create-join-request", {"message": 5}, "message"),
    ("create-join-request", {"message": "x" * 1001}, "message"),
    ("create-join-request", {"message": ["hi"]}, "message"),
    ("create-join-request", {"message": ""}, "message"),
    ("create-join-request", {"user_id": RANDOM_ID}, "user_id"),
    # channels
    ("create-channel", chan(name=...), "name"),
    ("create-channel", chan(name=5), "name"),
    ("create-channel", chan(name=""), "name"),
    ("create-channel", chan(name="x" * 101), "name"),
    ("create-channel", chan(name=" lead"), "name"),
    ("create-channel", chan(name="a\tb\nc"), "name"),
    ("create-channel", chan(visibility=...), "visibility"),
    ("create-channel", chan(visibility="secret"), "visibility"),
    ("create-channel", chan(visibility=True), "visibility"),
    ("create-channel", chan(posting=...), "posting"),
    ("create-channel", chan(posting="everyone"), "posting"),
    ("create-channel", chan(posting=1), "posting"),
    ("create-channel", chan(description=5), "description"),
    ("create-channel", chan(description="x" * 2001), "description"),
    ("create-channel", chan(retention_days=0), "retention_days"),
    ("create-channel", chan(retention_days=731), "retention_days"),
    ("create-channel", chan(retention_days="30"), "retention_days"),
    ("create-channel", chan(retention_days=1.5), "retention_days"),
    ("create-channel", chan(community_id=RANDOM_ID), "community_id"),
    ("patch-channel", {"name": 5}, "name"),
    ("patch-channel", {"name": ""}, "name"),
    ("patch-channel", {"name": "x" * 101}, "name"),
    ("patch-channel", {"visibility": "secret"}, "visibility"),
    ("patch-channel", {"posting": "all"}, "posting"),
    ("patch-channel", {"description": "x" * 2001}, "description"),
    ("patch-channel", {"retention_days": 0}, "retention_days"),
    ("patch-channel", {"retention_days": 731}, "retention_days"),
    ("patch-channel", {"retention_days": "30"}, "retention_days"),
    ("patch-channel", {"retention_days": 1.5}, "retention_days"),
    ("patch-channel", {"can_post": True}, "can_post"),
    # readers
    ("add-reader", {}, "user_id"),
    ("add-reader", {"user_id": None}, "user_id"),
    ("add-reader", {"user_id": 5}, "user_id"),
    ("add-reader", {"user_id": "zz"}, "user_id"),
    ("add-reader", {"user_id": RANDOM_ID + "0"}, "user_id"),
    ("add-reader", {"user_id": [RANDOM_ID]}, "user_id"),
    # organisations
    ("patch-organisation", {"status": "banned"}, "status"),
    ("patch-organisation", {"status": "Suspended"}, "status"),
    ("patch-organisation", {"status": 1}, "status"),
    ("patch-organisation", {"name": 5}, "name"),
    ("patch-organisation", {"name": ""}, "name"),
    ("patch-organisation", {"name": "x" * 201}, "name"),
    ("patch-organisation", {"country": "NLD"}, "country"),
    ("patch-organisation", {"sector": 5}, "sector"),
]


def case_id(c):
    body = json.dumps(c[1], ensure_ascii=True)
    if len(body) > 70:
        body = body[:50] + "...(%d bytes)" % len(body)
    return "%s %s" % (c[0], body)


@pytest.mark.parametrize("case", FIELD_CASES, ids=[case_id(c) for c in FIELD_CASES])
def test_invalid_field_is_400_naming_it(server, ids, case):
    route, body, field = case
    before = state(server)
    r = call(server, ids, route, body=body)
    assert r.status_code == 400, (r.status_code, r.text)
    problem = assert_problem(r, 400)
    assert field in error_fields(problem), problem
    assert state(server) == before


@pytest.mark.parametrize("route", ["create-community", "patch-community"])
def test_tlp_white_is_refused_naming_tlp_clear(server, ids, route):
    body = comm(retention_by_tlp={"TLP:WHITE": 30}) if route == "create-community" \
        else {"retention_by_tlp": {"TLP:WHITE": 30}}
    problem = assert_problem(call(server, ids, route, body=body), 400)
    errors = [e for e in problem["errors"] if e["field"] == "retention_by_tlp"]
    assert errors and "TLP:CLEAR" in errors[0]["message"], problem


def test_several_bad_fields_are_all_named(server, ids):
    r = call(server, ids, "create-channel",
             body={"name": "", "visibility": "secret", "posting": "all", "extra": 1})
    fields = error_fields(assert_problem(r, 400))
    assert {"name", "visibility", "posting", "extra"} <= set(fields), fields


def test_values_at_the_limits_are_accepted(server, ids):
    org = ids["org"]
    r = server.post("communities", token=ids["staff"], json={
        "name": "é" * 190 + uuid.uuid4().hex[:10], "kind": "regional", "description": "d" * 2000,
        "retention_days": 730,
        "retention_by_tlp": {"TLP:CLEAR": 1, "TLP:GREEN": 30, "TLP:AMBER": 90,
                             "TLP:AMBER+STRICT": 180, "TLP:RED": 730},
        "owner": {"email": EMAIL_254, "organisation_id": org}})
    created = expect(r, 201)["community"]
    assert len(created["name"]) == 200 and len(created["description"]) == 2000
    assert created["retention_by_tlp"]["TLP:RED"] == 730
    r = server.post("communities/%s/channels" % ids["cid"], token=ids["owner"],
                    json={"name": "n" * 90 + uuid.uuid4().hex[:10], "description": "d" * 2000,
                          "visibility": "restricted", "posting": "moderators",
                          "retention_days": 1})
    assert len(expect(r, 201)["name"]) == 100
    r = server.post("communities/%s/invites" % ids["cid"], token=ids["owner"],
                    json={"email": EMAIL_254.replace("a", "e", 1), "organisation_id": org})
    assert expect(r, 201)["email"] == EMAIL_254.replace("a", "e", 1)
    r = server.patch("communities/" + ids["cid"], token=ids["owner"],
                     json={"retention_days": 1, "retention_by_tlp": None})
    assert expect(r, 200)["retention_days"] == 1
    asker = platform_account(server)
    r = server.post("communities/%s/join-requests" % ids["cid"], token=asker["token"],
                    json={"message": "m" * 1000})
    assert len(expect(r, 201)["message"]) == 1000


def test_nulls_are_absent(server, ids):
    """JSON null is absent: it changes nothing (and clears only nullable fields)."""
    r = server.patch("communities/" + ids["cid"], token=ids["owner"],
                     json={"name": None, "kind": None, "listed": None})
    got = expect(r, 200)
    assert got["kind"] == "sector" and got["listed"] is True


# ---- path ids and query parameters ---------------------------------------------------

BAD_IDS = ["not-a-uuid", "0", RANDOM_ID[:-1], RANDOM_ID + "ab", "%FF%FE", "x" * 2000,
           RANDOM_ID.replace("-", "")[:31] + "g", "{" + RANDOM_ID + "}"]

# method, path with {bad} where the bad id goes, body
PATH_ROUTES = [
    ("GET", "communities/{bad}", None),
    ("PATCH", "communities/{bad}", {"description": "d"}),
    ("GET", "communities/{bad}/audit", None),
    ("GET", "communities/{bad}/members", None),
    ("PATCH", "communities/{bad}/members/{uid}", {"status": "active"}),
    ("PATCH", "communities/{cid}/members/{bad}", {"status": "active"}),
    ("DELETE", "communities/{bad}/members/{uid}", None),
    ("DELETE", "communities/{cid}/members/{bad}", None),
    ("DELETE", "communities/{bad}/organisations/{org}", None),
    ("DELETE", "communities/{cid}/organisations/{bad}", None),
    ("POST", "communities/{bad}/invites", {"email": "i@example.org", "organisation_id": "{org}"}),
    ("GET", "communities/{bad}/invites", None),
    ("DELETE", "communities/{bad}/invites/" + RANDOM_ID, None),
    ("DELETE", "communities/{cid}/invites/{bad}", None),
    ("POST", "communities/{bad}/join-requests", {"message": "hi"}),
    ("GET", "communities/{bad}/join-requests", None),
    ("GET", "communities/{cid}/join-requests/{bad}", None),
    ("GET", "communities/{bad}/join-requests/" + RANDOM_ID, None),
    ("POST", "communities/{cid}/join-requests/{bad}/approve", None),
    ("POST", "communities/{cid}/join-requests/{bad}/deny", None),
    ("POST", "communities/{bad}/join-requests/" + RANDOM_ID + "/approve", None),
    ("POST", "communities/{bad}/channels",
     {"name": "c", "visibility": "community", "posting": "members"}),
    ("GET", "communities/{bad}/channels", None),
    ("GET", "channels/{bad}", None),
    ("PATCH", "channels/{bad}", {"description": "d"}),
    ("DELETE", "channels/{bad}", None),
    ("GET", "channels/{bad}/members", None),
    ("POST", "channels/{bad}/members", {"user_id": "{uid}"}),
    ("DELETE", "channels/{bad}/members/{uid}", None),
    ("DELETE", "channels/{chid}/members/{bad}", None),
    ("PATCH", "organisations/{bad}", {"status": "active"}),
]


@pytest.mark.parametrize("bad", BAD_IDS, ids=lambda b: b[:40])
@pytest.mark.parametrize("route", PATH_ROUTES, ids=lambda r: "%s %s" % (r[0], r[1]))
def test_malformed_path_id_is_404(server, ids, route, bad):
    method, path, body = route
    token = ids["staff"] if path.startswith("organisations") else ids["owner"]
    url = fill(path, ids).replace("{bad}", bad)
    before = state(server)
    r = server.request(method, url, token=token, json=fill(body, ids))
    assert_problem(r, 404)
    assert state(server) == before


@pytest.mark.parametrize("kind", ["national", "", "Sector", "SECTOR", "sector,regional",
                                  "sector%00", "%FF", "x" * 5000])
def test_bad_kind_filter_is_400(server, ids, kind):
    assert_problem(server.get("communities?kind=" + kind, token=ids["owner"]), 400)


@pytest.mark.parametrize("kind", ["sector", "regional", "thematic"])
def test_good_kind_filter(server, ids, kind):
    items = expect(server.get("communities?kind=" + kind, token=ids["staff"]), 200)["items"]
    assert all(c["kind"] == kind for c in items)


@pytest.mark.parametrize("status", ["open", "", "Pending", "%FF"])
def test_bad_join_request_status_filter_is_400(server, ids, status):
    r = server.get("communities/%s/join-requests?status=%s" % (ids["cid"], status),
                   token=ids["owner"])
    assert_problem(r, 400)


# ---- bodies on routes without one ------------------------------------------------------

def test_bodies_on_approve_and_deny_are_ignored(server, ids):
    cid = ids["cid"]
    a, b = platform_account(server), platform_account(server)
    ja = expect(server.post("communities/%s/join-requests" % cid, token=a["token"]), 201)
    jb = expect(server.post("communities/%s/join-requests" % cid, token=b["token"]), 201)
    r = server.post("communities/%s/join-requests/%s/approve" % (cid, ja["id"]),
                    token=ids["owner"], json={"status": "denied", "role": "owner"})
    got = expect(r, 200)
    assert got["status"] == "approved"
    assert server.sql("SELECT role FROM memberships WHERE community_id = %s AND user_id = %s",
                      (cid, a["id"]))[0][0] == "member"
    r = server.post("communities/%s/join-requests/%s/deny" % (cid, jb["id"]),
                    token=ids["owner"], data=b"{{{ not json \xff",
                    headers={"Content-Type": "text/plain"})
    assert expect(r, 200)["status"] == "denied"
