"""Indicator correlation: GET /indicators and POST /indicators/lookup.

What users rely on: "has anyone seen this?" finds every post the caller may
read that carries the indicator, however it was typed (values are normalised
first: ``Example.COM.`` is ``example.com``, ``2001:DB8::1`` is
``2001:db8::1``); an IPv4 address also finds its IPv4-mapped IPv6 form and
the CIDR blocks that contain it; results span communities, name the community
and channel, are newest first and page by cursor; a post's seen_in counts the
other posts the caller may read that carry the same indicator.  The bulk
lookup answers up to 1,000 values in one request (the invalid ones listed by
index, the rest answered), works with a read-only API token, and neither ever
counts, names or links a post the caller may not read.
"""

import random
import uuid

import pytest

from community_helpers import assert_no_server_errors, expect, walk
from identity_helpers import create_token, error_fields
from post_helpers import REF_KEYS, build_post_world, create_post, get_post, is_problem


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


_used = set()


def net():
    """A /16 of 10.0.0.0/8 that no other test of the module uses; its first
    /24 as 'a.b.c'."""
    while True:
        second = random.randint(0, 255)
        if second not in _used:
            _used.add(second)
            return "10.%d.%d" % (second, random.randint(0, 255))


def ind(t, v):
    return {"type": t, "value": v}


def with_ind(server, w, inds, channel="general", role="author", **kw):
    return create_post(server, w.tok(role), w.ch(channel), indicators=inds, **kw)


def find(server, token, t, v, **params):
    params.update(type=t, value=v, limit=200)
    return expect(server.get("indicators", token=token, params=params), 200)


def found_ids(server, token, t, v):
    return [i["post"]["id"] for i in find(server, token, t, v)["items"]]


# ---- GET /indicators -------------------------------------------------------------------

@pytest.mark.parametrize("stored,query,canonical", [
    (ind("domain", "example-%s.com"), "Example-%s.COM.", "example-%s.com"),
    (ind("domain", "EXAMPLE-%s.com"), "example-%s.com", "example-%s.com"),
    (ind("email", "Bad@Example-%s.com"), "Bad@EXAMPLE-%s.COM", "Bad@example-%s.com"),
    (ind("url", "HTTP://Example-%s.com:80/Path"), "http://example-%s.com/Path",
     "http://example-%s.com/Path"),
])
def test_values_are_normalised_before_matching(server, w, stored, query, canonical):
    t = uuid.uuid4().hex[:8]
    p = with_ind(server, w, [ind(stored["type"], stored["value"] % t)])
    assert p["indicators"][0]["value"] == canonical % t
    body = find(server, w.tok("member"), stored["type"], query % t)
    assert [i["post"]["id"] for i in body["items"]] == [p["id"]]
    assert body["items"][0]["matched"] == [{"type": stored["type"], "value": canonical % t}]


def test_ipv6_is_normalised(server, w):
    block = "2001:db8:%x" % random.randint(1, 0xffff)
    p = with_ind(server, w, [ind("ipv6", block.upper() + "::1")])
    assert p["indicators"][0]["value"] == block + "::1"
    for q in (block.upper() + "::1", block + ":0:0:0:0:1", block + ":0000::0001"):
        assert found_ids(server, w.tok("member"), "ipv6", q) == [p["id"]], q


def test_an_ipv4_finds_its_mapped_form_and_the_cidrs_containing_it(server, w):
    n = net()
    addr = n + ".9"
    exact = with_ind(server, w, [ind("ipv4", addr)])["id"]
    mapped = with_ind(server, w, [ind("ipv6", "::FFFF:" + addr)])["id"]
    c24 = with_ind(server, w, [ind("cidr", n + ".0/24")])["id"]
    c16 = with_ind(server, w, [ind("cidr", ".".join(n.split(".")[:2]) + ".0.0/16")])["id"]
    with_ind(server, w, [ind("ipv4", n + ".10"), ind("cidr", n + ".128/25")])
    with_ind(server, w, [ind("cidr", "192.0.2.0/24")])
    want = [c16, c24, mapped, exact]     # newest first
    got = found_ids(server, w.tok("member"), "ipv4", addr)
    assert got == want
    # the mapped form asks the same question
    got6 = found_ids(server, w.tok("member"), "ipv6", "::ffff:" + addr)
    assert set(got6) == set(got)
    item = [i for i in find(server, w.tok("member"), "ipv4", addr)["items"]
            if i["post"]["id"] == c24][0]
    assert item["matched"] == [{"type": "cidr", "value": n + ".0/24"}]


