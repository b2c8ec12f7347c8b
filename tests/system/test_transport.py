"""Transport: a slow reader cannot make isacd render ahead of it.

The attack: one client pipelines 400 GET /metrics over a 4 KiB receive
buffer and reads 32 bytes now and then.  isacd used to render nearly every
response at once, and Linux took them into that one socket's send queue:
about 2 MB within 0.1 s, for each of the 256 connections one address may
hold.  Now every socket has TCP_NOTSENT_LOWAT = ISACD_SEND_LOWAT, and a
pipelined request waits while what waits for the client, in isacd's buffer
and unsent in the kernel, has reached that mark.

Each test samples the server's end of the slow connection with ss(8) about
every 100 ms, while a normal client from the same address asks /healthz,
and checks that:
* its Send-Q never passes ISACD_SEND_LOWAT plus ALLOWANCE;
* isacd rendered a handful of the 400 responses, not nearly all;
* the minimum send rate still resets it within its window;
* the normal client is answered at once all along.
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

pytestmark = [pytest.mark.filterwarnings("ignore:Unverified HTTPS request"),
              # measures send queues and deadlines: never beside another
              # file of the kind (conftest.py)
              pytest.mark.xdist_group("timing")]

RCVBUF = 4096  # the slow client's SO_RCVBUF; Linux doubles it to 8 KiB
# What ss counts besides the unsent bytes that ISACD_SEND_LOWAT bounds: the
# bytes in flight, which the client's receive window bounds (at most its
# 8 KiB buffer), and the one segment the kernel finishes filling when it
# crosses the mark (at most half the client's largest window: 4 KiB).
ALLOWANCE = 3 * RCVBUF
WINDOW_S = 1
MIN_SEND_RATE = 4096
PIPELINED = b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n" * 400


@pytest.fixture(scope="module")
def cert():
    d = tempfile.mkdtemp(prefix="isacd-tls-")
    crt, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    yield crt, key
    shutil.rmtree(d, ignore_errors=True)


def send_queue(port, client_port):
    """Send-Q of the server's end of one connection, or None once it is
    gone (a reset frees it at once: no FIN-WAIT, no TIME-WAIT)."""
    out = subprocess.run(
        ["ss", "-tnH", "state", "connected",
         "( sport = :%d and dport = :%d )" % (port, client_port)],
        capture_output=True, text=True, check=True).stdout.split()
    return int(out[2]) if out else None


def metrics_counts(s):
    """(GET /metrics answered with 200, slow readers cut) so far."""
    text = s.get("/metrics", timeout=2).text
    answered = re.search(r'^isacd_http_requests_total\{method="GET",'
                         r'route="/metrics",status="200"\} (\d+)$', text, re.M)
    cut = re.search(r'^isacd_connections_cut_total\{reason="slow_reader"\} (\d+)$',
                    text, re.M)
    return int(answered.group(1)) if answered else 0, int(cut.group(1))


def start_slow_reader(port, tls_ctx=None):
    """Connect with a small receive buffer (set before connect: the window
    is agreed in the handshake) and pipeline 400 requests."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    raw.settimeout(5)
    raw.connect(("127.0.0.1", port))
    s = tls_ctx.wrap_socket(raw, server_hostname="127.0.0.1",
                            suppress_ragged_eofs=False) if tls_ctx else raw
    s.sendall(PIPELINED)
    return s, s.getsockname()[1]


def watch(s, slow, client_port, seconds):
    """Until the server's end is gone (or `seconds`): sample its Send-Q,
    read 32 bytes every 0.5 s, and time a /healthz from the same address.
    Returns (peak Send-Q, seconds until gone or None, [(status, seconds)])."""
    t0 = time.monotonic()
    next_read = t0
    peak, gone_at, answered = 0, None, []
    slow.settimeout(0.05)
    while time.monotonic() - t0 < seconds:
        q = send_queue(s.port, client_port)
        if q is None:
            gone_at = time.monotonic() - t0
            break
        peak = max(peak, q)
        if time.monotonic() >= next_read:
            try:
                slow.recv(32)  # alive, but far below MIN_SEND_RATE
            except (socket.timeout, ConnectionResetError):
                pass
            next_read += 0.5
        t = time.monotonic()
        r = s.get("/healthz", timeout=2)
        answered.append((r.status_code, time.monotonic() - t))
        time.sleep(0.1)
    return peak, gone_at, answered


def drain(slow):
    """Read what the client's own buffer still holds; True when the
    connection then ends with a reset (or, over TLS, without close_notify)."""
    slow.settimeout(2)
    try:
        while slow.recv(65536):
            pass
    except (ConnectionResetError, ssl.SSLError):
        return True
    return False


def check_slow_reader_is_bounded(s, lowat, tls_ctx=None):
    size0 = len(s.get("/metrics", timeout=2).content)  # the smallest: counts grow
    before, _ = metrics_counts(s)
    slow, client_port = start_slow_reader(s.port, tls_ctx)
    try:
        peak, gone_at, answered = watch(s, slow, client_port, 2 * WINDOW_S + 3)
        reset = drain(slow)
    finally:
        slow.close()
    assert gone_at is not None, "the slow reader was never cut off"
    # the first window can be paid by what the client's kernel took into
    # its buffer (it counts as delivered); the second cannot
    assert gone_at < 2 * WINDOW_S + 1, gone_at
    assert reset
    assert peak <= lowat + ALLOWANCE, (peak, lowat + ALLOWANCE)
    assert answered and all(code == 200 for code, _ in answered), answered
    assert max(t for _, t in answered) < 1.0, answered
    rendered, cut = metrics_counts(s)
    rendered -= before + 1  # less size0's request
    assert cut == 1
    # held at most: the client's buffer, the socket's queue, and our own
    # buffer (under the mark when the last response was taken, plus it)
    held = 2 * RCVBUF + (lowat + ALLOWANCE) + (lowat + size0 * 2)
    assert 0 < rendered <= held // size0, (rendered, held // size0)


@pytest.mark.parametrize("lowat", [16384, 4096])
def test_a_slow_readers_send_queue_stays_under_the_mark(start_server, lowat):
    env = dict(ISACD_MIN_SEND_RATE=MIN_SEND_RATE, ISACD_SEND_WINDOW_S=WINDOW_S,
               ISACD_WRITE_TIMEOUT_S=600)
    if lowat != 16384:  # 16384 is the default
        env["ISACD_SEND_LOWAT"] = lowat
    check_slow_reader_is_bounded(start_server(**env), lowat)


def test_a_slow_reader_over_tls_is_bounded_the_same_way(start_server, cert):
    s = start_server(tls=cert, ISACD_MIN_SEND_RATE=MIN_SEND_RATE,
                     ISACD_SEND_WINDOW_S=WINDOW_S, ISACD_WRITE_TIMEOUT_S=600)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert[0])
    check_slow_reader_is_bounded(s, 16384, ctx)

