"""POST /auth/login and POST /auth/logout: the answer a client gets, what an
attacker cannot learn, the token format, and what the database keeps."""

from datetime import timedelta

from conftest import assert_problem, create_user, login, unique_email
from identity_helpers import (PAT_RE, SESSION_RE, account, audit_actions, create_token,
                              is_uuid, parse_ts, server_now, sha256_hex, try_login)


def test_login_returns_token_expiry_and_user(server):
    acct = create_user(server)
    r = try_login(server, acct["email"], acct["password"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert {"token", "expires_at", "user"} <= set(body)
    assert SESSION_RE.match(body["token"]), body["token"]
    # the default absolute lifetime is 12 hours
    lifetime = parse_ts(body["expires_at"]) - server_now(r)
    assert timedelta(hours=12) - timedelta(seconds=5) <= lifetime <= timedelta(hours=12, seconds=5)
    user = body["user"]
    assert user["id"] == acct["id"] and is_uuid(user["id"])
    assert user["email"] == acct["email"]
    assert user["platform_role"] == "user"
    assert user["totp_enabled"] is False
    assert user["organisation"]["name"] == acct["organisation"]
    # the user object is the one GET /me shows
    me = server.get("me", token=body["token"])
    assert me.status_code == 200
    assert me.json() == user


def test_login_email_is_case_insensitive(server):
    acct = create_user(server)
    r = try_login(server, acct["email"].upper(), acct["password"])
    assert r.status_code == 200, r.text
    assert r.json()["user"]["id"] == acct["id"]


def test_wrong_password_and_unknown_email_look_the_same(server):
    acct = create_user(server)
    wrong = try_login(server, acct["email"], acct["password"] + "x")
    unknown = try_login(server, unique_email("nobody"), acct["password"])
    b1 = assert_problem(wrong, 401)
    b2 = assert_problem(unknown, 401)
    assert b1 == b2
    assert wrong.content == unknown.content
    assert wrong.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate")
    assert "token" not in wrong.text


def test_logout_revokes_that_token_at_once(server):
    acct = create_user(server)
    first = login(server, acct)
    second = login(server, acct)
    assert server.get("me", token=first).status_code == 200
    r = server.post("auth/logout", token=first)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(server.get("me", token=first), 401)
    # logging out again with the dead token is refused too
    assert_problem(server.post("auth/logout", token=first), 401)
    # only that session ended
    assert server.get("me", token=second).status_code == 200


def test_twenty_logins_give_twenty_distinct_working_tokens(server):
    acct = create_user(server)
    tokens = [login(server, acct) for _ in range(20)]
    for t in tokens:
        assert SESSION_RE.match(t), t
    assert len(set(tokens)) == 20
    # and the random parts are distinct, not just the whole strings
    assert len({t[len("isacd_s_"):] for t in tokens}) == 20
    for t in tokens:
        assert server.get("me", token=t).status_code == 200


def test_raw_tokens_are_never_stored(server):
    acct = account(server)
    session = acct["token"]
    pat = create_token(server, session, scopes=["read"])["token"]
    assert PAT_RE.match(pat), pat
    rows = server.sql("SELECT count(*) FROM sessions WHERE token_hash = %s",
                      (sha256_hex(session),))
    assert rows[0][0] == 1
    rows = server.sql("SELECT count(*) FROM api_tokens WHERE token_hash = %s",
                      (sha256_hex(pat),))
    assert rows[0][0] == 1
    for raw in (session, pat):
        for table in ("sessions", "api_tokens", "audit_log", "users"):
            n = server.sql(f"SELECT count(*) FROM {table} x"
                           " WHERE position(%s in x::text) > 0"
                           " OR position(%s in x::text) > 0",
                           (raw, raw[-43:]))[0][0]
            assert n == 0, (table, raw)


def test_login_logout_and_failures_are_audited(server):
    acct = create_user(server)
    before_unknown = server.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND actor_id IS NULL")[0][0]
    assert try_login(server, acct["email"], "Not-The-Password-123").status_code == 401
    assert try_login(server, unique_email("ghost"), "Not-The-Password-123").status_code == 401
    token = login(server, acct)
    assert server.post("auth/logout", token=token).status_code == 204
    actions = audit_actions(server, acct["id"])
    assert actions == ["staff_created", "login_failed", "login", "logout"], actions
    after_unknown = server.sql(
        "SELECT count(*) FROM audit_log WHERE action = 'login_failed' AND actor_id IS NULL")[0][0]
    assert after_unknown == before_unknown + 1
    # the client address is recorded with the login
    ips = server.sql("SELECT host(ip) FROM audit_log WHERE actor_id = %s AND action = 'login'",
                     (acct["id"],))
    assert ips == [("127.0.0.1",)]


def test_token_in_query_string_is_not_accepted(server):
    acct = account(server)
    pat = create_token(server, acct["token"])["token"]
    for tok in (acct["token"], pat):
        assert_problem(server.get("me", params={"access_token": tok}), 401)
        assert_problem(server.get("me", params={"token": tok}), 401)
    # the same tokens do work in the Authorization header
    assert server.get("me", token=acct["token"]).status_code == 200
    assert server.get("me", token=pat).status_code == 200


def test_other_authorization_forms_are_refused(server):
    acct = account(server)
    tok = acct["token"]
    forms = [
        "Basic " + tok,
        "Token " + tok,
        tok,
        "Bearer " + tok[:-1],                 # one character short
        "Bearer " + tok + "A",                # one character long
        "Bearer " + tok[:-1] + ("A" if tok[-1] != "A" else "B"),  # tampered
        "Bearer isacd_x_" + tok[len("isacd_s_"):],
        "Bearer ",
    ]
    for h in forms:
        r = server.get("me", headers={"Authorization": h})
        assert_problem(r, 401)
    assert server.get("me", token=tok).status_code == 200
