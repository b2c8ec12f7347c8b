#!/usr/bin/env bash
# realtime.sh ISACD_BINARY - the realtime benchmarks, each next to a
# baseline measured the same way in the same run:
#
#   1. idle: N_IDLE (10,000) subscribed WebSockets held open; isacd's RSS
#      per socket (VmRSS of /proc/PID/status before and after, a fresh
#      isacd each run, warmed by 50 sockets first), against N_IDLE idle
#      HTTP keep-alive connections (one GET /healthz each) measured the
#      same way, and against the bare libevent server of the anchors
#      (idle_conns.c: one bufferevent per connection, nothing else).
#      Goal <= 2 KiB per socket.
#   2. fan-out: one post at a time (POSTS = 100, 20 ms apart) into a
#      channel with 1,000 and with 10,000 subscribers (distinct users, so
#      each event's audience is that many users to ask about); per post the
#      time from the 201 to the last subscriber's event (and from writing
#      the request), p50/p99; deliveries per CPU-second of isacd, and of
#      isacd + PostgreSQL (their utime + stime over the posts).  Goal
#      <= 50 ms p99 at 10,000.
#   3. cross-instance: two isacd (A, B) on one PostgreSQL; 10 subscribers
#      on B, posts through A: 201 to last delivery, p50/p99; against the
#      same with the subscribers on A.  Goal <= 5 ms p99.
#   4. writers: wrk -c8 POSTs (TLP:GREEN, 500-byte body, no
#      Idempotency-Key) into one channel, and round-robin into ten, while 5
#      subscribers listen (to all the channels written); posts/s, against
#      pgbench -c8 of a plain INSERT .. RETURNING id into a plain table (the
#      anchors' pg/schema.sql and pg/write.sql, table empty) in the same
#      cluster.  The subscribers' counts show every post reached each of
#      them once.  Goal >= 1,000 posts/s.
#   5. POST latency with realtime on and off, wrk -c1 and -c8 into one
#      channel: "on" = 1,000 subscribers of that channel connected, each
#      post fanned out to them; "off" = the same isacd, binary and
#      configuration with no WebSocket connected (triggers still write the
#      events, the feed still reads them after each commit, nobody is asked
#      about or sent anything).  p99 on / p99 off; goal <= 1.5x.
#
# isacd and PostgreSQL on CPU 0 (taskset), the clients (rt_client.c, built
# here; wrk; pgbench) on CPU 1, isacd logging at info.  Each measurement is
# repeated RUNS times and the medians printed, with the load average
# (/proc/loadavg, 1 min) at each: the machine may be shared.
# Knobs: RUNS=3 DUR=10 POSTS=100 N_IDLE=10000 FANOUT="1000 10000"
#   BENCH_PORT=18485 (and +1) SKIP_IDLE=1 SKIP_FANOUT=1 SKIP_CROSS=1
#   SKIP_WRITERS=1 SKIP_P99=1 PERF=1 (perf record isacd during the
#   10,000 fan-out and print its top symbols) KEEP=1 (leave the temp folder:
#   logs, raw outputs) ANCHORS_DIR (the physical-limit anchors whose
#   idle_conns.c, idle_client.c, pg/schema.sql and pg/write.sql are the
#   baselines of 1 and 4; default ../shared/anchors, as run.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
RUNS=${RUNS:-3}
DUR=${DUR:-10}
POSTS=${POSTS:-100}
N_IDLE=${N_IDLE:-10000}
FANOUT=${FANOUT:-1000 10000}
PORT=${BENCH_PORT:-18485}
PORT_B=$((PORT + 1))
ANCHORS=${ANCHORS_DIR:-../shared/anchors}
tools/deps.sh wrk curl
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/isacd-bench.XXXXXX")
. tests/bench/pg.sh
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pg_stop
	[ "${KEEP:-0}" = 1 ] && log "kept $BENCH_TMP" || rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "-"; exit} if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u); if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.3f\n", n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "-" || b == 0 || a == "-") print "-"; else printf "%.2f", a / b }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }
col() { cut -d' ' -f"$1" "$2" | median; } # column file -> median

# the sockets: ours and the server's (the hard limit is what we may use)
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge $((N_IDLE + 2000)) ] || { log "ulimit -n $(ulimit -n) < N_IDLE + 2000"; exit 1; }
cc -O2 -Wall -Wextra -o "$BENCH_TMP/rt_client" tests/bench/rt_client.c
UPTIME0=$(uptime)

