"""`isacd migrate` and the schema check of `isacd serve`."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest
import requests

from conftest import ISACD, ROOT, free_port, run_isacd

SCHEMA = os.path.join(ROOT, "schema")
FILES = sorted(f for f in os.listdir(SCHEMA) if re.match(r"^\d{4}_.*\.sql$", f))
FUNCTIONS = sorted(f for f in os.listdir(os.path.join(SCHEMA, "functions"))
                   if f.endswith(".sql"))


def empty_db(pg):
    name = "m_" + uuid.uuid4().hex[:12]
    pg.sql("postgres", "CREATE DATABASE %s" % name)
    return name


@pytest.fixture
def schema_copy():
    d = tempfile.mkdtemp(prefix="isacd-schema-")
    for f in FILES:
        shutil.copy(os.path.join(SCHEMA, f), d)
    shutil.copytree(os.path.join(SCHEMA, "functions"), os.path.join(d, "functions"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_migrate_applies_all_then_nothing(pg):
    db = empty_db(pg)
    out = run_isacd(["migrate"], pg.env(db))
    assert out.returncode == 0, out.stderr
    for f in FILES:
        assert f in out.stdout
    assert re.search(r"\b%d applied\b" % len(FILES), out.stdout), out.stdout
    again = run_isacd(["migrate"], pg.env(db))
    assert again.returncode == 0, again.stderr
    assert "0 applied" in again.stdout, again.stdout
    assert not any(f in again.stdout for f in FILES)


def test_schema_migrations_rows(pg):
    db = empty_db(pg)
    assert run_isacd(["migrate"], pg.env(db)).returncode == 0
    rows = pg.sql(db, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    assert [r[0] for r in rows] == [int(f[:4]) for f in FILES]
    for (version, name, checksum), f in zip(rows, FILES):
        assert name and (name == f or name in f), (name, f)
        assert isinstance(checksum, str) and len(checksum) >= 32
    assert len({r[2] for r in rows}) == len(rows)
    # the schema version isacd reports is the newest migration
    ver = run_isacd(["version"], pg.env(db))
    assert "schema %d" % int(FILES[-1][:4]) in ver.stdout


def test_built_in_migrations_match_the_schema_folder(pg, schema_copy):
    db = empty_db(pg)
    assert run_isacd(["migrate"], pg.env(db)).returncode == 0
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 0, out.stderr
    assert "0 applied" in out.stdout


def test_editing_an_applied_migration_is_refused(pg, schema_copy):
    db = empty_db(pg)
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 0, out.stderr
    victim = FILES[1]
    with open(os.path.join(schema_copy, victim), "a") as f:
        f.write("\n-- a harmless looking comment\n")
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 1, (out.returncode, out.stdout, out.stderr)
    assert victim in out.stderr and "edited" in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    # nothing was recorded or re-applied
    rows = pg.sql(db, "SELECT count(*) FROM schema_migrations")
    assert rows[0][0] == len(FILES)


def test_new_migration_in_dir_is_applied(pg, schema_copy):
    db = empty_db(pg)
    assert run_isacd(["migrate", "--dir", schema_copy], pg.env(db)).returncode == 0
    with open(os.path.join(schema_copy, "9990_extra.sql"), "w") as f:
        f.write("CREATE TABLE migrate_test_extra (id integer);\n")
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 0, out.stderr
    assert "9990_extra.sql" in out.stdout and "1 applied" in out.stdout
    assert pg.sql(db, "SELECT to_regclass('migrate_test_extra') IS NOT NULL")[0][0]


def test_failing_migration_is_rolled_back(pg, schema_copy):
    db = empty_db(pg)
    assert run_isacd(["migrate", "--dir", schema_copy], pg.env(db)).returncode == 0
    with open(os.path.join(schema_copy, "9991_broken.sql"), "w") as f:
        f.write("CREATE TABLE migrate_half_done (id integer);\nSELECT no_such_function();\n")
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode != 0
    assert "9991_broken.sql" in out.stderr
    assert pg.sql(db, "SELECT to_regclass('migrate_half_done') IS NULL")[0][0]
    assert pg.sql(db, "SELECT count(*) FROM schema_migrations WHERE version = 9991")[0][0] == 0


def test_migrate_with_unreachable_database_fails_clearly(pg, tmp_path):
    env = dict(pg.env("postgres"))
    env["ISACD_DATABASE_URL"] = "host=%s port=1 dbname=nothing" % tmp_path
    out = run_isacd(["migrate"], env)
    assert out.returncode != 0
    assert out.stderr.strip() and len(out.stderr.strip().splitlines()) == 1, out.stderr


@pytest.mark.parametrize("cmd", [["migrate"], ["create-staff", "--email", "a@example.org",
                                               "--name", "A", "--organisation", "O",
                                               "--password-stdin"]])
def test_cannot_connect_names_the_setting_never_its_secret(pg, cmd):
    """A CLI command next to a `make run` instance without the setting: the
    error names ISACD_DATABASE_URL and how to set it, never the password."""
    env = dict(pg.env("postgres"))
    env["ISACD_DATABASE_URL"] = "postgresql://isacd:s3cret-Pw-41@127.0.0.1:1/nothing"
    out = run_isacd(cmd, env, input_text="Grey-Heron-Lantern-417\n")
    assert out.returncode == 1, out
    line = out.stderr.strip()
    assert len(line.splitlines()) == 1, line
    assert line.startswith("isacd %s: cannot connect to PostgreSQL" % cmd[0]), line
    assert "ISACD_DATABASE_URL (it is set;" in line, line
    assert "ISACD_DATABASE_URL=$(cat var/database-url)" in line, line
    assert "s3cret-Pw-41" not in line
    del env["ISACD_DATABASE_URL"]
    env["PGHOST"] = "/nonexistent"  # the default must not find a real server
    out = run_isacd(cmd, env, input_text="Grey-Heron-Lantern-417\n")
    assert out.returncode == 1
    assert "it is not set, so the default 'dbname=isacd' was tried" in out.stderr, out.stderr


def serve_until_exit(pg, db, timeout=10):
    """Run `isacd serve` on db; poll /readyz while it lives.  Returns
    (exit status, output, readyz statuses seen)."""
    port = free_port()
    env = pg.env(db)
    env["ISACD_LISTEN"] = "127.0.0.1:%d" % port
    proc = subprocess.Popen([ISACD, "serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    seen = []
    try:
        deadline = time.time() + timeout
        while proc.poll() is None and time.time() < deadline:
            try:
                seen.append(requests.get("http://127.0.0.1:%d/readyz" % port,
                                         timeout=1).status_code)
            except requests.RequestException:
                pass
            time.sleep(0.05)
        if proc.poll() is None:
            return None, "", seen
        return proc.returncode, proc.stdout.read(), seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_serve_refuses_an_unmigrated_database(pg):
    db = empty_db(pg)
    rc, output, seen = serve_until_exit(pg, db)
    assert rc is not None, "isacd serve kept running on an empty database"
    assert rc != 0
    assert "isacd migrate" in output, output
    assert 200 not in seen


def test_serve_refuses_a_schema_that_is_behind(pg, schema_copy):
    db = empty_db(pg)
    for f in FILES[3:]:
        os.remove(os.path.join(schema_copy, f))
    shutil.rmtree(os.path.join(schema_copy, "functions"))
    assert run_isacd(["migrate", "--dir", schema_copy], pg.env(db)).returncode == 0
    rc, output, seen = serve_until_exit(pg, db)
    assert rc is not None and rc != 0
    assert "isacd migrate" in output and "behind" in output, output
    assert 200 not in seen


# ---- the function files (schema/functions) ------------------------------------------------

def test_functions_are_applied_with_the_migrations_then_only_when_changed(pg, schema_copy):
    """Functions are code: one transaction replaces them all whenever the
    files differ from what the database has, and a server whose functions
    differ from the database's refuses to start until `isacd migrate`."""
    db = empty_db(pg)
    out = run_isacd(["migrate"], pg.env(db))
    assert out.returncode == 0 and "applied functions (%d files)" % len(FUNCTIONS) \
        in out.stdout, out.stdout
    again = run_isacd(["migrate"], pg.env(db))
    assert again.returncode == 0 and "applied functions" not in again.stdout, again.stdout
    # a changed function file (another build's) is applied by migrate --dir
    path = os.path.join(schema_copy, "functions", FUNCTIONS[0])
    with open(path, "a") as f:
        f.write("\nCREATE FUNCTION isacd_test_marker() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n")
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 0 and "applied functions" in out.stdout, out.stdout
    assert pg.sql(db, "SELECT isacd_test_marker()")[0][0] == 1
    # this binary's functions differ now: serve refuses, migrate mends it
    rc, output, seen = serve_until_exit(pg, db)
    assert rc is not None and rc != 0 and "isacd migrate" in output, output
    assert 200 not in seen
    out = run_isacd(["migrate"], pg.env(db))
    assert out.returncode == 0 and "applied functions" in out.stdout, out.stdout
    # every isacd_ function not in the files is gone, the others are back
    assert pg.sql(db, "SELECT to_regproc('isacd_test_marker') IS NULL")[0][0]
    assert pg.sql(db, "SELECT to_regproc('isacd_reads_post') IS NOT NULL")[0][0]


def test_a_failing_function_file_changes_nothing(pg, schema_copy):
    db = empty_db(pg)
    assert run_isacd(["migrate"], pg.env(db)).returncode == 0
    before = pg.sql(db, "SELECT checksum FROM schema_functions")[0][0]
    with open(os.path.join(schema_copy, "functions", "99_broken.sql"), "w") as f:
        f.write("CREATE FUNCTION isacd_half() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n"
                "SELECT no_such_function();\n")
    out = run_isacd(["migrate", "--dir", schema_copy], pg.env(db))
    assert out.returncode == 1, out
    assert "functions/99_broken.sql" in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert pg.sql(db, "SELECT checksum FROM schema_functions")[0][0] == before
    assert pg.sql(db, "SELECT to_regproc('isacd_half') IS NULL")[0][0]
    assert pg.sql(db, "SELECT to_regproc('isacd_reads_post') IS NOT NULL")[0][0]
