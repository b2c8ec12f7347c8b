"""The client's address behind a load balancer (ISACD_TRUSTED_PROXIES).

A raw socket from 127.0.0.1 plays haproxy: it opens a connection, sends a
PROXY protocol header (version 2 binary, or version 1 text) naming the client,
then the client's HTTP.  The client's address is then the one the audit log
records for a login (audit_log.ip), the one login throttling counts
(ISACD_LOGIN_MAX_IP), and the one whose per-address connection cap
(ISACD_MAX_CONNS_PER_IP) applies.  X-Forwarded-For names the client on
connections from a trusted proxy: its rightmost entry that is not itself a
trusted proxy.  From anywhere else neither is believed: a PROXY header is
bytes of a bad HTTP request (400), and X-Forwarded-For is ignored.
"""

import json
import signal
import socket
import ssl
import struct
import subprocess
import time

import pytest

from conftest import ISACD, Server, create_user, unique_email
from rawhttp import read_response, wait_closed

CLIENT = "203.0.113.7"
OTHER = "198.51.100.9"
SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def pp2(src, dst=None, sport=40000, dport=443, tlvs=b""):
    """A PROXY v2 header for a TCP connection from src."""
    dst = dst or ("::1" if ":" in src else "127.0.0.1")
    if ":" in src:
        fam = 0x21
        block = (socket.inet_pton(socket.AF_INET6, src) +
                 socket.inet_pton(socket.AF_INET6, dst) + struct.pack("!HH", sport, dport))
    else:
        fam = 0x11
        block = (socket.inet_aton(src) + socket.inet_aton(dst) +
                 struct.pack("!HH", sport, dport))
    block += tlvs
    return SIG + bytes([0x21, fam]) + struct.pack("!H", len(block)) + block


def pp2_local():
    """What haproxy sends on a health check: the LOCAL command."""
    return SIG + b"\x20\x00\x00\x00"


def pp1(src, dst=None):
    dst = dst or ("::1" if ":" in src else "127.0.0.1")
    proto = "TCP6" if ":" in src else "TCP4"
    return ("PROXY %s %s %s 40000 443\r\n" % (proto, src, dst)).encode()


def http_get(path="/healthz", headers=""):
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n"
            % (path, headers)).encode()


def http_login(email, password, headers=""):
    body = json.dumps({"email": email, "password": password})
    return ("POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n%s"
            "Connection: close\r\n\r\n%s" % (len(body), headers, body)).encode()


