"""The command line: exit statuses, help, version and configuration errors."""

import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import CHEAP_ARGON2, ISACD, ROOT, TOTP_KEY, free_port

SCHEMA = os.path.join(ROOT, "schema")


def run(args, **env):
    e = {k: v for k, v in os.environ.items() if not k.startswith("ISACD_")}
    # nothing may ever reach a database here
    e["ISACD_DATABASE_URL"] = "host=/nonexistent-isacd-test port=1 dbname=none"
    e.update({k: str(v) for k, v in env.items()})
    return subprocess.run([ISACD] + args, env=e, capture_output=True, text=True,
                          timeout=20)


def one_line(text):
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


def test_no_arguments_is_usage_error():
    out = run([])
    assert out.returncode == 2
    assert "usage" in out.stderr.lower()
    assert out.stdout == ""


def test_unknown_command_is_one_line_error():
    out = run(["frobnicate"])
    assert out.returncode == 2
    assert "frobnicate" in one_line(out.stderr)
    assert out.stdout == ""


@pytest.mark.parametrize("args", [["serve", "--bogus"], ["migrate", "--bogus"],
                                  ["version", "--bogus"], ["create-staff", "--bogus"],
                                  ["unlock", "--bogus"], ["healthcheck", "--bogus"]])
def test_unknown_option_is_usage_error(args):
    out = run(args)
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "--bogus" in one_line(out.stderr)


def test_migrate_dir_without_value_is_usage_error():
    out = run(["migrate", "--dir"])
    assert out.returncode == 2
    assert "--dir" in one_line(out.stderr)


def test_version_prints_version_and_schema():
    newest = max(int(f[:4]) for f in os.listdir(SCHEMA) if re.match(r"^\d{4}_.*\.sql$", f))
    out = run(["version"])
    assert out.returncode == 0
    m = re.fullmatch(r"isacd (\S+) \(schema (\d+)\)", out.stdout.strip())
    assert m, out.stdout
    assert int(m.group(2)) == newest
    assert run(["--version"]).stdout == out.stdout


@pytest.mark.parametrize("cmd", ["serve", "migrate", "create-staff", "version", "unlock",
                                 "healthcheck"])
def test_command_help_exits_0(cmd):
    out = run([cmd, "--help"])
    assert out.returncode == 0, out.stderr
    assert "usage: isacd " + cmd in out.stdout
    assert out.stderr == ""


def test_top_level_help_lists_commands():
    out = run(["--help"])
    assert out.returncode == 0
    for cmd in ("serve", "migrate", "create-staff", "unlock", "healthcheck", "version"):
        assert re.search(r"^  %s  " % cmd, out.stdout, re.M), cmd


@pytest.mark.parametrize("var,value", [
    ("ISACD_DB_POOL", "abc"),
    ("ISACD_DB_POOL", "0"),
    ("ISACD_DB_POOL", "8 "),
    ("ISACD_MAX_BODY", "1k"),
    ("ISACD_MAX_BODY", "-5"),
    ("ISACD_HEADER_TIMEOUT_S", ""),
    ("ISACD_MAX_CONNS", "99999999999999999999999"),
    ("ISACD_LISTEN", "nonsense"),
    ("ISACD_LISTEN", "127.0.0.1:99999"),
    ("ISACD_LISTEN", "127.0.0.1"),
    ("ISACD_LOG_LEVEL", "loud"),
    ("ISACD_ARGON2_M_KIB", "7"),
])
def test_bad_setting_exits_2_naming_the_variable(var, value):
    out = run(["serve"], **{var: value})
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert var in one_line(out.stderr)


def test_bad_setting_also_stops_migrate():
    out = run(["migrate"], ISACD_DB_POOL="abc")
    assert out.returncode == 2
    assert "ISACD_DB_POOL" in one_line(out.stderr)


def test_tls_cert_without_key_is_refused():
    out = run(["serve"], ISACD_TLS_CERT="/nonexistent/cert.pem")
    assert out.returncode == 2
    line = one_line(out.stderr)
    assert "ISACD_TLS_CERT" in line and "ISACD_TLS_KEY" in line


