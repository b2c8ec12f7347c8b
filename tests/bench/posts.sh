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
# concurrency on the same database (pgbench substitutes :name even inside
# string literals, so values with a colon go in as variables), and the page
# next to the plain-table anchor: pgbench reading the 50 newest rows of a
# channel from a bare table of 1,000,000 posts of the same size (one
# index, no access rule: the most PostgreSQL can give on this machine), in
# another database of the same cluster, in the same run.  The page's plan
# is shown without statistics and after VACUUM ANALYZE: it must read no
# more posts than the page shows, plus one.  Then, as a
# member of 20 of the 50 communities, one request at a time: /search with
# a word in every post, in 20%, 10%, 8% and 2% of them, in 100, in ten and
# in one, and words only in communities the member is not in (~950 and
# ~14,000 posts); as a reader of one community (2% of the posts) a word in
# every post, one in 2% and one it may never read; /indicators with a
# value in one post and one in 5,000, and /indicators/lookup with 1,000
# values (half of them hits), p50/p99 with EXPLAIN (ANALYZE, BUFFERS) of
# each (for search, of the statements it runs and the way it chose).
# isacd and PostgreSQL on CPU 0, the load on CPU 1 (as the anchors are
# measured), isacd logging at info.  The machine's load average is
# printed with the figures: on a shared machine they are only comparable
# within one run.
# Knobs: DUR=10 CONNS=8 BENCH_PORT=18484 BENCH_PG_PORT=55495 SKIP_RW=1 SKIP_SEARCH=1
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

PG_CPU=0 pg_start "${BENCH_PG_PORT:-55495}"
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

log "loading the plain-table anchor: 1,000,000 rows over 1,000 channels"
psql_ -d postgres -c "CREATE DATABASE anchor"
psql_ -d anchor <<'SQL'
CREATE TABLE posts (id bigserial PRIMARY KEY, channel_id bigint NOT NULL,
	author_id bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
	tlp text NOT NULL, title text NOT NULL, body text NOT NULL);
SELECT setseed(0.42);
-- channels interleaved in id order, as posts arrive: a channel's 50 newest
-- rows lie on ~50 pages; bodies of 500 bytes, stored inline
INSERT INTO posts (channel_id, author_id, created_at, tlp, title, body)
SELECT 1 + floor(random() * 1000)::bigint, 1 + floor(random() * 10000)::bigint,
	timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second',
	(ARRAY['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:RED'])[1 + floor(random() * 4)::int],
	'post ' || g || ' ' || left(md5(g::text), 24),
	left(repeat(md5(g::text) || ' ' || md5((g + 7)::text) || ' ', 8), 500)
FROM generate_series(1, 1000000) AS g ORDER BY g;
CREATE INDEX posts_channel_id_id_desc ON posts (channel_id, id DESC);
VACUUM (ANALYZE) posts;
CHECKPOINT;
SQL
cat > "$BENCH_TMP/anchor.sql" <<'SQL'
\set ch random(1, 1000)
SELECT id, channel_id, author_id, created_at, tlp, title, body
	FROM posts WHERE channel_id = :ch ORDER BY id DESC LIMIT 50;
SQL

ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info taskset -c 0 "$ISACD" serve \
	2> "$BENCH_TMP/isacd.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
