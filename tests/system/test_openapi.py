"""api-docs/openapi.yaml against the real server.

* Drift: the (method, path) pairs of `isacd routes` and the operations of the
  document must be the same set, both ways.
* Shapes: real responses, success and error, validate against the schema the
  document declares for that operation and status (JSON Schema 2020-12, `$ref`
  resolved inside the document), with the declared media type and headers,
  and carry no member the document does not name.
"""

import copy
import os
import re
import subprocess
import time
import uuid

import pytest
import yaml
from jsonschema import Draft202012Validator, RefResolver

from conftest import DEFAULT_PASSWORD, ISACD, ROOT, totp_code, unique_email
from identity_helpers import account

DOC_PATH = os.path.join(ROOT, "api-docs", "openapi.yaml")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def doc():
    with open(DOC_PATH) as f:
        return yaml.safe_load(f)


def router_routes():
    out = subprocess.run([ISACD, "routes"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    routes = set()
    for line in out.stdout.splitlines():
        if line.strip():
            method, path = line.split()
            routes.add((method.upper(), path))
    assert routes, "isacd routes printed nothing"
    return routes


def document_routes(doc):
    return {(m.upper(), path)
            for path, item in doc["paths"].items()
            for m in item if m in METHODS}


def test_document_and_router_have_the_same_routes(doc):
    router = router_routes()
    documented = document_routes(doc)
    assert not router - documented, \
        f"routes missing from api-docs/openapi.yaml: {sorted(router - documented)}"
    assert not documented - router, \
        f"documented operations the router lacks: {sorted(documented - router)}"


def test_request_bodies_refuse_unknown_fields(doc):
    """The server refuses unknown members (400); every request schema says so."""
    api = Api(doc)
    for path, item in doc["paths"].items():
        for m, op in item.items():
            if m not in METHODS or "requestBody" not in op:
                continue
            schema = api.deref(op["requestBody"]["content"]["application/json"]["schema"])
            assert schema.get("additionalProperties") is False, (m, path)


class Api:
    """Looks up what the document declares and checks responses against it."""

    def __init__(self, doc):
        self.doc = doc
        self.resolver = RefResolver(base_uri="", referrer=doc)

    def deref(self, node):
        while isinstance(node, dict) and "$ref" in node:
            _, node = self.resolver.resolve(node["$ref"])
        return node

    def response(self, method, path, status):
        op = self.doc["paths"][path][method.lower()]
        responses = op["responses"]
        assert str(status) in responses, \
            f"{method} {path} answered {status}, which the document does not declare"
        return self.deref(responses[str(status)])

    def check(self, r, method, path):
        """Validate response r of operation (method, path); returns its JSON."""
        spec = self.response(method, path, r.status_code)
        for name in spec.get("headers", {}):
            if name in ("Location", "WWW-Authenticate"):
                assert name in r.headers, (method, path, r.status_code, name)
        content = spec.get("content")
        if not content:
            assert r.content == b"", (method, path, r.status_code, r.content)
            return None
        got = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
        media = {k.split(";")[0].strip().lower(): v for k, v in content.items()}
        assert got in media, (method, path, r.status_code, got, sorted(media))
        if not got.endswith("json"):
            return r.text
        body = r.json()
        schema = media[got]["schema"]
        errors = sorted(Draft202012Validator(schema, resolver=self.resolver).iter_errors(body),
                        key=lambda e: list(e.path))
        assert not errors, (f"{method} {path} {r.status_code}: " +
                            "; ".join(f"{list(e.path)}: {e.message}" for e in errors) +
                            f"\nbody: {body}")
        extra = list(self.undocumented(body, schema, "$"))
        assert not extra, f"{method} {path} {r.status_code}: undocumented members {extra}"
        return body

    # -- members the document does not name --------------------------------

    def _parts(self, schema):
        schema = self.deref(schema)
        yield schema
        for key in ("allOf", "oneOf", "anyOf"):
            for sub in schema.get(key, []):
                yield from self._parts(sub)

    def undocumented(self, value, schema, where):
        if isinstance(value, dict):
            props = {}
            for part in self._parts(schema):
                props.update(part.get("properties", {}))
            for k, v in value.items():
                if k not in props:
                    yield f"{where}.{k}"
                else:
                    yield from self.undocumented(v, props[k], f"{where}.{k}")
        elif isinstance(value, list):
            for part in self._parts(schema):
                if "items" in part:
                    for i, v in enumerate(value):
                        yield from self.undocumented(v, part["items"], f"{where}[{i}]")
                    break


@pytest.fixture
def api(doc):
    return Api(doc)


def test_probes_match_the_document(server, api):
    assert api.check(server.get("/healthz"), "GET", "/healthz") == {"status": "ok"}
    api.check(server.get("/readyz"), "GET", "/readyz")
    text = api.check(server.get("/metrics"), "GET", "/metrics")
    assert "isacd_build_info" in text


def test_identity_responses_match_the_document(server, staff, api):
    s = staff["token"]

    r = server.post("auth/login", json={"email": staff["email"], "password": staff["password"]})
    login = api.check(r, "POST", "/api/v1/auth/login")
    assert login["user"]["platform_role"] == "staff"
    bad = server.post("auth/login", json={"email": staff["email"], "password": "wrong" * 3})
    api.check(bad, "POST", "/api/v1/auth/login")
    api.check(server.post("auth/login", json={"email": "x@example.org", "password": "p",
                                              "remember": True}),
              "POST", "/api/v1/auth/login")

    me = api.check(server.get("me", token=s), "GET", "/api/v1/me")
    assert me["email"] == staff["email"]
    api.check(server.get("me"), "GET", "/api/v1/me")
    api.check(server.get("me", token="isacd_s_" + "A" * 43), "GET", "/api/v1/me")
    api.check(server.patch("me", token=s, json={"display_name": "Sam Documented"}),
              "PATCH", "/api/v1/me")
    api.check(server.patch("me", token=s, json={"password": {"current": "not-the-password",
                                                             "new": "Amber-Walrus-Compass-862"}}),
              "PATCH", "/api/v1/me")

    # organisations: create, conflict, bad input, list with a cursor, get, 404
    name = "Documented Org " + uuid.uuid4().hex[:8]
    r = server.post("organisations", token=s, json={"name": name, "sector": "energy",
                                                     "country": "nl"})
    org = api.check(r, "POST", "/api/v1/organisations")
    assert org["country"] == "NL"
    api.check(server.post("organisations", token=s, json={"name": name.upper()}),
              "POST", "/api/v1/organisations")
    api.check(server.post("organisations", token=s, json={"name": "", "colour": "red"}),
              "POST", "/api/v1/organisations")
    api.check(server.post("organisations", token=s, data="name=x",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}),
              "POST", "/api/v1/organisations")
    page = api.check(server.get("organisations", token=s, params={"limit": 1}),
                     "GET", "/api/v1/organisations")
    assert len(page["items"]) == 1 and page["next_cursor"]
    api.check(server.get("organisations", token=s, params={"cursor": page["next_cursor"]}),
              "GET", "/api/v1/organisations")
    api.check(server.get("organisations", token=s, params={"limit": 0}),
              "GET", "/api/v1/organisations")
    api.check(server.get("organisations/" + org["id"], token=s),
              "GET", "/api/v1/organisations/{id}")
    missing = api.check(server.get(f"organisations/{uuid.uuid4()}", token=s),
                        "GET", "/api/v1/organisations/{id}")
    assert missing["status"] == 404

    # personal API tokens
    r = server.post("me/tokens", token=s, json={"name": "docs", "scopes": ["read"]})
    created = api.check(r, "POST", "/api/v1/me/tokens")
    pat = created["token"]
    api.check(server.post("me/tokens", token=s, json={"name": "docs", "scopes": ["write"]}),
              "POST", "/api/v1/me/tokens")
    listed = api.check(server.get("me/tokens", token=s), "GET", "/api/v1/me/tokens")
    assert created["id"] in [t["id"] for t in listed["items"]]
    api.check(server.get("me/tokens", token=pat), "GET", "/api/v1/me/tokens")
    api.check(server.post("me/tokens", token=pat, json={"name": "x", "scopes": ["read"]}),
              "POST", "/api/v1/me/tokens")
    api.check(server.post("organisations", token=pat, json={"name": name + " 2"}),
              "POST", "/api/v1/organisations")
    api.check(server.delete("me/tokens/" + created["id"], token=s),
              "DELETE", "/api/v1/me/tokens/{id}")
    api.check(server.delete("me/tokens/" + created["id"], token=s),
              "DELETE", "/api/v1/me/tokens/{id}")

    api.check(server.post("auth/logout", token=login["token"]), "POST", "/api/v1/auth/logout")


def test_totp_responses_match_the_document(server, staff, api):
    s = staff["token"]
    api.check(server.post("me/totp/confirm", token=s, json={"code": "123456"}),
              "POST", "/api/v1/me/totp/confirm")
    api.check(server.delete("me/totp", token=s, json={"code": "123456"}),
              "DELETE", "/api/v1/me/totp")
    enrol = api.check(server.post("me/totp", token=s), "POST", "/api/v1/me/totp")
    good = totp_code(enrol["secret"])
    near = {totp_code(enrol["secret"], at=time.time() + d) for d in (-30, 0, 30)}
    wrong = next(c for c in (f"{n:06d}" for n in range(1000000)) if c not in near)
    api.check(server.post("me/totp/confirm", token=s, json={"code": wrong}),
              "POST", "/api/v1/me/totp/confirm")
    api.check(server.post("me/totp/confirm", token=s, json={"code": "12345"}),
              "POST", "/api/v1/me/totp/confirm")
    ok = api.check(server.post("me/totp/confirm", token=s, json={"code": good}),
                   "POST", "/api/v1/me/totp/confirm")
    assert ok == {"totp_enabled": True}
    api.check(server.post("me/totp", token=s), "POST", "/api/v1/me/totp")


def test_the_checker_catches_an_undocumented_member(doc, api):
    """The shape check is not vacuous: a body with a member the document does
    not name, or of the wrong type, fails."""
    class Fake:
        status_code = 200
        headers = {"Content-Type": "application/json; charset=utf-8"}
        content = b"{}"

        def __init__(self, body):
            self._body = body

        def json(self):
            return copy.deepcopy(self._body)

    good = {"status": "ok"}
    api.check(Fake(good), "GET", "/healthz")
    with pytest.raises(AssertionError, match="undocumented"):
        api.check(Fake({"status": "ok", "uptime": 3}), "GET", "/healthz")
    with pytest.raises(AssertionError):
        api.check(Fake({"status": "down"}), "GET", "/healthz")


# -- communities, members, invites, join requests, channels, audit ----------

COMMUNITY_TAGS = {"communities", "members", "invites", "join-requests", "channels", "audit"}
# objects whose members come from jsonb: their order is not defined
UNORDERED = {"AuditDetail", "AuditChange", "RetentionByTlp"}


def ordered_parts(api, schema):
    """The schema and its allOf/oneOf/anyOf parts, leaving out UNORDERED ones."""
    if isinstance(schema, dict) and "$ref" in schema:
        if schema["$ref"].rsplit("/", 1)[-1] in UNORDERED:
            return
        schema = api.deref(schema)
    yield schema
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            yield from ordered_parts(api, sub)


def assert_in_document_order(api, value, schema, where="$"):
    """The members of every object come in the order its schema lists them
    (objects rendered from jsonb, UNORDERED, aside)."""
    parts = list(ordered_parts(api, schema))
    if not parts:
        return
    if isinstance(value, dict):
        order = {}
        for part in parts:
            for k, sub in part.get("properties", {}).items():
                order.setdefault(k, (len(order), sub))
        positions = [order[k][0] for k in value if k in order]
        assert positions == sorted(positions), \
            f"{where}: members {list(value)} are not in the documented order {list(order)}"
        for k, v in value.items():
            if k in order:
                assert_in_document_order(api, v, order[k][1], f"{where}.{k}")
    elif isinstance(value, list):
        for part in parts:
            if "items" in part:
                for i, v in enumerate(value):
                    assert_in_document_order(api, v, part["items"], f"{where}[{i}]")
                break


def test_community_responses_match_the_document(server, api, start_server):
    """A small community's life through the real server: every answer, of
    every community operation, validates against the document (schema,
    media type, headers, no undocumented member, member order)."""
    seen = set()
    P = "/api/v1"

    def check(r, method, path, status):
        assert r.status_code == status, (method, path, r.status_code, r.text)
        body = api.check(r, method, P + path)
        if isinstance(body, (dict, list)):
            spec = api.response(method, P + path, r.status_code)
            media = next(v for k, v in spec["content"].items()
                         if k.split(";")[0] == r.headers["Content-Type"].split(";")[0])
            assert_in_document_order(api, body, media["schema"])
        if status == 429:
            assert int(r.headers["Retry-After"]) >= 1
        seen.add((method, P + path, status))
        return body

    tag = uuid.uuid4().hex[:8]
    staff = account(server, role="staff")
    S = staff["token"]
    org_name = "Grid Operators " + tag
    org = check(server.post("organisations", token=S, json={"name": org_name}),
                "POST", "/organisations", 201)
    org3 = check(server.post("organisations", token=S, json={"name": "Leaving Org " + tag}),
                 "POST", "/organisations", 201)

    # ---- onboarding: staff creates communities with an owner's invite -------
    owner_email = unique_email("owner")
    r = server.post("communities", token=S, json={
        "name": "Energy ISAC " + tag, "kind": "sector", "description": "Grid operators.",
        "listed": True, "join_policy": "request", "retention_days": 365,
        "retention_by_tlp": {"TLP:RED": 30, "TLP:CLEAR": 730},
        "owner": {"email": owner_email, "organisation_id": org["id"]}})
    made = check(r, "POST", "/communities", 201)
    cid = made["community"]["id"]
    assert r.headers["Location"] == f"/api/v1/communities/{cid}"
    hidden = check(server.post("communities", token=S, json={
        "name": "Hidden ISAC " + tag, "kind": "thematic",
        "owner": {"email": unique_email("owner"), "organisation_id": org["id"]}}),
        "POST", "/communities", 201)
    hid = hidden["community"]["id"]
    check(server.post("communities", token=S, json={
        "name": "ENERGY isac " + tag, "kind": "sector",
        "owner": {"email": unique_email(), "organisation_id": org["id"]}}),
        "POST", "/communities", 409)
    check(server.post("communities", token=S, json={
        "name": "Nowhere " + tag, "kind": "sector",
        "owner": {"email": unique_email(), "organisation_id": str(uuid.uuid4())}}),
        "POST", "/communities", 422)
    check(server.post("communities", token=S, json={
        "name": " padded", "kind": "galactic", "owner": {"email": "no"}, "colour": 1,
        "retention_by_tlp": {"TLP:WHITE": 3}}), "POST", "/communities", 400)
    check(server.post("communities", token=S, data="name=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}),
          "POST", "/communities", 415)
    outsider = account(server)
    O = outsider["token"]
    check(server.post("communities", token=O, json={"name": "x", "kind": "sector"}),
          "POST", "/communities", 403)
    check(server.get("communities"), "GET", "/communities", 401)

    # ---- the owner accepts, creating the account ----------------------------
    check(server.post("invites/accept", json={"token": made["owner_invite"]["token"]}),
          "POST", "/invites/accept", 400)
    acc = check(server.post("invites/accept", json={
        "token": made["owner_invite"]["token"], "display_name": "Olga Owner",
        "password": DEFAULT_PASSWORD}), "POST", "/invites/accept", 201)
    OW, owner_id = acc["token"], acc["user"]["id"]
    assert acc["community_id"] == cid
    check(server.post("invites/accept", json={
        "token": made["owner_invite"]["token"], "display_name": "Olga Owner",
        "password": DEFAULT_PASSWORD}), "POST", "/invites/accept", 410)
    check(server.post("invites/accept", json={
        "token": "isacd_inv_" + "Q" * 43, "display_name": "No Body",
        "password": DEFAULT_PASSWORD}), "POST", "/invites/accept", 404)

    # ---- the directory ------------------------------------------------------
    page = check(server.get("communities", token=OW), "GET", "/communities", 200)
    assert [c["membership"] for c in page["items"] if c["id"] == cid] == \
        [{"role": "owner", "status": "active"}]
    check(server.get("communities", token=S, params={"kind": "thematic", "limit": 1}),
          "GET", "/communities", 200)
    check(server.get("communities", token=S, params={"kind": "galactic"}),
          "GET", "/communities", 400)
    got = check(server.get("communities/" + cid, token=O), "GET", "/communities/{id}", 200)
    assert got["member_count"] is None and got["membership"] is None
    check(server.get("communities/" + hid, token=S), "GET", "/communities/{id}", 200)
    check(server.get("communities/" + hid, token=O), "GET", "/communities/{id}", 404)
    check(server.get("communities/not-a-uuid", token=O), "GET", "/communities/{id}", 404)

    # ---- settings -----------------------------------------------------------
    patched = check(server.patch("communities/" + cid, token=OW, json={
        "description": None, "roster": "moderators", "retention_by_tlp": None}),
        "PATCH", "/communities/{id}", 200)
    assert patched["description"] is None and patched["retention_by_tlp"] is None
    check(server.patch("communities/" + cid, token=S, json={"retention_days": 180}),
          "PATCH", "/communities/{id}", 200)
    check(server.patch("communities/" + cid, token=OW, json={"name": "hidden ISAC " + tag}),
          "PATCH", "/communities/{id}", 409)
    check(server.patch("communities/" + cid, token=OW, json={"owner": {}, "retention_days": 0}),
          "PATCH", "/communities/{id}", 400)
    check(server.patch("communities/" + cid, token=O, json={"listed": False}),
          "PATCH", "/communities/{id}", 403)
    check(server.patch("communities/" + hid, token=O, json={"listed": True}),
          "PATCH", "/communities/{id}", 404)

    # ---- invites: a moderator and a member ----------------------------------
    mod_email, mem_email = unique_email("mod"), unique_email("mem")
    inv = check(server.post(f"communities/{cid}/invites", token=OW, json={
        "email": mod_email, "organisation_id": org["id"], "role": "moderator"}),
        "POST", "/communities/{id}/invites", 201)
    assert inv["state"] == "pending" and inv["token"].startswith("isacd_inv_")
    check(server.post(f"communities/{cid}/invites", token=OW, json={
        "email": mod_email.upper(), "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 409)
    r = check(server.post("invites/accept", json={
        "token": inv["token"], "display_name": "Mo Moderator",
        "password": DEFAULT_PASSWORD}), "POST", "/invites/accept", 201)
    MO, mod_id = r["token"], r["user"]["id"]
    check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": unique_email(), "organisation_id": org["id"], "role": "moderator"}),
        "POST", "/communities/{id}/invites", 403)
    check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": unique_email(), "organisation_id": str(uuid.uuid4())}),
        "POST", "/communities/{id}/invites", 422)
    check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": "not an address", "organisation_id": org["id"], "role": "owner"}),
        "POST", "/communities/{id}/invites", 400)
    check(server.post(f"communities/{cid}/invites", token=S, json={
        "email": unique_email(), "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 403)
    check(server.post(f"communities/{hid}/invites", token=MO, json={
        "email": unique_email(), "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 404)
    inv = check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": mem_email, "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 201)
    r = check(server.post("invites/accept", json={
        "token": inv["token"], "display_name": "Mem Ber", "password": DEFAULT_PASSWORD}),
        "POST", "/invites/accept", 201)
    ME, mem_id = r["token"], r["user"]["id"]
    check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": mem_email, "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 409)

    # an existing account accepts with its bearer token
    existing = account(server, organisation=org_name)
    inv = check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": existing["email"], "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 201)
    check(server.post("invites/accept", json={
        "token": inv["token"], "display_name": "Ex Isting", "password": DEFAULT_PASSWORD}),
        "POST", "/invites/accept", 409)
    check(server.post("invites/accept", token=O, json={"token": inv["token"]}),
          "POST", "/invites/accept", 403)
    check(server.post("invites/accept", token=existing["token"], json={
        "token": inv["token"], "password": DEFAULT_PASSWORD}),
        "POST", "/invites/accept", 400)
    check(server.post("invites/accept", token="isacd_s_" + "A" * 43, json={"token": inv["token"]}),
          "POST", "/invites/accept", 401)
    r = check(server.post("invites/accept", token=existing["token"], json={"token": inv["token"]}),
              "POST", "/invites/accept", 201)
    assert set(r) == {"user", "community_id"}
    ex_id = r["user"]["id"]

    # invites: list, revoke
    pending = check(server.post(f"communities/{cid}/invites", token=MO, json={
        "email": unique_email(), "organisation_id": org["id"]}),
        "POST", "/communities/{id}/invites", 201)
    listed = check(server.get(f"communities/{cid}/invites", token=OW, params={"limit": 2}),
                   "GET", "/communities/{id}/invites", 200)
    assert listed["next_cursor"] and "token" not in listed["items"][0]
    check(server.get(f"communities/{cid}/invites", token=OW,
                     params={"cursor": listed["next_cursor"]}),
          "GET", "/communities/{id}/invites", 200)
    check(server.get(f"communities/{cid}/invites", token=ME),
          "GET", "/communities/{id}/invites", 403)
    check(server.get(f"communities/{cid}/invites", token=OW, params={"limit": 500}),
          "GET", "/communities/{id}/invites", 400)
    check(server.delete(f"communities/{cid}/invites/{pending['id']}", token=MO),
          "DELETE", "/communities/{id}/invites/{invite_id}", 204)
    check(server.delete(f"communities/{cid}/invites/{pending['id']}", token=MO),
          "DELETE", "/communities/{id}/invites/{invite_id}", 409)
    check(server.delete(f"communities/{cid}/invites/{uuid.uuid4()}", token=MO),
          "DELETE", "/communities/{id}/invites/{invite_id}", 404)
    check(server.delete(f"communities/{cid}/invites/{pending['id']}", token=ME),
          "DELETE", "/communities/{id}/invites/{invite_id}", 403)

    # ---- the roster ---------------------------------------------------------
    roster = check(server.get(f"communities/{cid}/members", token=MO),
                   "GET", "/communities/{id}/members", 200)
    assert {m["user_id"] for m in roster["items"]} == {owner_id, mod_id, mem_id, ex_id}
    mine = check(server.get(f"communities/{cid}/members", token=ME),
                 "GET", "/communities/{id}/members", 200)
    assert {m["user_id"] for m in mine["items"]} == {owner_id, mod_id, mem_id}
    check(server.get(f"communities/{cid}/members", token=S),
          "GET", "/communities/{id}/members", 403)
    check(server.get(f"communities/{hid}/members", token=O),
          "GET", "/communities/{id}/members", 404)
    check(server.get(f"communities/{cid}/members", token=MO, params={"cursor": "!"}),
          "GET", "/communities/{id}/members", 400)

    # ---- channels and readers -----------------------------------------------
    r = server.post(f"communities/{cid}/channels", token=MO, json={
        "name": "general", "visibility": "community", "posting": "members"})
    general = check(r, "POST", "/communities/{id}/channels", 201)
    assert r.headers["Location"] == "/api/v1/channels/" + general["id"]
    secret = check(server.post(f"communities/{cid}/channels", token=OW, json={
        "name": "incidents", "description": "Live ones.", "visibility": "restricted",
        "posting": "moderators", "retention_days": 30}),
        "POST", "/communities/{id}/channels", 201)
    check(server.post(f"communities/{cid}/channels", token=MO, json={
        "name": "GENERAL", "visibility": "community", "posting": "members"}),
        "POST", "/communities/{id}/channels", 409)
    check(server.post(f"communities/{cid}/channels", token=ME, json={
        "name": "mine", "visibility": "community", "posting": "members"}),
        "POST", "/communities/{id}/channels", 403)
    check(server.post(f"communities/{cid}/channels", token=MO, json={
        "name": "", "visibility": "secret", "retention_days": 100000}),
        "POST", "/communities/{id}/channels", 400)
    check(server.post(f"communities/{hid}/channels", token=MO, json={
        "name": "x", "visibility": "community", "posting": "members"}),
        "POST", "/communities/{id}/channels", 404)
    chans = check(server.get(f"communities/{cid}/channels", token=ME),
                  "GET", "/communities/{id}/channels", 200)
    assert [c["id"] for c in chans["items"]] == [general["id"]]
    check(server.get(f"communities/{cid}/channels", token=MO, params={"limit": 1}),
          "GET", "/communities/{id}/channels", 200)
    check(server.get(f"communities/{cid}/channels", token=O),
          "GET", "/communities/{id}/channels", 403)
    check(server.get(f"communities/{hid}/channels", token=O),
          "GET", "/communities/{id}/channels", 404)
    check(server.get(f"communities/{cid}/channels", token=MO, params={"limit": "x"}),
          "GET", "/communities/{id}/channels", 400)
    check(server.get("channels/" + general["id"], token=ME), "GET", "/channels/{id}", 200)
    check(server.get("channels/" + secret["id"], token=ME), "GET", "/channels/{id}", 404)
    check(server.get("channels/" + general["id"], token=S), "GET", "/channels/{id}", 404)
    check(server.patch("channels/" + general["id"], token=MO, json={
        "description": "Everything else.", "posting": "moderators"}),
        "PATCH", "/channels/{id}", 200)
    check(server.patch("channels/" + general["id"], token=MO, json={"description": None}),
          "PATCH", "/channels/{id}", 200)
    check(server.patch("channels/" + general["id"], token=MO, json={"name": "Incidents"}),
          "PATCH", "/channels/{id}", 409)
    check(server.patch("channels/" + general["id"], token=MO, json={"visibility": "open"}),
          "PATCH", "/channels/{id}", 400)
    check(server.patch("channels/" + general["id"], token=ME, json={"name": "mine"}),
          "PATCH", "/channels/{id}", 403)
    check(server.patch("channels/" + secret["id"], token=ME, json={"name": "mine"}),
          "PATCH", "/channels/{id}", 404)
    check(server.post(f"channels/{secret['id']}/members", token=MO, json={"user_id": mem_id}),
          "POST", "/channels/{id}/members", 201)
    check(server.post(f"channels/{secret['id']}/members", token=MO, json={"user_id": mem_id}),
          "POST", "/channels/{id}/members", 409)
    check(server.post(f"channels/{secret['id']}/members", token=MO,
                      json={"user_id": outsider["id"]}),
          "POST", "/channels/{id}/members", 422)
    check(server.post(f"channels/{secret['id']}/members", token=MO, json={"user": mem_id}),
          "POST", "/channels/{id}/members", 400)
    check(server.post(f"channels/{secret['id']}/members", token=ME, json={"user_id": ex_id}),
          "POST", "/channels/{id}/members", 403)
    check(server.post(f"channels/{secret['id']}/members", token=O, json={"user_id": ex_id}),
          "POST", "/channels/{id}/members", 404)
    readers = check(server.get(f"channels/{secret['id']}/members", token=OW),
                    "GET", "/channels/{id}/members", 200)
    assert [x["user_id"] for x in readers["items"]] == [mem_id]
    check(server.get(f"channels/{secret['id']}/members", token=ME),
          "GET", "/channels/{id}/members", 403)
    check(server.get(f"channels/{secret['id']}/members", token=S),
          "GET", "/channels/{id}/members", 404)
    check(server.get(f"channels/{secret['id']}/members", token=OW, params={"limit": 0}),
          "GET", "/channels/{id}/members", 400)
    mine = check(server.get("channels/" + secret["id"], token=ME), "GET", "/channels/{id}", 200)
    assert (mine["can_post"], mine["can_moderate"]) == (False, False)
    check(server.delete(f"channels/{secret['id']}/members/{ex_id}", token=MO),
          "DELETE", "/channels/{id}/members/{user_id}", 404)
    check(server.delete(f"channels/{secret['id']}/members/{ex_id}", token=ME),
          "DELETE", "/channels/{id}/members/{user_id}", 403)

    # ---- member changes: suspend, the hierarchy, the last owner --------------
    s = check(server.patch(f"communities/{cid}/members/{mem_id}", token=MO,
                           json={"status": "suspended"}),
              "PATCH", "/communities/{id}/members/{user_id}", 200)
    assert s["status"] == "suspended"
    check(server.get("channels/" + secret["id"], token=ME), "GET", "/channels/{id}", 403)
    check(server.get(f"communities/{cid}/members", token=ME),
          "GET", "/communities/{id}/members", 403)
    check(server.get(f"channels/{secret['id']}/members", token=ME),
          "GET", "/channels/{id}/members", 403)
    me = check(server.get("me", token=ME), "GET", "/me", 200)
    assert me["memberships"] == [{"community_id": cid, "role": "member", "status": "suspended"}]
    check(server.get("communities/" + cid, token=ME), "GET", "/communities/{id}", 200)
    check(server.patch(f"communities/{cid}/members/{mem_id}", token=MO,
                       json={"status": "active"}),
          "PATCH", "/communities/{id}/members/{user_id}", 200)
    check(server.patch(f"communities/{cid}/members/{mem_id}", token=MO,
                       json={"status": "active"}),
          "PATCH", "/communities/{id}/members/{user_id}", 200)
    check(server.patch(f"communities/{cid}/members/{mem_id}", token=MO,
                       json={"role": "moderator"}),
          "PATCH", "/communities/{id}/members/{user_id}", 403)
    check(server.patch(f"communities/{cid}/members/{owner_id}", token=MO,
                       json={"status": "suspended"}),
          "PATCH", "/communities/{id}/members/{user_id}", 403)
    check(server.patch(f"communities/{cid}/members/{mod_id}", token=ME,
                       json={"status": "suspended"}),
          "PATCH", "/communities/{id}/members/{user_id}", 403)
    check(server.patch(f"communities/{cid}/members/{owner_id}", token=OW,
                       json={"role": "member"}),
          "PATCH", "/communities/{id}/members/{user_id}", 409)
    check(server.patch(f"communities/{cid}/members/{outsider['id']}", token=OW,
                       json={"role": "member"}),
          "PATCH", "/communities/{id}/members/{user_id}", 404)
    check(server.patch(f"communities/{cid}/members/{mem_id}", token=OW, json={}),
          "PATCH", "/communities/{id}/members/{user_id}", 400)
    check(server.patch(f"communities/{cid}/members/{mem_id}", token=OW,
                       data="x", headers={"Content-Type": "text/plain"}),
          "PATCH", "/communities/{id}/members/{user_id}", 415)
    check(server.patch(f"communities/{cid}/members/{ex_id}", token=OW,
                       json={"role": "moderator"}),
          "PATCH", "/communities/{id}/members/{user_id}", 200)
    check(server.patch(f"communities/{cid}/members/{ex_id}", token=OW,
                       json={"role": "member"}),
          "PATCH", "/communities/{id}/members/{user_id}", 200)

    # ---- TOTP required ------------------------------------------------------
    check(server.patch("communities/" + cid, token=OW, json={"require_totp": True}),
          "PATCH", "/communities/{id}", 200)
    p = check(server.get(f"communities/{cid}/members", token=ME),
              "GET", "/communities/{id}/members", 403)
    assert p["type"] == "totp-required"
    p = check(server.get("channels/" + general["id"], token=ME), "GET", "/channels/{id}", 403)
    assert p["type"] == "totp-required"
    p = check(server.patch("communities/" + cid, token=OW, json={"require_totp": False}),
              "PATCH", "/communities/{id}", 403)
    assert p["type"] == "totp-required"
    check(server.patch("communities/" + cid, token=S, json={"require_totp": False}),
          "PATCH", "/communities/{id}", 200)

    # ---- join requests ------------------------------------------------------
    jr = check(server.post(f"communities/{cid}/join-requests", token=O,
                           json={"message": "SOC lead, please let me in."}),
               "POST", "/communities/{id}/join-requests", 201)
    check(server.post(f"communities/{cid}/join-requests", token=O),
          "POST", "/communities/{id}/join-requests", 409)
    check(server.post(f"communities/{cid}/join-requests", token=ME),
          "POST", "/communities/{id}/join-requests", 409)
    check(server.post(f"communities/{hid}/join-requests", token=O),
          "POST", "/communities/{id}/join-requests", 404)
    check(server.post(f"communities/{cid}/join-requests", token=O, json={"message": ""}),
          "POST", "/communities/{id}/join-requests", 400)
    me = check(server.get("me", token=O), "GET", "/me", 200)
    assert me["memberships"] == [{"community_id": cid, "role": None, "status": "pending",
                                  "join_request_id": jr["id"]}]
    check(server.get(f"communities/{cid}/join-requests", token=MO, params={"status": "pending"}),
          "GET", "/communities/{id}/join-requests", 200)
    check(server.get(f"communities/{cid}/join-requests", token=MO, params={"status": "maybe"}),
          "GET", "/communities/{id}/join-requests", 400)
    check(server.get(f"communities/{cid}/join-requests", token=ME),
          "GET", "/communities/{id}/join-requests", 403)
    check(server.get(f"communities/{hid}/join-requests", token=O),
          "GET", "/communities/{id}/join-requests", 404)
    check(server.get(f"communities/{cid}/join-requests/{jr['id']}", token=O),
          "GET", "/communities/{id}/join-requests/{rid}", 200)
    check(server.get(f"communities/{cid}/join-requests/{jr['id']}", token=ME),
          "GET", "/communities/{id}/join-requests/{rid}", 404)
    check(server.post(f"communities/{cid}/join-requests/{jr['id']}/approve", token=ME),
          "POST", "/communities/{id}/join-requests/{rid}/approve", 403)
    ok = check(server.post(f"communities/{cid}/join-requests/{jr['id']}/approve", token=MO),
               "POST", "/communities/{id}/join-requests/{rid}/approve", 200)
    assert ok["status"] == "approved" and ok["decided_at"]
    check(server.post(f"communities/{cid}/join-requests/{jr['id']}/approve", token=MO),
          "POST", "/communities/{id}/join-requests/{rid}/approve", 409)
    check(server.post(f"communities/{cid}/join-requests/{uuid.uuid4()}/approve", token=MO),
          "POST", "/communities/{id}/join-requests/{rid}/approve", 404)
    late = account(server)
    jr2 = check(server.post(f"communities/{cid}/join-requests", token=late["token"]),
                "POST", "/communities/{id}/join-requests", 201)
    check(server.post(f"communities/{cid}/join-requests/{jr2['id']}/deny", token=ME),
          "POST", "/communities/{id}/join-requests/{rid}/deny", 403)
    no = check(server.post(f"communities/{cid}/join-requests/{jr2['id']}/deny", token=OW),
               "POST", "/communities/{id}/join-requests/{rid}/deny", 200)
    assert no["status"] == "denied"
    check(server.post(f"communities/{cid}/join-requests/{jr2['id']}/deny", token=OW),
          "POST", "/communities/{id}/join-requests/{rid}/deny", 409)
    check(server.post(f"communities/{hid}/join-requests/{jr2['id']}/deny", token=O),
          "POST", "/communities/{id}/join-requests/{rid}/deny", 404)
    check(server.patch("communities/" + cid, token=OW, json={"join_policy": "invite"}),
          "PATCH", "/communities/{id}", 200)
    check(server.post(f"communities/{cid}/join-requests", token=late["token"]),
          "POST", "/communities/{id}/join-requests", 403)

    # ---- leaving and removing -----------------------------------------------
    check(server.delete(f"communities/{cid}/members/{outsider['id']}", token=O),
          "DELETE", "/communities/{id}/members/{user_id}", 204)
    check(server.delete(f"communities/{cid}/members/{outsider['id']}", token=O),
          "DELETE", "/communities/{id}/members/{user_id}", 404)
    check(server.delete(f"communities/{cid}/members/{owner_id}", token=OW),
          "DELETE", "/communities/{id}/members/{user_id}", 409)
    check(server.delete(f"communities/{cid}/members/{owner_id}", token=MO),
          "DELETE", "/communities/{id}/members/{user_id}", 403)

    # ---- organisations: change, suspend; off-boarding -----------------------
    check(server.patch("organisations/" + org3["id"], token=S,
                       json={"sector": "energy", "country": "nl"}),
          "PATCH", "/organisations/{id}", 200)
    cleared = check(server.patch("organisations/" + org3["id"], token=S,
                                 json={"sector": None, "country": None}),
                    "PATCH", "/organisations/{id}", 200)
    assert (cleared["sector"], cleared["country"]) == (None, None)
    check(server.patch("organisations/" + org3["id"], token=S, json={"name": org_name.lower()}),
          "PATCH", "/organisations/{id}", 409)
    check(server.patch("organisations/" + org3["id"], token=S,
                       json={"status": "gone", "country": "NLD", "x": 1}),
          "PATCH", "/organisations/{id}", 400)
    check(server.patch(f"organisations/{uuid.uuid4()}", token=S, json={"name": "X " + tag}),
          "PATCH", "/organisations/{id}", 404)
    check(server.patch("organisations/" + org3["id"], token=OW, json={"name": "X " + tag}),
          "PATCH", "/organisations/{id}", 403)
    inv = check(server.post(f"communities/{cid}/invites", token=OW, json={
        "email": unique_email("leaver"), "organisation_id": org3["id"]}),
        "POST", "/communities/{id}/invites", 201)
    check(server.post("invites/accept", json={
        "token": inv["token"], "display_name": "Lee Leaver", "password": DEFAULT_PASSWORD}),
        "POST", "/invites/accept", 201)
    check(server.post(f"communities/{cid}/invites", token=OW, json={
        "email": unique_email("leaver"), "organisation_id": org3["id"]}),
        "POST", "/communities/{id}/invites", 201)
    off = check(server.delete(f"communities/{cid}/organisations/{org3['id']}", token=MO),
                "DELETE", "/communities/{id}/organisations/{org_id}", 200)
    assert off == {"removed": 1, "invites_revoked": 1}
    check(server.delete(f"communities/{cid}/organisations/{org3['id']}", token=MO),
          "DELETE", "/communities/{id}/organisations/{org_id}", 404)
    check(server.delete(f"communities/{cid}/organisations/{org['id']}", token=MO),
          "DELETE", "/communities/{id}/organisations/{org_id}", 403)
    check(server.delete(f"communities/{cid}/organisations/{org['id']}", token=OW),
          "DELETE", "/communities/{id}/organisations/{org_id}", 409)
    sus = check(server.patch("organisations/" + org3["id"], token=S, json={"status": "suspended"}),
                "PATCH", "/organisations/{id}", 200)
    assert sus["status"] == "suspended"
    check(server.post(f"communities/{cid}/invites", token=OW, json={
        "email": unique_email(), "organisation_id": org3["id"]}),
        "POST", "/communities/{id}/invites", 422)
    check(server.patch("organisations/" + org3["id"], token=S, json={"status": "active"}),
          "PATCH", "/organisations/{id}", 200)

    # ---- the audit trail ----------------------------------------------------
    trail = check(server.get(f"communities/{cid}/audit", token=S, params={"limit": 200}),
                  "GET", "/communities/{id}/audit", 200)
    actions = {e["action"] for e in trail["items"]}
    assert {"community.created", "community.updated", "invite.created", "invite.revoked",
            "invite.accepted", "join_request.approved", "join_request.denied",
            "member.role_changed", "member.suspended", "member.reactivated", "member.left",
            "organisation.removed", "channel.created", "channel.updated",
            "channel.reader_added"} <= actions, actions
    first = check(server.get(f"communities/{cid}/audit", token=MO, params={"limit": 2}),
                  "GET", "/communities/{id}/audit", 200)
    check(server.get(f"communities/{cid}/audit", token=MO, params={"cursor": first["next_cursor"]}),
          "GET", "/communities/{id}/audit", 200)
    check(server.get(f"communities/{cid}/audit", token=ME), "GET", "/communities/{id}/audit", 403)
    check(server.get(f"communities/{hid}/audit", token=ME), "GET", "/communities/{id}/audit", 404)
    check(server.get(f"communities/{cid}/audit", token=S, params={"limit": -1}),
          "GET", "/communities/{id}/audit", 400)

    # ---- the rest: reader off, member removed, channel deleted ---------------
    check(server.delete(f"channels/{secret['id']}/members/{mem_id}", token=MO),
          "DELETE", "/channels/{id}/members/{user_id}", 204)
    check(server.delete(f"communities/{cid}/members/{mem_id}", token=MO),
          "DELETE", "/communities/{id}/members/{user_id}", 204)
    check(server.delete("channels/" + general["id"], token=ME), "DELETE", "/channels/{id}", 404)
    check(server.delete("channels/" + general["id"], token=existing["token"]),
          "DELETE", "/channels/{id}", 403)
    check(server.delete("channels/" + general["id"], token=MO), "DELETE", "/channels/{id}", 204)
    check(server.delete("channels/" + general["id"], token=MO), "DELETE", "/channels/{id}", 404)
    check(server.get(f"communities/{cid}/members", token=OW),
          "GET", "/communities/{id}/members", 200)
    check(server.get(f"communities/{cid}/members"), "GET", "/communities/{id}/members", 401)

    # ---- accepting is throttled per client address --------------------------
    throttled = start_server(ISACD_LOGIN_MAX_IP=2, ISACD_MAX_BODY=1024)
    check(throttled.post("invites/accept", json={"token": "x" * 2000}),
          "POST", "/invites/accept", 413)
    for _ in range(2):
        check(throttled.post("invites/accept", json={"token": "isacd_inv_" + "Z" * 43,
                                                     "display_name": "Gu Esser",
                                                     "password": DEFAULT_PASSWORD}),
              "POST", "/invites/accept", 404)
    check(throttled.post("invites/accept", json={"token": "isacd_inv_" + "Z" * 43,
                                                 "display_name": "Gu Esser",
                                                 "password": DEFAULT_PASSWORD}),
          "POST", "/invites/accept", 429)

    check(server.get(f"communities/{hid}/invites", token=OW),
          "GET", "/communities/{id}/invites", 404)
    check(server.post("invites/accept", data="token=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}),
          "POST", "/invites/accept", 415)

    # every community operation: 401 without a token (accepting aside: public)
    ops = {(m.upper(), path) for path, item in api.doc["paths"].items()
           for m, op in item.items() if m in METHODS
           and (COMMUNITY_TAGS & set(op.get("tags", []))
                or op["operationId"] == "patchOrganisation")}
    for method, path in sorted(ops - {("POST", P + "/invites/accept")}):
        url = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)
        check(server.request(method, url, json={} if method in ("POST", "PATCH") else None),
              method, path[len(P):], 401)

    # every community operation was exercised, and most of their statuses
    missing = ops - {(m, p) for m, p, _ in seen}
    assert not missing, f"community operations the test does not exercise: {sorted(missing)}"
