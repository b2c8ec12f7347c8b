"""Bad input on every identity endpoint: missing or bad credentials, bodies
that are not JSON objects, wrong types, missing and unknown fields, huge
values.  Every answer is an RFC 9457 problem with the right status, never 5xx."""

import json

import pytest

from conftest import assert_problem
from identity_helpers import account

# an id that no row has; fixed, so that every xdist worker collects the same test ids
RANDOM_ID = "7a1e4c2b-9d3f-4b8a-86e5-0c2d1f3b5a97"

# method, path, a valid-looking body (None: the route takes no body)
ENDPOINTS = [
    ("POST", "auth/login", {"email": "someone@example.org", "password": "Some-Password-123"}),
    ("POST", "auth/logout", None),
    ("GET", "me", None),
    ("PATCH", "me", {"display_name": "New Name"}),
    ("POST", "me/totp", None),
    ("POST", "me/totp/confirm", {"code": "123456"}),
    ("DELETE", "me/totp", {"code": "123456"}),
    ("GET", "me/tokens", None),
    ("POST", "me/tokens", {"name": "n", "scopes": ["read"]}),
    ("DELETE", "me/tokens/" + RANDOM_ID, None),
    ("POST", "organisations", {"name": "Some Org"}),
    ("GET", "organisations", None),
    ("GET", "organisations/" + RANDOM_ID, None),
]
AUTHED = [e for e in ENDPOINTS if e[1] != "auth/login"]
BODY_ROUTES = [e for e in ENDPOINTS if e[2] is not None]


def ep_id(e):
    return "%s %s" % (e[0], e[1].replace(RANDOM_ID, "{id}"))


@pytest.fixture(scope="module")
def staff_session(server):
    """A staff session: allowed everywhere, so only the input can be wrong."""
    return account(server, role="staff")


def send(server, method, path, token=None, data=None, content_type="application/json",
         headers=None):
    h = dict(headers or {})
    if data is not None:
        h["Content-Type"] = content_type
    return server.request(method, path, token=token, data=data, headers=h)


def fields_of(body):
    return [e.get("field") for e in body.get("errors", [])]


# ---- credentials -----------------------------------------------------------

BAD_AUTH = {
    "none": None,
    "empty-bearer": "Bearer ",
    "garbage": "Bearer garbage",
    "basic": "Basic dXNlcjpwYXNzd29yZA==",
    "unknown-session": "Bearer isacd_s_" + "A" * 43,
    "unknown-pat": "Bearer isacd_pat_" + "b" * 43,
    "bad-chars": "Bearer isacd_s_" + "!" * 43,
    "huge": "Bearer isacd_s_" + "A" * 8000,
}


@pytest.mark.parametrize("auth", list(BAD_AUTH), ids=list(BAD_AUTH))
@pytest.mark.parametrize("ep", AUTHED, ids=[ep_id(e) for e in AUTHED])
def test_no_or_bad_token_is_401(server, ep, auth):
    method, path, body = ep
    headers = {} if BAD_AUTH[auth] is None else {"Authorization": BAD_AUTH[auth]}
    r = server.request(method, path, json=body, headers=headers)
    assert_problem(r, 401)
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer"), r.headers


def test_login_needs_no_token(server, staff_session):
    r = server.post("auth/login", json={"email": staff_session["email"],
                                        "password": staff_session["password"]})
    assert r.status_code == 200, r.text
    assert r.json()["token"] != staff_session["token"]


# ---- bodies that are not a JSON object -------------------------------------

RAW_BODIES = {
    "truncated": (b'{"name": ', 400),
    "trailing-garbage": (b'{"name": "x"} trailing', 400),
    "single-quotes": (b"{'name': 'x'}", 400),
    "array": (b"[]", 400),
    "string": (b'"text"', 400),
    "number": (b"42", 400),
    "null": (b"null", 400),
    "empty": (b"", 400),
    "bad-utf8-value": (b'{"name": "\xff\xfe"}', 400),
    "bad-utf8-key": (b'{"\xc3\x28": "x"}', 400),
    "overlong-utf8": (b'{"name": "\xc0\xaf"}', 400),
    "lone-surrogate": (b'{"name": "\\ud800"}', 400),
    "huge-integer": (b'{"name": 123456789012345678901234567890}', 400),
    "deep-nesting": (b'{"a":' * 5000 + b"1" + b"}" * 5000, 400),
}


@pytest.mark.parametrize("case", list(RAW_BODIES), ids=list(RAW_BODIES))
@pytest.mark.parametrize("ep", BODY_ROUTES, ids=[ep_id(e) for e in BODY_ROUTES])
def test_body_that_is_not_a_json_object_is_400(server, staff_session, ep, case):
    method, path, _ = ep
    data, status = RAW_BODIES[case]
    r = send(server, method, path, token=staff_session["token"], data=data)
    assert_problem(r, status)


