"""Session lifetime (idle and absolute timeouts) and password changes, which
end every other session of the account but not the one that made the change."""

import time
from datetime import timedelta

import pytest

from conftest import assert_problem, create_user, login
from identity_helpers import (NEW_PASSWORD, account, audit_actions, error_fields,
                              parse_ts, server_now, try_login)

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")


def test_an_idle_session_expires(start_server):
    server = start_server(ISACD_SESSION_IDLE_S=2, ISACD_SESSION_MAX_S=4)
    acct = create_user(server)
    token = login(server, acct)
    assert server.get("me", token=token).status_code == 200
    time.sleep(1.0)
    assert server.get("me", token=token).status_code == 200   # use resets the idle timer
    time.sleep(2.6)
    r = server.get("me", token=token)
    assert_problem(r, 401)
    assert "WWW-Authenticate" in r.headers
    # a new login works as usual
    assert server.get("me", token=login(server, acct)).status_code == 200


def test_a_busy_session_still_ends_at_its_absolute_lifetime(start_server):
    server = start_server(ISACD_SESSION_IDLE_S=2, ISACD_SESSION_MAX_S=4)
    acct = create_user(server)
    r = try_login(server, acct["email"], acct["password"])
    assert r.status_code == 200
    started = time.monotonic()
    token = r.json()["token"]
    lifetime = parse_ts(r.json()["expires_at"]) - server_now(r)
    assert timedelta(seconds=3) <= lifetime <= timedelta(seconds=5), lifetime
    seen = []
    while time.monotonic() - started < 5.0:
        status = server.get("me", token=token).status_code
        seen.append((time.monotonic() - started, status))
        time.sleep(0.5)
    early = [s for t, s in seen if t < 3.5]
    late = [s for t, s in seen if t > 4.3]
    assert early and all(s == 200 for s in early), seen
    assert late and all(s == 401 for s in late), seen


def test_password_change_ends_other_sessions_but_not_this_one(server):
    acct = create_user(server)
    current = login(server, acct)
    others = [login(server, acct) for _ in range(2)]
    for t in [current] + others:
        assert server.get("me", token=t).status_code == 200
    r = server.patch("me", token=current,
                     json={"password": {"current": acct["password"], "new": NEW_PASSWORD}})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == acct["id"]
    assert "password_hash" not in r.json() and "$argon2" not in r.text
    # the session that made the change goes on; the others ended at once
    assert server.get("me", token=current).status_code == 200
    for t in others:
        assert_problem(server.get("me", token=t), 401)
    # the old password no longer works, the new one does
    assert_problem(try_login(server, acct["email"], acct["password"]), 401)
    r = try_login(server, acct["email"], NEW_PASSWORD)
    assert r.status_code == 200, r.text
    assert server.get("me", token=r.json()["token"]).status_code == 200
    assert "password_changed" in audit_actions(server, acct["id"])


def test_wrong_current_password_changes_nothing(server):
    acct = account(server)
    other = login(server, acct)
    r = server.patch("me", token=acct["token"],
                     json={"password": {"current": "Not-My-Password-42", "new": NEW_PASSWORD}})
    body = assert_problem(r, 403)
    assert "password.current" in error_fields(body)
    # nothing was revoked and the password did not change
    assert server.get("me", token=other).status_code == 200
    assert server.get("me", token=acct["token"]).status_code == 200
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
    assert_problem(try_login(server, acct["email"], NEW_PASSWORD), 401)
    actions = audit_actions(server, acct["id"])
    assert "password_changed" not in actions
    assert "password_change_failed" in actions


def test_weak_new_password_is_refused(server):
    acct = account(server, name="Petra Jansen")
    local = acct["email"].split("@")[0]
    weak = [
        "Short-pw-1",                   # fewer than 12 characters
        "1qaz2wsx3edc",                 # a common password
        "Xx-" + local + "-Yy",          # holds the e-mail name
        "Blue-Jansen-Harbour-7",        # holds the person's name
    ]
    for pw in weak:
        r = server.patch("me", token=acct["token"],
                         json={"password": {"current": acct["password"], "new": pw}})
        body = assert_problem(r, 400)
        assert error_fields(body) == ["password.new"], (pw, body)
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
