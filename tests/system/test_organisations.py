"""Organisations: staff create them (names unique regardless of case); anyone
signed in lists and reads them."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import assert_problem
from identity_helpers import account, audit_actions, error_fields, is_uuid, parse_ts


@pytest.fixture(scope="module")
def staff_tok(server):
    return account(server, role="staff")


def org_name(prefix="Org"):
    return "%s %s" % (prefix, uuid.uuid4().hex[:8])


def test_staff_creates_and_anyone_reads(server, staff_tok, user):
    name = org_name("Waterschap")
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": name, "sector": "water", "country": "NL"})
    assert r.status_code == 201, r.text
    org = r.json()
    assert is_uuid(org["id"])
    assert org["name"] == name and org["sector"] == "water" and org["country"] == "NL"
    parse_ts(org["created_at"])
    assert r.headers["Location"].endswith("/organisations/" + org["id"])
    got = server.get("organisations/" + org["id"], token=user["token"])
    assert got.status_code == 200
    assert got.json() == org
    # the id works in upper case too
    assert server.get("organisations/" + org["id"].upper(), token=user["token"]).json() == org
    listed = server.get("organisations", token=user["token"], params={"limit": 200}).json()
    assert org in listed["items"]
    assert "organisation_created" in audit_actions(server, staff_tok["id"])


def test_optional_fields_may_be_left_out(server, staff_tok):
    name = org_name()
    r = server.post("organisations", token=staff_tok["token"], json={"name": name})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name
    assert r.json().get("sector") is None and r.json().get("country") is None


def test_country_is_upper_cased(server, staff_tok):
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": org_name(), "country": "be"})
    assert r.status_code == 201, r.text
    assert r.json()["country"] == "BE"
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": org_name(), "country": "De"})
    assert r.json()["country"] == "DE"


@pytest.mark.parametrize("country", ["NLD", "N", "", "N1", "12", "É1", "ñl", " NL", 31, ["NL"]])
def test_invalid_country_is_400(server, staff_tok, country):
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": org_name(), "country": country})
    assert "country" in error_fields(assert_problem(r, 400))


@pytest.mark.parametrize("country", ["Netherlands", "N1", "", "NLD"])
def test_every_bad_country_gets_the_iso_message(server, staff_tok, country):
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": org_name(), "country": country})
    errors = assert_problem(r, 400)["errors"]
    assert errors == [{"field": "country",
                       "message": "must be an ISO 3166-1 alpha-2 code such as NL"}], errors


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": " Leading"}, "name"),
    ({"name": "Trailing "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "two\nlines"}, "name"),
    ({"name": "Fine Name", "sector": ""}, "sector"),
    ({"name": "Fine Name", "sector": "s" * 101}, "sector"),
    ({"name": "Fine Name", "website": "https://example.org"}, "website"),
])
def test_create_validation(server, staff_tok, body, field):
    before = server.sql("SELECT count(*) FROM organisations")[0][0]
    r = server.post("organisations", token=staff_tok["token"], json=body)
    assert field in error_fields(assert_problem(r, 400))
    assert server.sql("SELECT count(*) FROM organisations")[0][0] == before


def test_names_are_unique_regardless_of_case(server, staff_tok):
    name = org_name("Acme Security")
    assert server.post("organisations", token=staff_tok["token"],
                       json={"name": name}).status_code == 201
    for dup in (name, name.upper(), name.lower(), name.swapcase()):
        r = server.post("organisations", token=staff_tok["token"], json={"name": dup})
        assert_problem(r, 409)
    n = server.sql("SELECT count(*) FROM organisations WHERE lower(name) = lower(%s)", (name,))
    assert n[0][0] == 1
    # an organisation made by isacd create-staff counts too
    r = server.post("organisations", token=staff_tok["token"],
                    json={"name": staff_tok["organisation"].upper()})
    assert_problem(r, 409)


def test_non_staff_cannot_create(server, user):
    name = org_name()
    r = server.post("organisations", token=user["token"], json={"name": name})
    assert_problem(r, 403)
    assert server.sql("SELECT count(*) FROM organisations WHERE name = %s", (name,))[0][0] == 0


def test_list_paging_with_limit_one_walks_every_organisation(server, staff_tok, user):
    for _ in range(3):
        server.post("organisations", token=staff_tok["token"], json={"name": org_name("Page")})
    full = server.get("organisations", token=user["token"], params={"limit": 200})
    assert full.status_code == 200
    full = full.json()
    assert set(full) >= {"items", "next_cursor"}
    assert full["next_cursor"] is None
    total = server.sql("SELECT count(*) FROM organisations")[0][0]
    assert len(full["items"]) == total >= 4
    stamps = [o["created_at"] for o in full["items"]]
    assert stamps == sorted(stamps, reverse=True)          # newest first
    seen, cursor = [], None
    for _ in range(total + 2):
        params = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = server.get("organisations", token=user["token"], params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) == 1
        seen.append(body["items"][0]["id"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [o["id"] for o in full["items"]]
    # the default page is at most 50
    default = server.get("organisations", token=user["token"]).json()
    assert default["items"] == full["items"][:50]


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 201}, {"limit": -5}, {"limit": "abc"}, {"limit": ""},
    {"limit": "1.5"}, {"cursor": "garbage"}, {"cursor": "!!!"},
    {"cursor": "MjAyNi0wMS0wMXxub3QtYS11dWlk"},   # base64url of "2026-01-01|not-a-uuid"
])
def test_bad_list_parameters_are_400(server, user, params):
    assert_problem(server.get("organisations", token=user["token"], params=params), 400)


# fixed ids, so that every xdist worker collects the same test ids
@pytest.mark.parametrize("oid", ["9b3e6d1a-2c4f-4e8b-a7d5-6f1c0e3b2d84", "not-a-uuid", "1",
                                 "%27%20OR%201=1--", "0a6f2d8c-4e1b-4d7a-b3c9-8e5f1a7d2b60" + "0"])
def test_unknown_or_malformed_id_is_404(server, user, oid):
    assert_problem(server.get("organisations/" + oid, token=user["token"]), 404)


def test_reading_needs_a_token(server):
    assert_problem(server.get("organisations"), 401)
    assert_problem(server.get("organisations/" + str(uuid.uuid4())), 401)
    assert_problem(server.post("organisations", json={"name": org_name()}), 401)


def test_parallel_duplicates_create_one(server, staff_tok):
    base = org_name("Race")
    variants = [base, base.upper(), base.lower(), base.swapcase()] * 3

    def create(name):
        return server.post("organisations", token=staff_tok["token"], json={"name": name})

    with ThreadPoolExecutor(len(variants)) as pool:
        results = list(pool.map(create, variants))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * (len(variants) - 1), statuses
    for r in results:
        if r.status_code == 409:
            assert_problem(r, 409)
    n = server.sql("SELECT count(*) FROM organisations WHERE lower(name) = lower(%s)", (base,))
    assert n[0][0] == 1
