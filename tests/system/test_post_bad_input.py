"""Bad input on every post, comment, sighting and share endpoint.

What users rely on: a request that is wrong is refused with a 400 RFC 9457
problem naming the field that is wrong (errors[].field, indicators by index:
``indicators[2].value``, with the value quoted in the message), before
anything is written; limits are exact (a title of 200 characters, a body of
65,536 bytes, a comment of 16,384, a note of 1,024, 20 tags of 40 characters,
200 recipients, 500 indicators are accepted; one more is refused); an id in
the path that is not a UUID is 404; a bad list parameter is 400; no input
ever makes the server answer 5xx.
"""

import base64
import json
import random
import uuid

import pytest

from community_helpers import assert_no_server_errors, expect
from identity_helpers import error_fields
from post_helpers import build_post_world, create_post, is_problem, post_fields

# an id that no row has; fixed, so that every xdist worker collects the same test ids
RANDOM_ID = "c4b2e7a1-5f3d-4a9c-8e06-1b7d9f2a3c58"


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def ids(server):
    w = build_post_world(server)
    p = create_post(server, w.tok("author"), w.ch("general"), "Target of bad input")
    c = expect(server.post("posts/%s/comments" % p["id"], token=w.tok("author"),
                           json={"body": "a comment"}), 201)
    return {"w": w, "author": w.tok("author"), "reader": w.tok("reader"),
            "ch": w.ch("general"), "second": w.ch("second"), "pid": p["id"], "cid": c["id"]}


# route -> method, path, who, a valid body
ROUTES = {
    "create-post": ("POST", "channels/{ch}/posts", "author",
                    {"kind": "incident", "title": "t", "body": "b", "tlp": "TLP:GREEN"}),
    "patch-post": ("PATCH", "posts/{pid}", "author", {"title": "t2"}),
    "share": ("POST", "posts/{pid}/share", "author", {"channel_id": "{second}"}),
    "create-comment": ("POST", "posts/{pid}/comments", "author", {"body": "c"}),
    "patch-comment": ("PATCH", "posts/{pid}/comments/{cid}", "author", {"body": "c2"}),
    "create-sighting": ("POST", "posts/{pid}/sightings", "reader", {"note": "n"}),
}


def fill(value, ids):
    if isinstance(value, str):
        for k in ("ch", "second", "pid", "cid"):
            value = value.replace("{%s}" % k, ids[k])
        return value
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def call(server, ids, route, body=None, data=None, content_type="application/json"):
    method, path, who, _ = ROUTES[route]
    if data is not None:
        return server.request(method, fill(path, ids), token=ids[who], data=data,
                              headers={"Content-Type": content_type})
    return server.request(method, fill(path, ids), token=ids[who], json=fill(body, ids))


STATE_SQL = ("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments),"
             " (SELECT count(*) FROM sightings), (SELECT count(*) FROM post_revisions),"
             " (SELECT count(*) FROM post_indicators), (SELECT count(*) FROM events),"
             " (SELECT count(*) FROM audit_log),"
             " (SELECT string_agg(title || body || tlp || revision, ',' ORDER BY id) FROM posts),"
             " (SELECT string_agg(body, ',' ORDER BY id) FROM comments)")


def state(server):
    return server.sql(STATE_SQL)[0]


# ---- bodies that are not a JSON object -------------------------------------------------

RAW_BODIES = {
    "truncated": b'{"title": ',
    "trailing-garbage": b'{"title": "x"} trailing',
    "single-quotes": b"{'title': 'x'}",
    "array": b"[]",
    "string": b'"text"',
    "number": b"42",
    "null": b"null",
    "empty": b"",
    "bad-utf8-value": b'{"title": "\xff\xfe"}',
    "bad-utf8-key": b'{"\xc3\x28": "x"}',
    "overlong-utf8": b'{"body": "\xc0\xaf"}',
    "lone-surrogate": b'{"body": "\\ud800"}',
    "duplicate-key": b'{"body": "a", "body": "b"}',
    # a NUL inside a string (JSON allows the escape; text here does not)
    "nul-escape": b'{"title": "a\\u0000b", "body": "a\\u0000b"}',
    "deep-nesting": b'{"tags":' + b"[" * 3000 + b"]" * 3000 + b"}",
}

