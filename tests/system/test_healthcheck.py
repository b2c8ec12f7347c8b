"""`isacd healthcheck`: the container's probe (the Debian slim image has no
HTTP client).  It asks the isacd configured by the same ISACD_* variables
for GET /readyz and exits 0 only on a 200: a server without its database
is alive (/healthz) but not ready; nothing listening is a clear failure;
a wildcard ISACD_LISTEN means this host; TLS is spoken when configured."""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import ISACD, TOTP_KEY, Server, free_port


def healthcheck(env, *args, **overrides):
    e = dict(env)
    e.update(overrides)
    return subprocess.run([ISACD, "healthcheck"] + list(args), env=e, capture_output=True,
                          text=True, timeout=30)


def test_a_ready_server_is_healthy(server):
    out = healthcheck(server.env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "127.0.0.1:%d/readyz: HTTP/1.1 200 OK" % server.port
    # the container publishes 0.0.0.0: that means this host
    out = healthcheck(server.env, ISACD_LISTEN="0.0.0.0:%d" % server.port)
    assert out.returncode == 0, out.stderr


def test_nothing_listening_is_unhealthy_with_one_line():
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISACD_")}
    out = healthcheck(env, ISACD_LISTEN="127.0.0.1:%d" % port)
    assert out.returncode == 1
    assert out.stderr.strip() == \
        "isacd healthcheck: 127.0.0.1:%d: cannot connect: Connection refused" % port
    assert out.stdout == ""


def test_a_server_without_its_database_is_alive_but_not_ready():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISACD_")}
    env.update({"ISACD_DATABASE_URL": "host=127.0.0.1 port=1 dbname=none",
                "ISACD_LISTEN": "127.0.0.1:%d" % free_port(),
                "ISACD_TOTP_KEY": TOTP_KEY})
    proc = subprocess.Popen([ISACD, "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while healthcheck(env, "--path", "/healthz").returncode != 0:
            assert time.time() < deadline, "isacd never answered /healthz"
            time.sleep(0.1)
        out = healthcheck(env)
        assert out.returncode == 1
        assert out.stdout.strip().endswith("/readyz: HTTP/1.1 503 Service Unavailable"), out
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


@pytest.mark.parametrize("args", [["--bogus"], ["--path"], ["--path", "readyz"],
                                  ["--timeout", "0"], ["--timeout", "x"]])
def test_bad_options_are_usage_errors(args):
    out = subprocess.run([ISACD, "healthcheck"] + args, capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 2, out
    assert len(out.stderr.strip().splitlines()) == 1


@pytest.fixture
def cert():
    d = tempfile.mkdtemp(prefix="isacd-tls-")
    crt, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=isacd.example"],
                   check=True, capture_output=True)
    yield crt, key
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_over_tls_when_isacd_serves_tls(pg, cert):
    s = Server(pg, tls=cert, wait_ready=False)
    try:
        s.wait_ready()
        out = healthcheck(s.env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().endswith("/readyz: HTTP/1.1 200 OK")
    finally:
        s.stop()
