"""Graceful shutdown: SIGTERM/SIGINT stop accepting, close idle connections,
let in-flight requests finish, and exit 0 within ISACD_SHUTDOWN_TIMEOUT_S."""

import json
import re
import signal
import socket
import threading
import time

import pytest

from conftest import OWASP_ARGON2, create_staff
from rawhttp import read_response, refused, wait_closed

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")


def login_request(acct):
    body = json.dumps({"email": acct["email"], "password": acct["password"]}).encode()
    head = ("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    return head.encode(), body


def test_sigterm_drains_in_flight_requests(start_server):
    # hashes that take time, so that logins are still hashing at SIGTERM
    s = start_server(ISACD_SHUTDOWN_TIMEOUT_S=10, ISACD_HASH_WORKERS=1, **OWASP_ARGON2)
    acct = create_staff(s)
    head, body = login_request(acct)

    idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert read_response(idle)[0] == 200

    # a request whose body is half sent: it keeps the server draining
    slow = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    slow.sendall(head + body[:10])

    # one account per login: more than ISACD_LOGIN_MAX_ACCOUNT attempts in
    # flight for one account are refused (429) by design
    n = 6
    reqs = [login_request(create_staff(s)) for _ in range(n)]
    socks = [socket.create_connection(("127.0.0.1", s.port), timeout=10) for _ in range(n)]
    results = [None] * n
    done_at = [None] * n

    def finish(i):
        try:
            results[i] = read_response(socks[i])
        except Exception as e:  # a reset is a failure, recorded as such
            results[i] = e
        done_at[i] = time.monotonic()

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(n)]
    try:
        for c, (h, b) in zip(socks, reqs):
            c.sendall(h + b)
        for t in threads:
            t.start()
        # wait until the logins are hashing (the metrics come over the idle
        # connection, which then is idle again)
        deadline = time.time() + 3
        while True:
            idle.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
            text = read_response(idle)[2].decode()
            busy = sum(int(m) for m in re.findall(
                r"^isacd_hash_(?:queued|running) (\d+)$", text, re.M))
            if busy >= 2:
                break
            assert time.time() < deadline, "the logins never reached the hash workers"
            time.sleep(0.005)
        signalled = time.monotonic()
        s.signal(signal.SIGTERM)

        # the idle keep-alive connection is closed without an answer
        assert wait_closed(idle, 3) is not None
        # new connections are refused while the in-flight ones finish
        deadline = time.time() + 2
        while not refused(s.port):
            assert time.time() < deadline, "still accepting after SIGTERM"
            time.sleep(0.02)
        assert s.proc.poll() is None, "exited before finishing its requests"

        for t in threads:
            t.join(10)
        for r in results:
            assert not isinstance(r, Exception), r
            status, headers, rbody, _ = r
            assert status == 200, rbody
            assert json.loads(rbody)["token"].startswith("isacd_s_")
        # at least one answer came after the signal: it really was in flight
        assert max(done_at) > signalled

        # the half-sent request still completes, then the connection ends
        slow.sendall(body[10:])
        status, headers, rbody, _ = read_response(slow)
        assert status == 200 and json.loads(rbody)["token"]
        assert headers.get("connection", "").lower() == "close"
        assert wait_closed(slow, 3) is not None

        s.proc.wait(timeout=5)
        assert s.proc.returncode == 0
        assert time.monotonic() - signalled < 10
    finally:
        for c in socks + [idle, slow]:
            c.close()


def test_shutdown_deadline_ends_a_stuck_request(start_server):
    s = start_server(ISACD_SHUTDOWN_TIMEOUT_S=1, ISACD_BODY_TIMEOUT_S=60)
    stuck = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        stuck.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        time.sleep(0.05)
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        s.proc.wait(timeout=5)
        elapsed = time.monotonic() - t0
        assert s.proc.returncode == 0
        assert 0.8 <= elapsed <= 2.5, elapsed
    finally:
        stuck.close()


def test_sigint_on_an_idle_server_exits_0_at_once(start_server):
    s = start_server(ISACD_SHUTDOWN_TIMEOUT_S=10)
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(idle)[0] == 200
        t0 = time.monotonic()
        s.signal(signal.SIGINT)
        s.proc.wait(timeout=5)
        assert s.proc.returncode == 0
        assert time.monotonic() - t0 < 1.0
        assert wait_closed(idle, 1) is not None
    finally:
        idle.close()
