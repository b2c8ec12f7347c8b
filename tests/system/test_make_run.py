"""`make run` as a newcomer uses it, at a terminal: the first run creates the
embedded PostgreSQL, migrates, prints a demo staff account that can log in
and where to sign in, and serves; Ctrl-C stops isacd and PostgreSQL and make
exits 0 (no "Error 130"); the second run reuses the data.  A second make run
while the first runs says so and leaves the first alone; a second checkout
finds the ports taken and takes others; a first run that stopped half-way
is made again by the next.  The data folders are temporary ones
(ISACD_RUN_DIR, or a copy of the checkout's tools/run.sh in a temporary
folder, whose var/ is its own)."""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import tempfile
import termios
import time

import pytest
import requests

from conftest import ISACD, ROOT, free_port

# runs make in this checkout: never beside another file that does (conftest.py)
pytestmark = pytest.mark.xdist_group("make")


class Terminal:
    """`make run` on a pseudo-terminal, as a person starts it."""

    def __init__(self, env, argv=("make", "--no-print-directory", "run"), cwd=ROOT):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(list(argv), cwd=cwd,
                                     env=env, stdin=slave, stdout=slave, stderr=slave,
                                     preexec_fn=self._controlling_terminal)
        os.close(slave)
        self.out = b""

    @staticmethod
    def _controlling_terminal():
        # a session of its own whose controlling terminal is the pty: Ctrl-C
        # is SIGINT to the foreground process group the terminal driver picks
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    def read_until(self, pattern, timeout):
        deadline = time.time() + timeout
        while not re.search(pattern, self.out):
            left = deadline - time.time()
            assert left > 0, "no %r in:\n%s" % (pattern, self.out.decode(errors="replace"))
            r, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if r:
                try:
                    self.out += os.read(self.master, 65536)
                except OSError:
                    break
        return re.search(pattern, self.out)

    def ctrl_c(self):
        os.write(self.master, b"\x03")

    def wait(self, timeout):
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            try:
                while True:
                    r, _, _ = select.select([self.master], [], [], 0.2)
                    if not r:
                        break
                    self.out += os.read(self.master, 65536)
            except OSError:
                pass
        return code

    def text(self):
        return self.out.decode(errors="replace")

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        os.close(self.master)


SIGN_IN = rb"Open http://127\.0\.0\.1:(\d+)/ and sign in with the printed credentials\."
CREDENTIALS = rb"email: +(\S+)\s+password: +(\S+)"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ISACD_") and not k.startswith("PG")}
    env["ISACD_ARGON2_M_KIB"] = "19456"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def login(port, email, password):
    return requests.post("http://127.0.0.1:%d/api/v1/auth/login" % port, timeout=10,
                         json={"email": email, "password": password})


def stop_postgres(var):
    subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl",
                    "-D", os.path.join(var, "pg", "data"), "-m", "immediate", "stop"],
                   capture_output=True)


def temp_dir(prefix):
    tmp = tempfile.mkdtemp(prefix=prefix)
    os.chmod(tmp, 0o755)  # the postgres user passes through to var/pg
    return tmp


