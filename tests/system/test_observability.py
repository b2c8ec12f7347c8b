"""/metrics (Prometheus text) and the JSON request log."""

import re
import time
import uuid

import pytest

from conftest import ISACD, create_staff, login, run_isacd

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(server):
    r = server.get("/metrics")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    samples, types = [], {}
    for line in r.text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, "not Prometheus text: %r" % line
        labels = dict(LABEL_RE.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return r.text, samples, types


def value(samples, name, **labels):
    found = [v for n, l, v in samples
             if n == name and all(l.get(k) == str(x) for k, x in labels.items())]
    assert len(found) <= 1, (name, labels, found)
    return found[0] if found else None


@pytest.fixture(scope="module")
def staff(server):
    acct = create_staff(server)
    acct["token"] = login(server, acct)
    return acct


@pytest.fixture(scope="module")
def org(server, staff):
    r = server.post("organisations", token=staff["token"],
                    json={"name": "Observed " + uuid.uuid4().hex[:8]})
    assert r.status_code == 201, r.text
    return r.json()


def test_metrics_count_requests_by_route_pattern(server, staff, org):
    _, before, _ = scrape(server)
    missing = str(uuid.uuid4())
    assert server.get("organisations/" + org["id"], token=staff["token"]).status_code == 200
    assert server.get("organisations/" + org["id"], token=staff["token"]).status_code == 200
    assert server.get("organisations/" + missing, token=staff["token"]).status_code == 404
    stray = "stray-" + uuid.uuid4().hex
    assert server.get("/" + stray).status_code == 404
    text, after, types = scrape(server)

    assert types["isacd_http_requests_total"] == "counter"
    pattern = "/api/v1/organisations/{id}"

    def delta(status):
        key = dict(method="GET", route=pattern, status=status)
        return (value(after, "isacd_http_requests_total", **key) or 0) - \
            (value(before, "isacd_http_requests_total", **key) or 0)

    assert delta(200) == 2
    assert delta(404) == 1
    # raw ids and raw unmatched paths never become label values
    assert org["id"] not in text and missing not in text and stray not in text
    for n, labels, _ in after:
        if n == "isacd_http_requests_total":
            assert set(labels) == {"method", "route", "status"}, labels
            assert re.fullmatch(r"[1-5]\d\d", labels["status"])


def test_metrics_counter_moves_by_one_per_request(server):
    key = dict(method="GET", route="/healthz", status="200")
    _, before, _ = scrape(server)
    assert server.get("/healthz").status_code == 200
    _, after, _ = scrape(server)
    assert (value(after, "isacd_http_requests_total", **key) -
            (value(before, "isacd_http_requests_total", **key) or 0)) == 1


def test_metrics_duration_histogram(server):
    for _ in range(3):
        server.get("/healthz")
    _, samples, types = scrape(server)
    name = "isacd_http_request_duration_seconds"
    assert types[name] == "histogram"
    buckets = [(l["le"], v) for n, l, v in samples
               if n == name + "_bucket" and l.get("route") == "/healthz"]
    assert len(buckets) >= 5 and buckets[-1][0] == "+Inf"
    bounds = [float(le) for le, _ in buckets[:-1]]
    assert bounds == sorted(bounds)
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), "buckets must be cumulative"
    count = value(samples, name + "_count", method="GET", route="/healthz")
    total = value(samples, name + "_sum", method="GET", route="/healthz")
    assert count == counts[-1] >= 3
    assert 0 < total < count * 1.0  # /healthz takes far less than a second


def test_metrics_gauges_and_build_info(server):
    _, samples, types = scrape(server)
    for gauge in ("isacd_connections_open", "isacd_db_pool_in_use", "isacd_db_pool_waiting"):
        assert types.get(gauge) == "gauge", gauge
        assert value(samples, gauge) is not None and value(samples, gauge) >= 0
    assert value(samples, "isacd_connections_open") >= 1  # this scrape
    assert value(samples, "isacd_db_pool_waiting") == 0
    info = [(l, v) for n, l, v in samples if n == "isacd_build_info"]
    assert len(info) == 1 and info[0][1] == 1
    ver = run_isacd(["version"], server.pg.env(server.db)).stdout.strip()
    labels = info[0][0]
    assert ver == "isacd %s (schema %s)" % (labels["version"], labels["schema"])


def log_lines_for(server, request_id, timeout=2.0):
    deadline = time.time() + timeout
    while True:
        found = [l for l in server.log_lines() if l.get("request_id") == request_id]
        if found or time.time() > deadline:
            return found
        time.sleep(0.05)


def test_one_log_line_per_request(server, staff, org):
    stray = "/stray-" + uuid.uuid4().hex
    cases = [
        (server.get("organisations/" + org["id"], token=staff["token"]),
         "GET", "/api/v1/organisations/{id}", 200),
        (server.get("/healthz"), "GET", "/healthz", 200),
        (server.delete("/healthz"), "DELETE", None, 405),
        (server.get(stray), "GET", None, 404),
        (server.post("auth/login", json={"email": "nobody@example.org",
                                         "password": "Wrong-Password-0001"}),
         "POST", "/api/v1/auth/login", 401),
    ]
    for r, method, route, status in cases:
        rid = r.headers["X-Request-Id"]
        lines = log_lines_for(server, rid)
        assert len(lines) == 1, (rid, lines)
        line = lines[0]
        assert line["method"] == method
        if route is not None:
            assert line["route"] == route
        else:  # no route matched: never the raw path
            assert stray[1:] not in line["route"]
        assert line["status"] == status == r.status_code
        assert isinstance(line["us"], int) and line["us"] >= 0
        assert org["id"] not in str(line) and stray[1:] not in str(line)


def test_log_lines_are_json(server):
    server.get("/healthz")
    text = server.logs()
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines
    assert len(server.log_lines()) == len(lines), [l for l in lines if not l.startswith("{")]


def test_secrets_never_reach_the_log(server):
    acct = create_staff(server, password="Secret-Pass-" + uuid.uuid4().hex)
    wrong = "Wrong-Pass-" + uuid.uuid4().hex
    r = server.post("auth/login", json={"email": acct["email"], "password": wrong})
    assert r.status_code == 401
    token = login(server, acct)
    me = server.get("me", token=token)
    assert me.status_code == 200
    rid = me.headers["X-Request-Id"]
    assert log_lines_for(server, rid)  # the log has been written by now
    logs = server.logs()
    assert acct["password"] not in logs
    assert wrong not in logs
    assert token not in logs
    assert token[len("isacd_s_"):] not in logs
    metrics = server.get("/metrics").text
    assert token not in metrics and acct["password"] not in metrics
