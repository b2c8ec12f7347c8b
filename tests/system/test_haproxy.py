"""Two isacd instances behind Debian's haproxy, on one PostgreSQL database,
deployed as docs/DEPLOYMENT.md says: its haproxy.cfg (read from that page,
only the ports changed) with send-proxy-v2 to both instances, health checks
on /readyz, and each instance started with ISACD_TRUSTED_PROXIES=127.0.0.1.

What a user of such a deployment notices: REST through haproxy is answered
by either instance with the same result (sessions live in the database); a
WebSocket opens through haproxy; a post made through one instance reaches
subscribers held by the other, live (and the cross-instance latency is
printed); each client keeps its own address -- in the audit log and in login
throttling -- instead of sharing haproxy's; when an instance stops, the
other carries on and a subscriber that reconnects with `since` misses
nothing; and the page's TLS lines (TLS at haproxy, and again to each
instance) work as written.

Clients connect to haproxy from 127.0.0.2 and up (all loopback), haproxy to
the instances from 127.0.0.1, the only trusted proxy.
"""

import json
import os
import re
import signal
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import types

import pytest
import requests
import websockets

from community_helpers import add_member, new_channel, new_community, platform_account
from conftest import ROOT, Server, create_user, free_port
from post_helpers import create_post
from realtime_helpers import Subscriber, ticket

# deadlines and delivery within a second: not beside another such file
pytestmark = pytest.mark.xdist_group("timing")

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CLIENT = "127.0.0.2"


def deployment_config():
    """The haproxy.cfg that docs/DEPLOYMENT.md shows."""
    with open(os.path.join(ROOT, "docs", "DEPLOYMENT.md")) as f:
        text = f.read()
    block = re.search(r"<!-- haproxy.cfg:start -->\s*```\n(.*?)```\s*<!-- haproxy.cfg:end -->",
                      text, re.S)
    assert block, "the haproxy.cfg markers are missing from docs/DEPLOYMENT.md"
    return block.group(1)


def sub_once(pattern, repl, text):
    out, n = re.subn(pattern, repl, text, flags=re.M)
    assert n == 1, (pattern, text)
    return out


