"""A 201 means committed, and a retry creates nothing new.

* Events: concurrent writers to one channel do not wait for each other's
  commits; a reader that reads the final events (those of transactions
  older than the oldest in flight) from its position gets every event once,
  in increasing seq, whatever order the commits came in.
* SIGKILL of isacd in the middle of 8 concurrent writers loses no post it
  acknowledged, and clients that retry every request with its
  Idempotency-Key (answered or not) end up with exactly one post per key.
"""

import signal
import threading
import time
import uuid

import pytest
import requests

from conftest import Server
from identity_helpers import account

# measures deadlines and windows: never beside another file of the kind (conftest.py)
pytestmark = pytest.mark.xdist_group("timing")

PASSWORD = "Grey-Heron-Lantern-417"


def community_with_writer(server):
    """A community, a channel and an active member who may post in it."""
    staff = account(server, role="staff")
    org = server.post("organisations", token=staff["token"],
                      json={"name": "Durable Org " + uuid.uuid4().hex[:8]}).json()
    made = server.post("communities", token=staff["token"], json={
        "name": "Durable ISAC " + uuid.uuid4().hex[:8], "kind": "sector",
        "owner": {"email": "owner-%s@example.org" % uuid.uuid4().hex[:8],
                  "organisation_id": org["id"]}}).json()
    owner = server.post("invites/accept", json={
        "token": made["owner_invite"]["token"], "display_name": "Olga Owner",
        "password": PASSWORD}).json()["token"]
    channel = server.post("communities/%s/channels" % made["community"]["id"], token=owner,
                          json={"name": "incidents", "visibility": "community",
                                "posting": "members"}).json()
    return owner, channel["id"]


def post_body(title):
    return {"kind": "incident", "title": title, "body": "burst", "tlp": "TLP:GREEN"}


def test_a_reader_of_final_events_gets_each_once_and_in_order(server):
    token, channel = community_with_writer(server)
    writers, each = 8, 20
    stop = threading.Event()
    seen, problems = [], []
    pos = list(server.sql("SELECT pg_snapshot_xmin(pg_current_snapshot())::text, 0")[0])

    def read():
        rows = server.sql("SELECT xid::text, ord, seq, type, channel_id::text, horizon::text"
                          " FROM isacd_events_after(%s::xid8, %s, 1000)", tuple(pos))
        got = [r for r in rows if r[0] is not None]
        if len(got) == 1000:
            pos[:] = [got[-1][0], got[-1][1]]
        else:
            pos[:] = [rows[0][5], 0]
        for r in got:
            if seen and r[2] <= seen[-1]:
                problems.append(("out of order", seen[-1], r[2]))
            seen.append(r[2])
        return got

    def poll():
        # what a realtime reader sees at any moment
        while not stop.is_set():
            read()
            time.sleep(0.005)

    def write(w):
        s = requests.Session()
        for i in range(each):
            r = s.post(server.api + "/channels/%s/posts" % channel,
                       headers={"Authorization": "Bearer " + token},
                       json=post_body("writer %d post %d" % (w, i)), timeout=30)
            assert r.status_code == 201, r.text

    poller = threading.Thread(target=poll)
    poller.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    poller.join()
    read()
    assert not problems, problems[:3]
    assert len(seen) == len(set(seen))
    rows = server.sql("SELECT seq, type, post_id FROM events WHERE channel_id = %s ORDER BY seq",
                      (channel,))
    assert {r[1] for r in rows} == {"post.created"}
    # every event of the channel was read, once
    assert set(r[0] for r in rows) <= set(seen) and len(rows) == writers * each
    posts = {r[0] for r in server.sql("SELECT id FROM posts WHERE channel_id = %s", (channel,))}
    assert {r[2] for r in rows} == posts and len(posts) == writers * each


def test_sigkill_loses_no_acknowledged_post_and_retries_create_no_duplicate(pg):
    s = Server(pg)
    token, channel = community_with_writer(s)
    acked = {}       # key -> post id of a 201
    attempted = []   # every key sent, answered or not
    lock = threading.Lock()
    go = threading.Event()

    def write(w):
        sess = requests.Session()
        n = 0
        while True:
            key = "burst-%d-%d" % (w, n)
            n += 1
            with lock:
                attempted.append(key)
            try:
                r = sess.post(s.api + "/channels/%s/posts" % channel,
                              headers={"Authorization": "Bearer " + token,
                                       "Idempotency-Key": key},
                              json=post_body(key), timeout=5)
            except requests.RequestException:
                return  # the server is gone
            if r.status_code != 201:
                return
            with lock:
                acked[key] = r.json()["id"]
            go.set()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    assert go.wait(10), "no post was ever acknowledged"
    time.sleep(0.5)  # a burst in full flight
    s.expected_exit = -signal.SIGKILL
    s.proc.send_signal(signal.SIGKILL)
    for t in threads:
        t.join(timeout=30)
    s.stop()
    assert len(acked) > 8, len(acked)
    # each writer had a request in flight when isacd died, unanswered
    assert len(attempted) == len(acked) + 8

    # every acknowledged post is in the database
    stored = {r[0]: str(r[1]) for r in pg.sql(
        s.db, "SELECT title, id FROM posts WHERE channel_id = %s", (channel,))}
    missing = [k for k, pid in acked.items() if stored.get(k) != pid]
    assert not missing, missing[:5]

    # the clients retry every request with its key: one post per key, and a
    # request that was acknowledged gets the very same answer again
    again = Server(pg, db=s.db)
    try:
        for key in attempted:
            r = again.post("channels/%s/posts" % channel, token=token,
                           headers={"Idempotency-Key": key}, json=post_body(key))
            assert r.status_code == 201, r.text
            if key in acked:
                assert r.json()["id"] == acked[key], key
        counts = again.sql("SELECT title, count(*) FROM posts WHERE channel_id = %s"
                           " GROUP BY title", (channel,))
        assert {t for t, _ in counts} == set(attempted)
        assert all(n == 1 for _, n in counts), [c for c in counts if c[1] != 1][:5]
    finally:
        again.stop()
