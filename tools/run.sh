#!/usr/bin/env bash
# run.sh ISACD_BINARY - what `make run` does after building:
#   1. one make run per checkout: a second, while the first runs, says where
#      the first serves and touches nothing (var/run.lock),
#   2. an embedded PostgreSQL 15 cluster under var/pg (initdb once; its own
#      port and socket; no system service is touched),
#   3. migrations,
#   4. a demo staff account, created once (its credentials kept in
#      var/demo-credentials.txt and printed at every start), and the key
#      that seals TOTP secrets, made once (var/totp-key),
#   5. isacd in the foreground on 127.0.0.1:8080.
# Ctrl-C stops isacd, then PostgreSQL, and make exits 0.  Running it again
# reuses the data.
#
# Ports: PostgreSQL takes 54329 (ISACD_DEV_PG_PORT to prefer another), or,
# when that is taken (another checkout's make run), the next free one; the
# port is kept in var/pg-port, and var/database-url follows it.  isacd takes
# 127.0.0.1:8080, or the next free port up to 8099; ISACD_LISTEN sets the
# address exactly.  ISACD_RUN_DIR puts var/ elsewhere (a second instance of
# one checkout needs its own).
#
# A first run that stopped half-way (before var/database-url was written)
# left var/pg-setup-incomplete: the next run makes the cluster again.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
VAR=$(realpath -m "${ISACD_RUN_DIR:-$PWD/var}")
mkdir -p "$VAR"
chmod 711 "$VAR" # others may pass through to var/pg, not list or read

say() { printf 'run: %s\n' "$*" >&2; }

# One make run per var/: the lock is held by this script and isacd (not by
# PostgreSQL, which must not keep it once they are gone).
exec 9>"$VAR/run.lock"
if ! flock -n 9; then
	say "make run is already running from this checkout, serving $(cat "$VAR/run-url" 2>/dev/null || echo "(starting)"); it is left alone."
	say "Stop it with Ctrl-C in its terminal, or run a second instance with a var/ of its own: ISACD_RUN_DIR=/tmp/isacd-second make run"
	exit 1
fi

# port_free PORT [HOST]: nothing listens on HOST:PORT, and it can be bound
port_free() {
	python3 - "$1" "${2:-127.0.0.1}" <<'PY' 2>/dev/null
import socket, sys
port, host = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((host, port))
PY
}

