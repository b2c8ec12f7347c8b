"""Personal API tokens: GET/POST /me/tokens, GET and DELETE /me/tokens/{id}.  The
secret is shown once; read-only tokens cannot write; no token can manage
tokens, TOTP or the password."""

import uuid
from datetime import timedelta

import pytest

from conftest import assert_problem, login
from identity_helpers import (PAT_RE, account, audit_actions, create_token, error_fields,
                              is_uuid, parse_ts, server_now)


@pytest.fixture
def staff_acct(server):
    return account(server, role="staff")


def test_create_shows_the_secret_once_and_lists_without_it(server):
    acct = account(server)
    r = server.post("me/tokens", token=acct["token"],
                    json={"name": "SIEM feed", "scopes": ["read"], "expires_in_days": 30})
    assert r.status_code == 201, r.text
    body = r.json()
    assert PAT_RE.match(body["token"]), body
    assert is_uuid(body["id"])
    assert body["name"] == "SIEM feed"
    assert body["scopes"] == ["read"]
    assert r.headers["Location"].endswith("/me/tokens/" + body["id"])
    # the Location answers: the token without its secret
    assert r.headers["Location"] == "/api/v1/me/tokens/" + body["id"]
    got = server.get(r.headers["Location"], token=acct["token"])
    assert got.status_code == 200, got.text
    assert got.json() == {k: v for k, v in body.items() if k != "token"}
    assert body["token"][-43:] not in got.text
    life = parse_ts(body["expires_at"]) - server_now(r)
    assert timedelta(days=30) - timedelta(minutes=1) <= life <= timedelta(days=30, minutes=1)
    listed = server.get("me/tokens", token=acct["token"])
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [t["id"] for t in items] == [body["id"]]
    assert items[0]["name"] == "SIEM feed" and items[0]["scopes"] == ["read"]
    assert "token" not in items[0]
    assert body["token"] not in listed.text
    assert body["token"][-43:] not in listed.text
    # the token authenticates as its owner
    me = server.get("me", token=body["token"])
    assert me.status_code == 200
    assert me.json()["id"] == acct["id"]


def test_default_lifetime_is_bounded(server):
    acct = account(server)
    r = server.post("me/tokens", token=acct["token"], json={"name": "n", "scopes": ["read"]})
    assert r.status_code == 201, r.text
    life = parse_ts(r.json()["expires_at"]) - server_now(r)
    assert timedelta(days=1) <= life <= timedelta(days=365, minutes=1)
    for days in (1, 365):
        r = server.post("me/tokens", token=acct["token"],
                        json={"name": "n%d" % days, "scopes": ["read", "write"],
                              "expires_in_days": days})
        assert r.status_code == 201, r.text
        assert r.json()["scopes"] == ["read", "write"]
        life = parse_ts(r.json()["expires_at"]) - server_now(r)
        assert abs(life - timedelta(days=days)) < timedelta(minutes=1)


def test_read_only_token_cannot_write(server, staff_acct):
    pat = create_token(server, staff_acct["token"], scopes=["read"])["token"]
    assert server.get("me", token=pat).status_code == 200
    assert server.get("organisations", token=pat).status_code == 200
    assert server.get("me/tokens", token=pat).status_code == 200
    before = server.sql("SELECT count(*) FROM organisations")[0][0]
    writes = [
        ("POST", "organisations", {"name": "Read Only Org " + uuid.uuid4().hex[:6]}),
        ("PATCH", "me", {"display_name": "Changed By Token"}),
        ("POST", "me/tokens", {"name": "child", "scopes": ["read"]}),
        ("POST", "me/totp", None),
        ("POST", "me/totp/confirm", {"code": "123456"}),
        ("DELETE", "me/totp", {"code": "123456"}),
        ("DELETE", "me/tokens/" + str(uuid.uuid4()), None),
    ]
    for method, path, body in writes:
        r = server.request(method, path, token=pat, json=body)
        assert_problem(r, 403)
    assert server.sql("SELECT count(*) FROM organisations")[0][0] == before
    assert server.get("me", token=pat).json()["display_name"] != "Changed By Token"


def test_read_write_token_writes_but_cannot_manage_credentials(server, staff_acct):
    pat = create_token(server, staff_acct["token"], scopes=["read", "write"])["token"]
    name = "Token Written Org " + uuid.uuid4().hex[:6]
    r = server.post("organisations", token=pat, json={"name": name})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name
    own_id = server.get("me/tokens", token=pat).json()["items"][0]["id"]
    session_only = [
        ("POST", "me/tokens", {"name": "child", "scopes": ["read"]}),
        ("DELETE", "me/tokens/" + own_id, None),
        ("POST", "me/totp", None),
        ("POST", "me/totp/confirm", {"code": "123456"}),
        ("DELETE", "me/totp", {"code": "123456"}),
        ("PATCH", "me", {"password": {"current": staff_acct["password"],
                                      "new": "Amber-Walrus-Compass-862"}}),
        ("PATCH", "me", {"display_name": "Renamed By Token"}),
    ]
    for method, path, body in session_only:
        r = server.request(method, path, token=pat, json=body)
        assert_problem(r, 403)
    # nothing changed: same tokens, no TOTP, same password
    assert len(server.get("me/tokens", token=staff_acct["token"]).json()["items"]) == 1
    assert server.get("me", token=pat).json()["totp_enabled"] is False
    assert login(server, staff_acct)


