"""The realtime WebSocket as a client meets it, at the protocol level.

GET /api/v1/realtime with Upgrade: websocket, on the API's own port (and
over TLS when TLS is on).  What a client must be able to rely on:

* the handshake: a session token (Authorization: Bearer) or a single-use
  ticket (?ticket=, from POST /api/v1/realtime/tickets) gets 101 with the
  right Sec-WebSocket-Accept; no or a bad credential is a plain 401 and no
  upgrade; Sec-WebSocket-Version other than 13 is 426 naming 13; a missing
  or malformed key is 400; a browser Origin that is neither isacd's own nor
  listed in ISACD_ALLOWED_ORIGINS is 403;
* RFC 6455: each protocol violation closes the socket with its code (1002
  unmasked frame, reserved opcode or bits, fragmented or oversized control
  frame, continuation without a start; 1007 invalid UTF-8; 1009 a message
  over ISACD_WS_MAX_MESSAGE; 1003 binary; 1008 messages too fast), a ping is
  answered with a pong carrying its data, the client's close is echoed and
  the connection then closes, a fragmented message is read whole, a silent
  client is pinged and dropped, and SIGTERM closes sockets with 1001;
* a reader that never reads is closed with 1013 once what waits for it
  passes ISACD_WS_MAX_QUEUE, while another subscriber keeps receiving every
  event.

Frames are written and read by hand over raw sockets: a well-behaved client
library cannot send the violations.
"""

import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import shutil
import tempfile
import time

import pytest

from community_helpers import expect, new_channel, new_community
from conftest import Server, create_staff, login
from post_helpers import create_post, tag

# deadlines and delivery within a second: not beside another such file
pytestmark = pytest.mark.xdist_group("timing")

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONT = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


# ---- a raw client ----------------------------------------------------------

def accept_of(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


def frame(op, payload=b"", fin=True, rsv=0, mask=True):
    """A client frame, masked unless told otherwise."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | op])
    m = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class Closed(Exception):
    """The server closed the TCP connection."""


class WS:
    """An upgraded socket: send raw frames, read the server's frames."""

    def __init__(self, sock, rest=b""):
        self.sock = sock
        self.buf = rest

    def send(self, op, payload=b"", **kw):
        self.sock.sendall(frame(op, payload, **kw))

    def send_json(self, obj):
        self.send(TEXT, json.dumps(obj))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no frame from the server")
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame from the server")
            except ConnectionResetError:
                raise Closed("reset")
            if not b:
                raise Closed("eof")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=5.0):
        """The next server frame: (fin, opcode, payload).  Server frames are
        never masked and never carry reserved bits."""
        deadline = time.time() + timeout
        b0, b1 = self._need(2, deadline)
        assert b1 & 0x80 == 0, "a server frame is masked"
        assert b0 & 0x70 == 0, "reserved bits in a server frame"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self._need(2, deadline))[0]
        elif n == 127:
            n = struct.unpack(">Q", self._need(8, deadline))[0]
        return bool(b0 & 0x80), b0 & 0x0F, self._need(n, deadline)

    def message(self, timeout=5.0):
        """The next text message as JSON (pings are answered on the way)."""
        deadline = time.time() + timeout
        while True:
            fin, op, payload = self.recv(max(0.01, deadline - time.time()))
            if op == PING:
                self.send(PONG, payload)
                continue
            assert op == TEXT and fin, (op, payload[:80])
            return json.loads(payload)

    def expect_close(self, code, timeout=5.0):
        """The next frame is a close with this code, then the TCP closes."""
        fin, op, payload = self.recv(timeout)
        assert op == CLOSE, (op, payload[:80])
        assert len(payload) >= 2 and struct.unpack(">H", payload[:2])[0] == code, payload
        self.expect_eof(timeout)
        return payload[2:].decode()

    def expect_eof(self, timeout=5.0):
        with pytest.raises(Closed):
            self.recv(timeout)

    def close(self):
        self.sock.close()


