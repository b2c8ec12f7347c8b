"""Authentication comes before the body is judged: a client without a valid
token learns nothing from body errors (401, never 400 or 415)."""

import pytest

from conftest import assert_problem

FAKE = "isacd_s_" + "A" * 43


@pytest.mark.parametrize("token", [None, FAKE])
@pytest.mark.parametrize("ctype,body", [
    ("application/json", b'{"display_name":'),
    ("text/plain", b"hello"),
    ("application/json", b"[]"),
    ("application/json", b'{"display_name":"\xff"}'),
])
def test_bad_body_without_valid_token_is_401(server, token, ctype, body):
    r = server.patch("me", token=token, data=body, headers={"Content-Type": ctype})
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_body_with_valid_token_is_judged(server, user):
    r = server.patch("me", token=user["token"], data=b"hello",
                     headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)
    r = server.patch("me", token=user["token"], data=b'{"display_name":',
                     headers={"Content-Type": "application/json"})
    assert_problem(r, 400)
