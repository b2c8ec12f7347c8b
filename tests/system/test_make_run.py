"""`make run` as a newcomer uses it, at a terminal: the first run creates the
embedded PostgreSQL, migrates, prints a demo staff account that can log in
and serves; Ctrl-C stops isacd and PostgreSQL and make exits 0 (no "Error
130"); the second run reuses the data.  The data folder and ports are moved
to temporary ones (ISACD_RUN_DIR, ISACD_LISTEN, ISACD_DEV_PG_PORT)."""

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

from conftest import ROOT, free_port

# runs make in this checkout: never beside another file that does (conftest.py)
pytestmark = pytest.mark.xdist_group("make")


class Terminal:
    """`make run` on a pseudo-terminal, as a person starts it."""

    def __init__(self, env):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT,
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

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        os.close(self.master)


def test_make_run_serves_and_stops_cleanly_on_ctrl_c():
    tmp = tempfile.mkdtemp(prefix="isacd-makerun-")
    os.chmod(tmp, 0o755)
    port, pg_port = free_port(), free_port()
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("ISACD_") or k.startswith("PG"):
            del env[k]
    env.update({"ISACD_RUN_DIR": os.path.join(tmp, "var"),
                "ISACD_LISTEN": "127.0.0.1:%d" % port,
                "ISACD_DEV_PG_PORT": str(pg_port),
                "ISACD_ARGON2_M_KIB": "19456"})
    try:
        t = Terminal(env)
        try:
            m = t.read_until(rb"email: +(\S+)\s+password: +(\S+)", 120)
            email, password = m.group(1).decode(), m.group(2).decode()
            t.read_until(rb"listening on http://127\.0\.0\.1:%d" % port, 60)
            base = "http://127.0.0.1:%d" % port
            assert requests.get(base + "/readyz", timeout=5).status_code == 200
            r = requests.post(base + "/api/v1/auth/login", timeout=10,
                              json={"email": email, "password": password})
            assert r.status_code == 200, r.text
            assert r.json()["user"]["platform_role"] == "staff"
            t.ctrl_c()
            assert t.wait(30) == 0, t.out.decode(errors="replace")
        finally:
            t.close()
        text = t.out.decode(errors="replace")
        assert "stopping PostgreSQL" in text, text
        assert "Error" not in text and "Interrupt" not in text, text
        with open(os.path.join(tmp, "var", "demo-credentials.txt")) as f:
            assert email in f.read()
        # PostgreSQL is stopped: its port no longer answers
        pgdata = os.path.join(tmp, "var", "pg", "data")
        assert not os.path.exists(os.path.join(pgdata, "postmaster.pid"))

        # the second run reuses the data and the account, and stops as cleanly
        t = Terminal(env)
        try:
            t.read_until(rb"demo staff account: see", 60)
            t.read_until(rb"listening on", 60)
            r = requests.post("http://127.0.0.1:%d/api/v1/auth/login" % port, timeout=10,
                              json={"email": email, "password": password})
            assert r.status_code == 200, r.text
            t.ctrl_c()
            assert t.wait(30) == 0, t.out.decode(errors="replace")
        finally:
            t.close()
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", "/usr/lib/postgresql/15/bin/pg_ctl",
                        "-D", os.path.join(tmp, "var", "pg", "data"), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
