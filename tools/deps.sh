#!/bin/sh
# deps.sh [extra packages...] - install the Debian 12 packages isacd needs to
# build, run and test.  Idempotent: quiet when everything is present, and
# `apt-get update` runs only when something is missing.
# What only one path needs is named by that path: `make test`/`make asan`
# add chromium (tests/system/test_docs.py), chromium-driver with
# python3-selenium (tests/system/test_console.py) and haproxy
# (tests/system/test_haproxy.py), tools/lint.sh clang-format
# and cppcheck, tools/npm-tools.sh npm when there is no npm at all (a nodejs
# from elsewhere may bring its own; `make build` needs it for the console).
set -eu

PKGS="gcc make pkg-config git ca-certificates curl openssl procps iproute2
libevent-dev libssl-dev libpq-dev libjansson-dev libargon2-dev libwslay-dev
libcmocka-dev postgresql-15 postgresql-client-15
python3 python3-pytest python3-requests python3-websockets python3-psycopg2
python3-yaml python3-jsonschema python3-pytest-xdist"

missing=""
for p in $PKGS "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "deps: need root (or sudo) to install:$missing" >&2; exit 1; }
	SUDO=sudo
fi
# isacd runs its own PostgreSQL clusters (make run: var/pg; tests: temp
# folders).  Keep the package from creating and starting a system cluster.
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
	$SUDO mkdir -p /etc/postgresql-common
	echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