def test_an_ipv6_finds_the_ipv6_cidrs_containing_it(server, w):
    block = "2001:db8:%x" % random.randint(1, 0xffff)
    c = with_ind(server, w, [ind("cidr", block + "::/48")])["id"]
    assert c in found_ids(server, w.tok("member"), "ipv6", block + ":1::5")


def test_results_span_communities_naming_them_newest_first(server, w):
    n = net()
    v = n + ".1"
    first = with_ind(server, w, [ind("ipv4", v)], channel="general")
    second = with_ind(server, w, [ind("ipv4", v)], channel="two")
    third = with_ind(server, w, [ind("ipv4", v)], channel="second", kind="advisory")
    body = find(server, w.tok("author"), "ipv4", v)
    assert body["next_cursor"] is None
    items = body["items"]
    assert [i["post"]["id"] for i in items] == [third["id"], second["id"], first["id"]]
    for i in items:
        assert set(i) == {"post", "matched"} and set(i["post"]) == REF_KEYS
    assert items[1]["post"]["community"] == {"id": w.c2, "name": w.c2_name}
    assert items[1]["post"]["channel"] == {"id": w.ch("two"), "name": w.channels["two"]["name"]}
    assert items[0]["post"]["community"] == {"id": w.c1, "name": w.c1_name}
    assert items[0]["post"]["channel"]["name"] == w.channels["second"]["name"]
    assert items[0]["post"]["kind"] == "advisory" and items[0]["post"]["title"] == third["title"]
    # a member of community one only sees its posts
    assert found_ids(server, w.tok("member"), "ipv4", v) == [third["id"], first["id"]]


def test_results_page_by_cursor(server, w):
    v = net() + ".2"
    made = [with_ind(server, w, [ind("ipv4", v)])["id"] for _ in range(5)]
    items, pages = walk(server, "indicators?type=ipv4&value=" + v, w.tok("member"), limit=2)
    assert [i["post"]["id"] for i in items] == list(reversed(made)) and pages == 3


@pytest.fixture(scope="module")
def spread(server, w):
    """One indicator on posts of every kind of audience."""
    v = net() + ".3"
    a = [ind("ipv4", v)]
    made = {
        "p1": with_ind(server, w, a, title="Readable one"),
        "p2": with_ind(server, w, a, title="Readable two"),
        "red": with_ind(server, w, a, title="Red for reader", tlp="TLP:RED",
                        recipients=[w.reader["id"]]),
        "restricted": with_ind(server, w, a, channel="restricted", title="In restricted"),
        "other": with_ind(server, w, a, channel="two", title="In community two"),
    }
    return v, made


MAY_READ = {
    "member": {"p1", "p2"},
    "moderator": {"p1", "p2", "restricted"},
    "owner": {"p1", "p2", "restricted"},
    "reader": {"p1", "p2", "red", "restricted"},
    "author": {"p1", "p2", "red", "restricted", "other"},
    "other": {"other"},
    "staff": set(),
    "outsider": set(),
}


@pytest.mark.parametrize("role", list(MAY_READ))
def test_correlation_never_shows_a_post_the_caller_cannot_read(server, w, spread, role):
    v, made = spread
    r = server.get("indicators", token=w.tok(role), params={"type": "ipv4", "value": v})
    got = {i["post"]["id"] for i in expect(r, 200)["items"]}
    assert got == {made[k]["id"] for k in MAY_READ[role]}
    for key, p in made.items():
        if key not in MAY_READ[role]:
            assert p["id"] not in r.text and p["title"] not in r.text, (role, key)


@pytest.mark.parametrize("role", ["member", "moderator", "reader", "author"])
def test_seen_in_counts_only_other_readable_posts(server, w, spread, role):
    v, made = spread
    p = get_post(server, w.tok(role), made["p1"]["id"])
    (i,) = p["indicators"]
    assert i == {"type": "ipv4", "value": v, "seen_in": len(MAY_READ[role]) - 1}


