#!/usr/bin/python3
"""GET /api/v1/me latency with and without a login storm.

Usage: login_p99.py BASE_URL   (ISACD and ISACD_DATABASE_URL in the env)

A paced load, not a saturating one: READERS keep-alive connections each send
GET /me every 1/RATE s (open loop: a late reply does not delay the schedule
of the next).  The "storm" phase adds LOGINS_PER_S successful logins per
second (argon2id on isacd's worker threads).  Phases alternate
quiet/storm/quiet/storm so drift on this noisy VM falls on both sides.
If the event loop stalled while hashing, GET /me's p99 would jump by the
hash time; the ratio storm/quiet shows whether it does.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

BASE = sys.argv[1]
U = urllib.parse.urlparse(BASE)
READERS = int(os.environ.get("READERS", "4"))
RATE = float(os.environ.get("RATE", "50"))          # GET /me per reader per s
LOGINS_PER_S = float(os.environ.get("LOGINS_PER_S", "20"))
PHASE_S = float(os.environ.get("PHASE_S", "15"))
PASSWORD = "Grey-Heron-Lantern-417"


def conn():
    return http.client.HTTPConnection(U.hostname, U.port, timeout=10)


def post_json(c, path, body, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request("POST", path, body=json.dumps(body), headers=h)
    r = c.getresponse()
    return r.status, r.read()


def setup():
    email = f"bench-{int(time.time())}@example.org"
    out = subprocess.run([os.environ["ISACD"], "create-staff", "--email", email,
                          "--name", "Bench Mark", "--organisation", "Bench",
                          "--password-stdin"], input=PASSWORD + "\n",
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    st, body = post_json(conn(), "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert st == 200, body
    return email, json.loads(body)["token"]


def reader(token, stop, lat, errors, path="/api/v1/me"):
    c = conn()
    interval = 1.0 / RATE
    nxt = time.perf_counter()
    while not stop.is_set():
        now = time.perf_counter()
        if now < nxt:
            time.sleep(nxt - now)
        t0 = time.perf_counter()
        try:
            c.request("GET", path, headers={"Authorization": "Bearer " + token})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        except Exception as e:  # noqa: BLE001 - counted, reported
            errors.append(repr(e))
            c = conn()
        lat.append(time.perf_counter() - t0)
        nxt += interval


def storm_main(email, seconds):
    """Child process: LOGINS_PER_S logins/s for `seconds`, open loop, over a
    few persistent connections; prints the latencies as JSON."""
    lat, errors = [], []
    lock = threading.Lock()
    interval = 1.0 / LOGINS_PER_S
    n = int(seconds * LOGINS_PER_S)
    lanes = 8  # a login takes ~20-80 ms: 8 lanes keep the schedule
    start = time.perf_counter() + 0.05

    def lane(k):
        c = conn()
        for i in range(k, n, lanes):
            due = start + i * interval
            now = time.perf_counter()
            if now < due:
                time.sleep(due - now)
            t0 = time.perf_counter()
            try:
                st, _ = post_json(c, "/api/v1/auth/login", {"email": email, "password": PASSWORD})
                ok = st == 200
            except Exception as e:  # noqa: BLE001
                ok, st = False, repr(e)
                c = conn()
            with lock:
                lat.append(time.perf_counter() - t0)
                if not ok:
                    errors.append(st)

    ts = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(json.dumps({"lat": lat, "errors": [str(e) for e in errors]}))


def login_storm(email, stop, lat, errors):
    out = subprocess.run([sys.executable, __file__, BASE, "--storm", email, str(PHASE_S)],
                         capture_output=True, text=True)
    res = json.loads(out.stdout)
    lat.extend(res["lat"])
    errors.extend(res["errors"])


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] * 1000.0


def phase(token, email, storm):
    stop = threading.Event()
    lat, errs, llat, lerrs, hlat = [], [], [], [], []
    ts = [threading.Thread(target=reader, args=(token, stop, lat, errs)) for _ in range(READERS)]
    # /healthz never touches PostgreSQL: it shows the event loop alone
    ts.append(threading.Thread(target=reader, args=(token, stop, hlat, errs, "/healthz")))
    if storm:
        ts.append(threading.Thread(target=login_storm, args=(email, stop, llat, lerrs)))
    for t in ts:
        t.start()
    time.sleep(PHASE_S)
    stop.set()
    for t in ts:
        t.join()
    return lat, errs, llat, lerrs, hlat


def main():
    email, token = setup()
    phase(token, email, False)  # warm-up: connections, prepared statements
    quiet, storm, logins, errors = [], [], [], []
    hquiet, hstorm = [], []
    for storm_on in (False, True, False, True):
        lat, errs, llat, lerrs, hlat = phase(token, email, storm_on)
        (storm if storm_on else quiet).extend(lat)
        (hstorm if storm_on else hquiet).extend(hlat)
        logins.extend(llat)
        errors.extend(errs + lerrs)
        print(f"  {'storm' if storm_on else 'quiet'}: {len(lat)} GET /me, p50 {pct(lat, 50):.2f} ms,"
              f" p99 {pct(lat, 99):.2f} ms" + (f"; {len(llat)} logins, p50 {pct(llat, 50):.1f} ms"
                                               if storm_on else ""), file=sys.stderr)
    q99, s99 = pct(quiet, 99), pct(storm, 99)
    print()
    print(f"| GET /api/v1/me, {READERS}x{RATE:.0f}/s paced | requests | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    print(f"| no logins | {len(quiet)} | {pct(quiet, 50):.2f} | {q99:.2f} | {max(quiet) * 1000:.2f} |")
    print(f"| {LOGINS_PER_S:.0f} logins/s | {len(storm)} | {pct(storm, 50):.2f} | {s99:.2f} | {max(storm) * 1000:.2f} |")
    print(f"| GET /healthz (no database), no logins | {len(hquiet)} | {pct(hquiet, 50):.2f} | {pct(hquiet, 99):.2f} | {max(hquiet) * 1000:.2f} |")
    print(f"| GET /healthz (no database), {LOGINS_PER_S:.0f} logins/s | {len(hstorm)} | {pct(hstorm, 50):.2f} | {pct(hstorm, 99):.2f} | {max(hstorm) * 1000:.2f} |")
    print()
    print(f"p99 ratio (logins / no logins): GET /me {s99 / q99:.2f}, "
          f"GET /healthz {pct(hstorm, 99) / pct(hquiet, 99):.2f}")
    print(f"logins: {len(logins)}, p50 {pct(logins, 50):.1f} ms, p99 {pct(logins, 99):.1f} ms")
    print(f"errors: {len(errors)} {errors[:5] if errors else ''}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--storm":
        storm_main(sys.argv[3], float(sys.argv[4]))
    else:
        main()
