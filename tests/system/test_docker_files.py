"""docker/: no Docker engine runs where the tests run, so the files are
checked for what a first `docker compose up` depends on:

* PostgreSQL counts as healthy only when it answers over TCP (while the
  official image initialises, a temporary server answers on the socket);
* `migrate` retries until it succeeds, and isacd waits for it;
* isacd is published on 127.0.0.1 only (/metrics is for operators);
* the version reaches the build as a build argument;
* the runtime image installs exactly the libraries the binary needs.
"""

import os
import re
import subprocess

import pytest
import yaml

from conftest import ROOT

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
    args = compose()["services"]["migrate"]["build"]["args"]
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