# a sighting's body is optional: an empty one is fine (test_posts.py)
RAW_CASES = [(route, case) for route in ROUTES for case in RAW_BODIES
             if not (route == "create-sighting" and case == "empty")]


@pytest.mark.parametrize("route,case", RAW_CASES, ids=["%s-%s" % rc for rc in RAW_CASES])
def test_a_body_that_is_not_a_json_object_is_400(server, ids, route, case):
    before = state(server)
    is_problem(call(server, ids, route, data=RAW_BODIES[case]), 400)
    assert state(server) == before


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_body_that_is_not_json_is_415(server, ids, route):
    body = json.dumps(fill(ROUTES[route][3], ids)).encode()
    is_problem(call(server, ids, route, data=body, content_type="text/plain"), 415)


@pytest.mark.parametrize("route", list(ROUTES))
def test_an_unknown_field_is_named(server, ids, route):
    body = dict(ROUTES[route][3], surprise_field=1)
    before = state(server)
    r = call(server, ids, route, body=body)
    assert "surprise_field" in error_fields(is_problem(r, 400))
    assert state(server) == before


# ---- fields ----------------------------------------------------------------------------

def uuids(n):
    """n ids that no row has, the same in every xdist worker's test ids."""
    rng = random.Random(n)
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)]


def ind(t, v):
    return {"type": t, "value": v}


# post fields shared by create and patch: (field, bad value, field named)
POST_FIELD_VALUES = [
    ("kind", 5, "kind"), ("kind", "Incident", "kind"), ("kind", "rumour", "kind"),
    ("kind", ["incident"], "kind"), ("kind", True, "kind"),
    ("title", 5, "title"), ("title", "", "title"), ("title", "x" * 201, "title"),
    ("title", "é" * 201, "title"), ("title", " lead", "title"), ("title", "trail ", "title"),
    ("title", "two\nlines", "title"), ("title", "tab\there", "title"),
    ("title", ["t"], "title"), ("title", {"t": 1}, "title"),
    ("body", 5, "body"), ("body", "", "body"), ("body", "x" * 65537, "body"),
    ("body", "é" * 32769, "body"), ("body", ["b"], "body"),
    ("body", False, "body"),
    ("tlp", "TLP:WHITE", "tlp"), ("tlp", "TLP:PURPLE", "tlp"), ("tlp", "tlp:green", "tlp"),
    ("tlp", "GREEN", "tlp"), ("tlp", "TLP:AMBER ", "tlp"), ("tlp", 1, "tlp"),
    ("tlp", ["TLP:GREEN"], "tlp"),
    ("severity", "urgent", "severity"), ("severity", "High", "severity"),
    ("severity", 3, "severity"), ("severity", ["high"], "severity"),
    ("tags", "phishing", "tags"), ("tags", {"a": 1}, "tags"), ("tags", 3, "tags"),
    ("tags", [1], "tags"), ("tags", [None], "tags"), ("tags", [""], "tags"),
    ("tags", ["a b"], "tags"), ("tags", [" lead"], "tags"), ("tags", ["a,b"], "tags"),
    ("tags", ["tab\there"], "tags"), ("tags", ["line\nbreak"], "tags"),
    ("tags", ["x" * 41], "tags"), ("tags", ["é" * 41], "tags"),
    ("tags", ["t%d" % i for i in range(21)], "tags"),
    ("recipients", "not-a-list", "recipients"), ("recipients", {"a": 1}, "recipients"),
    ("recipients", ["not-a-uuid"], "recipients"), ("recipients", [5], "recipients"),
    ("recipients", [RANDOM_ID[:-1]], "recipients"), ("recipients", [None], "recipients"),
    ("recipients", uuids(201), "recipients"),
    ("indicators", "1.2.3.4", "indicators"), ("indicators", {"type": "ipv4"}, "indicators"),
    ("indicators", [ind("ipv4", "192.0.2.%d" % (i % 250)) for i in range(501)], "indicators"),
    ("indicators", [5], "indicators[0]"), ("indicators", ["x"], "indicators[0]"),
    ("indicators", [{"type": "ipv4"}], "indicators[0].value"),
    ("indicators", [{"value": "192.0.2.1"}], "indicators[0].type"),
    ("indicators", [ind("md4", "abc")], "indicators[0].type"),
    ("indicators", [ind(4, "192.0.2.1")], "indicators[0].type"),
    ("indicators", [ind("ipv4", 3232235777)], "indicators[0].value"),
    ("indicators", [ind("ipv4", "")], "indicators[0].value"),
    ("indicators", [dict(ind("ipv4", "192.0.2.1"), note="x")], "indicators[0].note"),
]