@pytest.mark.parametrize("ep", BODY_ROUTES, ids=[ep_id(e) for e in BODY_ROUTES])
def test_a_duplicate_key_is_named(server, staff_session, ep):
    method, path, _ = ep
    r = send(server, method, path, token=staff_session["token"],
             data=b'{"name": "a", "name": "b"}')
    body = assert_problem(r, 400)
    assert body["detail"].startswith("duplicate key 'name'"), body


def test_malformed_json_is_placed(server, staff_session):
    r = send(server, "POST", "organisations", token=staff_session["token"],
             data=b'{"name": "a",\n "sector": }')
    body = assert_problem(r, 400)
    assert body["detail"] == "malformed JSON at line 2 column 12", body


@pytest.mark.parametrize("ep", BODY_ROUTES, ids=[ep_id(e) for e in BODY_ROUTES])
def test_body_that_is_not_json_is_415(server, staff_session, ep):
    method, path, body = ep
    r = send(server, method, path, token=staff_session["token"], data=json.dumps(body).encode(),
             content_type="text/plain")
    assert_problem(r, 415)
    r = send(server, method, path, token=staff_session["token"], data=json.dumps(body).encode(),
             content_type="application/json; charset=latin-1")
    assert_problem(r, 415)


@pytest.mark.parametrize("ep", BODY_ROUTES, ids=[ep_id(e) for e in BODY_ROUTES])
def test_body_over_one_mebibyte_is_413(server, staff_session, ep):
    method, path, _ = ep
    big = json.dumps({"name": "x" * (1024 * 1024 + 10)}).encode()
    r = send(server, method, path, token=staff_session["token"], data=big)
    assert_problem(r, 413)


@pytest.mark.parametrize("ep", BODY_ROUTES, ids=[ep_id(e) for e in BODY_ROUTES])
def test_unknown_field_is_named(server, staff_session, ep):
    method, path, body = ep
    bad = dict(body)
    bad["surprise_field"] = "x"
    r = server.request(method, path, token=staff_session["token"], json=bad)
    assert "surprise_field" in fields_of(assert_problem(r, 400))


# ---- wrong types, missing fields, huge values ------------------------------

BIG = "x" * 100_000
FIELD_CASES = [
    # login
    ("POST", "auth/login", {"email": 5, "password": "Some-Password-123"}, "email"),
    ("POST", "auth/login", {"email": ["a@example.org"], "password": "Some-Password-123"}, "email"),
    ("POST", "auth/login", {"email": "a@example.org", "password": 123456789012}, "password"),
    ("POST", "auth/login", {"email": "a@example.org", "password": True}, "password"),
    ("POST", "auth/login", {"email": "a@example.org", "password": "Some-Password-123",
                            "totp": 123456}, "totp"),
    ("POST", "auth/login", {"password": "Some-Password-123"}, "email"),
    ("POST", "auth/login", {"email": "a@example.org"}, "password"),
    ("POST", "auth/login", {"email": "a@example.org", "password": ""}, "password"),
    ("POST", "auth/login", {"email": BIG + "@example.org", "password": "Some-Password-123"},
     "email"),
    ("POST", "auth/login", {"email": "a@example.org", "password": "p" * 2000}, "password"),
    ("POST", "auth/login", {"email": "a@example.org", "password": "é" * 600}, "password"),
    ("POST", "auth/login", {"email": "a@example.org", "password": "Some-Password-123",
                            "totp": BIG}, "totp"),
    # PATCH /me
    ("PATCH", "me", {"display_name": 5}, "display_name"),
    ("PATCH", "me", {"display_name": True}, "display_name"),
    ("PATCH", "me", {"display_name": {"first": "A"}}, "display_name"),
    ("PATCH", "me", {"display_name": BIG}, "display_name"),
    ("PATCH", "me", {"password": "Some-Password-123"}, "password"),
    ("PATCH", "me", {"password": 5}, "password"),
    ("PATCH", "me", {"password": ["a", "b"]}, "password"),
    ("PATCH", "me", {"password": {"current": 5, "new": "Amber-Walrus-Compass-862"}},
     "password.current"),
    ("PATCH", "me", {"password": {"current": "Some-Password-123", "new": False}}, "password.new"),
    ("PATCH", "me", {"password": {"new": "Amber-Walrus-Compass-862"}}, "password.current"),
    ("PATCH", "me", {"password": {"current": "Some-Password-123"}}, "password.new"),
    ("PATCH", "me", {"password": {"current": "Some-Password-123",
                                  "new": "Amber-Walrus-Compass-862", "confirm": "x"}},
     "password.confirm"),
    ("PATCH", "me", {"password": {"current": "c" * 2000, "new": "Amber-Walrus-Compass-862"}},
     "password.current"),
    ("PATCH", "me", {"password": {"current": "Some-Password-123", "new": "Nw-" * 700}},
     "password.new"),
    ("PATCH", "me", {"password": {"current": "Some-Password-123", "new": BIG}}, "password.new"),
    # TOTP confirm and removal
    ("POST", "me/totp/confirm", {"code": 123456}, "code"),
    ("POST", "me/totp/confirm", {"code": ["123456"]}, "code"),
    ("POST", "me/totp/confirm", {}, "code"),
    ("POST", "me/totp/confirm", {"code": ""}, "code"),
    ("POST", "me/totp/confirm", {"code": BIG}, "code"),
    ("DELETE", "me/totp", {"code": 123456}, "code"),
    ("DELETE", "me/totp", {"code": True}, "code"),
    ("DELETE", "me/totp", {}, "code"),
    ("DELETE", "me/totp", {"code": BIG}, "code"),
    # tokens
    ("POST", "me/tokens", {"name": 5, "scopes": ["read"]}, "name"),
    ("POST", "me/tokens", {"name": "n", "scopes": "read"}, "scopes"),
    ("POST", "me/tokens", {"name": "n", "scopes": {"read": True}}, "scopes"),
    ("POST", "me/tokens", {"name": "n", "scopes": [True]}, "scopes"),
    ("POST", "me/tokens", {"name": "n", "scopes": [["read"]]}, "scopes"),
    ("POST", "me/tokens", {"name": "n", "scopes": ["read"], "expires_in_days": "30"},
     "expires_in_days"),
    ("POST", "me/tokens", {"name": "n", "scopes": ["read"], "expires_in_days": True},
     "expires_in_days"),
    ("POST", "me/tokens", {"name": "n", "scopes": ["read"], "expires_in_days": 1e20},
     "expires_in_days"),
    ("POST", "me/tokens", {"name": "n", "scopes": ["read"], "expires_in_days": 2 ** 62},
     "expires_in_days"),
    ("POST", "me/tokens", {"scopes": ["read"]}, "name"),
    ("POST", "me/tokens", {"name": "n"}, "scopes"),
    ("POST", "me/tokens", {"name": BIG, "scopes": ["read"]}, "name"),
    # organisations
    ("POST", "organisations", {"name": 5}, "name"),
    ("POST", "organisations", {"name": ["Org"]}, "name"),
    ("POST", "organisations", {"name": "Valid Org", "sector": ["water"]}, "sector"),
    ("POST", "organisations", {"name": "Valid Org", "sector": 7}, "sector"),
    ("POST", "organisations", {"name": "Valid Org", "country": 31}, "country"),
    ("POST", "organisations", {"name": "Valid Org", "country": True}, "country"),
    ("POST", "organisations", {}, "name"),
    ("POST", "organisations", {"sector": "water"}, "name"),
    ("POST", "organisations", {"name": BIG}, "name"),
    ("POST", "organisations", {"name": "Valid Org", "sector": BIG}, "sector"),
    ("POST", "organisations", {"name": "Valid Org", "country": BIG}, "country"),
]


