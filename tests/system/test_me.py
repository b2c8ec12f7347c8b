"""GET /me and PATCH /me (display name; password changes are in
test_sessions.py)."""

import pytest

from conftest import assert_problem, login
from identity_helpers import account, error_fields, is_uuid


def test_me_shape_and_types(server):
    acct = account(server, name="Uma User")
    r = server.get("me", token=acct["token"])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    me = r.json()
    assert {"id", "email", "display_name", "organisation", "platform_role",
            "totp_enabled", "memberships"} <= set(me)
    assert me["id"] == acct["id"] and is_uuid(me["id"])
    assert me["email"] == acct["email"]
    assert me["display_name"] == "Uma User"
    assert isinstance(me["organisation"], dict)
    assert is_uuid(me["organisation"]["id"])
    assert me["organisation"]["name"] == acct["organisation"]
    assert me["platform_role"] == "user"
    assert me["totp_enabled"] is False
    assert me["memberships"] == []
    # nothing secret leaks
    for key in ("password", "password_hash", "totp_secret", "secret"):
        assert key not in me
    assert "$argon2" not in r.text
    # the organisation is the one GET /organisations/{id} shows
    org = server.get("organisations/" + me["organisation"]["id"], token=acct["token"])
    assert org.status_code == 200
    assert org.json()["name"] == acct["organisation"]


def test_me_for_staff(server):
    acct = account(server, role="staff")
    me = server.get("me", token=acct["token"]).json()
    assert me["platform_role"] == "staff"


def test_patch_display_name(server):
    acct = account(server)
    other_session = login(server, acct)
    r = server.patch("me", token=acct["token"], json={"display_name": "Zoë Ünal-van Dijk 测试"})
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == "Zoë Ünal-van Dijk 测试"
    assert r.json()["id"] == acct["id"]
    me = server.get("me", token=acct["token"]).json()
    assert me["display_name"] == "Zoë Ünal-van Dijk 测试"
    # a name change ends no session
    assert server.get("me", token=other_session).status_code == 200
    # and login shows the new name
    r = server.post("auth/login", json={"email": acct["email"], "password": acct["password"]})
    assert r.json()["user"]["display_name"] == "Zoë Ünal-van Dijk 测试"
    # 100 characters is the most
    r = server.patch("me", token=acct["token"], json={"display_name": "é" * 100})
    assert r.status_code == 200, r.text
    assert r.json()["display_name"] == "é" * 100


@pytest.mark.parametrize("body,field", [
    ({"display_name": ""}, "display_name"),
    ({"display_name": "x" * 101}, "display_name"),
    ({"display_name": "line\nbreak"}, "display_name"),
    ({"display_name": 42}, "display_name"),
    ({"display_name": ["a"]}, "display_name"),
    ({"email": "new@example.org"}, "email"),
    ({"platform_role": "staff"}, "platform_role"),
    ({"organisation": {"id": "00000000-0000-0000-0000-000000000000"}}, "organisation"),
    ({"totp_enabled": False}, "totp_enabled"),
    ({"password": "just-a-string-password"}, "password"),
    ({"password": {"new": "Amber-Walrus-Compass-862"}}, "password.current"),
    ({"password": {"current": "Grey-Heron-Lantern-417"}}, "password.new"),
])
def test_patch_validation(server, user, body, field):
    before = server.get("me", token=user["token"]).json()
    r = server.patch("me", token=user["token"], json=body)
    problem = assert_problem(r, 400)
    assert field in error_fields(problem), problem
    assert server.get("me", token=user["token"]).json() == before


def test_nul_byte_in_display_name_is_400(server, user):
    before = server.get("me", token=user["token"]).json()
    r = server.patch("me", token=user["token"], data=b'{"display_name": "nul\\u0000byte"}',
                     headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
    assert server.get("me", token=user["token"]).json() == before


def test_a_valid_field_with_an_invalid_one_changes_nothing(server, user):
    before = server.get("me", token=user["token"]).json()
    r = server.patch("me", token=user["token"],
                     json={"display_name": "New Name", "platform_role": "staff"})
    assert_problem(r, 400)
    assert server.get("me", token=user["token"]).json() == before
