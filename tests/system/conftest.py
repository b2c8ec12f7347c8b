"""System-test harness: a real PostgreSQL and real isacd processes.

Everything lives in temporary folders and is stopped at the end, pass or fail:

* ``pg`` (session): a throwaway PostgreSQL 15 cluster (initdb + pg_ctl as the
  ``postgres`` user, unix socket only, its own port), with a migrated template
  database ``isacd_template``.  ``pg.new_database()`` clones it in ~50 ms.
* ``server`` (module): one isacd on a free port over a fresh database.
* ``start_server(**env)`` (function): more servers with their own settings;
  stopped when the test ends.
* ``staff`` / ``make_user``: accounts created through ``isacd create-staff`` and
  the SQL of the test database (there is no public sign-up before invites).

Speed (the suite runs thousands of tests, twice in CI):

* Passwords are hashed with CHEAP_ARGON2 (8 KiB, one pass: microseconds, and
  isacd warns that it is for tests only).  A test whose subject needs a hash
  that takes time (logins still hashing when SIGTERM comes, guesses sent in
  parallel) starts its server with OWASP_ARGON2; ``create_staff`` hashes with
  the parameters of the server the account is for.
* ``pg.sql`` keeps one connection per database (a new one costs a backend
  fork and cold catalog caches, ~20 ms, and some files run two queries per
  test); ``pg.connect`` still gives a connection of its own.
* ``make system`` runs the files on two xdist workers (``-n 2 --dist
  loadgroup``), each with its own PostgreSQL cluster.  A file's tests stay on
  one worker, so its module fixtures (a server, a world) are made once.  A
  file that must not run beside another file of its kind says so with
  ``pytestmark = pytest.mark.xdist_group("name")``: "timing" for tests that
  measure deadlines and lockout windows, "make" for tests that run make in
  this checkout, "browser" for Chromium.  Grouped files run first, as they
  are the long units of work.

Run one file:  ISACD_BIN=build/release/isacd /usr/bin/python3 -m pytest tests/system/test_http.py
"""

import atexit
import base64
import hashlib
import hmac
import json
import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import uuid

import psycopg2
import pytest
import requests

try:
    from xdist.scheduler import LoadGroupScheduling