# invalid values of each type at an index past valid ones: (type, value)
BAD_INDICATORS = [
    ("ipv4", "999.1.1.1"), ("ipv4", "01.2.3.4"), ("ipv4", "1.2.3"),
    ("ipv6", "2001:db8::1::2"), ("ipv6", "fe80::1%eth0"), ("ipv6", "12345::"),
    ("cidr", "192.0.2.1/24"), ("cidr", "192.0.2.0/33"), ("cidr", "192.0.2.0"),
    ("domain", "exa_mple.com"), ("domain", "localhost"), ("domain", "bad..example.com"),
    ("domain", "xn--bücher.example"), ("url", "javascript:alert(1)"),
    ("url", "http://user@example.com/"), ("url", "http://exa mple.com/"),
    ("email", "no-at-sign"), ("email", "a b@example.com"), ("md5", "xyz"),
    ("md5", "0" * 31), ("sha1", "g" * 40), ("sha256", "0" * 63), ("cve", "CVE-99-1"),
    ("cve", "CVE-2024-123"), ("ipv4", " 192.0.2.1"),
]

FIELD_CASES = []
for f, v, named in POST_FIELD_VALUES:
    FIELD_CASES.append(("create-post", dict(ROUTES["create-post"][3], **{f: v}), named))
    FIELD_CASES.append(("patch-post", {f: v}, named))
for f in ("kind", "title", "body", "tlp"):
    body = dict(ROUTES["create-post"][3])
    del body[f]
    FIELD_CASES.append(("create-post", body, f))
    FIELD_CASES.append(("create-post", dict(body, **{f: None}), f))
for i, (t, v) in enumerate(BAD_INDICATORS):
    inds = [ind("domain", "ok%d.example.com" % k) for k in range(i % 3)] + [ind(t, v)]
    FIELD_CASES.append(("create-post", dict(ROUTES["create-post"][3], indicators=inds),
                        "indicators[%d].value" % (i % 3)))
FIELD_CASES += [
    ("create-post", dict(ROUTES["create-post"][3], anonymous="yes"), "anonymous"),
    ("create-post", dict(ROUTES["create-post"][3], anonymous=1), "anonymous"),
    ("create-post", dict(ROUTES["create-post"][3], id=RANDOM_ID), "id"),
    ("create-post", dict(ROUTES["create-post"][3], author=None), "author"),
    ("create-post", dict(ROUTES["create-post"][3], channel_id=RANDOM_ID), "channel_id"),
    ("patch-post", {"anonymous": True}, "anonymous"),
    ("patch-post", {"anonymous": False}, "anonymous"),
    ("patch-post", {"anonymous": "no"}, "anonymous"),
    ("patch-post", {"revision": 5}, "revision"),
    ("patch-post", {"shared_from": RANDOM_ID}, "shared_from"),
    ("share", {}, "channel_id"),
    ("share", {"channel_id": None}, "channel_id"),
    ("share", {"channel_id": 5}, "channel_id"),
    ("share", {"channel_id": "general"}, "channel_id"),
    ("share", {"channel_id": RANDOM_ID + "0"}, "channel_id"),
    ("share", {"channel_id": [RANDOM_ID]}, "channel_id"),
    ("share", {"channel_id": "{second}", "title": "x"}, "title"),
    ("create-comment", {}, "body"),
    ("create-comment", {"body": None}, "body"),
    ("create-comment", {"body": 5}, "body"),
    ("create-comment", {"body": ""}, "body"),
    ("create-comment", {"body": "x" * 16385}, "body"),
    ("create-comment", {"body": "é" * 8193}, "body"),
    ("create-comment", {"body": ["c"]}, "body"),
    ("create-comment", {"body": "c", "anonymous": True}, "anonymous"),
    ("patch-comment", {}, "body"),
    ("patch-comment", {"body": 5}, "body"),
    ("patch-comment", {"body": ""}, "body"),
    ("patch-comment", {"body": "x" * 16385}, "body"),
    ("patch-comment", {"body": "c", "post_id": RANDOM_ID}, "post_id"),
    ("create-sighting", {"note": 5}, "note"),
    ("create-sighting", {"note": ""}, "note"),
    ("create-sighting", {"note": "x" * 1025}, "note"),
    ("create-sighting", {"note": "é" * 513}, "note"),
    ("create-sighting", {"note": ["n"]}, "note"),
    ("create-sighting", {"organisation_id": RANDOM_ID}, "organisation_id"),
]


