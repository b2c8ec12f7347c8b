"""STIX 2.1 export: GET /posts/{id}/stix.

What users rely on: a post exports as a STIX 2.1 bundle (Content-Type
application/stix+json;version=2.1) their TIP or SIEM can ingest: a report
carrying the title and body and referring to every object of the bundle, an
indicator with a valid STIX pattern per indicator, a vulnerability per CVE, the
official OASIS TLP 2.0 marking-definition on everything, an identity for the
author's organisation (none for an anonymous post, whose author and
organisation appear nowhere in the export), millisecond timestamps and ids
that are the same on every export.  The export reaches no further than the
post: TLP:RED only its author and recipients, AMBER only its channel's readers.
"""

import json
import re

import pytest

from community_helpers import assert_no_server_errors, expect
from post_helpers import TLPS, build_post_world, create_post, is_problem

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ID_RE = re.compile(r"^([a-z0-9-]+)--(%s)$" % UUID)
MS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
STIX_TYPE = "application/stix+json;version=2.1"

TLP_IDS = {
    "TLP:CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "TLP:GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "TLP:AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "TLP:AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "TLP:RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# a string literal of the STIX pattern grammar: quote and backslash escaped
LIT = r"'((?:[^'\\]|\\['\\])*)'"
PATTERNS = {
    "ipv4": re.compile(r"^\[ipv4-addr:value = '(\d{1,3}(?:\.\d{1,3}){3})'\]$"),
    "ipv6": re.compile(r"^\[ipv6-addr:value = '([0-9a-f:.]+)'\]$"),
    "cidr4": re.compile(r"^\[ipv4-addr:value = '(\d{1,3}(?:\.\d{1,3}){3}/\d{1,2})'\]$"),
    "cidr6": re.compile(r"^\[ipv6-addr:value = '([0-9a-f:]+/\d{1,3})'\]$"),
    "domain": re.compile(r"^\[domain-name:value = '([a-z0-9.-]+)'\]$"),
    "url": re.compile(r"^\[url:value = %s\]$" % LIT),
    "email": re.compile(r"^\[email-addr:value = %s\]$" % LIT),
    "md5": re.compile(r"^\[file:hashes\.'MD5' = '([0-9a-f]{32})'\]$"),
    "sha1": re.compile(r"^\[file:hashes\.'SHA-1' = '([0-9a-f]{40})'\]$"),
    "sha256": re.compile(r"^\[file:hashes\.'SHA-256' = '([0-9a-f]{64})'\]$"),
}

INDICATORS = [
    {"type": "ipv4", "value": "203.0.113.7"},
    {"type": "ipv6", "value": "2001:DB8::7"},
    {"type": "cidr", "value": "198.51.100.0/24"},
    {"type": "cidr", "value": "2001:db8:7::/48"},
    {"type": "domain", "value": "Evil.Example.COM."},
    {"type": "url", "value": "http://evil.example.com/it's\\here"},
    {"type": "email", "value": "o'brien@evil.example.com"},
    {"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"},
    {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"type": "sha256", "value": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"type": "cve", "value": "cve-2024-3094"},
    {"type": "cve", "value": "CVE-2021-44228"},
]


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


def red_extra(w, tlp):
    return {"recipients": [w.member["id"]]} if tlp == "TLP:RED" else {}


def export(server, token, pid):
    r = server.get("posts/%s/stix" % pid, token=token)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == STIX_TYPE
    return r


def unescape(lit):
    return re.sub(r"\\(['\\])", r"\1", lit)


def check_bundle(bundle, post, tlp, org=None):
    """The structure every export has; → objects by type."""
    assert bundle["type"] == "bundle" and set(bundle) == {"type", "id", "objects"}
    m = ID_RE.match(bundle["id"])
    assert m and m.group(1) == "bundle", bundle["id"]
    objs = bundle["objects"]
    by_id = {o["id"]: o for o in objs}
    assert len(by_id) == len(objs), "ids are unique"
    by_type = {}
    for o in objs:
        m = ID_RE.match(o["id"])
        assert m and m.group(1) == o["type"], o["id"]
        assert o["spec_version"] == "2.1"
        for k in ("created", "modified", "published", "valid_from"):
            if k in o:
                assert MS_RE.match(o[k]), (k, o[k])
        by_type.setdefault(o["type"], []).append(o)
    (report,) = by_type["report"]
    assert report["name"] == post["title"] and report["description"] == post["body"]
    assert set(report["object_refs"]) == set(by_id) - {report["id"]}
    assert all(ref in by_id for ref in report["object_refs"])
    (marking,) = by_type["marking-definition"]
    assert marking["id"] == TLP_IDS[tlp] and marking["name"] == tlp
    ext = marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
    assert ext == {"extension_type": "property-extension",
                   "tlp_2_0": tlp.split(":")[1].lower()}
    for o in objs:
        if o["type"] not in ("marking-definition", "identity"):
            assert o["object_marking_refs"] == [TLP_IDS[tlp]], o
    if org is None:
        assert "identity" not in by_type
        assert not any("created_by_ref" in o for o in objs)
    else:
        (ident,) = by_type["identity"]
        assert ident["name"] == org["org_name"] and ident["identity_class"] == "organization"
        for o in objs:
            if o["type"] not in ("marking-definition", "identity"):
                assert o["created_by_ref"] == ident["id"], o
    return by_type


@pytest.mark.parametrize("tlp", TLPS)
def test_a_post_of_each_tlp_exports_as_a_valid_bundle(server, w, tlp):
    p = create_post(server, w.tok("author"), w.ch("general"), "STIX %s" % tlp,
                    body="What we saw, with 'quotes' and \\ backslashes", kind="indicators",
                    tags=["apt", "energy"], indicators=INDICATORS, tlp=tlp,
                    **red_extra(w, tlp))
    r = export(server, w.tok("author"), p["id"])
    by_type = check_bundle(r.json(), p, tlp, org=w.author)
    (report,) = by_type["report"]
    assert report["report_types"] == ["indicator"] and report["labels"] == ["apt", "energy"]
    assert report["created"] <= report["modified"] and report["published"] == report["created"]

    stored = [i for i in p["indicators"] if i["type"] != "cve"]
    indicators = by_type["indicator"]
    assert len(indicators) == len(stored) == 10
    got = {}
    for o in indicators:
        assert o["pattern_type"] == "stix" and o["pattern_version"] == "2.1"
        assert o["valid_from"] == report["created"]
        got[o["name"]] = o["pattern"]
    for i in stored:
        pattern = got[i["value"]]
        kind = i["type"]
        if kind == "cidr":
            kind = "cidr6" if ":" in i["value"] else "cidr4"
        m = PATTERNS[kind].match(pattern)
        assert m, (kind, pattern)
        assert unescape(m.group(1)) == i["value"], (pattern, i["value"])

    vulns = by_type["vulnerability"]
    assert sorted(v["name"] for v in vulns) == ["CVE-2021-44228", "CVE-2024-3094"]
    for v in vulns:
        assert v["external_references"] == [{"source_name": "cve", "external_id": v["name"]}]


def test_the_canonical_values_are_what_is_exported(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), indicators=INDICATORS)
    values = {(i["type"], i["value"]) for i in p["indicators"]}
    assert ("domain", "evil.example.com") in values
    assert ("ipv6", "2001:db8::7") in values
    assert ("md5", "d41d8cd98f00b204e9800998ecf8427e") in values
    text = export(server, w.tok("author"), p["id"]).text
    for raw in ("Evil.Example.COM.", "2001:DB8::7", "D41D8CD98F00B204E9800998ECF8427E"):
        assert raw not in text


