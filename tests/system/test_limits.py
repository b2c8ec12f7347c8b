"""Request limits and deadlines: sizes (431, 414, 413), body checks (415, 400),
slow and idle clients, and the connection cap."""

import json
import re
import select
import socket
import time

import pytest
import requests

from conftest import assert_problem
from rawhttp import read_response, wait_closed

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")


def exchange(port, data, timeout=5):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        return read_response(s)
    finally:
        s.close()


def assert_raw_problem(result, status):
    st, headers, body, _ = result
    assert st == status, (st, body)
    assert headers["content-type"].startswith("application/problem+json")
    doc = json.loads(body)
    assert doc["status"] == status and doc["title"] and "type" in doc
    return doc


def login_headers(length, ctype="application/json"):
    return ("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: %s\r\nContent-Length: %d\r\n\r\n" % (ctype, length)).encode()


# ---- sizes -----------------------------------------------------------------

def test_oversized_header_is_431(server):
    big = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n"
    assert_raw_problem(exchange(server.port, big), 431)


def test_many_headers_over_16k_are_431(server):
    fields = b"".join(b"X-Field-%d: %s\r\n" % (i, b"v" * 100) for i in range(200))
    req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n" + fields + b"\r\n"
    st, _, _, _ = exchange(server.port, req)
    assert st == 431


def test_header_just_under_the_limit_is_served(server):
    req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Pad: " + b"a" * 8000 + b"\r\n\r\n"
    st, _, body, _ = exchange(server.port, req)
    assert st == 200 and json.loads(body) == {"status": "ok"}


def test_long_uri_is_414(server):
    req = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert_raw_problem(exchange(server.port, req), 414)


def test_endless_request_line_is_414(server):
    req = b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert_raw_problem(exchange(server.port, req), 414)


def test_body_over_default_limit_is_413(server):
    # the head alone announces 2 MB: no need to send it
    req = login_headers(2 * 1024 * 1024)
    assert_raw_problem(exchange(server.port, req), 413)


def test_body_over_small_limit_is_413(start_server):
    s = start_server(ISACD_MAX_BODY=1024)
    big = {"email": "x@example.org", "password": "p" * 1500}
    assert_problem(s.post("auth/login", json=big), 413)
    ok = {"email": "x@example.org", "password": "p" * 900}
    assert len(json.dumps(ok)) < 1024
    r = s.post("auth/login", json=ok)
    assert r.status_code != 413
    assert_problem(r, 401)


# ---- body checks -----------------------------------------------------------

def test_non_json_content_type_is_415(server):
    r = server.post("auth/login", data='{"email":"a@example.org","password":"x"}',
                    headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)


