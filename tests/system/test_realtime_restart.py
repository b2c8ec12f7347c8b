"""A PostgreSQL restart loses no event.

A subscriber holds a WebSocket on an isacd instance while posts are made
before, around and after `pg_ctl stop -m fast` and `start` of the database.
What the subscriber must see: every post that was acknowledged (201), once,
in the order they were made, with its socket open throughout -- the pool
and the listening connection reconnect by themselves, and what was committed
while the listening connection was down is read from the events table.  A
post made while PostgreSQL is down is answered 503, never 201 and never
another error.  `/metrics` counts the listening connection's reconnection.

This file restarts PostgreSQL, so it runs its own cluster: the shared `pg`
fixture's serves other test files, possibly at the same time.
"""

import threading
import time

import pytest
import requests

from community_helpers import add_member, expect, new_channel, new_community, platform_account
from conftest import PostgresCluster, Server
from post_helpers import post_fields
from realtime_helpers import Subscriber

# deadlines and delivery within a second: not beside another such file
pytestmark = pytest.mark.xdist_group("timing")


@pytest.fixture
def cluster():
    c = PostgresCluster()
    yield c
    c.destroy()


@pytest.fixture
def srv(cluster):
    s = Server(cluster)
    yield s
    s.stop()


def metric(server, name):
    for line in server.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(name + " is not in /metrics")


def told(server):
    """What the server said besides its access log, for a failure's message."""
    return "\n".join(line for line in server.logs().splitlines() if '"msg":"request"' not in line)


def test_a_postgresql_restart_loses_no_acknowledged_event(cluster, srv):
    server = srv
    staff = platform_account(server, role="staff")
    community, owner = new_community(server, staff["token"])
    member = add_member(server, community["id"], owner["token"], owner["org_id"])
    channel = new_channel(server, community["id"], owner["token"])["id"]
    s = Subscriber.connect(server, token=member["token"])
    assert s.subscribe([channel])[0]["channels"] == [channel]

    acked, answers, lock = [], [], threading.Lock()

    def post(title):
        try:
            r = server.post("channels/%s/posts" % channel, token=owner["token"],
                            json=post_fields(title), timeout=20)
        except requests.RequestException as e:
            answers.append((title, repr(e)))
            return
        with lock:
            answers.append((title, r.status_code))
            if r.status_code == 201:
                acked.append(r.json()["id"])

    for i in range(3):
        post("before %d" % i)
    # a writer posts steadily while PostgreSQL stops and starts again
    done = threading.Event()

    def writer():
        i = 0
        while not done.is_set():
            post("around %d" % i)
            i += 1
            time.sleep(0.02)

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.5)
        cluster.stop("fast")
        time.sleep(1.0)
        cluster.start()
        server.wait_ready(timeout=30)
        time.sleep(0.5)
    finally:
        done.set()
        t.join(60)
    for i in range(3):
        post("after %d" % i)

    statuses = [a for _, a in answers]
    assert set(statuses) <= {201, 503}, answers
    assert 503 in statuses, "no post met the database down: %s" % answers
    around = [a for title, a in answers if title.startswith("around")]
    assert around[0] == 201 and around[-1] == 201, around

    # every acknowledged post arrives, once, in order
    got, deadline = [], time.time() + 15
    while not set(acked) <= {e["data"]["id"] for e in got} and time.time() < deadline:
        got += s.events(timeout=0.5)
    ids = [e["data"]["id"] for e in got if e["event"] == "post.created"]
    assert len(ids) == len(set(ids)), "an event came twice"
    assert [i for i in ids if i in set(acked)] == acked, \
        "%d acknowledged, %d delivered:\n%s" % (len(acked), len(ids), told(server))
    seqs = [e["seq"] for e in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # anything else delivered was committed though its answer was lost
    for extra in set(ids) - set(acked):
        expect(server.get("posts/%s" % extra, token=member["token"]), 200)
    assert not s.closed.is_set(), "the subscriber's socket closed"

    # the listening connection noticed, and came back by itself (its
    # attempts back off up to 5 s while the database is away)
    deadline = time.time() + 15
    while (metric(server, "isacd_events_listen_reconnects_total") < 1
           or metric(server, "isacd_events_listening") != 1):
        assert time.time() < deadline, "the listening connection never came back:\n" + \
            told(server)
        time.sleep(0.2)
    print("\n%d posts: %d acknowledged, %d answered 503; %d delivered"
          % (len(answers), len(acked), statuses.count(503), len(ids)))
    s.close()