def case_id(c):
    body = json.dumps(c[1], ensure_ascii=True)
    if len(body) > 70:
        body = body[:50] + "...(%d bytes)" % len(body)
    return "%s %s" % (c[0], body)


@pytest.mark.parametrize("case", FIELD_CASES, ids=[case_id(c) for c in FIELD_CASES])
def test_an_invalid_field_is_400_naming_it(server, ids, case):
    route, body, field = case
    before = state(server)
    r = call(server, ids, route, body=body)
    problem = is_problem(r, 400)
    assert field in error_fields(problem), problem
    assert state(server) == before


@pytest.mark.parametrize("index", range(len(BAD_INDICATORS)))
def test_an_invalid_indicator_is_named_by_index_and_value(server, ids, index):
    t, v = BAD_INDICATORS[index]
    inds = [ind("domain", "fine.example.com"), ind("ipv4", "192.0.2.1"), ind(t, v)]
    r = call(server, ids, "create-post",
             body=dict(ROUTES["create-post"][3], indicators=inds))
    problem = is_problem(r, 400)
    errors = [e for e in problem["errors"] if e["field"] == "indicators[2].value"]
    assert len(errors) == 1 and len(problem["errors"]) == 1, problem
    assert v in errors[0]["message"], problem


def test_every_invalid_indicator_is_named(server, ids):
    inds = [ind("ipv4", "192.0.2.1"), ind("ipv4", "300.1.1.1"), ind("md5", "nothex"),
            ind("domain", "ok.example.com"), ind("cve", "CVE-1-1")]
    problem = is_problem(call(server, ids, "create-post",
                              body=dict(ROUTES["create-post"][3], indicators=inds)), 400)
    assert error_fields(problem) == ["indicators[1].value", "indicators[2].value",
                                     "indicators[4].value"]


def test_tlp_white_names_tlp_clear(server, ids):
    for route, body in (("create-post", dict(ROUTES["create-post"][3], tlp="TLP:WHITE")),
                        ("patch-post", {"tlp": "TLP:WHITE"})):
        problem = is_problem(call(server, ids, route, body=body), 400)
        msgs = [e["message"] for e in problem["errors"] if e["field"] == "tlp"]
        assert msgs and "TLP:CLEAR" in msgs[0], problem


def test_several_bad_fields_are_all_named(server, ids):
    r = call(server, ids, "create-post",
             body={"kind": "rumour", "title": "", "body": 5, "tlp": "TLP:WHITE",
                   "tags": ["a b"], "extra": 1})
    fields = set(error_fields(is_problem(r, 400)))
    assert {"kind", "title", "body", "tlp", "tags", "extra"} <= fields


# ---- limits: the most is accepted, one more is not -------------------------------------