def test_make_run_serves_and_stops_cleanly_on_ctrl_c():
    tmp = temp_dir("isacd-makerun-")
    port, pg_port = free_port(), free_port()
    var = os.path.join(tmp, "var")
    env = clean_env(ISACD_RUN_DIR=var, ISACD_LISTEN="127.0.0.1:%d" % port,
                    ISACD_DEV_PG_PORT=pg_port)
    try:
        t = Terminal(env)
        try:
            m = t.read_until(CREDENTIALS, 120)
            email, password = m.group(1).decode(), m.group(2).decode()
            assert int(t.read_until(SIGN_IN, 10).group(1)) == port
            t.read_until(rb"listening on http://127\.0\.0\.1:%d" % port, 60)
            base = "http://127.0.0.1:%d" % port
            assert requests.get(base + "/readyz", timeout=5).status_code == 200
            r = login(port, email, password)
            assert r.status_code == 200, r.text
            assert r.json()["user"]["platform_role"] == "staff"

            # make run again, in another terminal, while this one runs:
            # it says where the first serves, and leaves it (and its
            # PostgreSQL) alone
            again = subprocess.run(["make", "--no-print-directory", "run"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=120)
            assert again.returncode != 0, again.stdout + again.stderr
            assert "make run is already running from this checkout, serving %s/" % base \
                in again.stderr, again.stderr
            assert "stopping PostgreSQL" not in again.stderr
            assert requests.get(base + "/readyz", timeout=5).status_code == 200
            assert login(port, email, password).status_code == 200

            t.ctrl_c()
            assert t.wait(30) == 0, t.text()
        finally:
            t.close()
        text = t.text()
        assert "stopping PostgreSQL" in text, text
        assert "Error" not in text and "Interrupt" not in text, text
        # ISACD_RUN_DIR and ISACD_DEV_PG_PORT are make run's, not isacd's
        assert "unknown setting" not in text, text
        with open(os.path.join(var, "demo-credentials.txt")) as f:
            assert email in f.read()
        # PostgreSQL is stopped: its port no longer answers
        pgdata = os.path.join(var, "pg", "data")
        assert not os.path.exists(os.path.join(pgdata, "postmaster.pid"))

        # the second run reuses the data and the account, shows how to sign
        # in again, and stops as cleanly
        t = Terminal(env)
        try:
            m = t.read_until(CREDENTIALS, 60)
            assert (m.group(1).decode(), m.group(2).decode()) == (email, password)
            t.read_until(SIGN_IN, 10)
            t.read_until(rb"listening on", 60)
            r = login(port, email, password)
            assert r.status_code == 200, r.text
            t.ctrl_c()
            assert t.wait(30) == 0, t.text()
        finally:
            t.close()
        assert "creating the PostgreSQL cluster" not in t.text()
    finally:
        stop_postgres(var)
        shutil.rmtree(tmp, ignore_errors=True)


def test_make_run_from_two_checkouts():
    """Checkout A runs (make run, ports left to their defaults but for the
    preferred PostgreSQL port, which the test picks).  Checkout B (run.sh
    copied into a folder of its own, run as make run runs it; its var/ is
    its own) is interrupted during its first run, which leaves var/ half
    made; its next run makes it again, finds A's ports taken, takes others,
    says so, and both serve side by side."""
    tmp = temp_dir("isacd-checkouts-")
    pg_port = free_port()
    var_a = os.path.join(tmp, "a-var")
    checkout_b = os.path.join(tmp, "b")
    var_b = os.path.join(checkout_b, "var")
    os.makedirs(os.path.join(checkout_b, "tools"))
    os.chmod(checkout_b, 0o755)
    shutil.copy2(os.path.join(ROOT, "tools", "run.sh"), os.path.join(checkout_b, "tools"))
    run_b = ["tools/run.sh", ISACD]
    env_a = clean_env(ISACD_RUN_DIR=var_a, ISACD_DEV_PG_PORT=pg_port)
    env_b = clean_env(ISACD_DEV_PG_PORT=pg_port)
    a = b = None
    try:
        a = Terminal(env_a)
        m = a.read_until(CREDENTIALS, 120)
        cred_a = m.group(1).decode(), m.group(2).decode()
        port_a = int(a.read_until(SIGN_IN, 10).group(1))
        a.read_until(rb"listening on", 60)
        assert login(port_a, *cred_a).status_code == 200

        # B's first run stops while initdb works (a closed terminal, a kill)
        b = Terminal(env_b, run_b, cwd=checkout_b)
        b.read_until(rb"creating the PostgreSQL cluster", 60)
        os.killpg(b.proc.pid, signal.SIGKILL)
        b.wait(10)
        b.close()
        time.sleep(1)
        assert os.path.exists(os.path.join(var_b, "pg-setup-incomplete"))
        assert not os.path.exists(os.path.join(var_b, "database-url"))

        b = Terminal(env_b, run_b, cwd=checkout_b)
        b.read_until(rb"left half-made by a make run that stopped early; making it again", 30)
        m = b.read_until(rb"port %d is taken \(another checkout's make run\?\); "
                         rb"PostgreSQL takes (\d+) \(kept in var/pg-port\)" % pg_port, 30)
        pg_port_b = int(m.group(1))
        m = b.read_until(CREDENTIALS, 120)
        cred_b = m.group(1).decode(), m.group(2).decode()
        port_b = int(b.read_until(SIGN_IN, 10).group(1))
        b.read_until(rb"listening on", 60)
        assert port_b != port_a and pg_port_b != pg_port
        if port_a == 8080:
            assert b"127.0.0.1:8080 is taken (another make run?); isacd takes 127.0.0.1:%d" \
                % port_b in b.out, b.text()
        with open(os.path.join(var_b, "pg-port")) as f:
            assert int(f.read()) == pg_port_b
        with open(os.path.join(var_b, "database-url")) as f:
            assert "@127.0.0.1:%d/" % pg_port_b in f.read()
        assert not os.path.exists(os.path.join(var_b, "pg-setup-incomplete"))
        # two instances, two databases: each knows its own account only
        assert login(port_b, *cred_b).status_code == 200
        assert login(port_a, *cred_a).status_code == 200
        assert login(port_a, cred_a[0], cred_b[1]).status_code == 401

        b.ctrl_c()
        assert b.wait(30) == 0, b.text()
        assert login(port_a, *cred_a).status_code == 200  # B stopped its own PostgreSQL only
        a.ctrl_c()
        assert a.wait(30) == 0, a.text()
    finally:
        for t in (a, b):
            if t is not None:
                try:
                    t.close()
                except OSError:
                    pass
        stop_postgres(var_a)
        stop_postgres(var_b)
        shutil.rmtree(tmp, ignore_errors=True)
