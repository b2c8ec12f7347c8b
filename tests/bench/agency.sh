#!/usr/bin/env bash
# agency.sh ISACD_BINARY - the agency's flows under load, each next to a
# same-run baseline on the same database:
#
#   1. fan-out: COMMUNITIES (500) regional communities of MEMBERS (20)
#      members each (organisations shared across communities), seeded in
#      SQL; one WebSocket per community (its owner, subscribed to its
#      advisories channel).  Staff POST /api/v1/advisories to all of them,
#      RUNS times: the time to the 201 (the commit of the advisory and its
#      copies) and to the last listener's post.created.  Baseline: the same
#      rows (one post per advisories channel, and the targets) inserted with
#      plain SQL in one transaction.
#   2. the staff counts: GET /api/v1/advisories/{id}/acks over the
#      COMMUNITIES targets with half of the organisations acknowledged,
#      REQS requests one at a time, p50/p99.  Baseline: the SQL function
#      the route runs (isacd_advisory_acks_counts), called directly.
#   3. the threat picture on the 1,000,000-post set (posts_seed.sql, every
#      community opted in): GET /api/v1/insights/threat-picture (staff) and
#      GET /api/v1/communities/{id}/threat-picture (the bench member), p50
#      and p99.  Baseline: their SQL functions called directly.  Loading the
#      set takes minutes: SKIP_PICTURE=1 leaves it out.
#
# isacd and PostgreSQL on CPU 0, the load on CPU 1, isacd logging at info.
# Knobs: COMMUNITIES=500 MEMBERS=20 RUNS=3 REQS=100 SKIP_PICTURE=1
#        BENCH_PORT=18486
set -euo pipefail
cd "$(dirname "$0")/../.."
ISACD=$(realpath "${1:-build/release/isacd}")
COMMUNITIES=${COMMUNITIES:-500}
MEMBERS=${MEMBERS:-20}
RUNS=${RUNS:-3}
REQS=${REQS:-100}
PORT=${BENCH_PORT:-18486}
tools/deps.sh curl python3-websockets python3-psycopg2
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

PG_CPU=0 pg_start 55496
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCK" -p "$PG_PORT" -U postgres -d isacd "$@"; }
PASSWORD=Grey-Heron-Lantern-417
echo "$PASSWORD" | "$ISACD" create-staff --email staff@bench.example --name "Bench Staff" \
	--organisation "Bench Agency" --password-stdin >/dev/null
PICTURE=0
if [ "${SKIP_PICTURE:-0}" != 1 ]; then
	# first, on the fresh database: the seed numbers every community it finds
	HASH_PW=$(psql_ -At -c "SELECT password_hash FROM users WHERE email = 'staff@bench.example'")
	log "seeding 1,000,000 posts over 1,000 channels (posts_seed.sql)"
	t0=$(date +%s.%N)
	# the seed is one statement per table: without the realtime events (a
	# transaction writes at most 4,095), which nobody listens to yet
	EVENT_TRIGGERS="posts posts_events, memberships memberships_events, channel_readers channel_readers_events"
	triggers() { # ENABLE|DISABLE
		local t
		IFS=, read -ra t <<< "$EVENT_TRIGGERS"
		for x in "${t[@]}"; do
			set -- "$1" $x
			psql_ -c "ALTER TABLE $2 $1 TRIGGER $3"
			set -- "$1"
		done
	}
	triggers DISABLE
	psql_ -v hash="$HASH_PW" -f tests/bench/posts_seed.sql
	triggers ENABLE
	psql_ -c "UPDATE communities SET statistics = 'agency'"
	log "seeded in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }') s"
	PICTURE=1
fi

ISACD_LISTEN=127.0.0.1:$PORT ISACD_LOG_LEVEL=info ISACD_MAX_CONNS_PER_IP=$((COMMUNITIES + 64)) \
	taskset -c 0 "$ISACD" serve 2> "$BENCH_TMP/isacd.log" &
PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done

