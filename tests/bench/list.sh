#!/usr/bin/env bash
# list.sh ISACD_BINARY - an authenticated list read against the same SQL
# run by pgbench, in one run:
#
#   GET /api/v1/organisations?limit=50 (60 organisations, a session token)
#   with wrk, next to pgbench running the two statements isacd runs for it
#   (the session lookup and the list query, as `isacd sql` prints them), at
#   8 and 32 connections.  isacd and PostgreSQL share CPU 0, the load runs
#   on CPU 1, isacd logs at info (the production level: a line per request).
#
# Prints req/s and p99 for both and the ratio isacd / pgbench.  PERF=1 also
# records isacd with perf during one c32 run and prints where its CPU went.
# Knobs: RUNS=3 DUR=10 PERF=0 BENCH_PORT=18481 SQL_FROM=ISACD_BINARY (the binary
# whose `isacd sql` gives the statements: for measuring an older build)
#
# pgbench cannot send NULL parameters, so the cursor parameters of the list
# (NULL on a first page) are written as NULL literals: its plan is a custom
# plan for a first page, as isacd's first five executions are.
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
SQL_FROM=${SQL_FROM:-$ISACD}
RUNS=${RUNS:-3}
DUR=${DUR:-10}
PORT=${BENCH_PORT:-18481}
tools/deps.sh wrk curl linux-perf
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/isacd-bench.XXXXXX")
. tests/bench/pg.sh
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pg_stop
	rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u); if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.3f\n", n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

PG_CPU=0 pg_start 55492
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd "$@"; }

log "seeding: a staff account and 60 organisations"
PASSWORD=Grey-Heron-Lantern-417
echo "$PASSWORD" | ISACD_ARGON2_M_KIB=19456 "$ISACD" create-staff --email bench@example.org \
	--name "Bench Staff" --organisation "Bench Agency" --password-stdin >/dev/null
psql_ -c "INSERT INTO organisations (name, sector, country)
	SELECT 'Organisation ' || g, 'sector ' || (g % 7), 'NL' FROM generate_series(1, 59) g"

ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info taskset -c 0 "$ISACD" serve 2> "$BENCH_TMP/isacd.log" &
ISACD_PID=$!
PIDS+=("$ISACD_PID")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d "{\"email\":\"bench@example.org\",\"password\":\"$PASSWORD\"}" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
URL="http://127.0.0.1:$PORT/api/v1/organisations?limit=50"
[ "$(curl -sf -H "Authorization: Bearer $TOKEN" "$URL" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" = 50 ] ||
	{ log "the list did not answer 50 items"; exit 1; }

# the statements isacd runs for one request, with its parameters
{
	"$SQL_FROM" sql auth_session | sed -e 's/\$1/:h/g' -e 's/\$2/1800/g' -e 's/\$3/60/g' -e 's/$/;/'
	"$SQL_FROM" sql org_list | sed -e 's/\$1/NULL/g' -e 's/\$2/NULL/g' -e 's/\$3/51/g' -e 's/$/;/'
} > "$BENCH_TMP/list.sql"

wrk_run() { # clients -> "rps p99"
	local f=$BENCH_TMP/wrk_$1_$2.txt
	taskset -c 1 wrk -t1 -c"$1" -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" "$URL" > "$f"
	grep -E 'Non-2xx|Socket errors' "$f" >&2 && log "WARNING: errors in $f"
	echo "$(awk '/^Requests\/sec:/ {print $2}' "$f") $(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")"
}
pgb_run() { # clients -> "tps p99"
	local f=$BENCH_TMP/pgb_$1_$2.txt
	taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c "$1" -j 1 \
		-T "$DUR" -D h="$HASH" -f "$BENCH_TMP/list.sql" -l --log-prefix="$BENCH_TMP/pgl_$1_$2" isacd > "$f" 2>&1 ||
		{ cat "$f" >&2; exit 1; }
	local tps p99
	tps=$(awk '/^tps = / {print $3}' "$f")
	# per-transaction log: 3rd field is the latency in microseconds
	p99=$(cat "$BENCH_TMP"/pgl_"$1"_"$2"* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int(NR*0.99)]/1000}')
	rm -f "$BENCH_TMP"/pgl_"$1"_"$2"*
	echo "$tps $p99"
}

log "warm-up"
taskset -c 1 wrk -t1 -c8 -d2s -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null
taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c 8 -j 1 -T 2 \
	-D h="$HASH" -f "$BENCH_TMP/list.sql" isacd >/dev/null 2>&1
for c in 8 32; do
	: > "$BENCH_TMP/w$c.tsv"; : > "$BENCH_TMP/p$c.tsv"
	for ((r = 1; r <= RUNS; r++)); do
		w=$(wrk_run "$c" "$r"); echo "$w" >> "$BENCH_TMP/w$c.tsv"
		p=$(pgb_run "$c" "$r"); echo "$p" >> "$BENCH_TMP/p$c.tsv"
		log "  c$c run $r: isacd $w | pgbench $p (req/s or tps, p99 ms)"
	done
done

echo
echo "| GET /api/v1/organisations?limit=50, ${DUR}s runs, medians of $RUNS | isacd req/s | isacd p99 ms | pgbench tps | pgbench p99 ms | isacd / pgbench |"
echo "|---|---|---|---|---|---|"
for c in 8 32; do
	wr=$(cut -d' ' -f1 "$BENCH_TMP/w$c.tsv" | median); wp=$(cut -d' ' -f2 "$BENCH_TMP/w$c.tsv" | median)
	pr=$(cut -d' ' -f1 "$BENCH_TMP/p$c.tsv" | median); pp=$(cut -d' ' -f2 "$BENCH_TMP/p$c.tsv" | median)
	echo "| $c connections | $wr | $wp | $pr | $pp | $(ratio "$wr" "$pr") |"
done
echo

if [ "${PERF:-0}" = 1 ]; then
	log "perf: isacd during a c32 run"
	perf record -e cpu-clock -F 2000 -g -p "$ISACD_PID" -o "$BENCH_TMP/perf.data" -- sleep "$DUR" 2>/dev/null &
	PERF_PID=$!
	taskset -c 1 wrk -t1 -c32 -d"${DUR}s" -H "Authorization: Bearer $TOKEN" "$URL" >/dev/null
	wait "$PERF_PID" || true
	echo '```'
	echo "isacd CPU by library (perf, cpu-clock, self time):"
	perf report -i "$BENCH_TMP/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -12
	echo
	echo "top symbols:"
	perf report -i "$BENCH_TMP/perf.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -25
	echo '```'
fi
