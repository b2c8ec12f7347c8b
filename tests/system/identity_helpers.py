"""Small helpers shared by the identity system tests (login, sessions, API
tokens, TOTP, organisations).  The harness itself lives in conftest.py."""

import hashlib
import re
import time
import uuid
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from conftest import create_user, login

SESSION_RE = re.compile(r"^isacd_s_[A-Za-z0-9_-]{43}$")
PAT_RE = re.compile(r"^isacd_pat_[A-Za-z0-9_-]{43}$")
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NEW_PASSWORD = "Amber-Walrus-Compass-862"


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def is_uuid(value):
    try:
        return isinstance(value, str) and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


def parse_ts(text):
    """An RFC 3339 UTC timestamp as the API writes it → aware datetime."""
    assert isinstance(text, str) and RFC3339_RE.match(text), text
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def server_now(response):
    """The server's clock, from a response's Date header."""
    return parsedate_to_datetime(response.headers["Date"])


def account(server, role="user", **kw):
    """A fresh account with a session token in acct["token"]."""
    acct = create_user(server, role=role, **kw)
    acct["token"] = login(server, acct)
    return acct


def try_login(server, email, password, totp=None):
    body = {"email": email, "password": password}
    if totp is not None:
        body["totp"] = totp
    return server.post("auth/login", json=body)


def error_fields(body):
    """Field names of a validation problem's errors array."""
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, body
    for e in errors:
        assert isinstance(e.get("field"), str) and isinstance(e.get("message"), str), e
    return [e["field"] for e in errors]


def audit_actions(server, user_id):
    """Actions of the audit rows about one user (as actor or target), in order."""
    rows = server.sql("SELECT action FROM audit_log WHERE actor_id = %s"
                      " OR target_user_id = %s ORDER BY id", (user_id, user_id))
    return [r[0] for r in rows]


def wait_for_fresh_totp_step(min_left=8.0):
    """Sleep, if needed, until at least `min_left` seconds remain in the
    current 30-second TOTP step, so codes computed now for steps -1, 0 and +1
    are still inside the server's +-1 step window while the test runs."""
    left = 30 - (time.time() % 30)
    if left < min_left:
        time.sleep(left + 0.05)


def create_token(server, session, name="automation", scopes=("read",), **extra):
    body = {"name": name, "scopes": list(scopes)}
    body.update(extra)
    r = server.post("me/tokens", token=session, json=body)
    assert r.status_code == 201, r.text
    return r.json()
