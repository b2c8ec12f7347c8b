#!/usr/bin/env bash
# run.sh ISACD_BINARY - the benchmarks of isacd, printed as figures and as
# ratios to the physical-limit anchors measured in the same run.
#
#   1. anchors: ../shared/anchors/run.sh (HTTP rows: bare evhttp, nginx)
#   2. GET /healthz: isacd pinned to CPU 0, wrk -t1 -c64 -d10s on CPU 1,
#      2 s warm-up, RUNS runs, medians (the anchors' method exactly), at
#      ISACD_LOG_LEVEL=info, the production level: a log line per request
#      (to a file)
#   3. GET /api/v1/me p99 with and without 20 logins/s (login_p99.py)
#
# Knobs: RUNS=3 DUR=10 SKIP_ANCHORS=1 SKIP_HEALTHZ=1 SKIP_LOGIN=1
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
RUNS=${RUNS:-3}
DUR=${DUR:-10}
PORT=${BENCH_PORT:-18480}
ANCHORS=${ANCHORS_DIR:-../shared/anchors}
tools/deps.sh wrk nginx-light curl
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

ANCHOR_EVHTTP=- ANCHOR_NGINX=-
if [ "${SKIP_ANCHORS:-0}" != 1 ]; then
	log "anchors: $ANCHORS/run.sh (HTTP rows)"
	mkdir -p "$BENCH_TMP/anchors"
	SKIP_PG=1 SKIP_IDLE=1 RUNS=$RUNS DUR=$DUR ANCHORS_OUT="$BENCH_TMP/anchors" \
		bash "$ANCHORS/run.sh" > "$BENCH_TMP/anchors.out" 2> "$BENCH_TMP/anchors.err" || {
		tail -20 "$BENCH_TMP/anchors.err"; exit 1; }
	summary=$(find "$BENCH_TMP/anchors" -name summary.md | head -1)
	ANCHOR_EVHTTP=$(grep 'hello_evhttp' "$summary" | head -1 | sed -E 's/.*\| *([0-9,.]+) req\/s.*/\1/' | tr -d ,)
	ANCHOR_NGINX=$(grep 'nginx return 200' "$summary" | head -1 | sed -E 's/.*\| *([0-9,.]+) req\/s.*/\1/' | tr -d ,)
	log "anchors: evhttp $ANCHOR_EVHTTP req/s, nginx $ANCHOR_NGINX req/s"
fi

pg_start 55491

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }

if [ "${SKIP_HEALTHZ:-0}" != 1 ]; then
	log "GET /healthz: isacd on CPU 0, wrk -t1 -c64 -d${DUR}s on CPU 1"
	ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info taskset -c 0 "$ISACD" serve 2> "$BENCH_TMP/isacd.log" &
	PIDS+=($!)
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
	taskset -c 1 wrk -t1 -c64 -d2s "http://127.0.0.1:$PORT/healthz" >/dev/null
	: > "$BENCH_TMP/healthz.tsv"
	for ((r = 1; r <= RUNS; r++)); do
		f=$BENCH_TMP/wrk_healthz_$r.txt
		taskset -c 1 wrk -t1 -c64 -d"${DUR}s" --latency "http://127.0.0.1:$PORT/healthz" > "$f"
		grep -E 'Non-2xx|Socket errors' "$f" && log "WARNING: errors in run $r"
		rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
		p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$f")")
		p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")
		echo "$rps $p50 $p99" >> "$BENCH_TMP/healthz.tsv"
		log "  run $r: $rps req/s, p50 $p50 ms, p99 $p99 ms"
	done
	kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
	rps=$(cut -d' ' -f1 "$BENCH_TMP/healthz.tsv" | median)
	echo
	echo "| GET /healthz, wrk -t1 -c64 -d${DUR}s, medians of $RUNS | req/s | p50 ms | p99 ms | isacd / evhttp | isacd / nginx |"
	echo "|---|---|---|---|---|---|"
	echo "| isacd | $rps | $(cut -d' ' -f2 "$BENCH_TMP/healthz.tsv" | median) | $(cut -d' ' -f3 "$BENCH_TMP/healthz.tsv" | median) | $(ratio "$rps" "$ANCHOR_EVHTTP") | $(ratio "$rps" "$ANCHOR_NGINX") |"
	echo "| anchor: bare evhttp | $ANCHOR_EVHTTP | | | 1 | |"
	echo "| anchor: nginx | $ANCHOR_NGINX | | | | 1 |"
	echo
fi

if [ "${SKIP_LOGIN:-0}" != 1 ]; then
	log "GET /api/v1/me p99 with and without 20 logins/s"
	ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=warn "$ISACD" serve 2> "$BENCH_TMP/isacd2.log" &
	PIDS+=($!)
	for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
	ISACD="$ISACD" /usr/bin/python3 tests/bench/login_p99.py "http://127.0.0.1:$PORT"
	kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
fi