def test_ids_are_the_same_on_every_export(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), indicators=INDICATORS[:4])
    first = export(server, w.tok("author"), p["id"])
    second = export(server, w.tok("member"), p["id"])
    assert first.json() == second.json()
    again = export(server, w.tok("author"), p["id"])
    assert again.content == first.content


def test_an_edit_is_a_new_version_of_the_same_objects(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), indicators=INDICATORS[:2])
    before = {o["type"]: o for o in export(server, w.tok("author"), p["id"]).json()["objects"]}
    expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                        json={"body": "updated body"}), 200)
    after_bundle = export(server, w.tok("author"), p["id"]).json()
    after = {o["type"]: o for o in after_bundle["objects"]}
    assert after["report"]["id"] == before["report"]["id"]
    assert after["report"]["created"] == before["report"]["created"]
    assert after["report"]["modified"] > before["report"]["modified"]
    assert after["report"]["description"] == "updated body"


def test_a_post_without_indicators_still_refers_to_something(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), anonymous=True)
    bundle = export(server, w.tok("member"), p["id"]).json()
    by_type = check_bundle(bundle, p, "TLP:GREEN", org=None)
    assert by_type["report"][0]["object_refs"] == [TLP_IDS["TLP:GREEN"]]


@pytest.mark.parametrize("role", ["member", "moderator", "author"])
def test_an_anonymous_post_exports_without_its_author(server, w, role):
    p = create_post(server, w.tok("author"), w.ch("general"), anonymous=True,
                    tlp="TLP:AMBER", indicators=INDICATORS)
    r = export(server, w.tok(role), p["id"])
    check_bundle(r.json(), p, "TLP:AMBER", org=None)
    for trace in (w.author["id"], w.author["name"], w.author["org_id"], w.author["org_name"]):
        assert trace not in r.text, (role, trace)


def test_red_exports_only_to_its_author_and_recipients(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), tlp="TLP:RED",
                    recipients=[w.member["id"]], indicators=INDICATORS[:1])
    for role in ("author", "member"):
        check_bundle(export(server, w.tok(role), p["id"]).json(), p, "TLP:RED", org=w.author)
    for role in ("moderator", "owner", "reader", "staff", "other", "outsider"):
        r = server.get("posts/%s/stix" % p["id"], token=w.tok(role))
        assert is_problem(r, 404)["detail"] == "no such post", role
        assert p["title"] not in r.text


@pytest.mark.parametrize("tlp", ["TLP:AMBER", "TLP:AMBER+STRICT"])
def test_amber_exports_only_to_its_channels_readers(server, w, tlp):
    p = create_post(server, w.tok("author"), w.ch("restricted"), tlp=tlp)
    for role in ("author", "reader", "moderator", "owner"):
        bundle = export(server, w.tok(role), p["id"]).json()
        check_bundle(bundle, p, tlp, org=w.author)
    for role in ("member", "staff", "other", "outsider", "suspended"):
        r = server.get("posts/%s/stix" % p["id"], token=w.tok(role))
        # a suspended member who is no reader of the channel: 404 too
        assert is_problem(r, 404)["detail"] == "no such post", role
        assert p["title"] not in r.text


def test_export_of_a_missing_post_is_404(server, w):
    is_problem(server.get("posts/%s/stix" % "00000000-0000-4000-8000-000000000000",
                          token=w.tok("author")), 404)
    is_problem(server.get("posts/not-a-uuid/stix", token=w.tok("author")), 404)
    is_problem(server.get("posts/00000000-0000-4000-8000-000000000000/stix"), 401)


def test_the_bundle_is_plain_json_text(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), body="Ünïcode ✓ body")
    r = export(server, w.tok("author"), p["id"])
    report = json.loads(r.content.decode("utf-8"))["objects"][0]
    assert report["description"] == "Ünïcode ✓ body"
