"""TLS: 1.2 and 1.3 only, HSTS on every answer, plain HTTP refused."""

import json
import os
import socket
import ssl
import time

import pytest

from conftest import Server, raw_http

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:Unverified HTTPS request")]


@pytest.fixture(scope="module")
def tls_server(pg, cert):
    s = Server(pg, tls=cert, wait_ready=False)
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()


def client_ctx(cert, lo, hi):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert)  # the server must present our certificate
    ctx.minimum_version = lo
    ctx.maximum_version = hi
    return ctx


def https_get(port, ctx, path="/healthz"):
    """GET over TLS; returns (tls version, status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                       % path).encode())
            data = b""
            while True:
                try:
                    b = s.recv(65536)
                except (ssl.SSLZeroReturnError, ConnectionResetError):
                    break
                if not b:
                    break
                data += b
            version = s.version()
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip()
               for k, v in (line.split(":", 1) for line in lines[1:])}
    return version, int(lines[0].split(" ")[1]), headers, body


@pytest.mark.parametrize("version,name", [
    (ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
    (ssl.TLSVersion.TLSv1_3, "TLSv1.3"),
])
def test_healthz_over_modern_tls(tls_server, cert, version, name):
    got, status, headers, body = https_get(tls_server.port,
                                           client_ctx(cert[0], version, version))
    assert got == name
    assert status == 200
    assert json.loads(body) == {"status": "ok"}


def test_tls12_uses_a_forward_secret_aead_cipher(tls_server, cert):
    ctx = client_ctx(cert[0], ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            cipher = s.cipher()[0]
    assert cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher), cipher


def test_tls12_refuses_cbc_only_client(tls_server, cert):
    ctx = client_ctx(cert[0], ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_2)
    ctx.set_ciphers("AES128-SHA:AES256-SHA:ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1])
def test_old_tls_versions_are_refused(tls_server, cert, version):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.minimum_version = version
    ctx.maximum_version = version
    with pytest.raises((ssl.SSLError, ConnectionResetError)) as exc:
        with socket.create_connection(("127.0.0.1", tls_server.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1"):
                pass
    # the client did offer the old version; the server refused it
    assert "NO_PROTOCOLS_AVAILABLE" not in str(exc.value), exc.value


def test_responses_carry_hsts(tls_server, cert):
    ctx = client_ctx(cert[0], ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    for path, status in (("/healthz", 200), ("/api/v1/nothing", 404), ("/api/v1/me", 401)):
        _, got, headers, _ = https_get(tls_server.port, ctx, path)
        assert got == status
        hsts = headers.get("strict-transport-security", "")
        assert hsts.startswith("max-age="), headers
        assert int(hsts.split("=", 1)[1].split(";")[0]) >= 31536000


def test_requests_client_works_over_tls(tls_server, cert):
    r = tls_server.get("/readyz", verify=cert[0])
    assert r.status_code == 200
    assert r.json()["status"] == "ready"
    assert "Strict-Transport-Security" in r.headers


def test_plain_http_to_tls_port_gets_no_answer(tls_server, cert):
    t0 = time.monotonic()
    try:
        data = raw_http(tls_server.port,
                        b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout=5)
    except ConnectionResetError:
        data = b""  # refused by a reset: fine
    assert b" 200 " not in data and b'"ok"' not in data, data
    assert time.monotonic() - t0 < 5, "plain-HTTP connection left hanging"
    # and the TLS side is not disturbed
    ctx = client_ctx(cert[0], ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3)
    assert https_get(tls_server.port, ctx)[1] == 200


def test_plain_server_sends_no_hsts(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert "Strict-Transport-Security" not in r.headers


def test_stalled_handshake_is_cut_off_by_header_timeout(start_server, cert):
    s = start_server(tls=cert, wait_ready=False, ISACD_HEADER_TIMEOUT_S=1)
    c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        t0 = time.monotonic()
        try:
            b = c.recv(1024)
        except ConnectionResetError:
            b = b""
        assert b == b""
        assert time.monotonic() - t0 <= 3.0
    finally:
        c.close()
