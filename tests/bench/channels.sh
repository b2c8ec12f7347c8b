#!/usr/bin/env bash
# channels.sh ISACD_BINARY - GET /api/v1/communities/{id}/channels for a
# member of 50 communities (each with 3 community channels, 2 restricted
# ones of which the member reads one, and 20 other members), among 250
# communities in all: p50 and p99 over the 50 (wrk, a Lua script that walks
# them), and next to it pgbench running the same statement (`isacd sql
# channel_list`) at the same concurrency.  isacd and PostgreSQL on CPU 0,
# the load on CPU 1, isacd logging at info.
# Knobs: DUR=10 CONNS=8 BENCH_PORT=18483
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
DUR=${DUR:-10}
CONNS=${CONNS:-8}
PORT=${BENCH_PORT:-18483}
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

PG_CPU=0 pg_start 55494
PASSWORD=Grey-Heron-Lantern-417
echo "$PASSWORD" | ISACD_ARGON2_M_KIB=19456 "$ISACD" create-staff --email staff@example.org \
	--name "Sam Staff" --organisation "Agency" --password-stdin >/dev/null
ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info ISACD_LOGIN_MAX_IP=100000 \
	taskset -c 0 "$ISACD" serve 2> "$BENCH_TMP/isacd.log" &
PIDS+=($!)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

log "seeding 250 communities through the API (the member is in 50)"
/usr/bin/python3 - "http://127.0.0.1:$PORT/api/v1" "$PASSWORD" "$BENCH_TMP" <<'PY'
import json, sys, requests
api, pw, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = requests.Session()
def call(m, path, tok=None, **kw):
    h = {"Authorization": "Bearer " + tok} if tok else {}
    r = s.request(m, api + "/" + path, headers=h, timeout=30, **kw)
    assert r.status_code < 300, (path, r.status_code, r.text)
    return r.json() if r.content else None
staff = call("POST", "auth/login", json={"email": "staff@example.org", "password": pw})["token"]
org = call("POST", "organisations", staff, json={"name": "Members BV"})["id"]
member = None
member_id = None
others = []
ids = []
for i in range(250):
    mine = i % 5 == 0
    email = "member@example.org" if mine else "owner%d@example.org" % i
    c = call("POST", "communities", staff, json={"name": "Cluster %03d" % i, "kind": "sector",
             "owner": {"email": email, "organisation_id": org}})
    cid, tok = c["community"]["id"], c["owner_invite"]["token"]
    if mine and member is None:
        r = call("POST", "invites/accept", json={"token": tok, "display_name": "Mem Ber", "password": pw})
        member, member_id = r["token"], r["user"]["id"]
    elif mine:
        call("POST", "invites/accept", member, json={"token": tok})
    else:
        call("POST", "invites/accept", json={"token": tok, "display_name": "Owner %d" % i, "password": pw})
        continue
    ids.append(cid)
    for n in range(3):
        call("POST", "communities/%s/channels" % cid, member,
             json={"name": "general %d" % n, "visibility": "community", "posting": "members"})
    for n in range(2):
        ch = call("POST", "communities/%s/channels" % cid, member,
                  json={"name": "restricted %d" % n, "visibility": "restricted", "posting": "members"})
    # the member is the owner here; other members make the roster realistic
    for k in range(20):
        inv = call("POST", "communities/%s/invites" % cid, member,
                   json={"email": "m%d-%d@example.org" % (i, k), "organisation_id": org})
        if len(others) < 20:
            others.append(call("POST", "invites/accept",
                               json={"token": inv["token"], "display_name": "Other %d" % k,
                                     "password": pw})["token"])
        else:
            pass  # pending invites are rows too
json.dump({"token": member, "user": member_id, "ids": ids}, open(out + "/seed.json", "w"))
PY
TOKEN=$(/usr/bin/python3 -c "import json; print(json.load(open('$BENCH_TMP/seed.json'))['token'])")
USER_ID=$(/usr/bin/python3 -c "import json; print(json.load(open('$BENCH_TMP/seed.json'))['user'])")
FIRST=$(/usr/bin/python3 -c "import json; print(json.load(open('$BENCH_TMP/seed.json'))['ids'][0])")
/usr/bin/python3 -c "
import json
ids = json.load(open('$BENCH_TMP/seed.json'))['ids']
print('paths = {' + ','.join('\"/api/v1/communities/%s/channels\"' % i for i in ids) + '}')
print('n = 0')
print('request = function() n = n % #paths + 1; return wrk.format(\"GET\", paths[n]) end')
" > "$BENCH_TMP/walk.lua"

log "wrk: -t1 -c$CONNS -d${DUR}s over the 50 communities"
taskset -c 1 wrk -t1 -c"$CONNS" -d2s -H "Authorization: Bearer $TOKEN" -s "$BENCH_TMP/walk.lua" \
	"http://127.0.0.1:$PORT" >/dev/null
taskset -c 1 wrk -t1 -c"$CONNS" -d"${DUR}s" --latency -H "Authorization: Bearer $TOKEN" \
	-s "$BENCH_TMP/walk.lua" "http://127.0.0.1:$PORT" > "$BENCH_TMP/wrk.txt"
grep -E 'Non-2xx|Socket errors' "$BENCH_TMP/wrk.txt" && log "WARNING: errors"
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
{
	"$ISACD" sql auth_session | sed -e 's/\$1/:h/g' -e 's/\$2/1800/g' -e 's/\$3/60/g' -e 's/$/;/'
	"$ISACD" sql channel_list | sed -e 's/\$1/:u/g' -e 's/\$2/:c/g' -e 's/\$3/NULL/g' \
		-e 's/\$4/NULL/g' -e 's/\$5/51/g' -e 's/$/;/'
} > "$BENCH_TMP/pg.sql"
taskset -c 1 pgbench -h "$PG_SOCK" -p "$PG_PORT" -U postgres -n -M prepared -c "$CONNS" -j 1 \
	-T "$DUR" -D h="$HASH" -D u="$USER_ID" -D c="$FIRST" -f "$BENCH_TMP/pg.sql" isacd > "$BENCH_TMP/pgb.txt" 2>&1
rps=$(awk '/^Requests\/sec:/ {print $2}' "$BENCH_TMP/wrk.txt")
p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$BENCH_TMP/wrk.txt")")
p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$BENCH_TMP/wrk.txt")")
tps=$(awk '/^tps = / {print $3}' "$BENCH_TMP/pgb.txt")
echo
echo "| GET /communities/{id}/channels, member of 50 (of 250) communities, c$CONNS, ${DUR}s | value |"
echo "|---|---|"
echo "| isacd req/s | $rps |"
echo "| isacd p50 ms | $p50 |"
echo "| isacd p99 ms | $p99 |"
echo "| pgbench tps, the same two statements (session lookup + channel_list) | $tps |"
echo "| isacd / pgbench | $(awk -v a="$rps" -v b="$tps" 'BEGIN { printf "%.2f", a / b }') |"
echo
echo "EXPLAIN ANALYZE of channel_list for this member and one of their communities:"
psql -X -q -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd -c "PREPARE q(uuid, uuid, timestamptz, uuid, int) AS $("$ISACD" sql channel_list)" \
	-c "EXPLAIN (ANALYZE, BUFFERS) EXECUTE q('$USER_ID', '$FIRST', NULL, NULL, 51)" | sed 's/^/    /'