def test_an_edit_of_tlp_or_recipients_moves_correlation_at_once(server, w):
    # correlation reads the indicator rows' copies of their post's TLP and
    # recipients; an edit must move them in the same request
    v = net() + ".4"
    a = [ind("ipv4", v)]
    p = with_ind(server, w, a, title="Moves between audiences")
    other = with_ind(server, w, a, title="Stays green")
    at = w.tok("author")

    def seen(role):
        return set(found_ids(server, w.tok(role), "ipv4", v))

    def seen_in(role):
        return get_post(server, w.tok(role), other["id"])["indicators"][0]["seen_in"]

    assert p["id"] in seen("member") and seen_in("member") == 1
    expect(server.patch("posts/%s" % p["id"], token=at,
                        json={"tlp": "TLP:RED", "recipients": [w.reader["id"]]}), 200)
    assert p["id"] not in seen("member") and seen_in("member") == 0
    assert p["id"] in seen("reader") and seen_in("reader") == 1
    expect(server.patch("posts/%s" % p["id"], token=at,
                        json={"recipients": [w.member["id"]]}), 200)
    assert p["id"] in seen("member") and seen_in("member") == 1
    assert p["id"] not in seen("reader") and seen_in("reader") == 0
    body = {"indicators": [ind("ipv4", v)]}
    r = expect(server.post("indicators/lookup", token=w.tok("reader"), json=body), 200)
    assert r["results"][0]["total"] == 1 and p["id"] not in str(r)
    expect(server.patch("posts/%s" % p["id"], token=at, json={"tlp": "TLP:AMBER"}), 200)
    assert p["id"] in seen("reader") and p["id"] in seen("member")
    # and no indicator row ever disagrees with its post
    assert server.sql(
        "SELECT count(*) FROM post_indicators i JOIN posts p ON p.id = i.post_id"
        " WHERE (i.community_id, i.channel_id, i.created_at, i.tlp, i.author_id,"
        "  i.recipients) IS DISTINCT FROM (p.community_id, p.channel_id,"
        "  p.created_at, p.tlp, p.author_id, p.recipients)")[0][0] == 0


@pytest.mark.parametrize("params,field", [
    ({"type": "ipv4", "value": "999.1.1.1"}, "value"),
    ({"type": "ipv4", "value": "01.2.3.4"}, "value"),
    ({"type": "domain", "value": "not_a_domain"}, "value"),
    ({"type": "cidr", "value": "10.0.0.1/8"}, "value"),
    ({"type": "sha256", "value": "abc"}, "value"),
    ({"type": "cve", "value": "CVE-24-1"}, "value"),
    ({"type": "md4", "value": "abc"}, "type"),
    ({"type": "IPV4", "value": "192.0.2.1"}, "type"),
])
def test_an_invalid_indicator_is_400_naming_it(server, w, params, field):
    problem = is_problem(server.get("indicators", token=w.tok("member"), params=params), 400)
    assert error_fields(problem) == [field], problem


@pytest.mark.parametrize("params", [{}, {"type": "ipv4"}, {"value": "192.0.2.1"},
                                    {"type": "", "value": "192.0.2.1"},
                                    {"type": "ipv4", "value": ""},
                                    {"type": "ipv4", "value": "192.0.2.1", "limit": "0"},
                                    {"type": "ipv4", "value": "192.0.2.1", "cursor": "x!"}])
def test_a_missing_type_or_value_or_bad_paging_is_400(server, w, params):
    is_problem(server.get("indicators", token=w.tok("member"), params=params), 400)


# ---- POST /indicators/lookup -----------------------------------------------------------

def lookup(server, token, values, status=200):
    return expect(server.post("indicators/lookup", token=token, json={"indicators": values}),
                  status)


def test_a_thousand_values_with_three_invalid_answers_the_rest(server, w):
    n = net()
    hit = with_ind(server, w, [ind("ipv4", n + ".7"), ind("domain", "hit-%s.example" % n[3:]
                                                          .replace(".", "-"))])
    values = [ind("ipv4", "%s.%d" % (n, i % 250)) if i % 2 else
              ind("domain", "d%d-%s.example" % (i, n.replace(".", "-"))) for i in range(1000)]
    values[7] = ind("ipv4", n + ".7")
    values[8] = ind("domain", "HIT-%s.example." % n[3:].replace(".", "-"))
    bad = {10: ind("ipv4", "300.1.1.1"), 500: ind("md5", "nothex"), 999: ind("cve", "CVE-1")}
    for k, v in bad.items():
        values[k] = v
    body = lookup(server, w.tok("member"), values)
    assert set(body) == {"results", "errors"}
    results, errors = body["results"], body["errors"]
    assert len(results) == 997
    assert [r["index"] for r in results] == [i for i in range(1000) if i not in bad]
    assert [e["index"] for e in errors] == [10, 500, 999]
    for e in errors:
        assert e["type"] == bad[e["index"]]["type"] and e["value"] == bad[e["index"]]["value"]
        assert isinstance(e["message"], str) and e["message"]
    by = {r["index"]: r for r in results}
    assert by[7]["total"] >= 1 and hit["id"] in [p["id"] for p in by[7]["posts"]]
    assert by[8]["value"] == "hit-%s.example" % n[3:].replace(".", "-")
    assert [p["id"] for p in by[8]["posts"]] == [hit["id"]] and by[8]["total"] == 1
    assert set(by[8]["posts"][0]) == REF_KEYS
    assert by[0] == {"index": 0, "type": "domain", "value": values[0]["value"], "total": 0,
                     "posts": []}


