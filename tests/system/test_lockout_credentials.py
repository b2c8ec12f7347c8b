"""The account lockout holds for every credential check, not only login:
the current password of PATCH /me and TOTP codes count their attempts before
they are checked, so guesses sent in parallel cannot all be checked."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import OWASP_ARGON2, Server, assert_problem, totp_code
from identity_helpers import account, try_login, wait_for_fresh_totp_step


@pytest.fixture(scope="module")
def server(pg):
    """Hashes that take time, so that parallel guesses are checked at once."""
    s = Server(pg, **OWASP_ARGON2)
    yield s
    s.stop()
    pg.drop_database(s.db)


def test_parallel_wrong_current_passwords_are_capped(server):
    acct = account(server)

    def guess(i):
        return server.patch("me", token=acct["token"], json={
            "password": {"current": "Wrong-Guess-%d-xyz" % i,
                         "new": "Amber-Walrus-Compass-862"}})

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(r.status_code for r in pool.map(guess, range(20)))
    assert set(statuses) <= {403, 429}, statuses
    assert statuses.count(403) <= 5, statuses
    # the account is locked now, for login as well
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)


def test_weak_new_passwords_do_not_lock_the_account(server):
    acct = account(server)
    for _ in range(8):
        r = server.patch("me", token=acct["token"], json={
            "password": {"current": acct["password"], "new": "password1234"}})
        assert_problem(r, 400)
    r = server.patch("me", token=acct["token"], json={
        "password": {"current": acct["password"], "new": "Amber-Walrus-Compass-862"}})
    assert r.status_code == 200, r.text


def test_parallel_wrong_totp_codes_are_capped(server):
    acct = account(server)
    secret = server.post("me/totp", token=acct["token"]).json()["secret"]
    wait_for_fresh_totp_step()
    r = server.post("me/totp/confirm", token=acct["token"], json={"code": totp_code(secret)})
    assert r.status_code == 200, r.text
    now = time.time()
    good = {totp_code(secret, at=now + d) for d in (-30, 0, 30)}
    wrong = [c for c in ("%06d" % i for i in range(100000, 100100)) if c not in good][:20]

    def guess(code):
        return server.delete("me/totp", token=acct["token"], json={"code": code})

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(r.status_code for r in pool.map(guess, wrong))
    assert set(statuses) <= {422, 429}, statuses
    assert statuses.count(422) <= 5, statuses
    assert server.get("me", token=acct["token"]).json()["totp_enabled"] is True


def test_409_answers_do_not_count_as_attempts(server):
    acct = account(server)
    # no enrolment: confirm and delete are 409 and must not use up attempts
    for _ in range(8):
        assert_problem(server.post("me/totp/confirm", token=acct["token"],
                                   json={"code": "123456"}), 409)
        assert_problem(server.delete("me/totp", token=acct["token"],
                                     json={"code": "123456"}), 409)
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