def test_missing_content_type_is_415(server):
    body = b'{"email":"a@example.org","password":"x"}'
    assert_raw_problem(exchange(server.port, (
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Length: %d\r\n\r\n" % len(body)).encode() + body), 415)


def test_non_utf8_charset_is_415(server):
    r = server.post("auth/login", data=b'{"email":"a@example.org","password":"x"}',
                    headers={"Content-Type": "application/json; charset=latin1"})
    assert_problem(r, 415)


@pytest.mark.parametrize("body", [
    b'{"email": "a@example.org", "password": ',
    b"not json at all",
    b'{"email": "a@example.org" "password": "x"}',
    b'{"email": "a@example.org", "email": "b@example.org", "password": "x"}',
])
def test_malformed_json_is_400(server, body):
    r = server.post("auth/login", data=body, headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"42", b"null", b"true"])
def test_json_that_is_not_an_object_is_400(server, body):
    r = server.post("auth/login", data=body, headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_empty_body_on_json_route_is_400(server):
    r = server.post("auth/login", data=b"", headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


@pytest.mark.parametrize("body", [
    b'{"email": "\xff\xfe@example.org", "password": "Grey-Heron-Lantern-417"}',
    b'{"email": "a@example.org", "password": "\xc3\x28abcdefghijkl"}',
    b'{"email": "a@example.org", "password": "\xed\xa0\x80abcdefghijkl"}',  # surrogate
    b'{"email": "a@example.org", "password": "\xc0\xafabcdefghijkl"}',      # overlong
    b"\xef\xbb\xbf\xff{}",
])
def test_invalid_utf8_is_400(server, body):
    r = server.post("auth/login", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (r.status_code, r.text)
    assert_problem(r, 400)


# ---- deadlines ---------------------------------------------------------------

def test_slow_header_client_gets_408_while_others_are_served(start_server):
    s = start_server(ISACD_HEADER_TIMEOUT_S=2)
    partial = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
    slow = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    got = b""
    latency = None
    try:
        t0 = time.monotonic()
        i = 0
        while time.monotonic() - t0 < 8:
            if i < len(partial):
                try:
                    slow.sendall(partial[i:i + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break
                i += 1
            if i == 4:
                # meanwhile another client is served promptly
                t1 = time.monotonic()
                r = s.get("/healthz", timeout=2)
                latency = time.monotonic() - t1
                assert r.status_code == 200
            ready, _, _ = select.select([slow], [], [], 0.3)
            if ready:
                try:
                    b = slow.recv(65536)
                except ConnectionResetError:
                    break
                if not b:
                    break
                got += b
                if b"\r\n\r\n" in got:
                    break
        elapsed = time.monotonic() - t0
        # the deadline counts from the first byte (the trickle does not extend it)
        assert 1.5 <= elapsed <= 4.0, elapsed
        assert got.startswith(b"HTTP/1.1 408 "), got
        assert b"application/problem+json" in got
        status, headers, body, _ = read_response(slow, buf=got)
        assert status == 408 and json.loads(body)["status"] == 408
        assert headers.get("connection", "").lower() == "close"
        closed = wait_closed(slow, 3)
        assert closed is not None, "connection left open after 408"
    finally:
        slow.close()
    assert latency is not None and latency < 0.5, latency


def test_silent_connection_is_closed_after_header_timeout(start_server):
    s = start_server(ISACD_HEADER_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        t = wait_closed(c, 4)
        assert t is not None and 0.7 <= t <= 3.0, t
    finally:
        c.close()


def test_slow_body_gets_408(start_server):
    s = start_server(ISACD_BODY_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        c.sendall(login_headers(100) + b'{"email":')
        t0 = time.monotonic()
        status, headers, body, _ = read_response(c)
        assert status == 408 and json.loads(body)["status"] == 408
        assert 0.7 <= time.monotonic() - t0 <= 3.0
        assert wait_closed(c, 3) is not None
    finally:
        c.close()


def test_idle_keep_alive_connection_is_closed(start_server):
    s = start_server(ISACD_IDLE_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, headers, _, rest = read_response(c)
        assert status == 200 and rest == b""
        assert headers.get("connection", "").lower() != "close"
        t = wait_closed(c, 4)
        assert t is not None and 0.7 <= t <= 3.0, t
    finally:
        c.close()


def test_active_keep_alive_connection_outlives_idle_timeout(start_server):
    s = start_server(ISACD_IDLE_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        # each request restarts the idle clock: 4 requests over ~2.4 s
        for _ in range(4):
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, _, _, _ = read_response(c)
            assert status == 200
            time.sleep(0.6)
    finally:
        c.close()


# ---- connection cap ------------------------------------------------------------

def metric(server, name):
    text = server.get("/metrics").text
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1))


def test_max_conns_refuses_the_sixth_and_keeps_the_five(start_server):
    s = start_server(ISACD_MAX_CONNS=5)
    # let the start-up probes' connections go: only the metrics request itself
    deadline = time.time() + 5
    while metric(s, "isacd_connections_open") > 1 and time.time() < deadline:
        time.sleep(0.05)
    conns = []
    try:
        for _ in range(5):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert read_response(c)[0] == 200
            conns.append(c)
        sixth = socket.create_connection(("127.0.0.1", s.port), timeout=3)
        try:
            try:
                data = b""
                while True:
                    b = sixth.recv(65536)
                    if not b:
                        break
                    data += b
            except ConnectionResetError:
                pass
            assert data == b"" or data.startswith(b"HTTP/1.1 503 "), data
        finally:
            sixth.close()
        # the five held connections still work, and one of them sees the refusal
        for c in conns:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert read_response(c)[0] == 200
        conns[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n")
        status, _, body, _ = read_response(conns[0])
        assert status == 200
        assert re.search(rb'^isacd_connections_refused_total{reason="max_conns"} [1-9]', body,
                         re.M), body
        # a freed slot is usable again
        conns.pop().close()
        deadline = time.time() + 3
        while True:
            try:
                r = requests.get(s.url + "/healthz", timeout=2)
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, "slot never freed"
            time.sleep(0.05)
    finally:
        for c in conns:
            c.close()
