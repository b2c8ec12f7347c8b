"""tools/isacd-listen, the realtime client of the README, against a real
server: it prints each event on one line; when the network between it and
the server fails it connects again and prints what it missed, once, in
order (`since`); Ctrl-C ends it with 0, a refused credential with 1.

The network that fails is a TCP relay in this file: it can cut every
connection through it (a reset, as a dropped NAT entry or a dead link
looks) and refuse new ones until it is restored.
"""

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time

from community_helpers import add_member, new_channel, new_community, platform_account
from conftest import ROOT
from post_helpers import create_post
import pytest

# deadlines and delivery within a second: not beside another such file
pytestmark = pytest.mark.xdist_group("timing")

LISTEN = os.path.join(ROOT, "tools", "isacd-listen")
LINE = re.compile(r"^\d\d:\d\d:\d\d (\S+) (\S+)(?: (.*))?$")


class Relay:
    """127.0.0.1:port -> the server, with a switch."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.up = True
        self.lock = threading.Lock()
        self.open = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                if not self.up:
                    self._reset(c)
                    continue
                u = socket.create_connection(("127.0.0.1", self.target))
                self.open += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    @staticmethod
    def _reset(s):
        """Close with a reset; shutting the reading side first wakes the
        pump blocked in recv (a bare close would not, and the socket would
        live on)."""
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        try:
            s.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        s.close()

    def cut(self):
        with self.lock:
            self.up = False
            for s in self.open:
                try:
                    self._reset(s)
                except OSError:
                    pass
            self.open = []

    def restore(self):
        with self.lock:
            self.up = True

    def close(self):
        self.cut()
        self.sock.close()


class Listener:
    """tools/isacd-listen as a process, its lines in a queue."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen([LISTEN, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=dict(os.environ, **(env or {})))
        self.lines = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(x.rstrip("\n"))
                                         for x in self.proc.stdout], daemon=True).start()

    def line(self, timeout=15):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("isacd-listen printed nothing more:\n" + self.proc.stderr.read())

    def event(self, timeout=15):
        """The next line, parsed: (event, seq, what)."""
        line = self.line(timeout)
        m = LINE.match(line)
        assert m and m.group(1) != "subscribed", line
        return m.group(1), int(m.group(2)), m.group(3)

    def interrupt(self):
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(10)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def world(server):
    staff = platform_account(server, role="staff")
    community, owner = new_community(server, staff["token"])
    member = add_member(server, community["id"], owner["token"], owner["org_id"])
    channel = new_channel(server, community["id"], owner["token"])["id"]
    return owner, member, channel


def test_the_listener_prints_what_it_missed_when_the_network_comes_back(server):
    owner, member, channel = world(server)
    relay = Relay(server.port)
    # the token from the environment, as the README's block passes it
    lst = Listener("--url", "http://127.0.0.1:%d" % relay.port, channel,
                   env={"ISACD_TOKEN": member["token"]})
    try:
        assert re.match(r"^\d\d:\d\d:\d\d subscribed 1 channel %s$" % channel, lst.line())
        create_post(server, owner["token"], channel, "Before the cut")
        kind, seq_a, title = lst.event()
        assert (kind, title) == ("post.created", "Before the cut")

        relay.cut()
        missed = ["While cut %d" % i for i in range(3)]
        for title in missed:
            create_post(server, owner["token"], channel, title)
        time.sleep(1.5)  # it tries again meanwhile, and is refused
        relay.restore()
        assert re.match(r"^\d\d:\d\d:\d\d subscribed 1 channel", lst.line(timeout=20))
        create_post(server, owner["token"], channel, "After the cut")
        got = [lst.event() for _ in range(4)]
        assert [t for _, _, t in got] == missed + ["After the cut"], got
        seqs = [s for _, s, _ in got]
        assert seqs == sorted(seqs) and seqs[0] > seq_a
        assert lst.lines.empty()
        assert lst.interrupt() == 0
        err = lst.proc.stderr.read()
        assert "connection lost" in err and "connecting again" in err, err
        assert "Traceback" not in err, err
    finally:
        lst.kill()
        relay.close()


def test_a_refused_credential_ends_the_listener_with_1(server):
    _, _, channel = world(server)
    lst = Listener("--token", "isacd_s_" + "A" * 43, "--url", server.url, channel)
    try:
        assert lst.proc.wait(15) == 1
        err = lst.proc.stderr.read()
        assert "refused the credential (401)" in err and "Traceback" not in err, err
    finally:
        lst.kill()


def test_ctrl_c_while_the_server_is_unreachable_ends_the_listener_with_0(server):
    _, member, channel = world(server)
    relay = Relay(server.port)
    relay.cut()
    lst = Listener("--token", member["token"], "--url", "http://127.0.0.1:%d" % relay.port,
                   channel)
    try:
        deadline = time.time() + 10
        while "connecting again" not in (err := lst.proc.stderr.readline()):
            assert err and time.time() < deadline, err
        assert lst.interrupt() == 0
    finally:
        lst.kill()
        relay.close()