def test_the_limits_themselves_are_accepted(server, ids):
    a = ids["author"]
    p = create_post(server, a, ids["ch"], "t" * 199 + "é", body="é" * 32768,
                    tags=["t%02d" % i + "x" * 37 for i in range(20)],
                    indicators=[ind("ipv4", "198.51.%d.%d" % (i // 250, i % 250))
                                for i in range(500)])
    assert len(p["title"]) == 200 and len(p["body"].encode()) == 65536
    assert len(p["tags"]) == 20 and all(len(t) == 40 for t in p["tags"])
    assert len(p["indicators"]) == 500
    c = expect(server.post("posts/%s/comments" % p["id"], token=a, json={"body": "x" * 16384}),
               201)
    assert len(c["body"]) == 16384
    s = expect(server.post("posts/%s/sightings" % p["id"], token=a, json={"note": "n" * 1024}),
               201)
    assert len(s["note"]) == 1024
    # 200 recipients pass validation; as nobody has these ids, 422, which
    # names none of them
    many = uuids(200)
    r = server.post("channels/%s/posts" % ids["ch"], token=a,
                    json=post_fields(tlp="TLP:RED", recipients=many))
    problem = is_problem(r, 422)
    assert [e["field"] for e in problem["errors"]] == ["recipients"]
    assert not any(u in r.text for u in many)


# ---- ids in the path -------------------------------------------------------------------

BAD_IDS = ["not-a-uuid", "123", RANDOM_ID[:-1], RANDOM_ID + "0", "%7B" + RANDOM_ID + "%7D",
           RANDOM_ID.replace("-", "")]

PATH_ROUTES = [
    ("GET", "channels/{x}/posts", None), ("POST", "channels/{x}/posts", "post"),
    ("GET", "posts/{x}", None), ("PATCH", "posts/{x}", {"title": "x"}),
    ("DELETE", "posts/{x}", None), ("POST", "posts/{x}/share", {"channel_id": RANDOM_ID}),
    ("GET", "posts/{x}/revisions", None), ("GET", "posts/{x}/comments", None),
    ("POST", "posts/{x}/comments", {"body": "x"}), ("GET", "posts/{x}/sightings", None),
    ("POST", "posts/{x}/sightings", {}), ("GET", "posts/{x}/stix", None),
    ("PATCH", "posts/{pid}/comments/{x}", {"body": "x"}),
    ("DELETE", "posts/{pid}/comments/{x}", None),
    ("PATCH", "posts/{x}/comments/{cid}", {"body": "x"}),
    ("DELETE", "posts/{x}/comments/{cid}", None),
]


@pytest.mark.parametrize("method,path,body", PATH_ROUTES,
                         ids=["%s %s" % (m, p) for m, p, _ in PATH_ROUTES])
def test_a_path_id_that_is_not_a_uuid_is_404(server, ids, method, path, body):
    before = state(server)
    if body == "post":
        body = ROUTES["create-post"][3]
    for bad in BAD_IDS:
        p = path.replace("{pid}", ids["pid"]).replace("{cid}", ids["cid"]).replace("{x}", bad)
        r = server.request(method, p, token=ids["author"], json=body)
        is_problem(r, 404)
    assert state(server) == before


# ---- list parameters -------------------------------------------------------------------

def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_QUERIES = ["kind=x", "kind=Incident", "kind=", "tlp=TLP:WHITE", "tlp=green", "tlp=",
               "tag=", "tag=" + "x" * 161, "limit=0", "limit=201", "limit=-1", "limit=abc",
               "limit=1.5", "limit=", "cursor=bad!", "cursor=", "cursor=" + b64("nobar"),
               "cursor=" + b64("2026-01-01 00:00:00+00|not-a-uuid"),
               "cursor=" + b64("letters|" + RANDOM_ID), "cursor=" + "A" * 300]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_a_bad_list_parameter_is_400(server, ids, query):
    r = server.get("channels/%s/posts?%s" % (ids["ch"], query), token=ids["author"])
    is_problem(r, 400)


@pytest.mark.parametrize("path", ["posts/{pid}/comments", "posts/{pid}/revisions"])
@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "cursor=bad!",
                                   "cursor=" + b64("nobar")])
def test_a_bad_parameter_on_other_lists_is_400(server, ids, path, query):
    r = server.get("%s?%s" % (path.replace("{pid}", ids["pid"]), query), token=ids["author"])
    is_problem(r, 400)


def test_a_cursor_of_one_list_is_refused_by_another_kind(server, ids):
    time_cursor = b64("2026-01-01 00:00:00+00|" + RANDOM_ID)
    is_problem(server.get("posts/%s/revisions?cursor=%s" % (ids["pid"], time_cursor),
                          token=ids["author"]), 400)
    is_problem(server.get("channels/%s/posts?cursor=%s" % (ids["ch"], b64("5")),
                          token=ids["author"]), 400)