def case_id(c):
    body = json.dumps(c[2])
    if len(body) > 60:
        body = body[:40] + "...(%d bytes)" % len(body)
    return "%s %s %s" % (c[0], c[1], body)


@pytest.mark.parametrize("case", FIELD_CASES, ids=[case_id(c) for c in FIELD_CASES])
def test_invalid_field_is_400_naming_it(server, staff_session, case):
    method, path, body, field = case
    orgs_before = server.sql("SELECT count(*) FROM organisations")[0][0]
    r = server.request(method, path, token=staff_session["token"], json=body)
    assert r.status_code in (400, 413), (r.status_code, r.text)
    problem = assert_problem(r, r.status_code)
    if r.status_code == 400:
        assert field in fields_of(problem), problem
    # nothing was created or changed by a refused request
    assert server.sql("SELECT count(*) FROM organisations")[0][0] == orgs_before
    me = server.get("me", token=staff_session["token"])
    assert me.status_code == 200
    assert me.json()["display_name"] != "New Name"


def test_refused_input_changed_nothing(server, staff_session):
    assert server.get("me/tokens", token=staff_session["token"]).json()["items"] == []
    assert server.get("me", token=staff_session["token"]).json()["totp_enabled"] is False
    r = server.post("auth/login", json={"email": staff_session["email"],
                                        "password": staff_session["password"]})
    assert r.status_code == 200, r.text


# ---- query strings and path ids --------------------------------------------

@pytest.mark.parametrize("path", ["me/tokens", "organisations"])
@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=-1", "limit=abc",
                                   "limit=" + "9" * 50, "limit=1e2", "limit=%00",
                                   "cursor=%FF%FE", "cursor=" + "A" * 5000,
                                   "cursor=bm90LWEtY3Vyc29y"])
def test_bad_list_query_is_400(server, staff_session, path, query):
    r = server.get(path + "?" + query, token=staff_session["token"])
    assert_problem(r, 400)


@pytest.mark.parametrize("method,prefix", [("DELETE", "me/tokens/"), ("GET", "organisations/")])
@pytest.mark.parametrize("bad_id", ["not-a-uuid", "0", RANDOM_ID[:-1], RANDOM_ID + "ab",
                                    "%FF%FE", "x" * 2000, RANDOM_ID.replace("-", "")[:31] + "g"])
def test_malformed_path_id_is_404(server, staff_session, method, prefix, bad_id):
    r = server.request(method, prefix + bad_id, token=staff_session["token"])
    assert_problem(r, 404)