def test_deleted_token_stops_working(server):
    acct = account(server)
    made = create_token(server, acct["token"], scopes=["read", "write"])
    keep = create_token(server, acct["token"], name="keep")
    assert server.get("me", token=made["token"]).status_code == 200
    r = server.delete("me/tokens/" + made["id"], token=acct["token"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(server.get("me", token=made["token"]), 401)
    ids = [t["id"] for t in server.get("me/tokens", token=acct["token"]).json()["items"]]
    assert ids == [keep["id"]]
    assert server.get("me", token=keep["token"]).status_code == 200
    # deleting it again: nothing there
    assert_problem(server.delete("me/tokens/" + made["id"], token=acct["token"]), 404)
    actions = audit_actions(server, acct["id"])
    assert actions.count("token_created") == 2
    assert actions.count("token_revoked") == 1


def test_someone_elses_token_is_not_found(server):
    alice = account(server)
    bob = account(server)
    alices = create_token(server, alice["token"])
    assert_problem(server.delete("me/tokens/" + alices["id"], token=bob["token"]), 404)
    assert server.get("me", token=alices["token"]).status_code == 200
    assert server.get("me/tokens", token=bob["token"]).json()["items"] == []
    assert_problem(server.delete("me/tokens/" + str(uuid.uuid4()), token=bob["token"]), 404)
    assert_problem(server.delete("me/tokens/not-a-uuid", token=bob["token"]), 404)
    assert_problem(server.get("me/tokens/" + alices["id"], token=bob["token"]), 404)
    assert_problem(server.get("me/tokens/not-a-uuid", token=bob["token"]), 404)
    assert server.get("me/tokens/" + alices["id"], token=alice["token"]).status_code == 200
    assert_problem(server.get("me/tokens/" + alices["id"]), 401)


def test_a_revoked_token_is_not_found(server):
    acct = account(server)
    made = create_token(server, acct["token"])
    assert server.delete("me/tokens/" + made["id"], token=acct["token"]).status_code == 204
    assert_problem(server.get("me/tokens/" + made["id"], token=acct["token"]), 404)


def test_expired_token_is_refused_and_not_listed(server):
    acct = account(server)
    made = create_token(server, acct["token"], expires_in_days=1)
    assert server.get("me", token=made["token"]).status_code == 200
    # let a day pass for this token
    server.sql("UPDATE api_tokens SET created_at = now() - interval '2 days',"
               " expires_at = now() - interval '1 second' WHERE id = %s", (made["id"],))
    assert_problem(server.get("me", token=made["token"]), 401)
    assert server.get("me/tokens", token=acct["token"]).json()["items"] == []


def test_logout_with_a_token_revokes_it(server):
    acct = account(server)
    made = create_token(server, acct["token"])
    r = server.post("auth/logout", token=made["token"])
    assert r.status_code == 204, r.text
    assert_problem(server.get("me", token=made["token"]), 401)
    assert server.get("me", token=acct["token"]).status_code == 200


@pytest.mark.parametrize("body,field", [
    ({"name": "t", "scopes": ["write"]}, "scopes"),
    ({"name": "t", "scopes": ["admin"]}, "scopes"),
    ({"name": "t", "scopes": ["read", "admin"]}, "scopes"),
    ({"name": "t", "scopes": ["read", "read"]}, "scopes"),
    ({"name": "t", "scopes": ["read", "write", "write"]}, "scopes"),
    ({"name": "t", "scopes": []}, "scopes"),
    ({"name": "t", "scopes": "read"}, "scopes"),
    ({"name": "t"}, "scopes"),
    ({"scopes": ["read"]}, "name"),
    ({"name": "", "scopes": ["read"]}, "name"),
    ({"name": "x" * 101, "scopes": ["read"]}, "name"),
    ({"name": "t", "scopes": ["read"], "expires_in_days": 0}, "expires_in_days"),
    ({"name": "t", "scopes": ["read"], "expires_in_days": 366}, "expires_in_days"),
    ({"name": "t", "scopes": ["read"], "expires_in_days": -1}, "expires_in_days"),
    ({"name": "t", "scopes": ["read"], "expires_in_days": 1.5}, "expires_in_days"),
    ({"name": "t", "scopes": ["read"], "expires_in_days": "30"}, "expires_in_days"),
])
def test_create_validation(server, user, body, field):
    r = server.post("me/tokens", token=user["token"], json=body)
    problem = assert_problem(r, 400)
    assert field in error_fields(problem)
    assert server.get("me/tokens", token=user["token"]).json()["items"] == []


def test_list_paging(server):
    acct = account(server)
    made = [create_token(server, acct["token"], name="t%d" % i)["id"] for i in range(5)]
    full = server.get("me/tokens", token=acct["token"], params={"limit": 200}).json()
    assert full["next_cursor"] is None
    assert sorted(t["id"] for t in full["items"]) == sorted(made)
    # newest first
    assert [t["id"] for t in full["items"]] == list(reversed(made))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = server.get("me/tokens", token=acct["token"], params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= 2
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
    assert seen == [t["id"] for t in full["items"]]
    assert pages == 3
    for bad in ({"limit": 0}, {"limit": 201}, {"limit": -1}, {"limit": "ten"},
                {"limit": "2x"}, {"cursor": "not-a-cursor"}, {"cursor": "%%%"}):
        assert_problem(server.get("me/tokens", token=acct["token"], params=bad), 400)
