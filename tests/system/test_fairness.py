"""Connection fairness: one source cannot take every connection, and a
client that reads its responses too slowly is cut off however it trickles.

* ISACD_MAX_CONNS_PER_IP caps the connections of one client address: the
  next one from that address gets a 503 at accept, while another address
  (127.0.0.2: the whole of 127/8 is this host) is still served.
* ISACD_MIN_SEND_RATE: while output waits, a client must read that many
  bytes per second over each ISACD_SEND_WINDOW_S, or it is reset.
* Every refusal and cut is counted in /metrics by reason and logged at most
  once a second per reason, with the count.
"""

import re
import socket
import threading
import time

import pytest
import requests

from rawhttp import read_response

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")

PARTIAL_HEAD = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"  # never finished


def connect_from(source, port, timeout=5, rcvbuf=None, small_segments=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if rcvbuf and small_segments:
        # an Ethernet-sized segment, as over a real network: loopback's 64 KiB
        # segments let the kernel take megabytes of output into its buffers
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 1400)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def get_from(source, port, path="/healthz"):
    s = connect_from(source, port)
    try:
        s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
                  b"Connection: close\r\n\r\n")
        return read_response(s)
    finally:
        s.close()


def metrics_from(source, port):
    status, _, body, _ = get_from(source, port, "/metrics")
    assert status == 200
    return body.decode()


def counter(text, name, reason):
    m = re.search(r'^%s\{reason="%s"\} (\d+)$' % (name, reason), text, re.M)
    assert m, text
    return int(m.group(1))


def wait_until_no_connections(s, source="127.0.0.2"):
    """The start-up probes' connections have gone (ours is the only one)."""
    deadline = time.time() + 5
    while time.time() < deadline:
        text = metrics_from(source, s.port)
        if re.search(r"^isacd_connections_open 1$", text, re.M):
            return
        time.sleep(0.05)
    raise AssertionError("connections stayed open")


def refused_body(sock):
    data = b""
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            data += b
    except ConnectionResetError:
        pass
    return data


def test_one_address_at_its_cap_leaves_the_others_served(start_server):
    s = start_server(ISACD_MAX_CONNS_PER_IP=8, ISACD_HEADER_TIMEOUT_S=60)
    wait_until_no_connections(s)
    held = []
    try:
        # slowloris from 127.0.0.1: heads that never end, up to the cap
        for _ in range(8):
            c = connect_from("127.0.0.1", s.port)
            c.sendall(PARTIAL_HEAD)
            held.append(c)
        time.sleep(0.2)
        ninth = connect_from("127.0.0.1", s.port)
        try:
            data = refused_body(ninth)
        finally:
            ninth.close()
        assert data.startswith(b"HTTP/1.1 503 "), data
        assert b"too many connections from your address" in data, data
        assert b"Retry-After: 1" in data
        # another address is served at once, again and again
        for _ in range(3):
            assert get_from("127.0.0.2", s.port)[0] == 200
        text = metrics_from("127.0.0.2", s.port)
        assert counter(text, "isacd_connections_refused_total", "per_ip") == 1
        assert counter(text, "isacd_connections_refused_total", "max_conns") == 0
        # a slot freed at the cap is usable again by that address
        held.pop().close()
        deadline = time.time() + 3
        while True:
            try:
                if get_from("127.0.0.1", s.port)[0] == 200:
                    break
            except (EOFError, OSError):
                pass
            assert time.time() < deadline, "the freed slot was never reusable"
            time.sleep(0.05)
    finally:
        for c in held:
            c.close()
    assert "ISACD_MAX_CONNS_PER_IP reached, last from 127.0.0.1" in s.logs()


