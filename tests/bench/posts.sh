#!/usr/bin/env bash
# posts.sh ISACD_BINARY - the read and write paths of posts on 1,000,000
# posts over 1,000 channels (posts_seed.sql; its load time is printed):
#
#   read:  GET /api/v1/channels/{id}/posts?limit=50 as a member, on a
#          channel of ~1,000 posts, on the biggest (50,000) and on one with a
#          single post (the page must not grow with the channel);
#   write: POST /api/v1/channels/{id}/posts (a TLP:GREEN post, 500 bytes);
#
# each next to pgbench running the statements isacd runs for it (the
# session lookup and the statement, from `isacd sql`) at the same
# concurrency on the same database.  isacd and PostgreSQL on CPU 0, the load
# on CPU 1 (as ../shared/anchors/run.sh), isacd logging at info.
# Knobs: DUR=10 CONNS=8 BENCH_PORT=18484 KEEP_DB=dir (reuse a seeded cluster)
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
DUR=${DUR:-10}
CONNS=${CONNS:-8}
PORT=${BENCH_PORT:-18484}
tools/deps.sh wrk curl
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
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u); if (u == "us") n /= 1000; else if (u == "s") n *= 1000; printf "%.3f\n", n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.2f", a / b }'; }

PG_CPU=0 pg_start 55495
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd "$@"; }
PASSWORD=Grey-Heron-Lantern-417
echo "$PASSWORD" | "$ISACD" create-staff --email staff@bench.example --name "Bench Staff" \
	--organisation "Bench Agency" --password-stdin >/dev/null
HASH_PW=$(psql_ -At -c "SELECT password_hash FROM users WHERE email = 'staff@bench.example'")
log "seeding 1,000,000 posts over 1,000 channels"
t0=$(date +%s.%N)
psql_ -v hash="$HASH_PW" -f tests/bench/posts_seed.sql
SEED_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
log "seeded in ${SEED_S} s ($(psql_ -At -c "SELECT pg_size_pretty(pg_database_size('isacd'))"))"

ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info taskset -c 0 "$ISACD" serve \
	2> "$BENCH_TMP/isacd.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
