"""TOTP second factor (RFC 6238: SHA-1, 30 s, 6 digits, +-1 step): enrol,
confirm, log in with a code, replay refused, remove."""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, unquote, urlparse

from conftest import assert_problem, login, totp_code
from identity_helpers import (account, audit_actions, error_fields, try_login,
                              wait_for_fresh_totp_step)


def enrol(server, token):
    r = server.post("me/totp", token=token)
    assert r.status_code == 200, r.text
    return r.json()


def other_code(code):
    return "%06d" % ((int(code) + 1) % 1000000)


def test_enrol_confirm_login_replay_and_remove(server):
    acct = account(server)
    body = enrol(server, acct["token"])
    secret = body["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret    # 160 bits, base32
    uri = urlparse(body["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert acct["email"] in unquote(uri.path)
    q = parse_qs(uri.query)
    assert q["secret"] == [secret]
    assert q.get("digits", ["6"]) == ["6"] and q.get("period", ["30"]) == ["30"]
    # not yet confirmed: not enabled, and login needs no code
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is False
    assert try_login(server, acct["email"], acct["password"]).status_code == 200

    wait_for_fresh_totp_step()
    now = time.time()
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=now - 30)})     # previous step
    assert r.status_code == 200, r.text
    assert r.json() == {"totp_enabled": True}
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is True

    # without the code, or with a wrong one: the same 401 as a wrong password
    wrong_pw = assert_problem(try_login(server, acct["email"], "Wrong-Password-999"), 401)
    no_code = assert_problem(try_login(server, acct["email"], acct["password"]), 401)
    code = totp_code(secret, at=now)
    bad_code = assert_problem(try_login(server, acct["email"], acct["password"],
                                        totp=other_code(code)), 401)
    assert wrong_pw == no_code == bad_code
    # the right code logs in, once
    r = try_login(server, acct["email"], acct["password"], totp=code)
    assert r.status_code == 200, r.text
    assert r.json()["user"]["totp_enabled"] is True
    session = r.json()["token"]
    assert_problem(try_login(server, acct["email"], acct["password"], totp=code), 401)

    # remove with a code of the next step (this one is used up)
    r = server.delete("me/totp", token=session, json={"code": totp_code(secret, at=now + 30)})
    assert r.status_code == 204, r.text
    assert server.get("me", token=session).json()["totp_enabled"] is False
    r = try_login(server, acct["email"], acct["password"])
    assert r.status_code == 200, r.text
    actions = audit_actions(server, acct["id"])
    assert "totp_enabled" in actions and "totp_disabled" in actions
    assert actions.index("totp_enabled") < actions.index("totp_disabled")


def test_the_code_that_confirmed_cannot_log_in(server):
    acct = account(server)
    secret = enrol(server, acct["token"])["secret"]
    wait_for_fresh_totp_step()
    code = totp_code(secret)
    r = server.post("me/totp/confirm", token=acct["token"], json={"code": code})
    assert r.status_code == 200, r.text
    assert_problem(try_login(server, acct["email"], acct["password"], totp=code), 401)
    r = try_login(server, acct["email"], acct["password"],
                  totp=totp_code(secret, at=time.time() + 30))
    assert r.status_code == 200, r.text


def test_codes_outside_one_step_are_refused(server):
    acct = account(server)
    secret = enrol(server, acct["token"])["secret"]
    wait_for_fresh_totp_step()
    now = time.time()
    for at in (now - 90, now - 60, now + 60, now + 90):
        code = totp_code(secret, at=at)
        if code in {totp_code(secret, at=now + d) for d in (-30, 0, 30)}:
            continue        # a chance collision with a valid code
        r = server.post("me/totp/confirm", token=acct["token"], json={"code": code})
        assert_problem(r, 422)
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is False


def test_wrong_code_on_confirm_is_422(server):
    acct = account(server)
    secret = enrol(server, acct["token"])["secret"]
    wait_for_fresh_totp_step()
    good = {totp_code(secret, at=time.time() + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "123456", "999999", "424242") if c not in good)
    r = server.post("me/totp/confirm", token=acct["token"], json={"code": wrong})
    body = assert_problem(r, 422)
    assert "code" in error_fields(body)
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is False
    # not a code at all: a 400
    for bad in ("12345", "1234567", "abcdef", "12 456"):
        r = server.post("me/totp/confirm", token=acct["token"], json={"code": bad})
        assert "code" in error_fields(assert_problem(r, 400))
    assert "totp_failed" in audit_actions(server, acct["id"])


def test_confirm_without_enrolment_is_409(server):
    acct = account(server)
    r = server.post("me/totp/confirm", token=acct["token"], json={"code": "123456"})
    assert_problem(r, 409)
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is False


def test_enrol_again_replaces_a_pending_secret(server):
    acct = account(server)
    first = enrol(server, acct["token"])["secret"]
    second = enrol(server, acct["token"])["secret"]
    assert first != second
    wait_for_fresh_totp_step()
    old = totp_code(first)
    if old != totp_code(second):
        assert_problem(server.post("me/totp/confirm", token=acct["token"],
                                   json={"code": old}), 422)
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(second, at=time.time() + 30)})
    assert r.status_code == 200, r.text


def test_enrol_while_enabled_is_409_and_keeps_the_secret(server):
    acct = account(server)
    secret = enrol(server, acct["token"])["secret"]
    wait_for_fresh_totp_step()
    now = time.time()
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=now - 30)})
    assert r.status_code == 200, r.text
    r = server.post("me/totp", token=acct["token"])
    assert_problem(r, 409)
    assert "secret" not in r.json() and secret not in r.text
    # the old secret still works
    r = try_login(server, acct["email"], acct["password"], totp=totp_code(secret, at=now))
    assert r.status_code == 200, r.text
    # confirming again is refused too
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=now + 30)})
    assert_problem(r, 409)


def test_delete_needs_a_valid_code(server):
    acct = account(server)
    # not enabled: nothing to remove
    assert_problem(server.delete("me/totp", token=acct["token"], json={"code": "123456"}), 409)
    secret = enrol(server, acct["token"])["secret"]
    assert_problem(server.delete("me/totp", token=acct["token"], json={"code": "123456"}), 409)
    wait_for_fresh_totp_step()
    now = time.time()
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=now - 30)})
    assert r.status_code == 200, r.text
    good = {totp_code(secret, at=now + d) for d in (-30, 0, 30)}
    wrong = next(c for c in ("000000", "123456", "999999", "424242") if c not in good)
    r = server.delete("me/totp", token=acct["token"], json={"code": wrong})
    assert "code" in error_fields(assert_problem(r, 422))
    # the code used to confirm cannot remove it either
    r = server.delete("me/totp", token=acct["token"], json={"code": totp_code(secret, at=now - 30)})
    assert_problem(r, 422)
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is True
    assert_problem(try_login(server, acct["email"], acct["password"]), 401)
    r = server.delete("me/totp", token=acct["token"], json={"code": totp_code(secret, at=now)})
    assert r.status_code == 204, r.text
    assert login(server, acct)


def test_the_same_code_sent_in_parallel_logs_in_once(server):
    acct = account(server)
    secret = enrol(server, acct["token"])["secret"]
    wait_for_fresh_totp_step()
    now = time.time()
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=now - 30)})
    assert r.status_code == 200, r.text
    code = totp_code(secret, at=now)

    def attempt(_):
        return try_login(server, acct["email"], acct["password"], totp=code).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(attempt, range(4)))
    assert statuses == [200, 401, 401, 401], statuses
