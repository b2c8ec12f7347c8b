"""PostgreSQL goes away and comes back: isacd answers 503 meanwhile, stays
alive, and recovers on its own.  Uses its own cluster (stopping the shared
one would break every other test)."""

import os
import secrets
import time

import pytest
import requests

from conftest import PGBIN, PostgresCluster, Server, assert_problem, create_staff, login

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")

FAST_DB = {"ISACD_DB_CONNECT_TIMEOUT_S": 1, "ISACD_DB_QUEUE_TIMEOUT_MS": 1000}


@pytest.fixture(scope="module")
def cluster():
    c = PostgresCluster()
    try:
        yield c
    finally:
        c.destroy()


def ensure_up(cluster):
    """Start the cluster unless it already runs (pg_ctl start fails then)."""
    st = cluster._run([os.path.join(PGBIN, "pg_ctl"), "-D", cluster.data, "status"], check=False)
    if st.returncode != 0:
        cluster.start()


def fake_session_token():
    return "isacd_s_" + secrets.token_urlsafe(32)[:43].ljust(43, "A")


def wait_status(server, path, want, timeout):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = server.get(path, timeout=5).status_code
            if last == want:
                return True
        except requests.RequestException as e:
            last = repr(e)
        time.sleep(0.1)
    raise AssertionError("%s never answered %d (last: %s)" % (path, want, last))


def database_lines(server):
    """The log lines about the database's being away or back: one warning
    per outage and one line when it answers again, however many of isacd's
    connections (the pool's, the listening one) meet it."""
    lines = [e for e in server.log_lines() if e.get("level") in ("warn", "error")
             and ("PostgreSQL" in e["msg"] or e["msg"].startswith("db: "))]
    back = [e for e in server.log_lines()
            if e["msg"].startswith("db: the database answers again")]
    return [e["msg"] for e in lines], [e["msg"] for e in back]


def test_database_outage_is_503_and_recovers_without_restart(cluster):
    server = Server(cluster, wait_ready=False, **FAST_DB)
    try:
        server.wait_ready()
        acct = create_staff(server)
        token = login(server, acct)
        assert server.get("me", token=token).status_code == 200

        cluster.stop()
        t0 = time.monotonic()
        r = server.post("auth/login", json={"email": acct["email"],
                                            "password": acct["password"]})
        assert_problem(r, 503)
        r = server.post("auth/login", json={"email": "nobody@example.org",
                                            "password": "Whatever-Password-1"})
        assert_problem(r, 503)
        # a well-formed token cannot be judged without the database: 503, not 401
        assert_problem(server.get("me", token=fake_session_token()), 503)
        assert_problem(server.get("me", token=token), 503)
        r = server.get("/readyz")
        assert_problem(r, 503)
        assert server.get("/healthz").json() == {"status": "ok"}
        assert time.monotonic() - t0 < 10, "503s took too long to come"

        cluster.start()
        wait_status(server, "/readyz", 200, 15)
        # the session made before the outage still works, and so does a login
        r = server.get("me", token=token)
        assert r.status_code == 200 and r.json()["email"] == acct["email"]
        assert login(server, acct)
        assert server.proc.poll() is None
        time.sleep(1)  # every connection has had its say
        warned, back = database_lines(server)
        assert len(warned) == 1 and " lost: " in warned[0], warned
        assert len(back) == 1, back
    finally:
        try:
            ensure_up(cluster)  # leave it up for the next test
        finally:
            server.stop()


def test_server_started_while_database_is_down_becomes_ready(cluster):
    db = cluster.new_database()
    cluster.stop()
    server = None
    try:
        server = Server(cluster, db=db, wait_ready=False, **FAST_DB)
        assert server.get("/healthz").status_code == 200
        assert_problem(server.get("/readyz"), 503)
        assert_problem(server.post("auth/login", json={"email": "a@example.org",
                                                       "password": "Whatever-Password-1"}), 503)
        cluster.start()
        wait_status(server, "/readyz", 200, 15)
        acct = create_staff(server)
        assert login(server, acct)
        # eight pool connections and the listening one failed, several
        # times each: the start-up warning said it once for them all
        time.sleep(1)
        warned, back = database_lines(server)
        assert len(warned) == 1 and "cannot connect to PostgreSQL" in warned[0], warned
        assert len(back) == 1, back
    finally:
        try:
            ensure_up(cluster)
        finally:
            if server is not None:
                server.stop()
