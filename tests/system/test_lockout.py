"""Login throttling: 5 failures per account or ISACD_LOGIN_MAX_IP per client
address within ISACD_LOGIN_WINDOW_S → 429 with Retry-After, longer each time,
and never a hint whether the account exists.  A 3 s window keeps it fast.
`isacd unlock` lifts a lockout where the operator decides to."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import OWASP_ARGON2, assert_problem, create_user, run_isacd, unique_email
from identity_helpers import try_login

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")

WINDOW = 3


def fail(server, email, times):
    """`times` wrong-password attempts, each of which must be a plain 401."""
    bodies = []
    for i in range(times):
        r = try_login(server, email, "Wrong-Password-%d-xyz" % i)
        bodies.append(assert_problem(r, 401))
        assert "Retry-After" not in r.headers
    return bodies


def retry_after(r):
    assert "Retry-After" in r.headers, r.headers
    value = r.headers["Retry-After"]
    assert value.isdigit(), value
    return int(value)


def test_five_failures_lock_the_account_even_for_the_right_password(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    other = create_user(server)
    fail(server, acct["email"], 5)
    r = try_login(server, acct["email"], acct["password"])
    assert_problem(r, 429)
    wait = retry_after(r)
    assert 1 <= wait <= WINDOW
    assert "token" not in r.text
    # the lock is per account: another account from the same address logs in
    assert try_login(server, other["email"], other["password"]).status_code == 200
    # still locked a moment later
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)
    # once Retry-After has passed, the right password works again
    time.sleep(wait + 0.3)
    r = try_login(server, acct["email"], acct["password"])
    assert r.status_code == 200, r.text


def test_unknown_email_is_throttled_the_same_way(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    ghost = unique_email("ghost")
    known_bodies = fail(server, acct["email"], 5)
    ghost_bodies = fail(server, ghost, 5)
    assert known_bodies == ghost_bodies
    known = try_login(server, acct["email"], acct["password"])
    unknown = try_login(server, ghost, acct["password"])
    assert assert_problem(known, 429) == assert_problem(unknown, 429)
    assert known.content == unknown.content
    assert retry_after(known) >= 1 and retry_after(unknown) >= 1
    assert abs(retry_after(known) - retry_after(unknown)) <= 1


def test_the_account_counter_ignores_the_case_of_the_email(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    e = acct["email"]
    for variant in (e, e.upper(), e.capitalize(), e.swapcase(), e.title()):
        assert_problem(try_login(server, variant, "Wrong-Password-abc-123"), 401)
    assert_problem(try_login(server, e, acct["password"]), 429)


def test_too_many_failures_from_one_address_lock_out_every_email(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=30, ISACD_LOGIN_MAX_IP=6)
    real = [create_user(server) for _ in range(3)]
    fresh = create_user(server)
    # six failures spread over six different e-mails: no account reaches 5
    for a in real:
        fail(server, a["email"], 1)
    for _ in range(3):
        fail(server, unique_email("spray"), 1)
    # a seventh, different e-mail, with its right password, is refused
    r = try_login(server, fresh["email"], fresh["password"])
    assert_problem(r, 429)
    assert 1 <= retry_after(r) <= 30
    r = try_login(server, unique_email("another"), "Whatever-Password-1")
    assert_problem(r, 429)
    assert retry_after(r) >= 1


def test_a_success_resets_the_account_counter(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    fail(server, acct["email"], 4)
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
    fail(server, acct["email"], 4)        # 8 failures in the window, none 429
    r = try_login(server, acct["email"], acct["password"])
    assert r.status_code == 200, r.text


def test_repeated_lockout_waits_longer(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    fail(server, acct["email"], 5)
    r = try_login(server, acct["email"], acct["password"])
    assert_problem(r, 429)
    first = retry_after(r)
    time.sleep(first + 0.3)
    fail(server, acct["email"], 5)
    r = try_login(server, acct["email"], acct["password"])
    assert_problem(r, 429)
    second = retry_after(r)
    assert second > first, (first, second)


def test_each_failed_attempt_is_audited(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=WINDOW)
    acct = create_user(server)
    fail(server, acct["email"], 5)
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)
    rows = server.sql("SELECT action, detail->>'reason' FROM audit_log"
                      " WHERE actor_id = %s AND action LIKE 'login%%' ORDER BY id",
                      (acct["id"],))
    assert [r[0] for r in rows][:5] == ["login_failed"] * 5
    assert "login" not in [r[0] for r in rows]


def test_parallel_guesses_do_not_slip_past_the_limit(start_server):
    """An attacker who sends many guesses at once must not get more than the
    5 an account allows: the sixth and later ones are refused with 429."""
    # hashes that take time, so that the guesses are checked at the same time
    server = start_server(ISACD_LOGIN_WINDOW_S=60, **OWASP_ARGON2)
    acct = create_user(server)

    def guess(i):
        return try_login(server, acct["email"], "Wrong-Password-%d-xyz" % i)

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(guess, range(30)))
    statuses = sorted(r.status_code for r in results)
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 5, statuses
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)


def unlock(server, *args):
    return run_isacd(["unlock"] + list(args), server.pg.env(server.db))


def test_isacd_unlock_lifts_an_address_lockout_that_survives_a_restart(pg, start_server):
    """On a development instance every mistyped password comes from
    127.0.0.1: past ISACD_LOGIN_MAX_IP every account there is locked out,
    for the window and across restarts (the records are in PostgreSQL).
    `isacd unlock --ip` is the operator's way out; the defence stays."""
    server = start_server(ISACD_LOGIN_WINDOW_S=600, ISACD_LOGIN_MAX_IP=4)
    acct = create_user(server)
    for _ in range(4):
        fail(server, unique_email("typo"), 1)
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)
    # a restart changes nothing
    server.stop()
    server = start_server(db=server.db, ISACD_LOGIN_WINDOW_S=600, ISACD_LOGIN_MAX_IP=4)
    r = try_login(server, acct["email"], acct["password"])
    assert_problem(r, 429)
    assert retry_after(r) > 500
    out = unlock(server, "--ip", "127.0.0.1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == \
        "the address 127.0.0.1: 1 lockout lifted; logins are counted afresh"
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
    # counted afresh, and the defence still holds
    for _ in range(4):
        fail(server, unique_email("typo"), 1)
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)
    rows = server.sql("SELECT host(ip), detail->>'lockouts_lifted' FROM audit_log"
                      " WHERE action = 'login_unlocked'")
    assert rows == [("127.0.0.1", "1")]