class SourceAdapter(requests.adapters.HTTPAdapter):
    """requests from a given local address."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kw)


class Haproxy(Server):
    """haproxy in front of instances: to a client it is one isacd, so it has
    Server's HTTP helpers, each request on a new connection from `source`."""

    def __init__(self, instances, edit=None):
        self.pg, self.db, self.tls, self.host = instances[0].pg, instances[0].db, None, "127.0.0.1"
        self.port = free_port()
        self.url = "http://%s:%d" % (self.host, self.port)
        self.api = self.url + "/api/v1"
        cfg = sub_once(r"^(\s*bind )127\.0\.0\.1:8080$", r"\g<1>127.0.0.1:%d" % self.port,
                       deployment_config())
        for n, s in enumerate(instances, 1):
            cfg = sub_once(r"^(\s*server isacd%d )127\.0\.0\.1:808%d$" % (n, n),
                           r"\g<1>127.0.0.1:%d" % s.port, cfg)
        if edit:
            cfg = edit(cfg)
        self.dir = tempfile.mkdtemp(prefix="isacd-haproxy-")
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        with open(self.cfg, "w") as f:
            f.write(cfg)
        check = subprocess.run([HAPROXY, "-c", "-f", self.cfg], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.log = open(os.path.join(self.dir, "haproxy.log"), "w+")
        # -db: in the foreground, as a supervisor (systemd) would run it
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self._wait_listening()

    def _wait_listening(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, "haproxy exited:\n" + self.logs()
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("haproxy did not start listening:\n" + self.logs())

    def logs(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def request(self, method, path, token=None, source=CLIENT, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        kw.setdefault("timeout", 15)
        with requests.Session() as s:
            s.mount("http://", SourceAdapter(source))
            s.mount("https://", SourceAdapter(source))
            return s.request(method, self._u(path), headers=headers, **kw)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def served_by(instances, request_ids, timeout=3.0):
    """For each instance, the request ids of request_ids in its access log."""
    deadline = time.time() + timeout
    while True:
        found = [{line.get("request_id") for line in s.log_lines()} & set(request_ids)
                 for s in instances]
        if sum(len(f) for f in found) >= len(request_ids) or time.time() > deadline:
            return found
        time.sleep(0.05)


def metric(server, name):
    text = server.get("/metrics").text
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    assert m, name
    return float(m.group(1))


def world(server):
    """A community with a channel, its owner, and a member."""
    staff = platform_account(server, role="staff")
    community, owner = new_community(server, staff["token"])
    member = add_member(server, community["id"], owner["token"], owner["org_id"])
    channel = new_channel(server, community["id"], owner["token"])["id"]
    return types.SimpleNamespace(owner=owner, member=member, channel=channel,
                                 community=community["id"])


def deploy(start):
    """Two instances on one database, and haproxy before them."""
    a = start(ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_LOGIN_MAX_IP=3)
    b = start(db=a.db, ISACD_TRUSTED_PROXIES="127.0.0.1", ISACD_LOGIN_MAX_IP=3)
    return a, b


@pytest.fixture(scope="module")
def d(pg):
    started = []

    def start(**kw):
        s = Server(pg, **kw)
        started.append(s)
        return s

    front = None
    try:
        a, b = deploy(start)
        front = Haproxy([a, b])
        yield types.SimpleNamespace(a=a, b=b, front=front, w=world(a))
    finally:
        if front:
            front.stop()
        for s in started:
            s.stop()


def events(s, n, timeout=5.0):
    """The next n events a subscriber receives (fewer if they do not come)."""
    got, deadline = [], time.time() + timeout
    while len(got) < n and time.time() < deadline:
        try:
            got.append(s.next(timeout=deadline - time.time(),
                              where=lambda m: m["type"] == "event"))
        except AssertionError:
            break
    return got


# ---- REST ------------------------------------------------------------------------

def test_rest_through_haproxy_is_answered_by_both_instances_alike(d):
    ids, users = [], set()
    for _ in range(8):
        r = d.front.get("me", token=d.w.member["token"])
        assert r.status_code == 200, r.text
        users.add(r.json()["id"])
        ids.append(r.headers["X-Request-Id"])
    # one session, one answer, whichever instance took the request
    assert users == {d.w.member["id"]}
    on_a, on_b = served_by([d.a, d.b], ids)
    assert on_a | on_b == set(ids) and not on_a & on_b
    # roundrobin: each instance took its share
    assert len(on_a) >= 3 and len(on_b) >= 3, (len(on_a), len(on_b))


def wait_checked(instances, timeout=6):
    """Until haproxy's health checks have reached each instance, answered 200."""
    deadline = time.time() + timeout
    while True:
        checked = [any(line.get("route") == "/readyz" and line.get("status") == 200
                       for line in s.log_lines()) for s in instances]
        if all(checked):
            return
        assert time.time() < deadline, checked
        time.sleep(0.2)


def test_haproxy_checks_readyz_on_each_instance(d):
    """The health checks of the configuration reach both instances (they are
    what takes an instance out when its database is gone)."""
    wait_checked([d.a, d.b])


# ---- the client's address -----------------------------------------------------------

def login_ips(server, user_id):
    rows = server.sql("SELECT host(ip) FROM audit_log WHERE actor_id = %s"
                      " AND action = 'login' ORDER BY id", (user_id,))
    return [r[0] for r in rows]


def test_each_client_keeps_its_own_address_through_haproxy(d):
    acct = create_user(d.a)
    body = {"email": acct["email"], "password": acct["password"]}
    ids = []
    for source in ("127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"):
        r = d.front.post("auth/login", json=body, source=source)
        assert r.status_code == 200, r.text
        ids.append(r.headers["X-Request-Id"])
    # both instances logged someone in, and each recorded the client's
    # address, not haproxy's 127.0.0.1
    on_a, on_b = served_by([d.a, d.b], ids)
    assert on_a and on_b
    assert login_ips(d.a, acct["id"]) == ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"]


def test_login_throttling_counts_each_client_not_haproxy(d):
    """ISACD_LOGIN_MAX_IP=3 on both instances: three failed logins from one
    client, wherever haproxy sent them, lock that client out; a client next
    to it, through the same haproxy, still signs in."""
    acct = create_user(d.a)
    for _ in range(3):
        r = d.front.post("auth/login", source="127.0.0.4",
                         json={"email": "nobody-%s@example.org" % time.time(),
                               "password": "Wrong-Password-0000"})
        assert r.status_code == 401, r.text
    r = d.front.post("auth/login", source="127.0.0.4",
                     json={"email": acct["email"], "password": acct["password"]})
    assert r.status_code == 429, r.text
    r = d.front.post("auth/login", source="127.0.0.5",
                     json={"email": acct["email"], "password": acct["password"]})
    assert r.status_code == 200, r.text


# ---- WebSocket --------------------------------------------------------------------------

def test_the_websocket_upgrade_works_through_haproxy(d):
    s = Subscriber.connect(d.front, token=d.w.member["token"], local_addr=(CLIENT, 0))
    sub, errors = s.subscribe([d.w.channel])
    assert sub["channels"] == [d.w.channel] and errors == []
    p = create_post(d.front, d.w.owner["token"], d.w.channel)
    e = s.next(where=lambda m: m["type"] == "event")
    assert e["event"] == "post.created" and e["data"]["id"] == p["id"]
    s.close()


def test_a_ticket_from_one_instance_opens_a_socket_on_the_other(d):
    t = ticket(d.a, d.w.member["token"])
    s = Subscriber.connect(d.b, ticket=t)
    assert s.subscribe([d.w.channel])[0]["channels"] == [d.w.channel]
    s.close()
    # and through haproxy, wherever each request lands
    for _ in range(2):
        t = ticket(d.front, d.w.member["token"])
        s = Subscriber.connect(d.front, ticket=t, local_addr=(CLIENT, 0))
        assert s.subscribe([d.w.channel])[0]["channels"] == [d.w.channel]
        s.close()


class Timed(Subscriber):
    """A subscriber that notes when each message came (`_at`, time.time())."""

    async def _read(self):
        try:
            async for m in self.ws:
                msg = json.loads(m)
                msg["_at"] = time.time()
                self.inbox.put(msg)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.close_code = self.ws.close_code
            self.close_reason = self.ws.close_reason
            self.closed.set()


def test_a_post_via_one_instance_reaches_subscribers_on_the_other(d):
    subs = {"a": Timed.connect(d.a, token=d.w.member["token"]),
            "b": Timed.connect(d.b, token=d.w.member["token"]),
            "haproxy": Timed.connect(d.front, token=d.w.member["token"],
                                     local_addr=(CLIENT, 0))}
    for s in subs.values():
        assert s.subscribe([d.w.channel])[0]["channels"] == [d.w.channel]
    hints_b = metric(d.b, "isacd_events_hints_total")
    sent = []  # (post id, the instance it was made on, when the POST was sent)
    for i in range(12):
        via = "a" if i < 6 else "b"
        t0 = time.time()
        p = create_post(getattr(d, via), d.w.owner["token"], d.w.channel, "Cross %d" % i)
        sent.append((p["id"], via, t0))
        time.sleep(0.05)
    latencies = {"cross": [], "same": []}
    for name, s in subs.items():
        got = events(s, len(sent))
        assert {e["event"] for e in got} == {"post.created"}
        # every post once, in the order they were made, seq increasing
        assert [e["data"]["id"] for e in got] == [pid for pid, _, _ in sent], name
        seqs = [e["seq"] for e in got]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        for e, (_, via, t0) in zip(got, sent):
            assert e["_at"] - t0 < 2.0, (name, via, e["_at"] - t0)
            if name in ("a", "b"):
                latencies["cross" if via != name else "same"].append(e["_at"] - t0)
    for kind, values in latencies.items():
        print("\n%s-instance delivery, POST sent -> event received (%d posts): "
              "p50 %.1f ms, max %.1f ms" % (kind, len(values),
                                             1000 * statistics.median(values),
                                             1000 * max(values)))
    # B was woken by A's notifications, not only by its 500 ms safety read
    hints = metric(d.b, "isacd_events_hints_total")
    assert hints > hints_b, ("B's listening connection took no notification "
                             "(isacd_events_hints_total stayed %d)" % hints)
    for s in subs.values():
        s.close()


def test_an_idle_websocket_outlives_haproxys_http_timeouts(d):
    """After the upgrade haproxy applies `timeout tunnel`, not the client and
    server timeouts: with those cut to 1 s, a socket idle for 3 s still
    receives."""
    def short(cfg):
        cfg = sub_once(r"^(\s*timeout client) 30s$", r"\g<1> 1s", cfg)
        return sub_once(r"^(\s*timeout server) 30s$", r"\g<1> 1s", cfg)

    front = Haproxy([d.a, d.b], edit=short)
    try:
        s = Subscriber.connect(front, token=d.w.member["token"], local_addr=(CLIENT, 0))
        s.subscribe([d.w.channel])
        time.sleep(3)
        p = create_post(d.a, d.w.owner["token"], d.w.channel)
        e = s.next(where=lambda m: m["type"] == "event")
        assert e["data"]["id"] == p["id"]
        assert not s.closed.is_set()
        s.close()
    finally:
        front.stop()


# ---- an instance goes away ------------------------------------------------------------

def test_when_an_instance_stops_the_other_carries_on(start_server):
    a, b = deploy(start_server)
    front = Haproxy([a, b])
    try:
        w = world(a)
        s = Subscriber.connect(front, token=w.member["token"], local_addr=(CLIENT, 0))
        s.subscribe([w.channel])
        first = create_post(front, w.owner["token"], w.channel)
        last_seq = s.next(where=lambda m: m["type"] == "event")["seq"]
        # which instance holds the socket: stop that one
        held, other = (a, b) if metric(a, "isacd_ws_sockets") == 1 else (b, a)
        assert metric(held, "isacd_ws_sockets") == 1 and metric(other, "isacd_ws_sockets") == 0
        held.signal(signal.SIGTERM)
        assert s.wait_closed(10) == 1001
        held.proc.wait(20)
        # REST through haproxy goes on, at once, on the other instance
        missed = [create_post(front, w.owner["token"], w.channel)["id"] for _ in range(3)]
        for _ in range(4):
            assert front.get("me", token=w.member["token"]).status_code == 200
        # the subscriber reconnects through haproxy with since: it gets what
        # it missed, once, in order, and then what comes live
        s = Subscriber.connect(front, token=w.member["token"], local_addr=(CLIENT, 0))
        s.subscribe([w.channel], since=last_seq)
        live = create_post(front, w.owner["token"], w.channel)["id"]
        got = [e["data"]["id"] for e in events(s, 4)]
        assert got == missed + [live] and first["id"] not in got
        assert s.inbox.empty()
        assert metric(other, "isacd_ws_sockets") == 1
        s.close()
    finally:
        front.stop()


# ---- TLS at haproxy and at each instance ---------------------------------------------------

def doc_line(start):
    """The configuration line of docs/DEPLOYMENT.md's TLS section that starts so."""
    with open(os.path.join(ROOT, "docs", "DEPLOYMENT.md")) as f:
        found = [line.strip() for line in f if line.strip().startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def test_tls_at_haproxy_and_again_to_each_instance(start_server, tmp_path):
    """The TLS section's lines: haproxy terminates TLS for the clients (with
    HSTS) and encrypts again to instances that serve TLS themselves; the
    PROXY header goes before that handshake, so the client's address still
    comes through, and so do WebSockets."""
    crt, key, pem = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "both.pem"))
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    with open(pem, "w") as f:
        f.write(open(crt).read() + open(key).read())
    a = start_server(tls=(crt, key), ISACD_TRUSTED_PROXIES="127.0.0.1")
    b = start_server(db=a.db, tls=(crt, key), ISACD_TRUSTED_PROXIES="127.0.0.1")
    bind = doc_line("bind :443 ssl").replace("/etc/haproxy/certs/isacd.pem", pem)
    hsts = doc_line("http-response set-header Strict-Transport-Security")
    servers = doc_line("default-server check check-ssl").replace("/etc/haproxy/isacd-ca.pem",
                                                                 crt)

    def tls(cfg):
        cfg = re.sub(r"^(\s*)bind (127\.0\.0\.1:\d+)$",
                     lambda m: "%s%s\n%s%s" % (m.group(1), bind.replace(":443", m.group(2)),
                                               m.group(1), hsts), cfg, flags=re.M)
        return sub_once(r"^\s*default-server .*$", "    " + servers, cfg)

    front = Haproxy([a, b], edit=tls)
    front.tls = (crt, key)
    front.url = front.url.replace("http:", "https:")
    front.api = front.url + "/api/v1"
    try:
        w = world(a)
        acct = create_user(a)
        ids = []
        for _ in range(2):
            r = front.post("auth/login", verify=crt,
                           json={"email": acct["email"], "password": acct["password"]})
            assert r.status_code == 200, r.text
            assert r.headers["Strict-Transport-Security"].startswith("max-age="), r.headers
            ids.append(r.headers["X-Request-Id"])
        assert all(served_by([a, b], ids)), "not both instances answered"
        assert login_ips(a, acct["id"]) == [CLIENT, CLIENT]
        s = Subscriber.connect(front, token=w.member["token"], local_addr=(CLIENT, 0))
        assert s.subscribe([w.channel])[0]["channels"] == [w.channel]
        p = create_post(a, w.owner["token"], w.channel)
        assert s.next(where=lambda m: m["type"] == "event")["data"]["id"] == p["id"]
        s.close()
        # the checks speak TLS to the instances too
        wait_checked([a, b])
    finally:
        front.stop()