def handshake(server, token=None, ticket=None, version="13",
              key="dGhlIHNhbXBsZSBub25jZQ==", origin=None, extra=b"", sock=None,
              host=None):
    """Send an opening handshake; → (status, headers, body, WS or None)."""
    path = "/api/v1/realtime" + ("?ticket=" + ticket if ticket else "")
    lines = ["GET %s HTTP/1.1" % path, "Host: %s" % (host or "127.0.0.1:%d" % server.port),
             "Upgrade: websocket", "Connection: Upgrade"]
    if key is not None:
        lines.append("Sec-WebSocket-Key: " + key)
    if version is not None:
        lines.append("Sec-WebSocket-Version: " + version)
    if token:
        lines.append("Authorization: Bearer " + token)
    if origin:
        lines.append("Origin: " + origin)
    s = sock or socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall("\r\n".join(lines).encode() + b"\r\n" + extra + b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        assert b, "closed before answering: %r" % data
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    status_line, *fields = head.decode("latin-1").split("\r\n")
    status = int(status_line.split()[1])
    headers = {}
    for f in fields:
        k, v = f.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    if status == 101:
        return status, headers, b"", WS(s, rest)
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        b = s.recv(65536)
        if not b:
            break
        rest += b
    s.close()
    return status, headers, rest[:n], None


def connect(server, token, **kw):
    status, headers, body, ws = handshake(server, token=token, **kw)
    assert status == 101, (status, body)
    return ws


# ---- the world: an owner of a community with a channel ----------------------

class World:
    pass


def make_world(server):
    w = World()
    staff = create_staff(server)
    community, w.owner = new_community(server, login(server, staff))
    w.cid = community["id"]
    w.channel = new_channel(server, w.cid, w.owner["token"], name="rt-" + tag())["id"]
    w.token = w.owner["token"]
    return w


@pytest.fixture(scope="module")
def w(server):
    return make_world(server)


def subscribe(ws, channel):
    ws.send_json({"type": "subscribe", "channels": [channel]})
    msg = ws.message()
    assert msg == {"type": "subscribed", "channels": [channel]}, msg


# ---- the handshake ------------------------------------------------------------

def test_a_session_token_upgrades(server, w):
    status, headers, body, ws = handshake(server, token=w.token)
    assert status == 101, body
    assert headers["upgrade"].lower() == "websocket"
    assert "upgrade" in headers["connection"].lower()
    assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert "content-length" not in headers
    subscribe(ws, w.channel)
    ws.close()


def test_a_ticket_upgrades_once(server, w):
    r = server.post("realtime/tickets", token=w.token)
    ticket = expect(r, 201)["ticket"]
    status, _, body, ws = handshake(server, ticket=ticket)
    assert status == 101, body
    subscribe(ws, w.channel)
    ws.close()
    # single use: the same ticket again is refused
    status, _, _, ws = handshake(server, ticket=ticket)
    assert status == 401 and ws is None


@pytest.mark.parametrize("credential", [
    {},
    {"token": "isacd_s_" + "A" * 43},
    {"token": "not-a-token"},
    {"ticket": "nope"},
])
def test_no_or_a_bad_credential_is_401_without_upgrade(server, credential):
    status, headers, body, ws = handshake(server, **credential)
    assert status == 401 and ws is None
    assert "upgrade" not in headers
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 401


def test_another_version_is_426_naming_13(server, w):
    status, headers, body, ws = handshake(server, token=w.token, version="12")
    assert status == 426 and ws is None
    assert headers["sec-websocket-version"] == "13"
    assert json.loads(body)["status"] == 426
    status, headers, _, _ = handshake(server, token=w.token, version=None)
    assert status == 426 and headers["sec-websocket-version"] == "13"


@pytest.mark.parametrize("key", [None, "", "abc", "AAAAAAAAAAAAAAAAAAAA",
                                 "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j*Q=="])
def test_a_missing_or_malformed_key_is_400(server, w, key):
    status, headers, body, ws = handshake(server, token=w.token, key=key)
    assert status == 400 and ws is None
    assert json.loads(body)["status"] == 400


def test_a_foreign_browser_origin_is_403(server, w):
    status, _, body, ws = handshake(server, token=w.token, origin="https://evil.example")
    assert status == 403 and ws is None
    assert json.loads(body)["status"] == 403
    # isacd's own origin, and no Origin at all (not a browser), are fine
    own = "http://127.0.0.1:%d" % server.port
    connect(server, w.token, origin=own).close()
    connect(server, w.token).close()


def test_listed_origins_may_connect(start_server):
    s = start_server(ISACD_ALLOWED_ORIGINS="https://console.example, https://ops.example")
    w = make_world(s)
    connect(s, w.token, origin="https://ops.example").close()
    status, _, _, ws = handshake(s, token=w.token, origin="https://console.example.evil")
    assert status == 403 and ws is None


# ---- frames -----------------------------------------------------------------------

VIOLATIONS = [
    ("unmasked frame", frame(TEXT, '{"type":"subscribe"}', mask=False), 1002),
    ("reserved opcode", frame(0x3, "x"), 1002),
    ("reserved control opcode", frame(0xB), 1002),
    ("RSV1 without an extension", frame(TEXT, "{}", rsv=4), 1002),
    ("fragmented ping", frame(PING, "a", fin=False), 1002),
    ("ping of 126 bytes", frame(PING, "p" * 126), 1002),
    ("continuation without a start", frame(CONT, "x"), 1002),
    ("a close with an invalid code", frame(CLOSE, struct.pack(">H", 1005)), 1002),
    ("invalid UTF-8", frame(TEXT, b'{"type":"\xc0\xaf"}'), 1007),
    ("invalid UTF-8 across fragments",
     frame(TEXT, b'{"a":"', fin=False) + frame(CONT, b"\xed\xa0\x80\"}"), 1007),
    ("a message over ISACD_WS_MAX_MESSAGE", frame(TEXT, "x" * 65537), 1009),
    ("binary", frame(BINARY, b"\x00\x01"), 1003),
]


@pytest.mark.parametrize("what,data,code", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_a_violation_closes_with_its_code(server, w, what, data, code):
    ws = connect(server, w.token)
    ws.sock.sendall(data)
    ws.expect_close(code)
    ws.close()
    # the server is unharmed
    ws = connect(server, w.token)
    subscribe(ws, w.channel)
    ws.close()


def test_a_ping_is_answered_with_its_data(server, w):
    ws = connect(server, w.token)
    ws.send(PING, b"are you there")
    fin, op, payload = ws.recv()
    assert (fin, op, payload) == (True, PONG, b"are you there")
    ws.close()


def test_the_close_handshake_is_echoed_then_the_connection_closes(server, w):
    ws = connect(server, w.token)
    ws.send(CLOSE, struct.pack(">H", 1000) + b"bye")
    assert ws.expect_close(1000) == "bye"
    ws.close()


def test_a_fragmented_message_is_read_whole(server, w):
    ws = connect(server, w.token)
    msg = json.dumps({"type": "subscribe", "channels": [w.channel]}).encode()
    ws.send(TEXT, msg[:5], fin=False)
    ws.send(PING, b"between")
    ws.send(CONT, msg[5:12], fin=False)
    ws.send(CONT, msg[12:])
    fin, op, payload = ws.recv()
    assert (op, payload) == (PONG, b"between")
    assert ws.message() == {"type": "subscribed", "channels": [w.channel]}
    # a malformed message in fragments: one error, for the whole of it
    ws.send(TEXT, b'{"type": "subsc', fin=False)
    ws.send(CONT, b'ribe", "channels": [')
    err = ws.message()
    assert err["type"] == "error" and isinstance(err["title"], str), err
    ws.send(PING, b"done")
    assert ws.recv()[1:] == (PONG, b"done")  # and nothing else came
    ws.close()


def test_messages_faster_than_the_rate_close_with_1008(start_server):
    s = start_server(ISACD_WS_MSG_RATE="1", ISACD_WS_MSG_BURST="5")
    w = make_world(s)
    ws = connect(s, w.token)
    for _ in range(8):
        ws.send(TEXT, '{"type":"unsubscribe","channels":[]}')
    while True:
        fin, op, payload = ws.recv()
        if op == CLOSE:
            assert struct.unpack(">H", payload[:2])[0] == 1008
            break
    ws.expect_eof()
    ws.close()


def test_a_silent_client_is_pinged_then_dropped(start_server):
    s = start_server(ISACD_WS_PING_S="1", ISACD_WS_PONG_TIMEOUT_S="1")
    w = make_world(s)
    # one that answers its pings stays
    talker = connect(s, w.token)
    for _ in range(3):
        fin, op, payload = talker.recv(3)
        assert op == PING
        talker.send(PONG, payload)
    subscribe(talker, w.channel)
    talker.close()
    # one that does not is dropped: no close frame, the TCP ends
    quiet = connect(s, w.token)
    t0 = time.time()
    assert quiet.recv(3)[1] == PING
    quiet.expect_eof(3)
    assert time.time() - t0 >= 1.9
    quiet.close()


def test_sigterm_closes_sockets_with_1001(start_server):
    s = start_server()
    w = make_world(s)
    ws = connect(s, w.token)
    subscribe(ws, w.channel)
    s.signal(signal.SIGTERM)
    fin, op, payload = ws.recv(5)
    assert op == CLOSE and struct.unpack(">H", payload[:2])[0] == 1001
    ws.send(CLOSE, payload[:2])
    ws.expect_eof(5)
    s.proc.wait(timeout=15)
    assert s.proc.returncode == 0


def test_a_reader_that_never_reads_is_cut_while_another_keeps_receiving(start_server):
    # a small bound; no send-rate cut, so the bound alone decides
    s = start_server(ISACD_WS_MAX_QUEUE="16384", ISACD_MIN_SEND_RATE="0",
                     ISACD_WS_PONG_TIMEOUT_S="30")
    w = make_world(s)
    slow_sock = socket.socket()
    slow_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow_sock.connect(("127.0.0.1", s.port))
    _, _, _, slow = handshake(s, token=w.token, sock=slow_sock)
    fast = connect(s, w.token)
    subscribe(slow, w.channel)
    subscribe(fast, w.channel)
    # the fast one reads each event as it comes; the slow one never reads
    posts, got = [], []
    for i in range(20):
        posts.append(create_post(s, w.token, w.channel, body="x" * 20000 + tag())["id"])
        while len(got) < len(posts):
            msg = fast.message(10)
            if msg.get("type") == "event" and msg["event"] == "post.created":
                got.append(msg["data"]["id"])
    assert got == posts
    # the slow one: some events, then 1013, then the end
    events = 0
    while True:
        fin, op, payload = slow.recv(10)
        if op == TEXT:
            events += 1
            continue
        assert op == CLOSE and struct.unpack(">H", payload[:2])[0] == 1013, (op, payload)
        break
    assert events < len(posts)
    slow.expect_eof(10)
    slow.close()
    # the other socket is still served
    create_post(s, w.token, w.channel)
    msg = fast.message(10)
    assert msg["type"] == "event" and msg["event"] == "post.created"
    fast.close()


# ---- TLS: the same port, the same upgrade ---------------------------------------

@pytest.fixture(scope="module")
def cert():
    d = tempfile.mkdtemp(prefix="isacd-ws-tls-")
    crt, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    yield crt, key
    shutil.rmtree(d, ignore_errors=True)


def test_the_upgrade_works_over_tls(pg, cert):
    s = Server(pg, tls=cert, wait_ready=False)
    try:
        s.wait_ready()
        w = make_world(s)
        ctx = ssl.create_default_context(cafile=cert[0])
        raw = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        status, headers, body, ws = handshake(s, token=w.token, sock=tls)
        assert status == 101, body
        assert "strict-transport-security" in headers
        subscribe(ws, w.channel)
        ws.send(PING, b"tls")
        assert ws.recv()[1:] == (PONG, b"tls")
        ws.send(CLOSE, struct.pack(">H", 1000))
        ws.expect_close(1000)
        ws.close()
    finally:
        s.stop()
