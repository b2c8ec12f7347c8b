"""Setup helpers for the agency's tests (advisories, articles, the
self-assessment, the threat picture): many communities and organisations at
once.

The worlds here are wide (20 communities, a dozen organisations each side of
the k = 5 line), so they are laid down in SQL, the way test_access_sql.py
does, and every account gets a session the way a login makes one (a random
token, its SHA-256 stored): no password is hashed.  Everything a test then
checks goes through the real server over HTTP.

Accounts are dicts {"id", "token", "org_id", "name", "email"}.
"""

import base64
import hashlib
import os
import uuid

from conftest import unique_email


def tag():
    return uuid.uuid4().hex[:8]


def expect(r, status):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else None


def one(server, query, args=None):
    return server.sql(query, args)[0][0]


def new_token():
    """A session token of the shape isacd issues: isacd_s_ and 43 base64url."""
    return "isacd_s_" + base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()


def session_for(server, user_id):
    """A new interactive session of the user → its bearer token."""
    token = new_token()
    server.sql("INSERT INTO sessions (user_id, token_hash, expires_at)"
               " VALUES (%s, %s, now() + interval '1 day')",
               (user_id, hashlib.sha256(token.encode()).hexdigest()))
    return token


def sql_org(server, name=None, sector=None, country=None):
    return str(one(server, "INSERT INTO organisations (name, sector, country)"
                           " VALUES (%s, %s, %s) RETURNING id",
                   (name or "Org " + tag(), sector, country)))


def sql_user(server, org_id, name=None, role="user"):
    """An account of the organisation, signed in."""
    name = name or "Person " + tag()
    email = unique_email("agency")
    uid = str(one(server, "INSERT INTO users (email, display_name, organisation_id,"
                          " password_hash, platform_role)"
                          " VALUES (%s, %s, %s, 'x', %s) RETURNING id",
                  (email, name, org_id, role)))
    return {"id": uid, "token": session_for(server, uid), "org_id": org_id, "name": name,
            "email": email}


def sql_staff(server):
    org = sql_org(server, "Agency " + tag(), sector="government", country="NL")
    return sql_user(server, org, name="Staff " + tag(), role="staff")


def sql_community(server, name=None, kind="regional", statistics="none", listed=False):
    """A community (its advisories channel comes with it)."""
    return str(one(server, "INSERT INTO communities (name, kind, listed, statistics)"
                           " VALUES (%s, %s, %s, %s) RETURNING id",
                   (name or "Cluster " + tag(), kind, listed, statistics)))


def join(server, cid, acct, role="member", status="active"):
    server.sql("INSERT INTO memberships (community_id, user_id, role, status)"
               " VALUES (%s, %s, %s, %s)", (cid, acct["id"], role, status))
    return acct


def sql_channel(server, cid, name=None, visibility="community", posting="members"):
    return str(one(server, "INSERT INTO channels (community_id, name, visibility, posting)"
                           " VALUES (%s, %s, %s, %s) RETURNING id",
                   (cid, name or "ch-" + tag(), visibility, posting)))


def advisories_channel(server, cid):
    """The id of the community's advisories channel (SQL: the test's own
    view, not what a caller is shown)."""
    return str(one(server, "SELECT id FROM channels WHERE community_id = %s"
                           " AND posting = 'agency'", (cid,)))


def advisory_body(**over):
    body = {"title": "Patch the VPN gateways " + tag(), "summary": "Actively exploited.",
            "body": "A flaw in the gateways lets anyone in.", "severity": "high",
            "tlp": "TLP:GREEN", "targets": {"all": True}}
    body.update(over)
    return body


def leaks(text, values):
    """The values (label → text) that occur in text."""
    return {label: v for label, v in values.items() if v and v in text}