def test_isacd_unlock_lifts_an_account_lockout_and_all(start_server):
    server = start_server(ISACD_LOGIN_WINDOW_S=600)
    acct, other = create_user(server), create_user(server)
    fail(server, acct["email"], 5)
    fail(server, other["email"], 5)
    assert_problem(try_login(server, acct["email"], acct["password"]), 429)
    # the e-mail's case does not matter, as for the lock itself
    out = unlock(server, "--email", acct["email"].upper())
    assert out.returncode == 0, out.stderr
    assert "1 lockout lifted" in out.stdout
    assert try_login(server, acct["email"], acct["password"]).status_code == 200
    assert_problem(try_login(server, other["email"], other["password"]), 429)
    # nothing locked: said so, not an error
    out = unlock(server, "--email", unique_email("nobody"))
    assert out.returncode == 0, out.stderr
    assert "no lockout to lift" in out.stdout
    out = unlock(server, "--all")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("every account and address: 1 lockout lifted")
    assert try_login(server, other["email"], other["password"]).status_code == 200
    assert server.sql("SELECT count(*) FROM audit_log WHERE action = 'login_unlocked'"
                      " AND target_user_id = %s", (acct["id"],))[0][0] == 1


@pytest.mark.parametrize("args", [[], ["--all", "--ip", "127.0.0.1"], ["--ip", "localhost"],
                                  ["--ip", "10.0.0.0/8"], ["--email"], ["--email", ""],
                                  ["--everyone"]])
def test_isacd_unlock_usage_errors_exit_2(server, args):
    out = unlock(server, *args)
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert len(out.stderr.strip().splitlines()) == 1
    assert out.stdout == ""