# free_port FROM TO: the first free port of FROM..TO on 127.0.0.1, or nothing
free_port() {
	local p
	for ((p = $1; p <= $2 && p <= 65535; p++)); do
		if port_free "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# initdb refuses root: as root the cluster belongs to the postgres user
if [ "$(id -u)" = 0 ]; then
	as_pg() { runuser -u postgres -- "$@"; }
	PGUSER_OS=postgres
else
	as_pg() { "$@"; }
	PGUSER_OS=$(id -un)
fi

# The cluster lives in var/pg.  When the postgres user cannot reach this
# checkout (a clone under /root, say), the data goes to /var/lib/isacd-dev
# and var/pg points there.
if [ ! -e "$VAR/pg" ]; then
	mkdir -p "$VAR/pg"
	chown "$PGUSER_OS" "$VAR/pg"
	chmod 700 "$VAR/pg"
	if ! as_pg test -w "$VAR/pg" 2>/dev/null; then
		rmdir "$VAR/pg"
		alt=/var/lib/isacd-dev/$(printf '%s' "$VAR" | sha256sum | cut -c1-12)
		mkdir -p "$alt"
		chown "$PGUSER_OS" "$alt"
		chmod 700 "$alt"
		ln -s "$alt" "$VAR/pg"
		say "postgres cannot reach $VAR; the cluster lives in $alt (var/pg links there)"
	fi
fi
PGDIR=$(readlink -f "$VAR/pg")
DATA=$PGDIR/data

pg_running() { as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# A first run that stopped before var/database-url was written left a
# cluster nobody has used: make it again (a cluster without that marker is
# somebody's data, and is never removed here).
if [ ! -s "$VAR/database-url" ] && [ -e "$VAR/pg-setup-incomplete" ]; then
	say "var/pg was left half-made by a make run that stopped early; making it again"
	pg_running && as_pg "$PGBIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$DATA"
fi
if [ ! -s "$VAR/database-url" ] && [ -d "$DATA" ]; then
	say "var/pg holds a cluster but var/database-url is missing; remove $VAR to start over"
	exit 1
fi

# PostgreSQL's port: the one it already runs on (a make run that was killed
# left it running), else the preferred one if it is free, else the next.
want=${ISACD_DEV_PG_PORT:-$(cat "$VAR/pg-port" 2>/dev/null || echo 54329)}
[[ "$want" =~ ^[0-9]+$ ]] && [ "$want" -ge 1024 ] && [ "$want" -le 65535 ] ||
	{ say "ISACD_DEV_PG_PORT must be a port number from 1024 to 65535, not '$want'"; exit 2; }
if pg_running && [ -s "$DATA/postmaster.pid" ]; then
	PGPORT=$(sed -n 4p "$DATA/postmaster.pid")
else
	PGPORT=$(free_port "$want" $((want + 100))) ||
		{ say "no free port for PostgreSQL in $want..$((want + 100)); set ISACD_DEV_PG_PORT"; exit 1; }
	[ "$PGPORT" = "$want" ] ||
		say "port $want is taken (another checkout's make run?); PostgreSQL takes $PGPORT (kept in var/pg-port)"
fi
echo "$PGPORT" > "$VAR/pg-port"
SOCK=$PGDIR/run
[ ${#SOCK} -lt 90 ] || SOCK=/tmp/isacd-dev-$PGPORT

# isacd's address: ISACD_LISTEN exactly, else 127.0.0.1:8080 or the next
# free port (another checkout's make run may hold 8080)
if [ -z "${ISACD_LISTEN:-}" ]; then
	port=$(free_port 8080 8099) ||
		{ say "127.0.0.1:8080 to 8099 are all taken; set ISACD_LISTEN"; exit 1; }
	[ "$port" = 8080 ] ||
		say "127.0.0.1:8080 is taken (another make run?); isacd takes 127.0.0.1:$port"
	ISACD_LISTEN=127.0.0.1:$port
fi
export ISACD_LISTEN
echo "http://$ISACD_LISTEN/" > "$VAR/run-url"
# make run's own settings are no settings of isacd's (which would warn)
unset ISACD_RUN_DIR ISACD_DEV_PG_PORT

if [ ! -s "$VAR/database-url" ]; then
	: > "$VAR/pg-setup-incomplete"
	pw=$(openssl rand -hex 24)
	su_pw=$(openssl rand -hex 24)
	pwfile=$(mktemp)
	chmod 644 "$pwfile"
	echo "$su_pw" > "$pwfile"
	say "creating the PostgreSQL cluster in var/pg"
	as_pg "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$pwfile" \
		--auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
	rm -f "$pwfile"
	NEW_DB=1
else
	NEW_DB=0
fi

mkdir -p "$SOCK"
chown "$PGUSER_OS" "$SOCK"
ISACD_PID=
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$ISACD_PID" ] && kill -0 "$ISACD_PID" 2>/dev/null; then
		kill -TERM "$ISACD_PID" 2>/dev/null || true
		wait "$ISACD_PID" 2>/dev/null || true
	fi
	say "stopping PostgreSQL"
	as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
# a signal to this script itself (kill, or Ctrl-C before isacd runs) is a stop
trap 'exit 0' INT TERM

if pg_running; then
	say "PostgreSQL is already running in var/pg (left by a make run that was killed); reusing it"
else
	say "starting PostgreSQL on 127.0.0.1:$PGPORT"
	if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$PGDIR/postgresql.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $SOCK" start >/dev/null 9>&-; then
		say "PostgreSQL did not start; see $PGDIR/postgresql.log"
		tail -5 "$PGDIR/postgresql.log" >&2 || true
		exit 1
	fi
fi

if [ "$NEW_DB" = 1 ]; then
	as_pg "$PGBIN/../bin/psql" -q -h "$SOCK" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE isacd LOGIN PASSWORD '$pw'" -c "CREATE DATABASE isacd OWNER isacd" >/dev/null
	umask 077
	echo "postgresql://isacd:$pw@127.0.0.1:$PGPORT/isacd" > "$VAR/database-url.tmp"
	mv "$VAR/database-url.tmp" "$VAR/database-url"
	rm -f "$VAR/pg-setup-incomplete"
else
	# the port may have moved since the URL was written
	url=$(sed -E "s#@127\.0\.0\.1:[0-9]+/#@127.0.0.1:$PGPORT/#" "$VAR/database-url")
	if [ "$url" != "$(cat "$VAR/database-url")" ]; then
		(umask 077 && echo "$url" > "$VAR/database-url.tmp")
		mv "$VAR/database-url.tmp" "$VAR/database-url"
	fi
fi
export ISACD_DATABASE_URL
ISACD_DATABASE_URL=$(cat "$VAR/database-url")
# the key that seals TOTP secrets at rest: made once, kept in var/totp-key
if [ -z "${ISACD_TOTP_KEY:-}" ] && [ -z "${ISACD_TOTP_KEY_FILE:-}" ]; then
	if [ ! -s "$VAR/totp-key" ]; then
		(umask 077 && openssl rand -base64 32 > "$VAR/totp-key")
		say "made the TOTP sealing key var/totp-key (keep it with the database)"
	fi
	export ISACD_TOTP_KEY_FILE=$VAR/totp-key
fi

"$BIN" migrate

if [ ! -s "$VAR/demo-credentials.txt" ]; then
	email=demo@isacd.local
	demo_pw=$(openssl rand -hex 12)
	if echo "$demo_pw" | "$BIN" create-staff --email "$email" --name "Demo Staff" \
		--organisation "Digital Trust Center (demo)" --password-stdin >/dev/null; then
		(umask 077 && printf 'email: %s\npassword: %s\n' "$email" "$demo_pw" > "$VAR/demo-credentials.txt")
	fi
fi
if [ -s "$VAR/demo-credentials.txt" ]; then
	cat <<MSG

  Demo staff account (kept in var/demo-credentials.txt):
    email:    $(sed -n 's/^email: //p' "$VAR/demo-credentials.txt")
    password: $(sed -n 's/^password: //p' "$VAR/demo-credentials.txt")

  Open http://$ISACD_LISTEN/ and sign in with the printed credentials.
  The API reference is at http://$ISACD_LISTEN/docs.  Ctrl-C stops isacd and PostgreSQL.

MSG
else
	say "var/demo-credentials.txt is missing and the demo account could not be made again; sign in with a staff account of your own (isacd create-staff)"
fi

if [ -t 0 ] && [ -t 2 ]; then
	# At a terminal, isacd gets the terminal to itself (job control: its own
	# process group in the foreground), so Ctrl-C reaches isacd alone: it
	# drains and exits 0, this script stops PostgreSQL, and make sees a
	# clean exit instead of dying of SIGINT itself.
	set -m
	"$BIN" serve || status=$?
	set +m
else
	"$BIN" serve &
	ISACD_PID=$!
	wait "$ISACD_PID" || status=$?
fi
exit "${status:-0}"
