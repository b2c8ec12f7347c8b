"""Helpers of the privacy tests (retention and purge, erasure, export).

* ``purge(server, *args)`` runs ``isacd purge`` on the server's database
  (with the server's settings) and returns the finished process;
* ``rows_naming(server, *needles)`` scans ``row::text`` of every row of every
  table of the database for each needle (case-insensitive) and returns
  {table: count} of the rows that name one: the proof that something is
  gone everywhere, whatever table a later migration adds;
* ``backdate(server, post_id, days)`` makes a post that many days old;
* ``Cluster`` a community with its owner, a moderator and two members, and
  channels made on demand, through the public API.
"""

import subprocess
import uuid

from community_helpers import add_member, expect, make_org, new_channel, new_community
from conftest import ISACD
from post_helpers import create_post


def tag():
    return uuid.uuid4().hex[:8]


def purge(server, *args, env=None):
    e = dict(server.env)
    e.update(env or {})
    return subprocess.run([ISACD, "purge", *args], env=e, capture_output=True, text=True,
                          timeout=300)


def purged(server, *args, env=None):
    """isacd purge that must succeed → its standard output."""
    out = purge(server, *args, env=env)
    assert out.returncode == 0, out.stderr
    return out.stdout


def tables(server):
    return [r[0] for r in server.sql(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")]


def rows_naming(server, *needles):
    """{table: rows whose text names one of needles} over every table."""
    found = {}
    for t in tables(server):
        for n in needles:
            c = server.sql('SELECT count(*) FROM "%s" x WHERE strpos(lower(x::text), lower(%%s)) > 0'
                           % t, (str(n),))[0][0]
            if c:
                found["%s (%s)" % (t, n)] = c
    return found


def backdate(server, post_id, days):
    server.sql("UPDATE posts SET created_at = now() - make_interval(days => %s) WHERE id = %s",
               (days, post_id))


def post_exists(server, post_id):
    return server.sql("SELECT count(*) FROM posts WHERE id = %s", (post_id,))[0][0] == 1


def channel_lines(stdout):
    """The per-channel lines of isacd purge's report, as a set."""
    return {ln.strip() for ln in stdout.splitlines() if ln.startswith("  ") and " / " in ln}


class Cluster:
    """A community (its fields as given) with an owner, a moderator and two
    members, each in an organisation of its own."""

    def __init__(self, server, staff_token, **fields):
        self.server = server
        self.staff = staff_token
        self.community, self.owner = new_community(server, staff_token, **fields)
        self.id = self.community["id"]
        self.moderator = add_member(server, self.id, self.owner["token"],
                                    make_org(server, staff_token)["id"], role="moderator")
        self.member = add_member(server, self.id, self.owner["token"],
                                 make_org(server, staff_token)["id"])
        self.member2 = add_member(server, self.id, self.owner["token"],
                                  make_org(server, staff_token)["id"])

    def channel(self, **kw):
        return new_channel(self.server, self.id, self.owner["token"], name="ch-" + tag(), **kw)

    def post(self, channel_id, who=None, **kw):
        return create_post(self.server, (who or self.member)["token"], channel_id, **kw)

    def patch(self, **fields):
        return expect(self.server.patch("communities/" + self.id, token=self.owner["token"],
                                        json=fields), 200)