login() { # email -> token
	curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
		-d "{\"email\":\"$1\",\"password\":\"$PASSWORD\"}" |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
TOKEN=$(login member@bench.example)
FEW_TOKEN=$(login few@bench.example)
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
[ "$(psql_ -At -c "SELECT count(*) FROM posts WHERE channel_id = '$ONE'")" = 1 ] &&
	[ "$(psql_ -At -c "SELECT count(*) FROM posts WHERE channel_id = '$BIG'")" = 50000 ] ||
	{ log "the seed's channels 1 and 2 do not hold 1 and 50,000 posts"; exit 1; }

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
		-e "s/\\\$6/:tlp/g" -e 's/\$7/NULL/g' -e "s/\\\$8/'{bench}'/g" -e 's/\$9/false/g' -e 's/$/;/'
}
wrk_get() { # channel -> "rps p50 p99"
	local f=$BENCH_TMP/wrk_get_$1.txt
	taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$PORT/api/v1/channels/$1/posts?limit=50" > "$f"
	grep -E 'Non-2xx|Socket errors' "$f" >&2 && log "WARNING: errors in $f"
	echo "$(awk '/^Requests\/sec:/ {print $2}' "$f") $(to_ms "$(awk '$1 == "50%" {print $2}' "$f")") $(to_ms "$(awk '$1 == "99%" {print $2}' "$f")")"
}
pgb() { # script [database] -> "tps p99"
	local f=$BENCH_TMP/pgb_$(basename "$1").txt
	# as isacd's pool connects (jit=off): pgbench's prepared page was
	# JIT-compiled, ~450 ms a run, since its function scan is priced high
	PGOPTIONS="-c jit=off" taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c "$CONNS" -j 1 \
		-T "$DUR" -D h="$HASH" -D u="$USER_ID" -D tlp=TLP:GREEN -f "$1" -l --log-prefix="$BENCH_TMP/pgl" "${2:-isacd}" > "$f" 2>&1 ||
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

if [ "${SKIP_RW:-0}" != 1 ]; then
log "warm-up"
taskset -c 1 wrk -t1 -c"$CONNS" -d3s -H "Authorization: Bearer $TOKEN" \
	"http://127.0.0.1:$PORT/api/v1/channels/$MID/posts?limit=50" >/dev/null
log "read: wrk and pgbench, c$CONNS, ${DUR}s each"
R_MID=$(wrk_get "$MID"); P_READ=$(pgb "$BENCH_TMP/read.sql")
taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c "$CONNS" -j 1 -T 3 \
	-f "$BENCH_TMP/anchor.sql" anchor >/dev/null 2>&1
P_ANCHOR=$(pgb "$BENCH_TMP/anchor.sql" anchor)
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
set -- $P_ANCHOR; pa_tps=$1 pa_p99=$2
set -- $R_BIG; rb_rps=$1 rb_p99=$3
set -- $R_ONE; ro_rps=$1 ro_p99=$3
set -- $W; w_rps=$1 w_p50=$2 w_p99=$3
set -- $P_WRITE; pw_tps=$1 pw_p99=$2
echo
echo "Seed: 1,000,000 posts, 3,000,000 indicators in ${SEED_S} s; load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| c$CONNS, ${DUR}s, one run | isacd req/s | isacd p50 ms | isacd p99 ms | pgbench tps | pgbench p99 ms | isacd / pgbench |"
echo "|---|---|---|---|---|---|---|"
echo "| GET /channels/{id}/posts?limit=50 (1,000 posts) | $rm_rps | $rm_p50 | $rm_p99 | $pr_tps | $pr_p99 | $(ratio "$rm_rps" "$pr_tps") |"
echo "| the same, biggest channel (50,000 posts) | $rb_rps | | $rb_p99 | | | |"
echo "| the same, a channel with one post | $ro_rps | | $ro_p99 | | | |"
echo "| anchor: pgbench, 50 newest rows of a plain table's channel | | | | $pa_tps | $pa_p99 | page / anchor $(ratio "$rm_rps" "$pa_tps") |"
echo "| POST /channels/{id}/posts (TLP:GREEN, 500 B) | $w_rps | $w_p50 | $w_p99 | $pw_tps | $pw_p99 | $(ratio "$w_rps" "$pw_tps") |"
echo
# the page's own statement runs in isacd_channel_page (plpgsql): auto_explain
# shows its plan; a new session plans it anew
explain_page() { # what
	echo "EXPLAIN (ANALYZE, BUFFERS) of the page (limit 50, 51 read) of the biggest channel, $1:"
	psql_ -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 0" \
		-c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_analyze = on" \
		-c "SET auto_explain.log_buffers = on" -c "SET client_min_messages = log" \
		-c "SELECT count(*) FROM isacd_channel_page('$USER_ID', '$BIG', true, NULL, NULL, NULL, NULL, NULL, 51)" \
		2>&1 | sed -n '/Query Text: SELECT p.id/,/^LOG:/p' | sed -e '/^LOG:/d' -e 's/^/    /'
}
# posts as never analysed: no statistics, no row count
psql_ -c "DELETE FROM pg_statistic WHERE starelid = 'posts'::regclass" \
	-c "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = 'posts'::regclass"
explain_page "with no statistics"
psql_ -c "VACUUM ANALYZE posts"
explain_page "after VACUUM ANALYZE"
fi

if [ "${SKIP_SEARCH:-0}" != 1 ]; then
	# one connection: the latency of one request, not of a queue on CPU 0
	log "search, correlation and lookup: wrk -t1 -c1 -d${DUR}s each"
	ep() { # name url [lua [token]] -> table row
		local f=$BENCH_TMP/wrk_$(echo "$1" | tr -c 'A-Za-z0-9' _).txt
		taskset -c 1 wrk -t1 -c1 -d"${DUR}s" --latency -H "Authorization: Bearer ${4:-$TOKEN}" \
			${3:+-s "$3"} "$2" > "$f"
		grep -E 'Non-2xx|Socket errors' "$f" >&2 && log "WARNING: errors in $f"
		echo "| $1 | $(awk '/^Requests\/sec:/ {print $2}' "$f") | $(to_ms "$(awk '$1 == "50%" {print $2}' "$f")") | $(to_ms "$(awk '$1 == "99%" {print $2}' "$f")") |"
	}
	A="http://127.0.0.1:$PORT/api/v1"
	# 500 values that are there and 500 that are not
	psql_ -At -c "SELECT value FROM post_indicators WHERE type = 'ipv4' AND value LIKE '10.%' GROUP BY value ORDER BY value LIMIT 500" > "$BENCH_TMP/hits.txt"
	/usr/bin/python3 - "$BENCH_TMP" <<'PY'
import json, sys
d = sys.argv[1]
hits = [l.strip() for l in open(d + "/hits.txt") if l.strip()]
vals = [{"type": "ipv4", "value": v} for v in hits]
vals += [{"type": "ipv4", "value": "192.0.2.%d" % (i % 250)} if i < 250 else
         {"type": "domain", "value": "nothing%d.example.org" % i} for i in range(1000 - len(vals))]
body = json.dumps({"indicators": vals})
open(d + "/lookup.json", "w").write(body)
open(d + "/lookup.lua", "w").write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                                   'wrk.body = [==[' + body + ']==]\n')
PY
	n=$(curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		--data-binary @"$BENCH_TMP/lookup.json" "$A/indicators/lookup" |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(1 for r in d["results"] if r["total"]), len(d["results"]), len(d["errors"]))')
	log "lookup of 1,000: values with hits, values answered, errors: $n"
	echo
	echo "Load average before search: $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| as a member of 20 communities, c1, ${DUR}s | req/s | p50 ms | p99 ms |"
	echo "|---|---|---|---|"
	ep "GET /search?q=phishing (every post)" "$A/search?q=phishing"
	ep "GET /search?q=tag1 or ... or tag10 (20%)" \
		"$A/search?q=tag1+or+tag2+or+tag3+or+tag4+or+tag5+or+tag6+or+tag7+or+tag8+or+tag9+or+tag10"
	ep "GET /search?q=tag1 or ... or tag5 (10%)" "$A/search?q=tag1+or+tag2+or+tag3+or+tag4+or+tag5"
	ep "GET /search?q=tag1 or tag2 or tag3 or tag4 (8%)" "$A/search?q=tag1+or+tag2+or+tag3+or+tag4"
	ep "GET /search?q=tag7 (2% of posts)" "$A/search?q=tag7"
	ep "GET /search?q=walrus (100 posts)" "$A/search?q=walrus"
	ep "GET /search?q=zeppelin (ten posts)" "$A/search?q=zeppelin"
	ep "GET /search?q=narwhal (one post)" "$A/search?q=narwhal"
	ep "GET /search?q=kraken (~950 posts, none readable)" "$A/search?q=kraken"
	ep "GET /search?q=basilisk (~14,000 posts, none readable)" "$A/search?q=basilisk"
	ep "GET /search?q=phishing, reader of one community" "$A/search?q=phishing" "" "$FEW_TOKEN"
	ep "GET /search?q=tag7, reader of one community" "$A/search?q=tag7" "" "$FEW_TOKEN"
	ep "GET /search?q=basilisk, reader of one community" "$A/search?q=basilisk" "" "$FEW_TOKEN"
	ep "GET /indicators, a value in 1 post" "$A/indicators?type=ipv4&value=203.0.113.201"
	ep "GET /indicators, a value in 5,000 posts" "$A/indicators?type=ipv4&value=198.51.100.77"
	ep "POST /indicators/lookup, 1,000 values (half hits)" "$A/indicators/lookup" "$BENCH_TMP/lookup.lua"
	echo
	explain() { # statement types args
		echo "EXPLAIN (ANALYZE, BUFFERS) of $1:"
		psql_ -c "PREPARE q($2) AS $("$ISACD" sql "$1")" -c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q($3)" | sed 's/^/    /'
	}
	# search is plpgsql (isacd_search_window picks how to find the
	# matches, and says which way at DEBUG): auto_explain shows the plans
	# of the statements it runs
	FEW_ID=$(psql_ -At -c "SELECT id FROM users WHERE email = 'few@bench.example'")
	explain_search() { # words [user]
		echo "EXPLAIN (ANALYZE, BUFFERS) of the statements of search for '$1'${2:+ as the reader of one community} (those over 1 ms):"
		psql_ -c "LOAD 'auto_explain'" -c "SET auto_explain.log_min_duration = 1" \
			-c "SET auto_explain.log_nested_statements = on" -c "SET auto_explain.log_analyze = on" \
			-c "SET auto_explain.log_buffers = on" -c "SET client_min_messages = debug1" \
			-c "SELECT count(*) FROM isacd_search('${2:-$USER_ID}', '$1', NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL, NULL)" \
			2>&1 | sed -e 's/^psql:[^ ]* \(LOG\|DEBUG\):  /-- /' -e 's/^/    /'
	}
	for w in phishing "tag1 or tag2 or tag3 or tag4 or tag5 or tag6 or tag7 or tag8 or tag9 or tag10" \
		"tag1 or tag2 or tag3 or tag4" tag7 zeppelin basilisk; do explain_search "$w"; done
	for w in phishing tag7; do explain_search "$w" "$FEW_ID"; done
	explain indicator_posts "uuid, text, text, text, text, inet, timestamptz, uuid, int" \
		"'$USER_ID', 'ipv4', '198.51.100.77', 'ipv6', '::ffff:198.51.100.77', '198.51.100.77', NULL, NULL, 51"
	LOOKUP_ARGS=$(/usr/bin/python3 - "$BENCH_TMP" <<'PY'
import json, sys
vals = json.load(open(sys.argv[1] + "/lookup.json"))["indicators"]
def arr(xs): return "'{" + ",".join('"%s"' % x for x in xs) + "}'"
n = [str(i) for i in range(len(vals))]
t = [v["type"] for v in vals]
val = [v["value"] for v in vals]
alt_t = ["ipv6" if x == "ipv4" else "" for x in t]
alt_v = ["::ffff:" + v if x == "ipv4" else "" for x, v in zip(t, val)]
ip = "'{" + ",".join(('"%s"' % v) if x == "ipv4" else "NULL" for x, v in zip(t, val)) + "}'"
print(", ".join([arr(n), arr(t), arr(val), arr(alt_t), arr(alt_v), ip]))
PY
)
	explain indicator_lookup "uuid, int[], text[], text[], text[], text[], text[]" "'$USER_ID', $LOOKUP_ARGS"
fi