def test_serve_help_lists_the_settings():
    out = run(["serve", "--help"])
    assert out.returncode == 0
    listed = set(re.findall(r"ISACD_[A-Z0-9_]+", out.stdout))
    for var in ("ISACD_DATABASE_URL", "ISACD_LISTEN", "ISACD_TLS_CERT", "ISACD_TLS_KEY",
                "ISACD_LOG_LEVEL", "ISACD_MAX_BODY", "ISACD_MAX_HEADER", "ISACD_MAX_CONNS",
                "ISACD_HEADER_TIMEOUT_S", "ISACD_IDLE_TIMEOUT_S", "ISACD_SHUTDOWN_TIMEOUT_S",
                "ISACD_DB_POOL"):
        assert var in listed, var
    readme = os.path.join(ROOT, "README.md")
    if os.path.exists(readme):
        with open(readme) as f:
            table_rows = [line for line in f if line.lstrip().startswith("|")]
        documented = set(re.findall(r"ISACD_[A-Z0-9_]+", "".join(table_rows)))
        assert documented - {"ISACD_BIN"} <= listed, documented - listed
        # and every setting serve knows has its row in the table
        assert listed <= documented, f"settings missing from README's table: {listed - documented}"


def test_unknown_setting_is_warned_about(start_server):
    s = start_server(ISACD_MAX_BODYY="5")
    assert s.get("/healthz").status_code == 200
    assert "ISACD_MAX_BODYY" in s.logs()


def test_serve_without_a_database_warns_once():
    """Eight pool connections and the listening one all fail, and retry
    with backoff: the log says so once, not once per connection and try."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("ISACD_")}
    e.update({"ISACD_DATABASE_URL": "host=127.0.0.1 port=1 dbname=none",
              "ISACD_LISTEN": "127.0.0.1:%d" % free_port(), "ISACD_DB_CONNECT_TIMEOUT_S": "1",
              "ISACD_TOTP_KEY": TOTP_KEY})
    proc = subprocess.Popen([ISACD, "serve"], env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err = []
    listening = threading.Event()

    def read():
        for line in proc.stderr:
            err.append(line)
            if "listening on" in line:
                listening.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # SIGTERM is handled once isacd listens (a slow start, under ASan on
        # a busy machine, may take seconds); then a few rounds of backoff
        # (100, 200, 400, 800 ms...) for every connection
        assert listening.wait(60), "".join(err)
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        reader.join(10)
    err = "".join(err)
    assert proc.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines()]
    warned = [x["msg"] for x in lines if x["level"] in ("warn", "error")]
    assert len(warned) == 1, warned
    assert "cannot connect to PostgreSQL" in warned[0] and "ISACD_DATABASE_URL" in warned[0]


def argon2_warnings(server):
    return [line for line in server.log_lines() if "ISACD_ARGON2_M_KIB" in line.get("msg", "")]


@pytest.mark.parametrize("m_kib,t", [(CHEAP_ARGON2["ISACD_ARGON2_M_KIB"], "1"), ("19456", "1")])
def test_argon2_below_owasps_floor_is_warned_about_once(start_server, m_kib, t):
    s = start_server(ISACD_ARGON2_M_KIB=m_kib, ISACD_ARGON2_T=t)
    assert s.get("/healthz").status_code == 200
    warned = argon2_warnings(s)
    assert len(warned) == 1, warned
    assert warned[0]["level"] == "warn" and "OWASP" in warned[0]["msg"], warned
    assert "ISACD_ARGON2_M_KIB=%s ISACD_ARGON2_T=%s" % (m_kib, t) in warned[0]["msg"], warned


@pytest.mark.parametrize("m_kib,t", [("19456", "2"), ("47104", "1")])
def test_argon2_at_owasps_floor_is_not_warned_about(start_server, m_kib, t):
    s = start_server(ISACD_ARGON2_M_KIB=m_kib, ISACD_ARGON2_T=t)
    assert s.get("/healthz").status_code == 200
    assert argon2_warnings(s) == []