def exchange(port, data, source="127.0.0.1"):
    """Send data on a new connection from source; the response's status."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(data)
        return read_response(s)[0]
    finally:
        s.close()


def closed_silently(port, data, within=5):
    """The server closes a connection that sent data, answering nothing."""
    s = socket.create_connection(("127.0.0.1", port), timeout=within)
    try:
        s.sendall(data)
        got = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except ConnectionResetError:
            pass
        return got == b""
    finally:
        s.close()


def wait_for_log(server, text, seconds=3):
    """Log lines are written from the loop a moment after the event."""
    deadline = time.time() + seconds
    while text not in server.logs():
        assert time.time() < deadline, "not logged: " + text
        time.sleep(0.05)


def login_ips(server, user_id):
    rows = server.sql("SELECT host(ip) FROM audit_log WHERE actor_id = %s"
                      " AND action = 'login' ORDER BY id", (user_id,))
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def proxied(pg):
    """A server that trusts the proxy on 127.0.0.1."""
    s = Server(pg, ISACD_TRUSTED_PROXIES="127.0.0.1")
    yield s
    s.stop()


# ---- PROXY protocol -----------------------------------------------------

def test_a_proxy_v2_client_logs_in_as_itself(proxied):
    acct = create_user(proxied)
    assert exchange(proxied.port, pp2(CLIENT) + http_login(acct["email"], acct["password"])) == 200
    assert exchange(proxied.port, pp2("2001:db8::7") +
                    http_login(acct["email"], acct["password"])) == 200
    assert login_ips(proxied, acct["id"]) == [CLIENT, "2001:db8::7"]


def test_a_proxy_v1_line_names_the_client_too(proxied):
    acct = create_user(proxied)
    for src in (CLIENT, "2001:db8::7"):
        assert exchange(proxied.port, pp1(src) + http_login(acct["email"], acct["password"])) == 200
    assert login_ips(proxied, acct["id"]) == [CLIENT, "2001:db8::7"]


def test_tlvs_after_the_addresses_are_skipped(proxied):
    acct = create_user(proxied)
    alpn = b"\x01" + struct.pack("!H", 8) + b"http/1.1"
    noop = b"\x04" + struct.pack("!H", 3) + b"\x00\x00\x00"
    data = pp2(CLIENT, tlvs=alpn + noop) + http_login(acct["email"], acct["password"])
    assert exchange(proxied.port, data) == 200
    assert login_ips(proxied, acct["id"]) == [CLIENT]


def test_login_throttling_counts_the_proxied_client(start_server):
    s = start_server(ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_LOGIN_MAX_IP=3,
                     ISACD_LOGIN_WINDOW_S=60)
    acct = create_user(s)
    # three failures from CLIENT, each for another address book entry
    for _ in range(3):
        assert exchange(s.port, pp2(CLIENT) +
                        http_login(unique_email("spray"), "Wrong-Password-1")) == 401
    # CLIENT is now throttled, whatever it tries
    assert exchange(s.port, pp2(CLIENT) + http_login(acct["email"], acct["password"])) == 429
    # another client behind the same proxy is not, nor the proxy's own address
    assert exchange(s.port, pp2(OTHER) + http_login(acct["email"], acct["password"])) == 200
    assert exchange(s.port, http_login(acct["email"], acct["password"])) == 200
    assert login_ips(s, acct["id"]) == [OTHER, "127.0.0.1"]
    failed = s.sql("SELECT DISTINCT host(ip) FROM audit_log WHERE action = 'login_failed'")
    assert failed == [(CLIENT,)]


def test_the_per_address_cap_applies_to_the_proxied_client(start_server):
    s = start_server(ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_MAX_CONNS_PER_IP=4,
                     ISACD_HEADER_TIMEOUT_S=60)
    held = []
    try:
        # CLIENT holds its four connections through the proxy, heads unfinished
        for _ in range(4):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(pp2(CLIENT) + b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
            held.append(c)
        time.sleep(0.3)
        # its fifth is refused with the canned 503 ...
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            c.sendall(pp2(CLIENT) + http_get())
            status, headers, body, _ = read_response(c)
        finally:
            c.close()
        assert status == 503 and b"too many connections from your address" in body
        # ... while another client behind the same proxy is served, again and
        # again, and so is the proxy itself: CLIENT's connections gave the
        # proxy's slots back, so 127.0.0.1 is far from its cap of four
        for _ in range(5):
            assert exchange(s.port, pp2(OTHER) + http_get()) == 200
            assert exchange(s.port, http_get()) == 200
        metrics = s.get("/metrics").text
        assert 'isacd_connections_refused_total{reason="per_ip"} 1' in metrics
        # a slot CLIENT frees is CLIENT's again
        held.pop().close()
        deadline = time.time() + 3
        while exchange(s.port, pp2(CLIENT) + http_get()) != 200:
            assert time.time() < deadline, "the freed slot was never reusable"
            time.sleep(0.05)
    finally:
        for c in held:
            c.close()
    wait_for_log(s, "ISACD_MAX_CONNS_PER_IP reached, last from %s" % CLIENT)


def test_a_local_header_is_a_health_check_of_the_proxy(proxied):
    assert exchange(proxied.port, pp2_local() + http_get()) == 200
    # its address is the proxy's own
    acct = create_user(proxied)
    assert exchange(proxied.port, pp2_local() + http_login(acct["email"], acct["password"])) == 200
    assert exchange(proxied.port, b"PROXY UNKNOWN\r\n" +
                    http_login(acct["email"], acct["password"])) == 200
    assert login_ips(proxied, acct["id"]) == ["127.0.0.1", "127.0.0.1"]


def test_a_trusted_proxy_may_send_no_header(proxied):
    # haproxy's plain health check, or a proxy that speaks only HTTP
    assert exchange(proxied.port, http_get()) == 200
    # empty lines before a request look like the start of the signature
    assert exchange(proxied.port, b"\r\n" + http_get()) == 200
    # bytes that only begin like a signature are HTTP's to judge
    assert exchange(proxied.port, SIG[:11] + b"X" + http_get()) == 400
    assert exchange(proxied.port, b"PROXZ " + http_get()) == 400


def test_a_header_split_over_segments_is_read_whole(proxied):
    acct = create_user(proxied)
    data = pp2(CLIENT) + http_login(acct["email"], acct["password"])
    c = socket.create_connection(("127.0.0.1", proxied.port), timeout=5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for cut in (3, 12, 15, 20):
            c.sendall(data[:cut])
            data = data[cut:]
            time.sleep(0.1)
        c.sendall(data)
        assert read_response(c)[0] == 200
    finally:
        c.close()
    assert login_ips(proxied, acct["id"]) == [CLIENT]


def test_empty_lines_sent_alone_are_given_back_to_http(proxied):
    # "\r\n\r\n" alone could be the start of a header: isacd takes it off
    # the socket to wait for more, then hands it to HTTP, which skips it
    c = socket.create_connection(("127.0.0.1", proxied.port), timeout=5)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        c.sendall(b"\r\n\r\n")
        time.sleep(0.2)
        c.sendall(http_get())
        assert read_response(c)[0] == 200
    finally:
        c.close()


@pytest.mark.parametrize("header", [
    SIG + b"\x31\x11\x00\x0c" + bytes(12),          # version 3
    SIG + b"\x22\x11\x00\x0c" + bytes(12),          # command 2
    SIG + b"\x21\x41\x00\x0c" + bytes(12),          # address family 4
    SIG + b"\x21\x13\x00\x0c" + bytes(12),          # transport 3
    SIG + b"\x21\x11\x00\x04" + bytes(4),           # IPv4 block too short
    SIG + b"\x21\x21\x00\x0c" + bytes(12),          # IPv6 block too short
    SIG + b"\x21\x11\x10\x01",                      # block over 4 KiB
    b"PROXY TCP4 203.0.113.7 127.0.0.1 40000\r\n",  # a field missing
    b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 0443\r\n",  # leading zero
    b"PROXY TCP4 2001:db8::7 127.0.0.1 40000 443\r\n",   # wrong family
    b"PROXY TCP4 203.0.113.7  127.0.0.1 40000 443\r\n",  # two spaces
    b"PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\n",     # bare LF
    b"PROXY TCP5 203.0.113.7 127.0.0.1 40000 443\r\n",
    b"PROXY " + b"1" * 120 + b"\r\n",                     # over 107 bytes
], ids=lambda h: h[:24].hex())
def test_a_malformed_header_from_a_trusted_proxy_closes_the_connection(proxied, header):
    assert closed_silently(proxied.port, header + http_get())
    wait_for_log(proxied, "closed a connection from trusted proxy 127.0.0.1")
    assert exchange(proxied.port, pp2(CLIENT) + http_get()) == 200


def test_an_unfinished_header_is_dropped_at_the_header_deadline(start_server):
    s = start_server(ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_HEADER_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        c.sendall(pp2(CLIENT)[:20])
        took = wait_closed(c, 5)
    finally:
        c.close()
    assert took is not None and took < 3, took
    wait_for_log(s, "PROXY header was not finished")


def test_shutdown_does_not_wait_for_a_silent_proxy_connection(start_server):
    s = start_server(ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_HEADER_TIMEOUT_S=30,
                     ISACD_SHUTDOWN_TIMEOUT_S=30)
    silent = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        time.sleep(0.2)
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        s.proc.wait(timeout=10)
        assert time.monotonic() - t0 < 3
        assert s.proc.returncode == 0
        assert wait_closed(silent, 2) is not None
    finally:
        silent.close()


# ---- X-Forwarded-For ----------------------------------------------------

def login_with_xff(server, acct, *values, prefix=b""):
    headers = "".join("X-Forwarded-For: %s\r\n" % v for v in values)
    return exchange(server.port, prefix + http_login(acct["email"], acct["password"], headers))


def test_x_forwarded_for_from_the_trusted_proxy_names_the_client(proxied):
    acct = create_user(proxied)
    assert login_with_xff(proxied, acct, CLIENT) == 200
    assert login_with_xff(proxied, acct, "[2001:db8::7]:51000") == 200
    assert login_ips(proxied, acct["id"]) == [CLIENT, "2001:db8::7"]


def test_a_forged_left_hand_entry_is_not_believed(start_server):
    s = start_server(ISACD_TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    acct = create_user(s)
    # the client wrote 6.6.6.6; the proxy appended the address it saw
    assert login_with_xff(s, acct, "6.6.6.6, " + CLIENT) == 200
    # a chain of trusted proxies is walked through, fields in order
    assert login_with_xff(s, acct, "6.6.6.6, " + CLIENT + ", 10.1.2.3") == 200
    assert login_with_xff(s, acct, "6.6.6.6", CLIENT + ", 10.1.2.3") == 200
    # an entry that is no address stops the walk: the proxy's own counts
    assert login_with_xff(s, acct, "6.6.6.6, unknown, 10.1.2.3") == 200
    assert login_ips(s, acct["id"]) == [CLIENT, CLIENT, CLIENT, "127.0.0.1"]


def test_x_forwarded_for_cannot_override_a_proxy_header(proxied):
    # the PROXY header named an untrusted client: what it writes is its own
    acct = create_user(proxied)
    assert login_with_xff(proxied, acct, "6.6.6.6", prefix=pp2(CLIENT)) == 200
    assert login_ips(proxied, acct["id"]) == [CLIENT]


# ---- nobody else is believed --------------------------------------------

@pytest.mark.parametrize("trusted", ["", "192.0.2.1, 2001:db8::/32"])
def test_a_client_elsewhere_cannot_forge_its_address(start_server, trusted):
    s = start_server(ISACD_TRUSTED_PROXIES=trusted, ISACD_LOGIN_MAX_IP=3,
                     ISACD_LOGIN_WINDOW_S=60)
    acct = create_user(s)
    # a PROXY header is only bytes of a bad HTTP request
    assert exchange(s.port, pp2(CLIENT) + http_get()) == 400
    assert exchange(s.port, pp1(CLIENT) + http_get()) == 400
    assert exchange(s.port, pp2(CLIENT) + http_login(acct["email"], acct["password"])) == 400
    # X-Forwarded-For is ignored: the client is 127.0.0.1 ...
    assert login_with_xff(s, acct, CLIENT) == 200
    assert login_ips(s, acct["id"]) == ["127.0.0.1"]
    # ... and cannot dodge its throttle by claiming other addresses
    for i in range(3):
        r = exchange(s.port, http_login(unique_email("spray"), "Wrong-Password-1",
                                        "X-Forwarded-For: 198.51.100.%d\r\n" % i))
        assert r == 401
    assert login_with_xff(s, acct, OTHER) == 429


# ---- TLS ----------------------------------------------------------------

def tls_exchange(port, cert, header, request):
    ctx = ssl.create_default_context(cafile=cert)
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        raw.sendall(header)
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(request)
            return read_response(s)[0]
    finally:
        raw.close()


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_the_header_comes_before_tls(start_server, cert):
    s = start_server(tls=cert, ISACD_TRUSTED_PROXIES="127.0.0.1")
    acct = create_user(s)
    login = http_login(acct["email"], acct["password"])
    assert tls_exchange(s.port, cert[0], pp2(CLIENT), login) == 200
    assert tls_exchange(s.port, cert[0], pp1(OTHER), login) == 200
    assert tls_exchange(s.port, cert[0], pp2_local(), login) == 200
    assert tls_exchange(s.port, cert[0], b"", login) == 200   # no header
    assert login_ips(s, acct["id"]) == [CLIENT, OTHER, "127.0.0.1", "127.0.0.1"]


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_an_untrusting_tls_server_reads_a_header_as_a_bad_handshake(start_server, cert):
    s = start_server(tls=cert)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        tls_exchange(s.port, cert[0], pp2(CLIENT), http_get())
    assert tls_exchange(s.port, cert[0], b"", http_get()) == 200


# ---- the setting --------------------------------------------------------

@pytest.mark.parametrize("value", ["10.0.0.1/8", "localhost", "10.0.0.0/33",
                                   "127.0.0.1,", "2001:db8::/129", "1.2.3.4/08",
                                   "fe80::1%eth0"])
def test_a_bad_trusted_proxies_value_stops_start_up(value):
    out = subprocess.run([ISACD, "serve"], capture_output=True, text=True, timeout=20,
                         env={"ISACD_TRUSTED_PROXIES": value,
                              "ISACD_DATABASE_URL": "host=/nonexistent-isacd-test port=1"})
    assert out.returncode == 2, out
    assert "ISACD_TRUSTED_PROXIES" in out.stderr
