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
import subprocess
import time
import uuid

import pytest
import yaml
from jsonschema import Draft202012Validator, RefResolver

from conftest import ISACD, ROOT, totp_code

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
