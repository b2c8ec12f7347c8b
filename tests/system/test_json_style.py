"""One JSON style everywhere: compact (no blanks between tokens), keys in
the documented order, whether the body was rendered by PostgreSQL (GET /me,
an organisation, a list page) or put together in C (login, token creation).
Blanks inside strings are data and stay.  Every JSON body, problems
included, ends with one newline, so that curl's output ends its line."""

import json
import re
import uuid

import pytest

from identity_helpers import account


def blanks_outside_strings(text):
    """The whitespace characters that sit between JSON tokens."""
    out, in_str, esc = [], False, False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in " \t\r\n":
            out.append(ch)
    return out


def assert_compact(r):
    assert r.headers["Content-Type"] == "application/json; charset=utf-8", r.headers
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.content.endswith(b"}\n"), r.content
    text = r.content.decode("utf-8")[:-1]
    assert not blanks_outside_strings(text), text
    # the same document, re-serialised compactly, is byte for byte the body
    assert json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False) == text
    return json.loads(text)


@pytest.fixture(scope="module")
def staff(server):
    return account(server, role="staff")


def test_me_is_compact_and_in_order(server, staff):
    me = assert_compact(server.get("me", token=staff["token"]))
    assert list(me) == ["id", "email", "display_name", "organisation", "platform_role",
                        "totp_enabled", "memberships", "created_at"]
    assert list(me["organisation"]) == ["id", "name"]


def test_login_is_compact(server, staff):
    r = server.post("auth/login", json={"email": staff["email"], "password": staff["password"]})
    body = assert_compact(r)
    assert list(body) == ["token", "expires_at", "user"]
    assert list(body["user"])[0] == "id"


def test_organisation_single_and_list_are_compact(server, staff):
    name = "Blank Space Org %s  two  blanks" % uuid.uuid4().hex[:6]
    r = server.post("organisations", token=staff["token"],
                    json={"name": name, "sector": "energy, water", "country": "NL"})
    created = assert_compact(r)
    assert list(created) == ["id", "name", "sector", "country", "status", "created_at"]
    assert created["name"] == name and created["sector"] == "energy, water"
    got = assert_compact(server.get("organisations/" + created["id"], token=staff["token"]))
    assert got == created
    page = assert_compact(server.get("organisations", token=staff["token"], params={"limit": 1}))
    assert list(page) == ["items", "next_cursor"]
    assert page["items"] == [created] and isinstance(page["next_cursor"], str)
    rest = server.get("organisations", token=staff["token"],
                      params={"cursor": page["next_cursor"], "limit": 200})
    assert assert_compact(rest)["next_cursor"] is None


def test_tokens_are_compact(server, staff):
    r = server.post("me/tokens", token=staff["token"],
                    json={"name": "style check", "scopes": ["read", "write"]})
    made = assert_compact(r)
    assert list(made) == ["id", "name", "scopes", "created_at", "expires_at",
                          "last_used_at", "token"]
    listed = assert_compact(server.get("me/tokens", token=staff["token"]))
    assert listed["items"][0]["scopes"] == ["read", "write"]
    assert_compact(server.get("me/tokens/" + made["id"], token=staff["token"]))


def test_text_with_quotes_and_escapes_survives(server, staff):
    name = 'Quote "Q" \\ Back\\slash\ttab Org ' + uuid.uuid4().hex[:6]
    r = server.post("organisations", token=staff["token"], json={"name": name.replace("\t", " ")})
    created = assert_compact(r)
    assert created["name"] == name.replace("\t", " ")
    assert re.search(r'\\"Q\\"', r.text)


def test_every_json_body_ends_with_one_newline(server, staff):
    """curl prints the body as it comes: without a final newline the next
    prompt would start on the body's line.  Documents rendered by
    PostgreSQL, by C, list pages and problems all end with one."""
    answers = [
        server.get("/healthz"),                                    # C, no database
        server.get("me", token=staff["token"]),                    # PostgreSQL
        server.get("organisations", token=staff["token"]),         # a list page
        server.get("me"),                                          # 401 problem
        server.get("organisations/" + str(uuid.uuid4()), token=staff["token"]),  # 404
        server.post("organisations", token=staff["token"], json={"nme": "x"}),  # 400 errors
        server.get("/no/such/path"),                               # the router's 404
    ]
    for r in answers:
        assert r.headers["Content-Type"].split(";")[0] in (
            "application/json", "application/problem+json"), (r.status_code, r.headers)
        assert int(r.headers["Content-Length"]) == len(r.content), r.headers
        assert r.content.endswith(b"}\n") and not r.content.endswith(b"\n\n"), r.content
        json.loads(r.content)
