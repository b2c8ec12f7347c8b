#!/usr/bin/env bash
# fairness.sh ISACD_BINARY - one attacking client against everyone else:
#
#   1. slow read: slowhttptest -X -c 1500 -r 300 -w 10 -y 20 -n 5 -z 32 -k 5
#      -l 60 against GET /metrics (1,500 connections that read 32 bytes every
#      5 s through a 10-20 byte window), with ISACD_MAX_CONNS=500;
#   2. slowloris: slowhttptest -H -c 600 -r 200 -i 5 -l 40 (heads that never
#      end, reconnecting).
#
# During each, `curl /healthz` runs once a second from the attacker's address
# (127.0.0.1) and from another one (127.0.0.2); the script prints how many of
# them were served (200) and refused.  Not a test: it prints figures.
# Knobs: BENCH_PORT=18482 SKIP_SLOWREAD=1 SKIP_SLOWLORIS=1
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
PORT=${BENCH_PORT:-18482}
tools/deps.sh slowhttptest curl
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
ulimit -n 8192

pg_start 55493
ISACD_LISTEN=127.0.0.1:$PORT ISACD_MAX_CONNS=500 ISACD_LOG_LEVEL=warn \
	"$ISACD" serve 2> "$BENCH_TMP/isacd.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

# probe SECONDS FROM: one curl a second; prints "served refused other"
probe() {
	local served=0 refused=0 other=0 code
	for ((i = 0; i < $1; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --interface "$2" \
			"http://127.0.0.1:$PORT/healthz" || true)
		case $code in
		200) served=$((served + 1)) ;;
		503) refused=$((refused + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
		sleep 1
	done
	echo "$served $refused $other"
}

attack() { # name seconds slowhttptest-args...
	local name=$1 secs=$2
	shift 2
	log "$name: slowhttptest $* for ${secs}s"
	slowhttptest "$@" -u "http://127.0.0.1:$PORT/metrics" -l "$secs" -p 3 \
		> "$BENCH_TMP/$name.out" 2>&1 &
	local atk=$!
	sleep 3
	probe $((secs - 5)) 127.0.0.1 > "$BENCH_TMP/$name.same" &
	local p1=$!
	probe $((secs - 5)) 127.0.0.2 > "$BENCH_TMP/$name.other" &
	local p2=$!
	wait "$p1" "$p2"
	wait "$atk" || true
	read -r s1 r1 o1 < "$BENCH_TMP/$name.same"
	read -r s2 r2 o2 < "$BENCH_TMP/$name.other"
	echo "| $name | $s1 served, $r1 refused, $o1 failed | $s2 served, $r2 refused, $o2 failed |"
}

echo
echo "| attack (ISACD_MAX_CONNS=500) | curl /healthz from 127.0.0.1 (the attacker's address) | curl /healthz from 127.0.0.2 |"
echo "|---|---|---|"
[ "${SKIP_SLOWREAD:-0}" = 1 ] ||
	attack "slow read -c 1500" 60 -X -c 1500 -r 300 -w 10 -y 20 -n 5 -z 32 -k 5
[ "${SKIP_SLOWLORIS:-0}" = 1 ] ||
	attack "slowloris -c 600" 40 -H -c 600 -r 200 -i 5
echo
log "isacd's notices during the attacks:"
grep -o '"msg":"[^"]*"' "$BENCH_TMP/isacd.log" | sort | uniq -c | sort -rn | head -8 >&2
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^isacd_connections_(refused|cut)_total' >&2 || true
