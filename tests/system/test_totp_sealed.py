"""TOTP secrets at rest: sealed with a key the operator provides.

The database holds v1$<key id>$<AES-256-GCM sealed secret>, never the
base32 secret: a dump gives away no second factor.  isacd serve refuses to
start without a key (ISACD_TOTP_KEY, or ISACD_TOTP_KEY_FILE), with a
malformed one, or when stored secrets are sealed with a key it lacks.
Rotation: the new key first, the old ones after; at start every secret is
sealed again under the first key, and logins with a second factor go on
working throughout.  A plain secret stored before sealing existed is sealed
at start too.
"""

import base64
import os
import re
import subprocess
import tempfile
import time

import pytest

from conftest import ISACD, TOTP_KEY, Server, assert_problem, free_port, totp_code
from identity_helpers import account, try_login, wait_for_fresh_totp_step
from privacy_helpers import rows_naming

OTHER_KEY = base64.b64encode(b"k" * 32).decode()
THIRD_KEY = base64.b64encode(b"z" * 32).decode()


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg, ISACD_PURGE_INTERVAL_S="0")
    yield s
    s.stop()


def enable_totp(server, acct):
    secret = server.post("me/totp", token=acct["token"]).json()["secret"]
    wait_for_fresh_totp_step()
    r = server.post("me/totp/confirm", token=acct["token"],
                    json={"code": totp_code(secret, at=time.time() - 30)})
    assert r.status_code == 200, r.text
    return secret


def stored(server, acct):
    return server.sql("SELECT secret FROM totp_secrets WHERE user_id = %s", (acct["id"],))[0][0]


def logs_in_with(server, acct, secret, at_offset=0):
    code = totp_code(secret, at=time.time() + at_offset)
    return try_login(server, acct["email"], acct["password"], totp=code).status_code == 200


def serve_exit(pg, db, **env):
    """Run isacd serve with env; → (exit status, output) once it exits
    (None when it kept running for 10 s)."""
    e = pg.env(db)
    e["ISACD_LISTEN"] = "127.0.0.1:%d" % free_port()
    e.pop("ISACD_TOTP_KEY", None)
    e.update(env)
    try:
        out = subprocess.run([ISACD, "serve"], env=e, capture_output=True, text=True,
                             timeout=10)
    except subprocess.TimeoutExpired:
        return None, ""
    return out.returncode, out.stdout + out.stderr


def test_the_secret_is_stored_sealed_and_still_works(server):
    acct = account(server)
    secret = enable_totp(server, acct)
    sealed = stored(server, acct)
    assert re.fullmatch(r"v1\$[0-9a-f]{8}\$[A-Za-z0-9+/]+={0,2}", sealed), sealed
    assert rows_naming(server, secret) == {}
    assert logs_in_with(server, acct, secret)
    # moved to another account, a sealed secret does not open: no login
    other = account(server)
    enable_totp(server, other)
    server.sql("UPDATE totp_secrets SET secret = %s WHERE user_id = %s", (sealed, other["id"]))
    r = try_login(server, other["email"], other["password"], totp=totp_code(secret))
    assert r.status_code == 500 and "the second factor cannot be read" in r.text
    # at start, isacd says so (and starts: the key is the right one)
    s = Server(server.pg, db=server.db, ISACD_PURGE_INTERVAL_S="0")
    try:
        assert "1 TOTP secrets do not open" in s.logs()
    finally:
        s.stop()
    server.sql("DELETE FROM totp_secrets WHERE user_id = %s", (other["id"],))


def test_rotation_seals_every_secret_again_and_logins_go_on(server, start_server):
    acct = account(server)
    secret = enable_totp(server, acct)
    old_id = stored(server, acct).split("$")[1]
    # the new key first, the old one after it: sealed again at start
    rotated = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="0",
                           ISACD_TOTP_KEY="%s, %s" % (OTHER_KEY, TOTP_KEY))
    new_id = stored(server, acct).split("$")[1]
    assert new_id != old_id
    assert all(s.split("$")[1] == new_id for (s,) in
               server.sql("SELECT secret FROM totp_secrets"))
    assert "sealed" in rotated.logs()
    assert logs_in_with(rotated, acct, secret, at_offset=30)
    rotated.stop()
    # then the old key may go; a server that has only it refuses to start
    with tempfile.NamedTemporaryFile("w", delete=False) as f:
        f.write("# the TOTP key\n%s\n" % OTHER_KEY)
    try:
        only_new = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="0",
                                ISACD_TOTP_KEY="", ISACD_TOTP_KEY_FILE=f.name)
        assert only_new.get("/readyz").status_code == 200
        only_new.stop()
    finally:
        os.unlink(f.name)
    rc, out = serve_exit(server.pg, server.db, ISACD_TOTP_KEY=TOTP_KEY)
    assert rc == 1 and "ISACD_TOTP_KEY" in out, out
    # put the test key back first, for the rest of the module
    again = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="0",
                         ISACD_TOTP_KEY="%s,%s" % (TOTP_KEY, OTHER_KEY))
    assert stored(server, acct).split("$")[1] == old_id
    again.stop()


def test_a_plain_secret_of_before_is_sealed_at_start(server, start_server):
    acct = account(server)
    secret = enable_totp(server, acct)
    server.sql("UPDATE totp_secrets SET secret = %s WHERE user_id = %s", (secret, acct["id"]))
    assert logs_in_with(server, acct, secret), "a plain secret still opens"
    s = start_server(db=server.db, ISACD_PURGE_INTERVAL_S="0")
    assert stored(server, acct).startswith("v1$")
    assert rows_naming(server, secret) == {}
    assert logs_in_with(s, acct, secret, at_offset=30)


@pytest.mark.parametrize("env,code,what", [
    ({}, 1, "ISACD_TOTP_KEY or ISACD_TOTP_KEY_FILE must be set"),
    ({"ISACD_TOTP_KEY": "short"}, 2, "ISACD_TOTP_KEY"),
    ({"ISACD_TOTP_KEY": base64.b64encode(b"x" * 31).decode()}, 2, "ISACD_TOTP_KEY"),
    ({"ISACD_TOTP_KEY": "%s,%s" % (TOTP_KEY, TOTP_KEY)}, 2, "repeats"),
    ({"ISACD_TOTP_KEY": TOTP_KEY, "ISACD_TOTP_KEY_FILE": "/etc/hostname"}, 2, "not both"),
    ({"ISACD_TOTP_KEY_FILE": "/nonexistent/totp.key"}, 1, "ISACD_TOTP_KEY_FILE"),
])
def test_no_key_or_a_bad_one_stops_start_up(server, env, code, what):
    rc, out = serve_exit(server.pg, server.db, **env)
    assert rc == code, (rc, out)
    assert what in out, out
    # a key never appears in what isacd says
    assert TOTP_KEY not in out


def test_the_enrolment_answer_is_the_only_place_the_secret_is_shown(server):
    acct = account(server)
    body = server.post("me/totp", token=acct["token"]).json()
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])
    assert rows_naming(server, body["secret"]) == {}
    assert_problem(server.post("me/totp/confirm", token=acct["token"], json={"code": "000000"}),
                   422)
