#!/usr/bin/env bash
# run.sh ISACD_BINARY - what `make run` does after building:
#   1. an embedded PostgreSQL 15 cluster under var/pg (initdb once; its own
#      port 54329 and socket; no system service is touched),
#   2. migrations,
#   3. a demo staff account, created once (credentials printed the first
#      time, kept in var/demo-credentials.txt),
#   4. the key that seals TOTP secrets, made once (var/totp-key),
#   5. isacd in the foreground on 127.0.0.1:8080.
# Ctrl-C stops isacd, then PostgreSQL, and make exits 0.  Running it again
# reuses the data.  ISACD_RUN_DIR puts var/ elsewhere (the system test of
# make run does), ISACD_DEV_PG_PORT moves PostgreSQL off 54329.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "$1")
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${ISACD_DEV_PG_PORT:-54329}
VAR=$(realpath -m "${ISACD_RUN_DIR:-$PWD/var}")
mkdir -p "$VAR"
chmod 711 "$VAR" # others may pass through to var/pg, not list or read

say() { printf 'run: %s\n' "$*" >&2; }

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
SOCK=$PGDIR/run
[ ${#SOCK} -lt 90 ] || SOCK=/tmp/isacd-dev-$PGPORT

if [ ! -s "$VAR/database-url" ]; then
	[ -d "$DATA" ] && { say "var/pg exists without var/database-url; remove var/ to start over"; exit 1; }
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

if as_pg "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
	say "PostgreSQL is already running in var/pg; reusing it"
else
	say "starting PostgreSQL on 127.0.0.1:$PGPORT"
	if ! as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$PGDIR/postgresql.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $SOCK" start >/dev/null; then
		say "PostgreSQL did not start; see $PGDIR/postgresql.log"
		tail -5 "$PGDIR/postgresql.log" >&2 || true
		exit 1
	fi
fi

if [ "$NEW_DB" = 1 ]; then
	as_pg "$PGBIN/../bin/psql" -q -h "$SOCK" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
		-c "CREATE ROLE isacd LOGIN PASSWORD '$pw'" -c "CREATE DATABASE isacd OWNER isacd" >/dev/null
	umask 077
	echo "postgresql://isacd:$pw@127.0.0.1:$PGPORT/isacd" > "$VAR/database-url"
fi
export ISACD_DATABASE_URL
ISACD_DATABASE_URL=$(cat "$VAR/database-url")
export ISACD_LISTEN=${ISACD_LISTEN:-127.0.0.1:8080}
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
		umask 077
		printf 'email: %s\npassword: %s\n' "$email" "$demo_pw" > "$VAR/demo-credentials.txt"
		cat <<MSG

  Demo staff account (shown once; kept in var/demo-credentials.txt):
    email:    $email
    password: $demo_pw

  Try:  curl -s -X POST http://$ISACD_LISTEN/api/v1/auth/login \\
          -H 'Content-Type: application/json' \\
          -d '{"email":"$email","password":"$demo_pw"}'

MSG
	fi
else
	say "demo staff account: see var/demo-credentials.txt"
fi

say "isacd on http://$ISACD_LISTEN (Ctrl-C stops isacd and PostgreSQL)"
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