except ImportError:  # plain pytest runs one file without xdist
    LoadGroupScheduling = None

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ISACD = os.environ.get("ISACD_BIN") or os.path.join(ROOT, "build", "release", "isacd")
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
DEFAULT_PASSWORD = "Grey-Heron-Lantern-417"
# the key that seals TOTP secrets at rest (ISACD_TOTP_KEY); `isacd serve`
# refuses to start without one
TOTP_KEY = "l0cRnNB5NFO7o6F0ClgBE8R9v2xuOZSYbAE3nSMP2Zg="
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "WARNING: ThreadSanitizer")
# argon2id for tests: the least libargon2 takes (8 KiB per lane, one pass)
CHEAP_ARGON2 = {"ISACD_ARGON2_M_KIB": "8", "ISACD_ARGON2_T": "1"}
# OWASP's floor (19 MiB, two passes): for tests that need hashing to take time
OWASP_ARGON2 = {"ISACD_ARGON2_M_KIB": "19456", "ISACD_ARGON2_T": "2"}
ARGON2_KEYS = tuple(CHEAP_ARGON2)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """One PostgreSQL cluster in a temp dir, run as the postgres user."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="isacd-pg-")
        os.chmod(self.dir, 0o755)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.log = os.path.join(self.dir, "pg.log")
        self._conns = {}  # database -> the open connection of sql()
        self._conns_lock = threading.Lock()  # tests call sql() from threads
        self._as_root = os.geteuid() == 0
        if self._as_root:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self._run([os.path.join(PGBIN, "initdb"), "-D", self.data, "-A", "trust",
                   "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = ''\n")
            f.write(f"unix_socket_directories = '{self.dir}'\n")
            f.write(f"port = {self.port}\n")
            f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
            f.write("max_connections = 200\nshared_buffers = 64MB\n")
        self.start()
        self.sql("postgres", "CREATE DATABASE isacd_template")
        out = subprocess.run([ISACD, "migrate"], env=self.env("isacd_template"),
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr

    def _run(self, argv, check=True):
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        return subprocess.run(argv, check=check, capture_output=True, text=True)

    def start(self):
        self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                   "-w", "-t", "30", "start"])

    def stop(self, mode="fast"):
        self.close_connections()
        self._run([os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", mode,
                   "-w", "-t", "30", "stop"], check=False)

    def dsn(self, db):
        return f"host={self.dir} port={self.port} user=postgres dbname={db}"

    def env(self, db):
        e = dict(os.environ)
        e["ISACD_DATABASE_URL"] = self.dsn(db)
        return e

    def connect(self, db):
        conn = psycopg2.connect(self.dsn(db))
        conn.autocommit = True
        return conn

    def close_connections(self):
        with self._conns_lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()

    def _conn(self, db):
        """The kept connection to db (autocommit); at most a few are kept."""
        with self._conns_lock:
            conn = self._conns.pop(db, None)
            if conn is None or conn.closed:
                conn = self.connect(db)
            while len(self._conns) >= 4:
                self._conns.pop(next(iter(self._conns))).close()
            self._conns[db] = conn  # most recently used last
            return conn

    def sql(self, db, query, args=None):
        for attempt in (1, 2):
            conn = self._conn(db)
            try:
                with conn.cursor() as cur:
                    cur.execute(query, args)
                    if cur.description:
                        return cur.fetchall()
                    return None
            except psycopg2.OperationalError:
                # a kept connection the server has closed (a cluster that was
                # restarted): once more over a new one
                if not conn.closed or attempt == 2:
                    raise

    def drop_database(self, db):
        """Drop a database the tests are done with.  The cluster stays small,
        and a database dropped within half a minute of its making was mostly
        never written to disk (fsync is off): less I/O on a shared machine and
        a quick rmtree at the end."""
        with self._conns_lock:
            conn = self._conns.pop(db, None)
        if conn is not None:
            conn.close()
        self.sql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")

    def new_database(self):
        name = "t_" + uuid.uuid4().hex[:12]
        # FILE_COPY: the files are copied, not written again through the WAL
        self.sql("postgres", f"CREATE DATABASE {name} TEMPLATE isacd_template STRATEGY FILE_COPY")
        return name

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# Every server's output file, removed when the test process ends (a test may
# read a stopped server's log; nothing is left behind in the temp folder).
_LOGFILES = []


@atexit.register
def _remove_logfiles():
    for name in _LOGFILES:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


class Server:
    """A running `isacd serve` with its own database (or a given one)."""

    def __init__(self, pg, db=None, tls=None, wait_ready=True, **env):
        self.pg = pg
        self.own_db = db is None  # the fixtures drop it once the server is done
        self.db = db or pg.new_database()
        self.tls = tls
        self.host = "127.0.0.1"
        try:
            # free_port() only finds a port that was free a moment ago: another
            # worker's client may take it before isacd binds it, so try again
            for attempt in range(3):
                self._start(tls, env)
                if self._wait_listening():
                    break
                if attempt == 2 or "Address already in use" not in self.logs():
                    raise RuntimeError(f"isacd exited with {self.proc.returncode}:\n"
                                       + self.logs())
                self.logfile.close()
                os.unlink(self.logfile.name)
            if wait_ready:
                self.wait_ready()
        except BaseException:
            # nobody will stop a server that never became a fixture's
            proc = getattr(self, "proc", None)  # None: it never started
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
            raise

    def _start(self, tls, env):
        self.port = free_port()
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://{self.host}:{self.port}"
        self.api = self.url + "/api/v1"
        self.logfile = tempfile.NamedTemporaryFile(prefix="isacd-log-", delete=False)
        _LOGFILES.append(self.logfile.name)
        e = self.pg.env(self.db)
        e.update({
            "ISACD_LISTEN": f"{self.host}:{self.port}",
            "ISACD_LOG_LEVEL": "info",
            "ISACD_TOTP_KEY": TOTP_KEY,
        })
        e.update(CHEAP_ARGON2)  # tests hash thousands of passwords
        if tls:
            e["ISACD_TLS_CERT"], e["ISACD_TLS_KEY"] = tls
        e.update({k: str(v) for k, v in env.items()})
        self.env = e
        self.proc = subprocess.Popen([ISACD, "serve"], env=e, stdout=self.logfile,
                                     stderr=subprocess.STDOUT)

    def _wait_listening(self, timeout=10):
        """True once isacd accepts connections, False when it exited."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("isacd did not start listening:\n" + self.logs())

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                r = self.get("/readyz", verify=False)
                if r.status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.02)
        raise RuntimeError("isacd never became ready:\n" + self.logs())

    def logs(self):
        with open(self.logfile.name, "r", errors="replace") as f:
            return f.read()

    def log_lines(self):
        out = []
        for line in self.logs().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    # HTTP helpers: path is either absolute ("/healthz") or API-relative ("me")
    def _u(self, path):
        return self.url + path if path.startswith("/") else self.api + "/" + path

    def request(self, method, path, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        kw.setdefault("timeout", 15)
        if self.tls:
            kw.setdefault("verify", False)
        return requests.request(method, self._u(path), headers=headers, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token, **kw)

    def post(self, path, token=None, **kw):
        return self.request("POST", path, token, **kw)

    def patch(self, path, token=None, **kw):
        return self.request("PATCH", path, token, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token, **kw)

    def sql(self, query, args=None):
        return self.pg.sql(self.db, query, args)

    def signal(self, sig):
        self.proc.send_signal(sig)

    # a test that ends the process on purpose (kill -9, say) sets this
    expected_exit = None

    def stop(self):
        """Stop with SIGTERM and check the process ended well: exit status 0
        (or what the test expected) and no sanitizer report in its output, so
        `make asan` fails on a leak, an overflow or undefined behaviour."""
        died_early = self.proc.poll() is not None
        if not died_early:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self.logfile.close()
                raise AssertionError("isacd did not stop within 20 s of SIGTERM:\n"
                                     + self.logs()[-4000:])
        self.logfile.close()
        logs = self.logs()
        for marker in SANITIZER_MARKERS:
            assert marker not in logs, f"sanitizer report ({marker}):\n{logs[-8000:]}"
        if self.expected_exit is not None:
            return
        assert not died_early or self.proc.returncode == 0, \
            f"isacd exited on its own with {self.proc.returncode}:\n{logs[-4000:]}"
        assert self.proc.returncode == 0, \
            f"isacd exited with {self.proc.returncode} after SIGTERM:\n{logs[-4000:]}"


def pytest_collection_modifyitems(items):
    """Files in an xdist_group first: their groups are the long units of work
    (a group runs its files one after another), so the other worker fills
    the time beside them.  The order within a file is kept."""
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


if LoadGroupScheduling is not None:
    class ModuleGroupScheduling(LoadGroupScheduling):
        """--dist loadgroup, where a test without a group is in its file's:
        each file goes to one worker whole (xdist's own loadgroup spreads
        ungrouped tests one by one, which would make every module fixture
        once per worker)."""

        def _split_scope(self, nodeid):
            if nodeid.rfind("@") > nodeid.rfind("]"):
                return nodeid.split("@")[-1]
            return nodeid.split("::", 1)[0]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "loadgroup":
            return ModuleGroupScheduling(config, log)
        return None


@pytest.fixture(scope="module")
def cert():
    """A self-signed certificate and key for 127.0.0.1 and localhost."""
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


@pytest.fixture(scope="session")
def pg():
    assert os.access(ISACD, os.X_OK), f"build isacd first: {ISACD}"
    cluster = PostgresCluster()
    yield cluster
    cluster.destroy()


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    s.stop()
    pg.drop_database(s.db)


@pytest.fixture
def start_server(pg):
    started = []

    def start(**kw):
        s = Server(pg, **kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
    for s in started:
        if s.own_db:
            pg.drop_database(s.db)


def run_isacd(args, db_env, input_text=None, env=None):
    e = dict(db_env)
    if env:
        e.update(env)
    return subprocess.run([ISACD] + args, env=e, input=input_text,
                          capture_output=True, text=True, timeout=60)


def unique_email(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"


def create_staff(server, email=None, password=DEFAULT_PASSWORD, name="Sam Staff",
                 organisation="National Agency"):
    email = email or unique_email("staff")
    out = run_isacd(["create-staff", "--email", email, "--name", name,
                     "--organisation", organisation, "--password-stdin"],
                    server.pg.env(server.db), input_text=password + "\n",
                    env={k: server.env[k] for k in ARGON2_KEYS})
    assert out.returncode == 0, out.stderr
    return {"email": email, "password": password}


def create_user(server, email=None, password=DEFAULT_PASSWORD, name="Uma User",
                organisation=None, role="user"):
    """A platform user: made with `isacd create-staff` (the only way in before
    invites exist), then given its platform role in SQL."""
    email = email or unique_email("user")
    organisation = organisation or ("Org " + uuid.uuid4().hex[:8])
    create_staff(server, email=email, password=password, name=name,
                 organisation=organisation)
    uid = server.sql("UPDATE users SET platform_role = %s WHERE email = %s RETURNING id",
                     (role, email))[0][0]
    return {"email": email, "password": password, "id": str(uid),
            "organisation": organisation}


def login(server, account, totp=None):
    body = {"email": account["email"], "password": account["password"]}
    if totp is not None:
        body["totp"] = totp
    r = server.post("auth/login", json=body)
    assert r.status_code == 200, r.text
    return r.json()["token"]


@pytest.fixture
def staff(server):
    acct = create_staff(server)
    acct["token"] = login(server, acct)
    return acct


@pytest.fixture
def user(server):
    acct = create_user(server)
    acct["token"] = login(server, acct)
    return acct


def assert_problem(r, status):
    """A response is an RFC 9457 problem with the given status."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert "type" in body
    return body


def totp_code(secret_b32, at=None, digits=6):
    """RFC 6238 code for a base32 secret at unix time `at` (now by default)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8), casefold=True)
    counter = int((time.time() if at is None else at) // 30)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(code).zfill(digits)


def raw_http(port, data, host="127.0.0.1", timeout=5.0, read_until_close=True):
    """Send raw bytes, return everything the server answers until it closes
    (or until `timeout`)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        if data:
            s.sendall(data)
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            chunks.append(b)
            if not read_until_close:
                break
        return b"".join(chunks)
    finally:
        s.close()