PG_CPU=0 pg_start 55496
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd "$@"; }
NSUB=$N_IDLE
for n in $FANOUT; do [ "$n" -gt "$NSUB" ] && NSUB=$n; done
log "seeding $NSUB subscribers and a writer"
psql_ -v n="$NSUB" -v tokens="$BENCH_TMP/tokens" -f tests/bench/realtime_seed.sql
chan() { psql_ -At -c "SELECT id FROM channels WHERE name = '$1'"; }
HOT=$(chan hot)
TEN=$(for i in $(seq 10); do chan "ten $i"; done | paste -sd,)
WRITER=isacd_s_$(printf 'w%.0s' $(seq 43))
psql_ -c "CREATE DATABASE anchors"
psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d anchors -f "$ANCHORS/pg/schema.sql"
psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d anchors \
	-c "CREATE INDEX posts_channel_id_id_desc ON posts (channel_id, id DESC)"

ISACD_PID=
start_isacd() { # port [env...] -> ISACD_PID
	local port=$1
	shift
	env ISACD_LISTEN=127.0.0.1:$port ISACD_LOG_LEVEL=info ISACD_MAX_CONNS=$((N_IDLE + 1000)) \
		ISACD_IDLE_TIMEOUT_S=3600 "$@" taskset -c 0 "$ISACD" serve 2>> "$BENCH_TMP/isacd_$port.log" &
	ISACD_PID=$!
	PIDS+=("$ISACD_PID")
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
	log "isacd did not start on $port"; tail "$BENCH_TMP/isacd_$port.log" >&2; exit 1
}
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
CLIENT_PID=
client() { # out mode port n [args...]: starts rt_client on CPU 1, waits for "ready"
	local out=$1 mode=$2 port=$3 n=$4
	shift 4
	: > "$out"
	taskset -c 1 "$BENCH_TMP/rt_client" "$mode" 127.0.0.1 "$port" "$BENCH_TMP/tokens" "$n" "$@" \
		> "$out" 2> "$out.err" &
	CLIENT_PID=$!
	PIDS+=("$CLIENT_PID")
	for _ in $(seq 3000); do
		grep -q '^ready' "$out" && return
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	log "rt_client did not get ready: $(cat "$out" "$out.err" | awk 'NR <= 5')"; exit 1
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { # pid... -> utime + stime, clock ticks, of the processes and their threads
	local t=0 p
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
	done
	echo "$t"
}
pg_pids() { echo "$(head -1 "$PG_SOCK/data/postmaster.pid")" $(pgrep -P "$(head -1 "$PG_SOCK/data/postmaster.pid")"); }
HZ=$(getconf CLK_TCK)
pct() { # file column q -> the q-quantile of the column (nearest rank)
	awk -v c="$2" '{print $c}' "$1" | sort -g | awk -v q="$3" '{a[NR]=$1} END {i=int(NR*q+0.999999); if (i<1) i=1; printf "%.1f", a[i]}'
}
OUT_ROWS=()
row() { OUT_ROWS+=("$*"); }

# ---------------------------------------------------------------- 1. idle
if [ "${SKIP_IDLE:-0}" != 1 ]; then
	log "1. idle: $N_IDLE subscribed WebSockets vs $N_IDLE idle HTTP keep-alive connections"
	: > "$BENCH_TMP/idle_ws.tsv"; : > "$BENCH_TMP/idle_http.tsv"
	for ((r = 1; r <= RUNS; r++)); do
		for mode in ws http; do
			start_isacd "$PORT"
			args=(); [ "$mode" = ws ] && args=("$HOT")
			client "$BENCH_TMP/warm.out" "$mode" "$PORT" 50 "${args[@]}"
			stop_pid "$CLIENT_PID"
			sleep 1
			r0=$(rss_kb "$ISACD_PID")
			client "$BENCH_TMP/idle.out" "$mode" "$PORT" "$N_IDLE" "${args[@]}"
			sleep 2
			r1=$(rss_kb "$ISACD_PID")
			l=$(load1)
			stop_pid "$CLIENT_PID"
			stop_pid "$ISACD_PID"
			per=$(awk -v a="$r0" -v b="$r1" -v n="$N_IDLE" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
			echo "$per $r0 $r1 $l" >> "$BENCH_TMP/idle_$mode.tsv"
			log "  run $r $mode: RSS $r0 -> $r1 KiB, $per B per connection ($(head -1 "$BENCH_TMP/idle.out")), load $l"
		done
	done
	# the bare libevent anchor, measured the same way (its own VmRSS
	# before and after N_IDLE loopback connections)
	cc -O2 -o "$BENCH_TMP/idle_conns" "$ANCHORS/idle_conns.c" $(pkg-config --cflags --libs libevent)
	cc -O2 -o "$BENCH_TMP/idle_client" "$ANCHORS/idle_client.c"
	: > "$BENCH_TMP/idle_bare.tsv"
	for ((r = 1; r <= RUNS; r++)); do
		taskset -c 0 "$BENCH_TMP/idle_conns" "$PORT" > "$BENCH_TMP/bare.out" 2>&1 &
		bare=$!
		PIDS+=("$bare")
		sleep 1
		r0=$(rss_kb "$bare")
		taskset -c 1 "$BENCH_TMP/idle_client" "$PORT" "$N_IDLE" > "$BENCH_TMP/bare_client.out" 2>&1 &
		bc=$!
		PIDS+=("$bc")
		for _ in $(seq 600); do grep -q "^conns=$N_IDLE " "$BENCH_TMP/bare.out" && break; sleep 0.1; done
		sleep 2
		r1=$(rss_kb "$bare")
		l=$(load1)
		stop_pid "$bc"
		stop_pid "$bare"
		per=$(awk -v a="$r0" -v b="$r1" -v n="$N_IDLE" 'BEGIN { printf "%.0f", (b - a) * 1024 / n }')
		echo "$per $r0 $r1 $l" >> "$BENCH_TMP/idle_bare.tsv"
		log "  run $r bare libevent: RSS $r0 -> $r1 KiB, $per B per connection ($(tail -1 "$BENCH_TMP/bare.out")), load $l"
	done
	ws=$(col 1 "$BENCH_TMP/idle_ws.tsv"); ht=$(col 1 "$BENCH_TMP/idle_http.tsv"); bl=$(col 1 "$BENCH_TMP/idle_bare.tsv")
	row "| 1. RSS per idle subscribed WebSocket ($N_IDLE) | $ws B | $bl B (bare libevent) | $(ratio "$ws" "$bl") | <= 2048 B | $(col 4 "$BENCH_TMP/idle_ws.tsv") |"
	row "| 1. same, against an idle HTTP keep-alive connection of isacd | $ws B | $ht B (idle HTTP) | $(ratio "$ws" "$ht") | | $(col 4 "$BENCH_TMP/idle_http.tsv") |"
fi

# ---------------------------------------------------------------- 2. fan-out
fanout_run() { # n port_sub port_post out -> runs POSTS posts, leaves lines in out
	local n=$1 psub=$2 ppost=$3 out=$4 i0 p0 i1 p1
	client "$out" ws "$psub" "$n" "$HOT" -t "$WRITER" -n "$POSTS" -p "$ppost"
	sleep 1
	i0=$(cpu_ticks "$ISACD_PID" ${ISACD_B_PID:-}); p0=$(cpu_ticks $(pg_pids))
	[ "${PERF:-0}" = 1 ] && [ "$n" = 10000 ] && {
		perf record -e cpu-clock -F 999 -g -p "$ISACD_PID" -o "$BENCH_TMP/perf.data" 2>/dev/null &
		PERF_PID=$!
	}
	kill -USR1 "$CLIENT_PID"
	for _ in $(seq 6000); do
		grep -q "^post $POSTS " "$out" && break
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	i1=$(cpu_ticks "$ISACD_PID" ${ISACD_B_PID:-}); p1=$(cpu_ticks $(pg_pids))
	[ -n "${PERF_PID:-}" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; PERF_PID=; }
	stop_pid "$CLIENT_PID"
	grep -q "^post $POSTS " "$out" || { log "the posts did not finish: $(tail -3 "$out" "$out.err")"; exit 1; }
	[ -s "$out.err" ] && log "  the client's complaints (count, message): $(sort "$out.err" | uniq -c | sort -rn | awk 'NR <= 3' | tr -s ' \n' ' ')"
	awk '/^post/ && ($7 != 0) {w++} END {if (w) print "WARNING: " w " posts went to a wrong socket"}' "$out" >&2
	# 201 -> last, send -> last, 201 ms, deliveries, isacd CPU ms, PG CPU ms
	awk '/^post/ {printf "%.3f %.3f %.3f %d\n", ($5 - $3) / 1000, $5 / 1000, $3 / 1000, $6}' "$out" > "$out.lat"
	echo "$(( (i1 - i0) * 1000 / HZ )) $(( (p1 - p0) * 1000 / HZ ))" > "$out.cpu"
}
if [ "${SKIP_FANOUT:-0}" != 1 ]; then
	for n in $FANOUT; do
		log "2. fan-out: $POSTS posts, one at a time, to $n subscribers of one channel"
		: > "$BENCH_TMP/fan_$n.tsv"
		for ((r = 1; r <= RUNS; r++)); do
			start_isacd "$PORT"
			f=$BENCH_TMP/fan_${n}_$r.out
			fanout_run "$n" "$PORT" "$PORT" "$f"
			stop_pid "$ISACD_PID"
			l=$(load1)
			short=$(awk -v n="$n" '$4 < n' "$f.lat" | wc -l)
			[ "$short" = 0 ] || log "WARNING: $short posts did not reach all $n subscribers within 10 s (deliveries: count): $(cut -d' ' -f4 "$f.lat" | sort -n | uniq -c | awk 'NR <= 3' | tr -s ' \n' ' ')"
			read -r icpu pcpu < "$f.cpu"
			d=$(awk '{d += $4} END {print d + 0}' "$f.lat")
			dps_i=$(awk -v d="$d" -v c="$icpu" 'BEGIN { printf "%.0f", c ? d * 1000 / c : 0 }')
			dps_t=$(awk -v d="$d" -v c="$((icpu + pcpu))" 'BEGIN { printf "%.0f", c ? d * 1000 / c : 0 }')
			log "  subscribers: $(head -1 "$f"); $d deliveries in all"
			echo "$(pct "$f.lat" 1 0.5) $(pct "$f.lat" 1 0.99) $(pct "$f.lat" 2 0.5) $(pct "$f.lat" 2 0.99) $dps_i $dps_t $l $(pct "$f.lat" 3 0.5) $icpu $pcpu" >> "$BENCH_TMP/fan_$n.tsv"
			log "  run $r: 201->last p50 $(pct "$f.lat" 1 0.5) p99 $(pct "$f.lat" 1 0.99) ms; send->last p99 $(pct "$f.lat" 2 0.99) ms; POST p50 $(pct "$f.lat" 3 0.5) ms; CPU isacd $icpu ms, PG $pcpu ms; $dps_i deliveries/s per isacd core, $dps_t per core of both; $(tail -1 "$f" | sed 's/.*client_cpu_ms/client CPU ms/'); load $l"
		done
		t=$BENCH_TMP/fan_$n.tsv
		row "| 2. fan-out to $n: 201 -> last delivery p50 / p99 (median of $RUNS x $POSTS posts) | $(col 1 "$t") / $(col 2 "$t") ms | POST itself p50 $(col 8 "$t") ms | | p99 <= 50 ms at 10,000 | $(col 7 "$t") |"
		row "| 2. fan-out to $n: write of the POST -> last delivery p50 / p99 | $(col 3 "$t") / $(col 4 "$t") ms | | | | |"
		row "| 2. fan-out to $n: deliveries per CPU-second, isacd / isacd + PostgreSQL | $(col 5 "$t") / $(col 6 "$t") | | | | |"
	done
	if [ "${PERF:-0}" = 1 ] && [ -s "$BENCH_TMP/perf.data" ]; then
		echo '```'
		echo "isacd during the last fan-out to 10,000 (perf, cpu-clock, self time):"
		perf report -i "$BENCH_TMP/perf.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null |
			grep -E '^ +[0-9]' | awk 'NR <= 25'
		echo '```'
	fi
fi

# ---------------------------------------------------------------- 3. cross
if [ "${SKIP_CROSS:-0}" != 1 ]; then
	log "3. cross-instance: 10 subscribers on B, posts through A; and all on A"
	: > "$BENCH_TMP/cross.tsv"; : > "$BENCH_TMP/same.tsv"
	for ((r = 1; r <= RUNS; r++)); do
		start_isacd "$PORT"; A=$ISACD_PID
		start_isacd "$PORT_B"; ISACD_B_PID=$ISACD_PID; ISACD_PID=$A
		fanout_run 10 "$PORT_B" "$PORT" "$BENCH_TMP/cross_$r.out"
		fanout_run 10 "$PORT" "$PORT" "$BENCH_TMP/same_$r.out"
		stop_pid "$ISACD_B_PID"; stop_pid "$A"; ISACD_B_PID=
		l=$(load1)
		for k in cross same; do
			f=$BENCH_TMP/${k}_$r.out.lat
			echo "$(pct "$f" 1 0.5) $(pct "$f" 1 0.99) $l" >> "$BENCH_TMP/$k.tsv"
		done
		log "  run $r: cross p50/p99 $(tail -1 "$BENCH_TMP/cross.tsv" | cut -d' ' -f1,2) ms; same $(tail -1 "$BENCH_TMP/same.tsv" | cut -d' ' -f1,2) ms; load $l"
	done
	row "| 3. cross-instance delivery, 201 -> last of 10 on B, p50 / p99 | $(col 1 "$BENCH_TMP/cross.tsv") / $(col 2 "$BENCH_TMP/cross.tsv") ms | same instance $(col 1 "$BENCH_TMP/same.tsv") / $(col 2 "$BENCH_TMP/same.tsv") ms | $(ratio "$(col 2 "$BENCH_TMP/cross.tsv")" "$(col 2 "$BENCH_TMP/same.tsv")") | p99 <= 5 ms | $(col 3 "$BENCH_TMP/cross.tsv") |"
fi

# ---------------------------------------------------------------- 4, 5: wrk
BODY=$(printf 'x%.0s' $(seq 500))
cat > "$BENCH_TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"incident","title":"Bench write","body":"$BODY","tlp":"TLP:GREEN","tags":["bench"]}'
LUA
{
	cat "$BENCH_TMP/post.lua"
	echo "paths = {$(echo "$TEN" | tr ',' '\n' | sed 's|.*|"/api/v1/channels/&/posts"|' | paste -sd,)}"
	echo 'n = 0'
	echo 'request = function() n = n % #paths + 1; return wrk.format(nil, paths[n]) end'
} > "$BENCH_TMP/post10.lua"
wrk_post() { # conns lua url out -> "rps p50 p99"
	taskset -c 1 wrk -t1 -c"$1" -d"${DUR}s" --latency -H "Authorization: Bearer $WRITER" -s "$2" "$3" > "$4"
	grep -E 'Non-2xx|Socket errors' "$4" >&2 && log "WARNING: errors in $4"
	echo "$(awk '/^Requests\/sec:/ {print $2}' "$4") $(to_ms "$(awk '$1 == "50%" {print $2}' "$4")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$4")")"
}
posts_in() { psql_ -At -c "SELECT count(*) FROM posts WHERE channel_id = ANY (string_to_array('$1', ',')::uuid[])"; }

if [ "${SKIP_WRITERS:-0}" != 1 ]; then
	log "4. 8 writers, one channel and ten, 5 subscribers; pgbench plain insert c8"
	: > "$BENCH_TMP/w1.tsv"; : > "$BENCH_TMP/w10.tsv"; : > "$BENCH_TMP/wpg.tsv"
	start_isacd "$PORT"
	for ((r = 1; r <= RUNS; r++)); do
		for k in 1 10; do
			chans=$HOT lua=$BENCH_TMP/post.lua
			[ "$k" = 10 ] && chans=$TEN lua=$BENCH_TMP/post10.lua
			c0=$(posts_in "$chans")
			client "$BENCH_TMP/w_sub.out" ws "$PORT" 5 "$chans"
			kill -USR1 "$CLIENT_PID" # hold: print the count as it moves
			psql_ -c CHECKPOINT
			w=$(wrk_post 8 "$lua" "http://127.0.0.1:$PORT/api/v1/channels/$HOT/posts" "$BENCH_TMP/wrk_w${k}_$r.txt")
			made=$(( $(posts_in "$chans") - c0 ))
			# how long after the last 201 the last subscriber had them all
			t0=$(date +%s.%N) drain=-
			for _ in $(seq 600); do
				[ "$(awk '/^held/ {m = $4} END {print m + 0}' "$BENCH_TMP/w_sub.out")" -ge "$made" ] &&
					{ drain=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'); break; }
				sleep 0.1
			done
			stop_pid "$CLIENT_PID"
			got=$(tail -1 "$BENCH_TMP/w_sub.out")
			echo "$w $(load1) $drain" >> "$BENCH_TMP/w$k.tsv"
			log "  run $r, $k channel(s): $w (posts/s p50 p99); $made posts made, all delivered ${drain} s after the run; subscribers: $got"
			echo "$got" | awk -v m="$made" '{ if ($4 != m || $6 != m) print "WARNING: a subscriber did not get each post once: " $0 }' >&2
		done
		psql_ -c CHECKPOINT
		f=$BENCH_TMP/pgb_w_$r.txt
		taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c 8 -j 1 -T "$DUR" \
			-f "$ANCHORS/pg/write.sql" anchors > "$f" 2>&1 || { cat "$f" >&2; exit 1; }
		echo "$(awk '/^tps = / {print $3}' "$f") $(load1)" >> "$BENCH_TMP/wpg.tsv"
		log "  run $r, pgbench plain insert c8: $(awk '/^tps = / {print $3}' "$f") tps"
	done
	stop_pid "$ISACD_PID"
	pg=$(col 1 "$BENCH_TMP/wpg.tsv")
	for k in 1 10; do
		w=$(col 1 "$BENCH_TMP/w$k.tsv")
		row "| 4. 8 writers into $k channel(s), 5 subscribers, posts/s (p99 $(col 3 "$BENCH_TMP/w$k.tsv") ms; last delivery $(col 5 "$BENCH_TMP/w$k.tsv") s after the run) | $w | $pg (pgbench plain INSERT c8) | $(ratio "$w" "$pg") | >= 1,000/s | $(col 4 "$BENCH_TMP/w$k.tsv") |"
	done
fi

if [ "${SKIP_P99:-0}" != 1 ]; then
	log "5. POST p99, realtime on (1,000 subscribers) and off (none)"
	start_isacd "$PORT"
	for c in 1 8; do : > "$BENCH_TMP/on_$c.tsv"; : > "$BENCH_TMP/off_$c.tsv"; done
	for ((r = 1; r <= RUNS; r++)); do
		for c in 1 8; do
			psql_ -c CHECKPOINT
			echo "$(wrk_post "$c" "$BENCH_TMP/post.lua" "http://127.0.0.1:$PORT/api/v1/channels/$HOT/posts" "$BENCH_TMP/wrk_off_${c}_$r.txt") $(load1)" >> "$BENCH_TMP/off_$c.tsv"
			client "$BENCH_TMP/on_sub.out" ws "$PORT" 1000 "$HOT"
			psql_ -c CHECKPOINT
			echo "$(wrk_post "$c" "$BENCH_TMP/post.lua" "http://127.0.0.1:$PORT/api/v1/channels/$HOT/posts" "$BENCH_TMP/wrk_on_${c}_$r.txt") $(load1)" >> "$BENCH_TMP/on_$c.tsv"
			sleep 1
			stop_pid "$CLIENT_PID"
			log "  run $r c$c: off $(tail -1 "$BENCH_TMP/off_$c.tsv"); on $(tail -1 "$BENCH_TMP/on_$c.tsv") (req/s p50 p99 load); subscribers: $(tail -1 "$BENCH_TMP/on_sub.out")"
		done
	done
	stop_pid "$ISACD_PID"
	for c in 1 8; do
		on=$(col 3 "$BENCH_TMP/on_$c.tsv"); off=$(col 3 "$BENCH_TMP/off_$c.tsv")
		row "| 5. POST p99, wrk -c$c, realtime on (1,000 subscribers; $(col 1 "$BENCH_TMP/on_$c.tsv") posts/s) vs off ($(col 1 "$BENCH_TMP/off_$c.tsv") posts/s) | $on ms | $off ms | $(ratio "$on" "$off") | <= 1.5x | $(col 4 "$BENCH_TMP/on_$c.tsv") |"
	done
fi

echo
echo "uptime at the start: $UPTIME0"
echo "uptime at the end:   $(uptime)"
echo "isacd at $(git rev-parse --short HEAD 2>/dev/null || echo "?"); medians of $RUNS runs; isacd + PostgreSQL on CPU 0, clients on CPU 1; load = 1-min load average at the measurement (2 CPUs)"
echo
echo "| measurement | isacd | baseline (same run) | ratio | goal | load |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${OUT_ROWS[@]}"
