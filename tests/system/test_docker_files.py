"""docker/: no Docker engine runs where the tests run, so the files are
checked for what a first `docker compose up` depends on:

* PostgreSQL counts as healthy only when it answers over TCP (while the
  official image initialises, a temporary server answers on the socket);
* `migrate` retries until it succeeds, and isacd waits for it;
* isacd is published on 127.0.0.1 only (/metrics is for operators);
* the version reaches the build as a build argument;
* the runtime image installs exactly the libraries the binary needs;
* the image is built once, and every isacd service runs that image;
* the first start creates the first staff account and prints its password
  (and later starts create none): `isacd create-staff --if-no-staff`;
* isacd's database role is no superuser, and owns its database (the init
  script runs here against a real PostgreSQL, and the migrations pass as
  that role);
* the isacd service has a healthcheck the slim image can run.
"""

import os
import re
import subprocess
import uuid

import pytest
import yaml

from conftest import ISACD, ROOT, run_isacd

# runs make in this checkout: never beside another file that does (conftest.py)
pytestmark = pytest.mark.xdist_group("make")

DOCKER = os.path.join(ROOT, "docker")


def compose():
    with open(os.path.join(DOCKER, "compose.yaml")) as f:
        return yaml.safe_load(f)


def test_postgres_is_healthy_only_over_tcp():
    check = compose()["services"]["postgres"]["healthcheck"]["test"]
    line = " ".join(check)
    assert "pg_isready" in line and "-h 127.0.0.1" in line, line


def test_migrate_retries_and_isacd_waits_for_it():
    services = compose()["services"]
    assert services["migrate"]["restart"] == "on-failure"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["isacd"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"


def test_isacd_is_published_on_loopback_only():
    ports = compose()["services"]["isacd"]["ports"]
    assert ports and all(str(p).startswith("127.0.0.1:") for p in ports), ports


def test_the_version_is_a_build_argument():
    built = [s for s in compose()["services"].values() if "build" in s]
    args = built[0]["build"]["args"]
    assert "ISACD_VERSION" in args
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        text = f.read()
    assert re.search(r"^ARG ISACD_VERSION", text, re.M)
    assert 'VERSION="$ISACD_VERSION"' in text


def runtime_packages():
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        text = f.read()
    runtime = text.split("# ---- runtime", 1)[1]
    install = re.search(r"apt-get install -y --no-install-recommends(.*?)&&", runtime, re.S)
    return set(install.group(1).replace("\\", " ").split())


def test_runtime_packages_are_the_binarys_libraries():
    """Each package provides a library isacd is linked against, and each
    such library (but libc) comes from one of them.  The image holds the
    release build (`make build`), whatever flavour this suite runs."""
    release = os.path.join(ROOT, "build", "release", "isacd")
    subprocess.run(["make", "-s", "--no-print-directory", "build"], cwd=ROOT, check=True,
                   capture_output=True)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", release], capture_output=True,
                                       text=True, check=True).stdout)
    providers = set()
    for lib in needed:
        if lib.startswith("libc.so"):
            continue
        out = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
        assert out.returncode == 0, (lib, out.stderr)
        pkgs = {line.split(":")[0] for line in out.stdout.splitlines() if "-dev" not in line}
        assert pkgs, lib
        providers |= pkgs
    assert runtime_packages() == providers, (runtime_packages(), providers)


def isacd_services():
    return {name: s for name, s in compose()["services"].items()
            if s.get("image") != "postgres:15"}


def test_the_image_is_built_once_and_reused():
    services = isacd_services()
    assert set(services) == {"migrate", "first-staff", "isacd"}, services
    built = [name for name, s in services.items() if "build" in s]
    assert built == ["migrate"], built
    assert services["migrate"]["pull_policy"] == "build"
    image = services["migrate"]["image"]
    for name, s in services.items():
        assert s["image"] == image, name
        if name != "migrate":
            # a registry has no such image: never try to pull it
            assert s["pull_policy"] == "never", name


def test_the_first_start_creates_the_first_staff_account():
    services = compose()["services"]
    first = services["first-staff"]
    cmd = first["command"]
    assert cmd[0] == "create-staff" and "--if-no-staff" in cmd and "--generate-password" in cmd
    assert first["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "restart" not in first  # once per start, not again and again
    # isacd serves only once the account (and its printed password) exist
    assert services["isacd"]["depends_on"]["first-staff"]["condition"] == \
        "service_completed_successfully"
    out = subprocess.run([ISACD, "create-staff", "--help"], capture_output=True, text=True)
    for flag in cmd:
        if flag.startswith("--"):
            assert flag in out.stdout, flag


def test_isacd_has_a_healthcheck_it_can_run():
    check = compose()["services"]["isacd"]["healthcheck"]
    assert check["test"] == ["CMD", "isacd", "healthcheck"], check
    out = subprocess.run([ISACD, "healthcheck", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "/readyz" in out.stdout, out
    with open(os.path.join(DOCKER, "Dockerfile")) as f:
        assert re.search(r'^HEALTHCHECK .*\\\n\s*CMD \["isacd", "healthcheck"\]', f.read(), re.M)


def test_the_database_role_is_no_superuser_and_owns_its_database(pg):
    """compose: postgres's superuser is not isacd's role; the init script
    (run by the image on its first start) makes that role and its database.
    Run here, under other names, on a real PostgreSQL: the role is no
    superuser, owns the database, and the migrations and the first staff
    account pass as that role."""
    postgres = compose()["services"]["postgres"]
    env = postgres["environment"]
    assert env.get("POSTGRES_USER", "postgres") == "postgres", env
    mounts = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    assert mounts and mounts[0].startswith("./postgres-init.sql:"), mounts
    assert "user=isacd" in compose()["x-isacd"]["environment"]["ISACD_DATABASE_URL"]
    with open(os.path.join(DOCKER, "postgres-init.sql")) as f:
        script = f.read()
    statements = [s.strip() for s in re.sub(r"--[^\n]*", "", script).split(";") if s.strip()]
    assert statements == ["CREATE ROLE isacd LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
                          "CREATE DATABASE isacd OWNER isacd"], statements

    name = "isacd_" + uuid.uuid4().hex[:8]
    try:
        for st in statements:
            pg.sql("postgres", st.replace("isacd", name))
        sup, owner = pg.sql("postgres", "SELECT r.rolsuper, d.datdba::regrole::text"
                            " FROM pg_roles r, pg_database d"
                            " WHERE r.rolname = %s AND d.datname = %s", (name, name))[0]
        assert sup is False and owner == name
        db_env = dict(os.environ, ISACD_DATABASE_URL="host=%s port=%d user=%s dbname=%s"
                      % (pg.dir, pg.port, name, name))
        out = run_isacd(["migrate"], db_env)
        assert out.returncode == 0, out.stderr
        out = run_isacd(["create-staff", "--if-no-staff", "--generate-password", "--email",
                         "admin@isacd.local", "--name", "First Staff", "--organisation",
                         "Platform operator"], db_env, env={"ISACD_ARGON2_M_KIB": "19456"})
        assert out.returncode == 0, out.stderr
        assert re.search(r"^  password: \S{20,}$", out.stdout, re.M), out.stdout
    finally:
        pg.sql("postgres", "DROP DATABASE IF EXISTS %s" % name)
        pg.sql("postgres", "DROP ROLE IF EXISTS %s" % name)