taskset -c 1 /usr/bin/python3 - "http://127.0.0.1:$PORT/api/v1" "$PG_SOCK" "$PG_PORT" \
	"$COMMUNITIES" "$MEMBERS" "$RUNS" "$REQS" "$PICTURE" <<'PY'
import asyncio, base64, hashlib, json, os, statistics, sys, time, urllib.error, urllib.request
import psycopg2, websockets

API, SOCK, PGPORT = sys.argv[1], sys.argv[2], sys.argv[3]
NC, NM, RUNS, REQS, PICTURE = (int(x) for x in sys.argv[4:9])
db = psycopg2.connect(host=SOCK, port=PGPORT, user="postgres", dbname="isacd")
db.autocommit = True
cur = db.cursor()

def log(*a):
    print("[%s]" % time.strftime("%H:%M:%S", time.gmtime()), *a, file=sys.stderr, flush=True)

def q(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchall() if cur.description else None

def session(user_id):
    token = "isacd_s_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    q("INSERT INTO sessions (user_id, token_hash, expires_at) VALUES (%s, %s, now() + interval '1 day')",
      (user_id, hashlib.sha256(token.encode()).hexdigest()))
    return token

def http(method, path, token, body=None):
    req = urllib.request.Request(API + "/" + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        sys.exit("%s %s: %d %s" % (method, path, e.code, e.read().decode()))

def http_raw(method, path, token):
    req = urllib.request.Request(API + "/" + path, method=method,
                                 headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def timed(fn, n):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out

def row(name, xs, base):
    print("| %s | %.1f | %.1f | %.1f | %.1f | %.2f |" % (
        name, pct(xs, 50), pct(xs, 99), pct(base, 50), pct(base, 99), pct(xs, 99) / pct(base, 99)))

staff_id = q("SELECT id FROM users WHERE email = 'staff@bench.example'")[0][0]
STAFF = session(staff_id)

# ---- 1. fan-out -------------------------------------------------------------
log("seeding %d regional communities of %d members" % (NC, NM))
t = time.time()
norgs = max(NM * 10, 50)
q("""INSERT INTO organisations (name, sector, country)
     SELECT 'Fan Org ' || g, 'fan sector ' || (g %% 7), 'NL' FROM generate_series(1, %s) g""", (norgs,))
q("""INSERT INTO communities (name, kind) SELECT 'Fan Cluster ' || g, 'regional'
     FROM generate_series(1, %s) g""", (NC,))
q("""CREATE TEMP TABLE fo AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM organisations
     WHERE name LIKE 'Fan Org %%'""")
q("""CREATE TEMP TABLE fc AS SELECT substring(name from '[0-9]+')::int AS n, id FROM communities
     WHERE name LIKE 'Fan Cluster %%'""")
q("""INSERT INTO users (email, display_name, organisation_id, password_hash)
     SELECT 'fan' || c.n || '_' || j || '@bench.example', 'Fan ' || c.n || '/' || j,
       (SELECT fo.id FROM fo WHERE fo.n = 1 + (c.n * 7 + j) %% %s), 'x'
     FROM fc c, generate_series(1, %s) j""", (norgs, NM))
# a transaction writes at most 4,095 events (one per membership): in slices
for lo in range(1, NC + 1, 100):
    q("""INSERT INTO memberships (community_id, user_id, role)
         SELECT c.id, u.id, CASE WHEN u.email LIKE '%%\\_1@bench.example' THEN 'owner' ELSE 'member' END
         FROM fc c JOIN users u ON u.email LIKE 'fan' || c.n || '\\_%%@bench.example'
         WHERE c.n >= %s AND c.n < %s""", (lo, lo + 100))
q("ANALYZE")
owners = q("""SELECT u.id, ch.id FROM fc c
     JOIN users u ON u.email = 'fan' || c.n || '_1@bench.example'
     JOIN channels ch ON ch.community_id = c.id AND ch.posting = 'agency' ORDER BY c.n""")
assert len(owners) == NC, len(owners)
log("seeded in %.0f s: %s users, %s memberships" % (time.time() - t,
    q("SELECT count(*) FROM users")[0][0], q("SELECT count(*) FROM memberships")[0][0]))
tokens = [(session(u), ch) for u, ch in owners]

async def fanout():
    ws_url = API.replace("http://", "ws://") + "/realtime"
    inbox = asyncio.Queue()
    socks = []

    async def listen(token, channel):
        ws = await websockets.connect(ws_url, extra_headers={"Authorization": "Bearer " + token},
                                      max_size=2 ** 24, open_timeout=60)
        await ws.send(json.dumps({"type": "subscribe", "channels": [channel]}))
        while json.loads(await ws.recv())["type"] != "subscribed":
            pass
        socks.append(ws)

        async def read():
            async for m in ws:
                d = json.loads(m)
                if d.get("type") == "event" and d.get("event") == "post.created":
                    adv = (d.get("data") or {}).get("advisory") or {}
                    inbox.put_nowait((time.perf_counter(), adv.get("id")))
        asyncio.ensure_future(read())

    t = time.perf_counter()
    for i in range(0, len(tokens), 50):
        await asyncio.gather(*(listen(tk, ch) for tk, ch in tokens[i:i + 50]))
    log("%d listeners subscribed in %.1f s" % (len(socks), time.perf_counter() - t))
    loop = asyncio.get_running_loop()
    results = []
    ids = []
    for r in range(RUNS):
        body = {"title": "Bench advisory %d" % r, "summary": "Patch now.",
                "body": "A flaw " + "x" * 400, "severity": "high", "tlp": "TLP:GREEN",
                "cves": ["CVE-2026-%d" % (10001 + r)], "targets": {"kinds": ["regional"]}}
        t0 = time.perf_counter()
        status, a = await loop.run_in_executor(None, http, "POST", "advisories", STAFF, body)
        t_commit = time.perf_counter()
        assert status == 201 and a["target_count"] == NC, (status, a.get("target_count"))
        got, last = 0, t_commit
        while got < NC:
            at, aid = await asyncio.wait_for(inbox.get(), 60)
            if aid == a["id"]:
                got += 1
                last = at
        results.append(((t_commit - t0) * 1000, (last - t0) * 1000))
        ids.append(a["id"])
        log("advisory %d: 201 after %.0f ms, the last of %d deliveries after %.0f ms"
            % (r + 1, *results[-1][:1], got, results[-1][1]))
        await asyncio.sleep(1)
    for ws in socks:
        await ws.close()
    return results, ids

results, ids = asyncio.run(fanout())

# baseline: the same rows (the advisory, its targets, one post per advisories
# channel) with plain INSERTs in one transaction, and its commit
base = []
for r in range(RUNS):
    db.autocommit = False
    t = time.perf_counter()
    cur.execute("""INSERT INTO advisories (title, summary, body, severity, tlp, cves, targets,
          created_by, updated_by)
        VALUES ('Baseline ' || %s, 'Patch now.', 'A flaw ' || repeat('x', 400), 'high',
          'TLP:GREEN', ARRAY['CVE-2026-99999'], '{"all": false, "kinds": ["regional"],
          "community_ids": []}', %s, %s) RETURNING id""", (r, staff_id, staff_id))
    aid = cur.fetchone()[0]
    cur.execute("INSERT INTO advisory_targets (advisory_id, community_id) SELECT %s, id FROM fc",
                (aid,))
    cur.execute("""INSERT INTO posts (community_id, channel_id, author_id, kind, title, body, tlp,
          severity, advisory_id)
        SELECT ch.community_id, ch.id, %s, 'advisory', 'Baseline ' || %s,
          'A flaw ' || repeat('x', 400), 'TLP:GREEN', 'high', %s
        FROM channels ch JOIN fc ON fc.id = ch.community_id WHERE ch.posting = 'agency'""",
                (staff_id, r, aid))
    db.commit()
    base.append((time.perf_counter() - t) * 1000)
    cur.execute("DELETE FROM posts WHERE advisory_id = %s", (aid,))
    cur.execute("DELETE FROM advisories WHERE id = %s", (aid,))
    db.commit()
    db.autocommit = True
    time.sleep(1)

print()
print("## isacd agency benchmark: an advisory to %d communities of %d members" % (NC, NM))
print()
print("| what | median ms | max ms | baseline median ms | baseline max ms | ratio (median) |")
print("|---|---|---|---|---|---|")
commit = [x[0] for x in results]
last = [x[1] for x in results]
for name, xs in (("POST /advisories → 201 (commit)", commit),
                 ("POST /advisories → last live delivery", last)):
    print("| %s | %.0f | %.0f | %.0f | %.0f | %.1f |" % (
        name, statistics.median(xs), max(xs), statistics.median(base), max(base),
        statistics.median(xs) / statistics.median(base)))
print()
print("(baseline: one post per advisories channel and the targets, plain INSERTs in one"
      " transaction, the posts' triggers and events included)")

# ---- 2. staff counts ----------------------------------------------------------
adv = ids[-1]
q("""INSERT INTO advisory_acks (advisory_id, organisation_id, user_id, status, version)
     SELECT DISTINCT ON (u.organisation_id) %s, u.organisation_id, u.id,
       (ARRAY['read','applies','does_not_apply','mitigated'])[1 + abs(hashtext(u.organisation_id::text)) %% 4], 1
     FROM users u JOIN fo ON fo.id = u.organisation_id
     WHERE fo.n %% 2 = 0 ORDER BY u.organisation_id, u.id""", (adv,))
q("ANALYZE advisory_acks")
n_acks = q("SELECT count(*) FROM advisory_acks WHERE advisory_id = %s", (adv,))[0][0]
http("GET", "advisories/%s/acks" % adv, STAFF)
api = timed(lambda: http("GET", "advisories/%s/acks" % adv, STAFF), REQS)
sql = timed(lambda: q("SELECT isacd_advisory_acks_counts(%s)::text", (adv,)), REQS)
print()
print("| request (%d one at a time) | p50 ms | p99 ms | SQL p50 ms | SQL p99 ms | ratio (p99) |" % REQS)
print("|---|---|---|---|---|---|")
row("GET /advisories/{id}/acks (staff counts, %d targets, %d organisations acknowledged)"
    % (NC, n_acks), api, sql)

# ---- 3. the threat picture ------------------------------------------------------
if PICTURE:
    member = q("SELECT id FROM users WHERE email = 'member@bench.example'")[0][0]
    comm = q("""SELECT m.community_id FROM memberships m JOIN communities c ON c.id = m.community_id
        WHERE m.user_id = %s ORDER BY c.name LIMIT 1""", (member,))[0][0]
    MEMBER = session(member)
    npost = q("SELECT count(*) FROM posts")[0][0]
    for path, token, fn, args in (
            ("insights/threat-picture?weeks=12", STAFF,
             "SELECT isacd_agency_threat_picture(12, 'community_kind')::text", None),
            ("communities/%s/threat-picture?weeks=12" % comm, MEMBER,
             "SELECT response FROM isacd_threat_picture(%s, %s, 12)", (member, comm))):
        # a picture may take longer than ISACD_DB_STATEMENT_TIMEOUT_MS: the
        # answers that were not 200 are counted, and the SQL timed anyway
        failed = []

        def get():
            try:
                http_raw("GET", path, token)
            except urllib.error.HTTPError as e:
                failed.append(e.code)
        n = max(10, REQS // 5)
        api = timed(get, n)
        sql = timed(lambda: q(fn, args), n)
        row("GET /%s (%d posts, %d requests, %d not 200: %s)" % (
            path.split("?")[0].replace(str(comm), "{id}"), npost, n, len(failed),
            sorted(set(failed)) or "-"), api, sql)
PY