def test_more_than_a_thousand_values_is_400(server, w):
    values = [ind("ipv4", "192.0.2.%d" % (i % 250)) for i in range(1001)]
    problem = is_problem(server.post("indicators/lookup", token=w.tok("member"),
                                     json={"indicators": values}), 400)
    assert "indicators" in error_fields(problem)


@pytest.mark.parametrize("body,field", [
    ({}, "indicators"), ({"indicators": None}, "indicators"), ({"indicators": "x"}, "indicators"),
    ({"indicators": {"type": "ipv4"}}, "indicators"),
    ({"indicators": [], "extra": 1}, "extra"),
])
def test_a_bad_lookup_body_is_400(server, w, body, field):
    problem = is_problem(server.post("indicators/lookup", token=w.tok("member"), json=body), 400)
    assert field in error_fields(problem)


def test_lookup_items_that_are_not_indicators_are_listed_as_errors(server, w):
    body = lookup(server, w.tok("member"), [
        "junk", 5, None, {"type": "ipv4"}, {"type": 4, "value": "x"},
        {"type": "ipv4", "value": "192.0.2.1", "extra": 1}, {"type": "ipv4", "value": "192.0.2.1"}])
    assert [e["index"] for e in body["errors"]] == [0, 1, 2, 3, 4, 5]
    assert [r["index"] for r in body["results"]] == [6]


def test_lookup_returns_the_twenty_newest_and_the_total(server, w):
    v = net() + ".4"
    made = [with_ind(server, w, [ind("ipv4", v)])["id"] for _ in range(23)]
    (res,) = lookup(server, w.tok("member"), [ind("ipv4", v)])["results"]
    assert res["total"] == 23
    assert [p["id"] for p in res["posts"]] == list(reversed(made))[:20]


@pytest.mark.parametrize("role", list(MAY_READ))
def test_lookup_never_counts_or_names_a_post_the_caller_cannot_read(server, w, spread, role):
    v, made = spread
    r = server.post("indicators/lookup", token=w.tok(role),
                    json={"indicators": [ind("ipv4", v), ind("ipv6", "::ffff:" + v),
                                         ind("cidr", v.rsplit(".", 1)[0] + ".0/24")]})
    results = expect(r, 200)["results"]
    allowed = {made[k]["id"] for k in MAY_READ[role]}
    for res in results[:2]:
        assert res["total"] == len(allowed), (role, res)
        assert {p["id"] for p in res["posts"]} == allowed
    for key, p in made.items():
        if key not in MAY_READ[role]:
            assert p["id"] not in r.text and p["title"] not in r.text, (role, key)


def test_a_read_only_token_may_look_up_and_correlate(server, w, spread):
    v, made = spread
    ro = create_token(server, w.tok("member"), name="siem", scopes=("read",))["token"]
    (res,) = lookup(server, ro, [ind("ipv4", v)])["results"]
    assert {p["id"] for p in res["posts"]} == {made["p1"]["id"], made["p2"]["id"]}
    assert set(found_ids(server, ro, "ipv4", v)) == {made["p1"]["id"], made["p2"]["id"]}
    # it still cannot write
    r = server.post("channels/%s/posts" % w.ch("general"), token=ro,
                    json={"kind": "incident", "title": "t", "body": "b", "tlp": "TLP:GREEN"})
    is_problem(r, 403)


def test_lookup_needs_a_token(server, w):
    is_problem(server.post("indicators/lookup", json={"indicators": []}), 401)