def test_refusals_are_logged_once_a_second_with_their_count(start_server):
    s = start_server(ISACD_MAX_CONNS_PER_IP=2, ISACD_HEADER_TIMEOUT_S=60)
    wait_until_no_connections(s)
    held = [connect_from("127.0.0.1", s.port) for _ in range(2)]
    try:
        for c in held:
            c.sendall(PARTIAL_HEAD)
        time.sleep(0.2)
        t0 = time.time()
        for _ in range(40):
            c = connect_from("127.0.0.1", s.port)
            refused_body(c)
            c.close()
        spent = time.time() - t0
        time.sleep(1.5)  # the pending count is written within a second
        text = metrics_from("127.0.0.2", s.port)
        assert counter(text, "isacd_connections_refused_total", "per_ip") == 40
    finally:
        for c in held:
            c.close()
    lines = [line for line in s.log_lines()
             if "ISACD_MAX_CONNS_PER_IP" in line.get("msg", "")]
    counts = [int(re.match(r"(\d+) connections? refused", line["msg"]).group(1))
              for line in lines]
    assert sum(counts) == 40, lines
    assert all(line["level"] == "warn" for line in lines)
    # at most one line per second of refusals, plus the one that flushes the rest
    assert len(lines) <= int(spent) + 2, (spent, lines)


def start_slow_reader(port, requests_n=1000, rcvbuf=4096, small_segments=True):
    """Pipeline many /metrics requests over a small receive window; read
    nothing yet.  Returns the socket."""
    c = connect_from("127.0.0.1", port, timeout=10, rcvbuf=rcvbuf,
                     small_segments=small_segments)
    c.sendall(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n" * requests_n)
    return c


@pytest.mark.parametrize("where", ["our buffer", "the kernel's buffer"])
def test_a_trickling_reader_is_cut_within_the_window(start_server, where):
    """Slow read (slowhttptest -X): the unread output waits in isacd's own
    buffer, or (a few responses over loopback's large segments) entirely in
    the kernel's send buffer, where only SIOCOUTQ sees it."""
    s = start_server(ISACD_MIN_SEND_RATE=4096, ISACD_SEND_WINDOW_S=1,
                     ISACD_WRITE_TIMEOUT_S=600)
    if where == "our buffer":
        slow = start_slow_reader(s.port)
    else:
        slow = start_slow_reader(s.port, requests_n=20, small_segments=False)
    t0 = time.monotonic()
    cut_after = None
    served = []
    got = 0
    try:
        # 32 bytes every 0.25 s: the reader is alive, but far below 4 KiB/s
        while time.monotonic() - t0 < 10:
            got += len(slow.recv(32))
            # a normal client, meanwhile, is served at once
            r = requests.get(s.url + "/metrics", timeout=2)
            served.append(r.status_code)
            if counter(r.text, "isacd_connections_cut_total", "slow_reader"):
                cut_after = time.monotonic() - t0
                break
            time.sleep(0.25)
        assert cut_after is not None, "the slow reader was never cut off"
        # the first whole window with too little read ends it: 1-2 s, not 10
        assert cut_after < 4, cut_after
        # it was reset: what is left is what its own buffer held, then the end
        slow.settimeout(2)
        try:
            while True:
                b = slow.recv(65536)
                if not b:
                    break
                got += len(b)
        except ConnectionResetError:
            pass
    finally:
        slow.close()
    assert got < 100 * 3000, got  # of ~1000 responses of ~3.7 KB each
    assert served and all(code == 200 for code in served), served
    deadline = time.time() + 3
    while "read below ISACD_MIN_SEND_RATE, last 127.0.0.1" not in s.logs():
        assert time.time() < deadline, s.logs()[-2000:]
        time.sleep(0.1)


def test_a_reader_that_keeps_up_is_never_cut(start_server):
    s = start_server(ISACD_MIN_SEND_RATE=4096, ISACD_SEND_WINDOW_S=1)
    c = start_slow_reader(s.port)
    got = 0
    buf = b""
    try:
        for _ in range(1000):
            status, _, _, buf = read_response(c, buf=buf)
            assert status == 200
            got += 1
    finally:
        c.close()
    assert got == 1000
    text = requests.get(s.url + "/metrics", timeout=2).text
    assert counter(text, "isacd_connections_cut_total", "slow_reader") == 0


def test_the_rate_check_can_be_turned_off(start_server):
    s = start_server(ISACD_MIN_SEND_RATE=0, ISACD_SEND_WINDOW_S=1)
    slow = start_slow_reader(s.port)
    try:
        time.sleep(2.5)  # more than two windows without reading
        assert slow.recv(32)  # still connected, still receiving
    finally:
        slow.close()
    text = requests.get(s.url + "/metrics", timeout=2).text
    assert counter(text, "isacd_connections_cut_total", "slow_reader") == 0