TOKEN=$(curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
	-d "{\"email\":\"member@bench.example\",\"password\":\"$PASSWORD\"}" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
USER_ID=$(psql_ -At -c "SELECT id FROM users WHERE email = 'member@bench.example'")
chan() { psql_ -At -c "SELECT id FROM channels WHERE name = 'channel $2' AND community_id = (SELECT id FROM communities WHERE name = 'Bench Cluster $1')"; }
# the seed's channel numbers: 1 = one post, 2 = the biggest, 3.. ~1,000 each
ONE=$(chan 1 1); BIG=$(chan 1 2); MID=$(chan 7 5)
for c in "$ONE" "$BIG" "$MID"; do
	n=$(curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/channels/$c/posts?limit=50" |
		/usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
	log "channel $c: $(psql_ -At -c "SELECT count(*) FROM posts WHERE channel_id = '$c'") posts, a page of $n"
done

read_sql() { # channel
	"$ISACD" sql auth_session | sed -e 's/\$1/:h/g' -e 's/\$2/1800/g' -e 's/\$3/60/g' -e 's/$/;/'
	"$ISACD" sql post_list | sed -e 's/\$1/:u/g' -e "s/\\\$2/'$1'/g" -e 's/\$3/NULL/g' -e 's/\$4/NULL/g' \
		-e 's/\$5/NULL/g' -e 's/\$6/NULL/g' -e 's/\$7/NULL/g' -e 's/\$8/51/g' -e 's/$/;/'
}
write_sql() {
	"$ISACD" sql auth_session | sed -e 's/\$1/:h/g' -e 's/\$2/1800/g' -e 's/\$3/60/g' -e 's/$/;/'
	"$ISACD" sql post_create | sed -e 's/\$10\b/'"'{}'"'/g' -e 's/\$11/'"'{}'"'/g' -e 's/\$12/'"'{}'"'/g' \
		-e 's/\$13/NULL/g' -e 's/\$14/NULL/g' -e 's/\$1\b/:u/g' -e "s/\\\$2/'$MID'/g" \
		-e "s/\\\$3/'incident'/g" -e "s/\\\$4/'Bench write'/g" -e "s/\\\$5/'$(printf 'x%.0s' $(seq 500))'/g" \
		-e "s/\\\$6/'TLP:GREEN'/g" -e 's/\$7/NULL/g' -e "s/\\\$8/'{bench}'/g" -e 's/\$9/false/g' -e 's/$/;/'
}
wrk_get() { # channel -> "rps p50 p99"
	local f=$BENCH_TMP/wrk_get_$1.txt
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$PORT/api/v1/channels/$1/posts?limit=50" > "$f"
	grep -E 'Non-2xx|Socket errors' "$f" >&2 && log "WARNING: errors in $f"
	echo "$(awk '/^Requests\/sec:/ {print $2}' "$f") $(to_ms "$(awk '$1 == "50%" {print $2}' "$f")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")"
}
pgb() { # script -> "tps p99"
	local f=$BENCH_TMP/pgb_$(basename "$1").txt
	taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c "$CONNS" -j 1 \
		-T "$DUR" -D h="$HASH" -D u="$USER_ID" -f "$1" -l --log-prefix="$BENCH_TMP/pgl" isacd > "$f" 2>&1 ||
		{ cat "$f" >&2; exit 1; }
	echo "$(awk '/^tps = / {print $3}' "$f") $(cat "$BENCH_TMP"/pgl* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {printf "%.3f", a[int(NR*0.99)]/1000}')"
	rm -f "$BENCH_TMP"/pgl*
}

read_sql "$MID" > "$BENCH_TMP/read.sql"
write_sql > "$BENCH_TMP/write.sql"
cat > "$BENCH_TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"kind":"incident","title":"Bench write","body":"$(printf 'x%.0s' $(seq 500))","tlp":"TLP:GREEN","tags":["bench"]}'
LUA

log "warm-up"
taskset -c 1 wrk -t1 -c"$CONNS" -d3s -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$PORT/api/v1/channels/$MID/posts?limit=50" >/dev/null
log "read: wrk and pgbench, c$CONNS, ${DUR}s each"
R_MID=$(wrk_get "$MID"); P_READ=$(pgb "$BENCH_TMP/read.sql")
R_BIG=$(wrk_get "$BIG"); R_ONE=$(wrk_get "$ONE")
log "write: wrk and pgbench, c$CONNS, ${DUR}s each"
psql_ -c CHECKPOINT
taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" \
	-s "$BENCH_TMP/post.lua" "http://127.0.0.1:$PORT/api/v1/channels/$MID/posts" > "$BENCH_TMP/wrk_post.txt"
grep -E 'Non-2xx|Socket errors' "$BENCH_TMP/wrk_post.txt" >&2 && log "WARNING: errors in the write run"
W=$(echo "$(awk '/^Requests\/sec:/ {print $2}' "$BENCH_TMP/wrk_post.txt") $(to_ms "$(awk '$1 == "50%" {print $2}' "$BENCH_TMP/wrk_post.txt")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$BENCH_TMP/wrk_post.txt")")")
psql_ -c CHECKPOINT
P_WRITE=$(pgb "$BENCH_TMP/write.sql")
set -- $R_MID; rm_rps=$1 rm_p50=$2 rm_p99=$3
set -- $P_READ; pr_tps=$1 pr_p99=$2
set -- $R_BIG; rb_rps=$1 rb_p99=$3
set -- $R_ONE; ro_rps=$1 ro_p99=$3
set -- $W; w_rps=$1 w_p50=$2 w_p99=$3
set -- $P_WRITE; pw_tps=$1 pw_p99=$2
echo
echo "Seed: 1,000,000 posts, 3,000,000 indicators in ${SEED_S} s."
echo
echo "| c$CONNS, ${DUR}s, one run | isacd req/s | isacd p50 ms | isacd p99 ms | pgbench tps | pgbench p99 ms | isacd / pgbench |"
echo "|---|---|---|---|---|---|---|"
echo "| GET /channels/{id}/posts?limit=50 (1,000 posts) | $rm_rps | $rm_p50 | $rm_p99 | $pr_tps | $pr_p99 | $(ratio "$rm_rps" "$pr_tps") |"
echo "| the same, biggest channel (50,000 posts) | $rb_rps | | $rb_p99 | | | |"
echo "| the same, a channel with one post | $ro_rps | | $ro_p99 | | | |"
echo "| POST /channels/{id}/posts (TLP:GREEN, 500 B) | $w_rps | $w_p50 | $w_p99 | $pw_tps | $pw_p99 | $(ratio "$w_rps" "$pw_tps") |"
echo
echo "EXPLAIN (ANALYZE, BUFFERS) of the page of the biggest channel:"
psql_ -c "PREPARE q(uuid, uuid, text, text, text, timestamptz, uuid, int) AS $("$ISACD" sql post_list)" \
	-c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('$USER_ID', '$BIG', NULL, NULL, NULL, NULL, NULL, 51)" | sed 's/^/    /'
