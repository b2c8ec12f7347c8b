#!/usr/bin/env bash
# purge.sh ISACD_BINARY - the purge's throughput: `isacd purge` on POSTS
# posts (default 1,000,000; purge_seed.sql) of which half are past their
# retention, each with 3 indicators, a comment and, one in ten, a revision
# and a sighting; the purge deletes them all in batches of ISACD_PURGE_BATCH
# posts, each batch its own transaction writing one post.deleted event per
# post.  Goal: at least 5,000 posts/s.
#
# Baseline, same run, same PostgreSQL: one plain DELETE of as many rows
# (the same ages) from a table with a key and 500-byte rows and nothing
# hanging off them -- the most a delete can do here, with no batches, no
# cascade, no events.  Then the checks: exactly the due half is gone, and
# nothing that hung off it is left.
#
# Knobs: POSTS=1000000 BATCH=500 (ISACD_PURGE_BATCH) BENCH_PORT=55496
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
POSTS=${POSTS:-1000000}
BATCH=${BATCH:-500}
BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/isacd-bench.XXXXXX")
. tests/bench/pg.sh
cleanup() {
	pg_stop
	rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) print "-"; else printf "%.0f", n / s }'; }

pg_start "${BENCH_PORT:-55496}"
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd "$@"; }
echo Grey-Heron-Lantern-417 | "$ISACD" create-staff --email staff@purge.example \
	--name "Bench Staff" --organisation "Bench Agency" --password-stdin >/dev/null
HASH_PW=$(psql_ -At -c "SELECT password_hash FROM users WHERE email = 'staff@purge.example'")
log "seeding $POSTS posts over 100 channels, half of them past their retention"
t0=$(now)
psql_ -v hash="$HASH_PW" -v n="$POSTS" -f tests/bench/purge_seed.sql
log "seeded in $(since "$t0") s ($(psql_ -At -c "SELECT pg_size_pretty(pg_database_size('isacd'))"))"
read -r DUE COMMENTS <<<"$(psql_ -At -F ' ' -c "SELECT count(*), sum((SELECT count(*)
	FROM comments c WHERE c.post_id = d.post_id)) FROM isacd_due_posts() d")"
ROWS=$(psql_ -At -c "SELECT (SELECT count(*) FROM posts) + (SELECT count(*) FROM comments)
	+ (SELECT count(*) FROM post_indicators) + (SELECT count(*) FROM post_revisions)
	+ (SELECT count(*) FROM sightings)")
log "due: $DUE posts, $COMMENTS comments; $ROWS rows of posts and what hangs off them"

log "baseline: DELETE of the $DUE old rows of a plain table"
t0=$(now)
psql_ -c "DELETE FROM bench_plain WHERE created_at < now() - interval '365 days'"
BASE_S=$(since "$t0")

log "isacd purge (ISACD_PURGE_BATCH=$BATCH)"
t0=$(now)
ISACD_PURGE_BATCH=$BATCH "$ISACD" purge > "$BENCH_TMP/purge.out"
PURGE_S=$(since "$t0")
head -1 "$BENCH_TMP/purge.out" >&2

LEFT=$(psql_ -At -c "SELECT count(*) FROM posts")
ORPHANS=$(psql_ -At -c "SELECT (SELECT count(*) FROM post_indicators i
		WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = i.post_id))
	+ (SELECT count(*) FROM comments c WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.id = c.post_id))
	+ (SELECT count(*) FROM isacd_due_posts())")
[ "$LEFT" = $((POSTS - DUE)) ] || { echo "purge.sh: $LEFT posts left, expected $((POSTS - DUE))" >&2; exit 1; }
[ "$ORPHANS" = 0 ] || { echo "purge.sh: $ORPHANS rows of purged posts left" >&2; exit 1; }

# the batches' own rate, as isacd purge reports it: the run's time less
# the sweeps and the settle time it waits before forgetting the events
PURGE_RATE=$(sed -n 's/.*; \([0-9]*\) posts\/s while deleting.*/\1/p' "$BENCH_TMP/purge.out")
BASE_RATE=$(rate "$DUE" "$BASE_S")
printf '\npurge of %s due posts (of %s; %s comments with them), batches of %s\n' \
	"$DUE" "$POSTS" "$COMMENTS" "$BATCH"
printf '  %-46s %10s rows/s  (%s s)\n' "baseline: plain DELETE, one statement" "$BASE_RATE" "$BASE_S"
printf '  %-46s %10s posts/s (goal >= 5000; %s of the baseline; %s s in all)\n' \
	"isacd purge, with everything hanging off them" "$PURGE_RATE" \
	"$(awk -v a="$PURGE_RATE" -v b="$BASE_RATE" 'BEGIN { printf "%.2f", a / b }')" "$PURGE_S"
printf '  load average at the end: %s (2 cores shared: figures vary with it)\n' \
	"$(cut -d' ' -f1-3 /proc/loadavg)"
