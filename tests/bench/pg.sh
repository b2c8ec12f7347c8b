# pg.sh - sourced by the benchmarks: a throwaway PostgreSQL in $BENCH_TMP
# (unix socket only), a migrated database, and pg_stop for the trap.
# PG_CPU=N pins the postmaster and every backend it forks to CPU N.
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
pg_start() {
	local port=$1
	mkdir -p "$BENCH_TMP/pg"
	chmod 755 "$BENCH_TMP"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$BENCH_TMP/pg"
		PGRUN=(runuser -u postgres --)
	else
		PGRUN=()
	fi
	"${PGRUN[@]}" "$PGBIN/initdb" -D "$BENCH_TMP/pg/data" -A trust -U postgres -E UTF8 >/dev/null
	local pin=()
	[ -n "${PG_CPU:-}" ] && pin=(taskset -c "$PG_CPU")
	"${pin[@]}" "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$BENCH_TMP/pg/data" -l "$BENCH_TMP/pg/log" -w \
		-o "-c listen_addresses='' -k $BENCH_TMP/pg -p $port -c shared_buffers=256MB" start >/dev/null
	PG_STARTED=1
	PG_SOCK=$BENCH_TMP/pg PG_PORT=$port
	psql -X -q -h "$BENCH_TMP/pg" -p "$port" -U postgres -c "CREATE DATABASE isacd" postgres
	export ISACD_DATABASE_URL="host=$BENCH_TMP/pg port=$port user=postgres dbname=isacd"
	# isacd serve needs the key that seals TOTP secrets
	export ISACD_TOTP_KEY=${ISACD_TOTP_KEY:-$(openssl rand -base64 32)}
	"$ISACD" migrate >/dev/null
}
pg_stop() {
	[ "${PG_STARTED:-0}" = 1 ] && "${PGRUN[@]}" "$PGBIN/pg_ctl" -D "$BENCH_TMP/pg/data" -m fast -w stop >/dev/null 2>&1
	PG_STARTED=0
}
