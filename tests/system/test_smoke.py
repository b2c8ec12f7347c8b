"""Smoke: the harness starts PostgreSQL and isacd, and a user can log in."""

from conftest import assert_problem


def test_healthz_answers(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_user_logs_in_and_reads_me(server, user):
    r = server.get("me", token=user["token"])
    assert r.status_code == 200
    assert r.json()["email"] == user["email"]
    assert r.json()["platform_role"] == "user"


def test_unknown_route_is_problem(server):
    assert_problem(server.get("nothing-here"), 404)
