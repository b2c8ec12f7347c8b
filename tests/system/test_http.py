"""HTTP/1.1 behaviour of isacd, mostly over raw sockets so that the bytes on
the wire are exactly what the test says (requests would normalise them)."""

import json
import socket
import time

import pytest

from conftest import assert_problem


class RawConn:
    """One client TCP connection that reads whole HTTP/1.1 responses."""

    def __init__(self, port, timeout=5.0):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def _fill(self):
        b = self.s.recv(65536)
        if not b:
            raise EOFError("connection closed; had %r" % self.buf)
        self.buf += b

    def response(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        version, status, _ = (lines[0].split(" ", 2) + [""])[:3]
        headers = {}
        for line in lines[1:]:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
        status = int(status)
        body = b""
        if not head_only and status >= 200 and status not in (204, 304):
            n = int(headers.get("content-length", "0"))
            while len(self.buf) < n:
                self._fill()
            body, self.buf = self.buf[:n], self.buf[n:]
        return {"version": version, "status": status, "headers": headers,
                "body": body}

    def closed_within(self, seconds):
        """True when the server closes the connection (EOF or reset) within
        `seconds` without sending anything more."""
        self.s.settimeout(seconds)
        try:
            b = self.s.recv(65536)
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        if b:
            self.buf += b
            return False
        return True

    def close(self):
        self.s.close()


def one(port, data, head_only=False):
    c = RawConn(port)
    try:
        c.send(data)
        return c.response(head_only=head_only)
    finally:
        c.close()


def problem_of(resp, status):
    assert resp["status"] == status, resp
    assert resp["headers"]["content-type"].startswith("application/problem+json"), resp
    body = json.loads(resp["body"])
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert "type" in body
    return body


GET_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"


def test_healthz_is_200_json(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"status": "ok"}


def test_unknown_route_is_404_problem(server):
    assert_problem(server.get("/no/such/thing"), 404)
    assert_problem(server.get("no-such-endpoint"), 404)


def test_wrong_method_is_405_with_allow(server):
    r = server.delete("/healthz")
    body = assert_problem(r, 405)
    allow = {m.strip() for m in r.headers["Allow"].split(",")}
    assert allow == {"GET", "HEAD"}
    assert body["detail"] == "this resource does not allow DELETE; it allows " + \
        r.headers["Allow"], body
    r = server.request("PUT", "me")
    assert_problem(r, 405)
    allow = {m.strip() for m in r.headers["Allow"].split(",")}
    assert {"GET", "HEAD", "PATCH"} <= allow and "PUT" not in allow


def test_unknown_method_is_501(server):
    resp = one(server.port, b"BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    problem_of(resp, 501)
    resp = one(server.port, b"BREW /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    problem_of(resp, 501)


@pytest.mark.parametrize("line", [
    b"GET /healthz\r\n",                 # no version
    b"GET  /healthz HTTP/1.1\r\n",       # two spaces
    b"GET /healthz HTTP/1.1 \r\n",       # trailing space
    b"GET /healthz HTTX/1.1\r\n",        # not HTTP
    b"G(T /healthz HTTP/1.1\r\n",        # not a token
    b"GET healthz HTTP/1.1\r\n",         # not origin-form
    b"GET /healthz HTTP/1.1\n",          # bare LF
])
def test_malformed_request_line_is_400(server, line):
    resp = one(server.port, line + b"Host: localhost\r\n\r\n")
    problem_of(resp, 400)


def test_http2_version_is_505(server):
    resp = one(server.port, b"GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n")
    problem_of(resp, 505)


def test_missing_host_on_http11_is_400(server):
    problem_of(one(server.port, b"GET /healthz HTTP/1.1\r\n\r\n"), 400)


def test_two_host_headers_are_400(server):
    resp = one(server.port, b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")
    problem_of(resp, 400)


def test_content_length_with_transfer_encoding_is_400(server):
    req = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nContent-Length: 2\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n{}")
    problem_of(one(server.port, req), 400)


def test_duplicate_content_length_is_400(server):
    req = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nContent-Length: 2\r\n"
           b"Content-Length: 2\r\n\r\n{}")
    problem_of(one(server.port, req), 400)


@pytest.mark.parametrize("value", [b"-1", b"1x", b"+2", b"0x10", b"", b"99999999999999999999"])
def test_invalid_content_length_is_400(server, value):
    req = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nContent-Length: " + value + b"\r\n\r\n")
    problem_of(one(server.port, req), 400)


def test_chunked_request_body_is_411(server):
    req = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"2\r\n{}\r\n0\r\n\r\n")
    problem_of(one(server.port, req), 411)


def test_obs_fold_header_is_400(server):
    req = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Folded: one\r\n"
           b" two\r\n\r\n")
    problem_of(one(server.port, req), 400)


def test_control_character_in_header_is_400(server):
    req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x01b\r\n\r\n"
    problem_of(one(server.port, req), 400)


def test_rejected_request_closes_the_connection(server):
    c = RawConn(server.port)
    try:
        c.send(b"GET /healthz HTTP/9.9\r\nHost: localhost\r\n\r\n" + GET_HEALTHZ)
        resp = c.response()
        assert resp["status"] == 505
        assert resp["headers"].get("connection", "").lower() == "close"
        # the request behind the broken one is not answered
        assert c.closed_within(3)
        assert c.buf == b""
    finally:
        c.close()


def test_head_has_headers_and_length_but_no_body(server):
    get = one(server.port, GET_HEALTHZ)
    c = RawConn(server.port)
    try:
        # a HEAD and then a GET on one connection: if HEAD leaked a body, the
        # second response would not start where it should
        c.send(b"HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n" + GET_HEALTHZ)
        head = c.response(head_only=True)
        assert head["status"] == 200
        assert head["headers"]["content-length"] == get["headers"]["content-length"]
        assert int(head["headers"]["content-length"]) == len(get["body"]) > 0
        assert head["headers"]["content-type"] == get["headers"]["content-type"]
        assert c.buf == b"" or c.buf.startswith(b"HTTP/1.1 200 ")
        nxt = c.response()
        assert nxt["status"] == 200 and json.loads(nxt["body"]) == {"status": "ok"}
    finally:
        c.close()


def test_keep_alive_serves_two_requests_on_one_socket(server):
    c = RawConn(server.port)
    try:
        for _ in range(2):
            c.send(GET_HEALTHZ)
            resp = c.response()
            assert resp["status"] == 200
            assert json.loads(resp["body"]) == {"status": "ok"}
            assert resp["headers"].get("connection", "").lower() != "close"
    finally:
        c.close()


def test_pipelined_requests_are_answered_in_order(server):
    c = RawConn(server.port)
    try:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
               b"GET /api/v1/pipelined-nothing HTTP/1.1\r\nHost: localhost\r\n\r\n"
               b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        first, second, third = c.response(), c.response(), c.response()
    finally:
        c.close()
    assert first["status"] == 200 and json.loads(first["body"]) == {"status": "ok"}
    problem_of(second, 404)
    assert third["status"] == 200 and json.loads(third["body"])["status"] == "ready"
    ids = [r["headers"]["x-request-id"] for r in (first, second, third)]
    assert len(set(ids)) == 3 and all(ids)


def test_expect_100_continue(server):
    body = json.dumps({"email": "nobody@example.org",
                       "password": "Not-The-Password-123"}).encode()
    c = RawConn(server.port)
    try:
        c.send(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
               b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        interim = c.response()
        assert interim["status"] == 100
        assert interim["version"] == "HTTP/1.1"
        c.send(body)
        final = c.response()
        problem_of(final, 401)
    finally:
        c.close()


def test_unsupported_expectation_is_417(server):
    req = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nExpect: teapot\r\n"
           b"Content-Length: 2\r\n\r\n{}")
    problem_of(one(server.port, req), 417)


def test_http10_gets_connection_close_and_the_socket_closes(server):
    c = RawConn(server.port)
    try:
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        resp = c.response()
        assert resp["status"] == 200
        assert json.loads(resp["body"]) == {"status": "ok"}
        assert resp["headers"]["connection"].lower() == "close"
        assert c.closed_within(3)
    finally:
        c.close()


def test_connection_close_is_honoured(server):
    c = RawConn(server.port)
    try:
        c.send(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        resp = c.response()
        assert resp["status"] == 200
        assert resp["headers"]["connection"].lower() == "close"
        assert c.closed_within(3)
    finally:
        c.close()


def test_absolute_form_target_is_served(server):
    resp = one(server.port, b"GET http://localhost/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert resp["status"] == 200
    assert json.loads(resp["body"]) == {"status": "ok"}


@pytest.mark.parametrize("request_bytes,status", [
    (GET_HEALTHZ, 200),
    (b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n", 200),
    (b"GET /api/v1/nope HTTP/1.1\r\nHost: localhost\r\n\r\n", 404),
    (b"DELETE /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 405),
    (b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n\r\n", 401),
    (b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    (b"BREW / HTTP/1.1\r\nHost: localhost\r\n\r\n", 501),
])
def test_every_response_has_the_standard_headers(server, request_bytes, status):
    resp = one(server.port, request_bytes)
    assert resp["status"] == status
    h = resp["headers"]
    assert h.get("x-request-id")
    assert h.get("cache-control") == "no-store"
    assert h.get("x-content-type-options") == "nosniff"
    assert h.get("date")


def test_request_ids_are_unique(server):
    ids = {server.get("/healthz").headers["X-Request-Id"] for _ in range(20)}
    assert len(ids) == 20


def test_server_keeps_serving_after_garbage(server):
    for junk in (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40,
                 b"\x00\x00\x00\x00\r\n\r\n", b"\r\n\r\n\r\n"):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=3)
        try:
            s.sendall(junk)
            s.shutdown(socket.SHUT_WR)
            t0 = time.time()
            while time.time() - t0 < 3:
                try:
                    if not s.recv(65536):
                        break
                except (socket.timeout, ConnectionResetError):
                    break
        finally:
            s.close()
    r = server.get("/healthz")
    assert r.status_code == 200
