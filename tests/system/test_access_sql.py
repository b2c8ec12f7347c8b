"""The SQL access layer (schema/0012, 0013) on its own, through psycopg2 on
the server's database: isacd_standing, isacd_communities_for,
isacd_channel_rights, isacd_role_rank and isacd_changes.

What users rely on: these functions are the one definition of who may see
and do what in a community; every route asks them.  So each rule is pinned
here directly — suspended beats everything, TOTP is required only where the
community says so and only a confirmed TOTP counts, unlisted communities do
not exist for outsiders, restricted channels exist only for their explicit
readers and the community's moderators and owners, staff see communities but
no channels — and the functions stay inlinable, so a statement that joins
them is planned as if the rule were written into it (no Function Scan)."""

import json
import uuid

import pytest

from community_helpers import assert_no_server_errors
from identity_helpers import account


def one(server, query, args=None):
    rows = server.sql(query, args)
    assert len(rows) == 1, rows
    return rows[0][0]


def new_org(server):
    return str(one(server, "INSERT INTO organisations (name) VALUES (%s) RETURNING id",
                   ("SQL Org " + uuid.uuid4().hex[:8],)))


def new_user(server, org, role="user"):
    return str(one(server, "INSERT INTO users (email, display_name, organisation_id,"
                   " platform_role, password_hash) VALUES (%s, 'SQL User', %s, %s, 'x')"
                   " RETURNING id", ("sql-%s@example.org" % uuid.uuid4().hex[:10], org, role)))


def new_comm(server, listed=False, require_totp=False):
    return str(one(server, "INSERT INTO communities (name, kind, listed, require_totp)"
                   " VALUES (%s, 'sector', %s, %s) RETURNING id",
                   ("SQL Community " + uuid.uuid4().hex[:8], listed, require_totp)))


def join(server, comm, user, role="member", status="active"):
    server.sql("INSERT INTO memberships (community_id, user_id, role, status)"
               " VALUES (%s, %s, %s, %s)", (comm, user, role, status))


def new_chan(server, comm, visibility="community", posting="members"):
    return str(one(server, "INSERT INTO channels (community_id, name, visibility, posting)"
                   " VALUES (%s, %s, %s, %s) RETURNING id",
                   (comm, "ch-" + uuid.uuid4().hex[:8], visibility, posting)))


def read(server, chan, user):
    server.sql("INSERT INTO channel_readers (channel_id, user_id) VALUES (%s, %s)",
               (chan, user))


def totp(server, user, confirmed=True):
    server.sql("INSERT INTO totp_secrets (user_id, secret, confirmed_at) VALUES"
               " (%s, %s, CASE WHEN %s THEN now() END)", (user, "A" * 32, confirmed))


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    """A small world built straight in SQL.

    U (unlisted): owner, mod, member, susp (suspended), reader (explicit
      reader of the restricted channels), staff_member (platform staff and a
      member); channels cc_m (community, posting members), cc_mod (community,
      posting moderators), rc_m (restricted, members), rc_mod (restricted,
      moderators); susp reads rc_m.
    L (listed): member; channel l_ch.
    T (unlisted, require_totp): no_totp, totp_ok (confirmed), totp_pending
      (enrolled, not confirmed), susp (suspended there too); channel t_ch.
    Each also has the advisories channel every community has (u_adv,
    l_adv, t_adv): read-only for every member, moderators and owners too.
    outsider and staff belong to nothing.
    """
    # the fixture `server` is this module's; make sure it is up (and has staff)
    account(server, role="staff")
    org = new_org(server)
    names = ["owner", "mod", "member", "susp", "reader", "outsider", "no_totp", "totp_ok",
             "totp_pending"]
    x = {n: new_user(server, org) for n in names}
    x["staff"] = new_user(server, org, role="staff")
    x["staff_member"] = new_user(server, org, role="staff")
    x["U"], x["L"], x["T"] = new_comm(server), new_comm(server, listed=True), \
        new_comm(server, require_totp=True)
    join(server, x["U"], x["owner"], "owner")
    join(server, x["U"], x["mod"], "moderator")
    join(server, x["U"], x["member"])
    join(server, x["U"], x["susp"], status="suspended")
    join(server, x["U"], x["reader"])
    join(server, x["U"], x["staff_member"])
    join(server, x["L"], x["member"])
    for n in ("no_totp", "totp_ok", "totp_pending"):
        join(server, x["T"], x[n])
    join(server, x["T"], x["susp"], status="suspended")
    totp(server, x["totp_ok"], confirmed=True)
    totp(server, x["totp_pending"], confirmed=False)
    x["cc_m"] = new_chan(server, x["U"], "community", "members")
    x["cc_mod"] = new_chan(server, x["U"], "community", "moderators")
    x["rc_m"] = new_chan(server, x["U"], "restricted", "members")
    x["rc_mod"] = new_chan(server, x["U"], "restricted", "moderators")
    x["l_ch"] = new_chan(server, x["L"])
    x["t_ch"] = new_chan(server, x["T"])
    read(server, x["rc_m"], x["reader"])
    read(server, x["rc_mod"], x["reader"])
    read(server, x["rc_m"], x["susp"])
    for k in ("U", "L", "T"):
        x[k.lower() + "_adv"] = str(one(server, "SELECT id FROM channels WHERE community_id = %s"
                                                " AND posting = 'agency'", (x[k],)))
    return x


def standing(server, user):
    rows = server.sql("SELECT community_id::text, role, state FROM isacd_standing(%s)", (user,))
    return {r[0]: (r[1], r[2]) for r in rows}


def communities_for(server, user):
    rows = server.sql("SELECT community_id::text, role, state, staff"
                      " FROM isacd_communities_for(%s)", (user,))
    out = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert len(out) == len(rows), rows
    return out


def rights(server, user):
    rows = server.sql("SELECT channel_id::text, community_id::text, role, access"
                      " FROM isacd_channel_rights(%s)", (user,))
    out = {r[0]: (r[1], r[2], r[3]) for r in rows}
    assert len(out) == len(rows), rows
    return out


def access(server, user, chan):
    rows = server.sql("SELECT access FROM isacd_channel_rights(%s) WHERE channel_id = %s",
                      (user, chan))
    assert len(rows) <= 1
    return rows[0][0] if rows else None


# ---- isacd_standing ------------------------------------------------------------

def test_standing(server, w):
    assert standing(server, w["owner"]) == {w["U"]: ("owner", "active")}
    assert standing(server, w["mod"]) == {w["U"]: ("moderator", "active")}
    assert standing(server, w["member"]) == {w["U"]: ("member", "active"),
                                             w["L"]: ("member", "active")}
    # suspended wins over a missing TOTP
    assert standing(server, w["susp"]) == {w["U"]: ("member", "suspended"),
                                           w["T"]: ("member", "suspended")}
    assert standing(server, w["no_totp"]) == {w["T"]: ("member", "totp_required")}
    assert standing(server, w["totp_ok"]) == {w["T"]: ("member", "active")}
    # an enrolment that was never confirmed is no TOTP
    assert standing(server, w["totp_pending"]) == {w["T"]: ("member", "totp_required")}
    assert standing(server, w["outsider"]) == {}
    assert standing(server, w["staff"]) == {}
    assert standing(server, str(uuid.uuid4())) == {}
    assert server.sql("SELECT * FROM isacd_standing(NULL)") == []


def test_standing_follows_changes_at_once(server, w):
    user = new_user(server, new_org(server))
    comm = new_comm(server)
    join(server, comm, user, role="moderator")
    assert standing(server, user) == {comm: ("moderator", "active")}
    server.sql("UPDATE communities SET require_totp = true WHERE id = %s", (comm,))
    assert standing(server, user) == {comm: ("moderator", "totp_required")}
    totp(server, user)
    assert standing(server, user) == {comm: ("moderator", "active")}
    server.sql("UPDATE memberships SET status = 'suspended' WHERE user_id = %s", (user,))
    assert standing(server, user) == {comm: ("moderator", "suspended")}


# ---- isacd_communities_for --------------------------------------------------------

def test_communities_for_members_and_outsiders(server, w):
    L, U, T = w["L"], w["U"], w["T"]
    got = communities_for(server, w["outsider"])
    assert got.get(L) == (None, "outsider", False)
    assert U not in got and T not in got
    # every row an outsider sees is a listed community
    listed = {str(r[0]) for r in server.sql("SELECT id FROM communities WHERE listed")}
    assert set(got) <= listed and all(v == (None, "outsider", False) for v in got.values())

    got = communities_for(server, w["member"])
    assert got[U] == ("member", "active", False) and got[L] == ("member", "active", False)
    assert T not in got
    got = communities_for(server, w["susp"])
    assert got[U] == ("member", "suspended", False)
    assert got[T] == ("member", "suspended", False)
    assert got[L] == (None, "outsider", False)
    assert communities_for(server, w["no_totp"])[T] == ("member", "totp_required", False)
    assert communities_for(server, w["owner"])[U] == ("owner", "active", False)
    assert communities_for(server, w["mod"])[U] == ("moderator", "active", False)
    assert communities_for(server, str(uuid.uuid4())) == {}


def test_communities_for_staff(server, w):
    every = {str(r[0]) for r in server.sql("SELECT id FROM communities")}
    got = communities_for(server, w["staff"])
    assert set(got) == every
    assert all(v == (None, "outsider", True) for v in got.values())
    got = communities_for(server, w["staff_member"])
    assert set(got) == every
    assert got[w["U"]] == ("member", "active", True)
    assert got[w["T"]] == (None, "outsider", True)


def test_communities_for_a_new_unlisted_community(server, w):
    comm = new_comm(server)
    assert comm not in communities_for(server, w["outsider"])
    assert communities_for(server, w["staff"])[comm] == (None, "outsider", True)
    server.sql("UPDATE communities SET listed = true WHERE id = %s", (comm,))
    assert communities_for(server, w["outsider"])[comm] == (None, "outsider", False)


# ---- isacd_channel_rights -----------------------------------------------------------

def test_channel_rights_of_a_plain_member(server, w):
    got = rights(server, w["member"])
    assert got == {w["cc_m"]: (w["U"], "member", "post"),
                   w["cc_mod"]: (w["U"], "member", "read"),
                   w["u_adv"]: (w["U"], "member", "read_only"),
                   w["l_ch"]: (w["L"], "member", "post"),
                   w["l_adv"]: (w["L"], "member", "read_only")}


def test_channel_rights_of_an_explicit_reader(server, w):
    got = rights(server, w["reader"])
    assert got == {w["cc_m"]: (w["U"], "member", "post"),
                   w["cc_mod"]: (w["U"], "member", "read"),
                   w["rc_m"]: (w["U"], "member", "post"),
                   w["rc_mod"]: (w["U"], "member", "read"),
                   w["u_adv"]: (w["U"], "member", "read_only")}


@pytest.mark.parametrize("who,role", [("mod", "moderator"), ("owner", "owner")])
def test_channel_rights_of_moderators_and_owners(server, w, who, role):
    got = rights(server, w[who])
    want = {w[k]: (w["U"], role, "moderate") for k in ("cc_m", "cc_mod", "rc_m", "rc_mod")}
    # the advisories channel: read-only for moderators and owners too
    want[w["u_adv"]] = (w["U"], role, "read_only")
    assert got == want


def test_channel_rights_of_a_suspended_member(server, w):
    got = rights(server, w["susp"])
    # what they would see, each marked suspended; a restricted channel they do
    # not read stays unknown
    assert got == {w["cc_m"]: (w["U"], "member", "suspended"),
                   w["cc_mod"]: (w["U"], "member", "suspended"),
                   w["rc_m"]: (w["U"], "member", "suspended"),
                   w["u_adv"]: (w["U"], "member", "suspended"),
                   w["t_ch"]: (w["T"], "member", "suspended"),
                   w["t_adv"]: (w["T"], "member", "suspended")}
    assert w["rc_mod"] not in got


def test_channel_rights_with_require_totp(server, w):
    required = {w["t_ch"]: (w["T"], "member", "totp_required"),
                w["t_adv"]: (w["T"], "member", "totp_required")}
    assert rights(server, w["no_totp"]) == required
    assert rights(server, w["totp_pending"]) == required
    assert rights(server, w["totp_ok"]) == {w["t_ch"]: (w["T"], "member", "post"),
                                            w["t_adv"]: (w["T"], "member", "read_only")}


def test_no_channel_rights_for_non_members_and_staff(server, w):
    assert rights(server, w["outsider"]) == {}      # L is listed, still no channels
    assert rights(server, w["staff"]) == {}
    assert rights(server, str(uuid.uuid4())) == {}
    got = rights(server, w["staff_member"])         # a staff member: as a member
    assert set(got) == {w["cc_m"], w["cc_mod"], w["u_adv"]}
    assert access(server, w["staff_member"], w["rc_m"]) is None


def test_channel_rights_for_one_channel(server, w):
    assert access(server, w["member"], w["cc_m"]) == "post"
    assert access(server, w["member"], w["cc_mod"]) == "read"
    assert access(server, w["member"], w["rc_m"]) is None
    assert access(server, w["reader"], w["rc_m"]) == "post"
    assert access(server, w["mod"], w["rc_mod"]) == "moderate"
    assert access(server, w["susp"], w["rc_m"]) == "suspended"
    assert access(server, w["susp"], w["rc_mod"]) is None
    assert access(server, w["outsider"], w["l_ch"]) is None
    assert access(server, w["member"], str(uuid.uuid4())) is None


def test_channel_rights_follow_changes_at_once(server, w):
    comm = new_comm(server)
    user = new_user(server, new_org(server))
    join(server, comm, user)
    ch = new_chan(server, comm)
    assert access(server, user, ch) == "post"
    server.sql("UPDATE channels SET posting = 'moderators' WHERE id = %s", (ch,))
    assert access(server, user, ch) == "read"
    server.sql("UPDATE channels SET visibility = 'restricted' WHERE id = %s", (ch,))
    assert access(server, user, ch) is None
    read(server, ch, user)
    assert access(server, user, ch) == "read"
    server.sql("UPDATE memberships SET role = 'moderator' WHERE user_id = %s", (user,))
    assert access(server, user, ch) == "moderate"
    server.sql("DELETE FROM memberships WHERE user_id = %s", (user,))
    assert access(server, user, ch) is None      # a stale reader row alone is nothing


# ---- isacd_role_rank and isacd_changes ----------------------------------------------

def test_role_rank(server):
    rows = server.sql("SELECT isacd_role_rank('owner'), isacd_role_rank('moderator'),"
                      " isacd_role_rank('member'), isacd_role_rank(NULL),"
                      " isacd_role_rank('admin'), isacd_role_rank('Owner')")
    assert rows[0] == (3, 2, 1, 0, 0, 0)


def changes(server, old, new):
    return one(server, "SELECT isacd_changes(%s::jsonb, %s::jsonb)",
               (json.dumps(old), json.dumps(new)))


def test_changes(server):
    assert changes(server, {"a": 1, "b": 2}, {"a": 1, "b": 3}) == \
        {"before": {"b": 2}, "after": {"b": 3}}
    assert changes(server, {"a": 1, "b": "x"}, {"a": 1, "b": "x"}) is None
    # updated_at is never a change
    assert changes(server, {"a": 1, "updated_at": "t1"}, {"a": 1, "updated_at": "t2"}) is None
    assert changes(server, {"a": 1, "updated_at": "t1"}, {"a": 2, "updated_at": "t2"}) == \
        {"before": {"a": 1}, "after": {"a": 2}}
    # set to and from null, nested values, several keys
    assert changes(server, {"d": "x"}, {"d": None}) == {"before": {"d": "x"}, "after": {"d": None}}
    assert changes(server, {"d": None}, {"d": "x"}) == {"before": {"d": None}, "after": {"d": "x"}}
    assert changes(server, {"t": {"TLP:RED": 1}}, {"t": {"TLP:RED": 2}}) == \
        {"before": {"t": {"TLP:RED": 1}}, "after": {"t": {"TLP:RED": 2}}}
    assert changes(server, {"a": 1, "b": 2, "c": 3}, {"a": 9, "b": 2, "c": 8}) == \
        {"before": {"a": 1, "c": 3}, "after": {"a": 9, "c": 8}}
    # a key only in the new value: before is null
    assert changes(server, {}, {"n": 5}) == {"before": {"n": None}, "after": {"n": 5}}
    assert changes(server, {}, {}) is None
    assert server.sql("SELECT isacd_changes(NULL, NULL)")[0][0] is None


# ---- they stay inlinable ----------------------------------------------------------------

ACCESS_FUNCTIONS = ["isacd_standing", "isacd_communities_for", "isacd_channel_rights"]


@pytest.mark.parametrize("fn", ACCESS_FUNCTIONS)
def test_access_functions_are_inlinable_sql(server, fn):
    rows = server.sql("SELECT l.lanname, p.provolatile, p.proisstrict, p.prosecdef,"
                      " p.proretset FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
                      " WHERE p.proname = %s", (fn,))
    assert rows == [("sql", "s", False, False, True)], rows


def plan(server, query, args=None, generic=False, prepare_types=None):
    conn = server.pg.connect(server.db)
    try:
        with conn.cursor() as cur:
            if generic:
                cur.execute("SET plan_cache_mode = force_generic_plan")
                cur.execute("PREPARE q(%s) AS %s" % (prepare_types, query))
                cur.execute("EXPLAIN EXECUTE q(%s)" % ", ".join(["%s"] * len(args)), args)
            else:
                cur.execute("EXPLAIN " + query, args)
            return "\n".join(r[0] for r in cur.fetchall())
    finally:
        conn.close()


def test_channel_rights_for_one_channel_is_inlined(server, w):
    text = plan(server, "SELECT * FROM isacd_channel_rights(%s) WHERE channel_id = %s",
                (w["member"], w["cc_m"]))
    assert "Function Scan" not in text, text
    for table in ("channels", "memberships", "communities"):
        assert table in text, text


def test_channel_rights_is_inlined_in_a_generic_plan(server, w):
    """As the server runs it: a prepared statement with parameters."""
    text = plan(server, "SELECT * FROM isacd_channel_rights($1) WHERE channel_id = $2",
                (w["member"], w["cc_m"]), generic=True, prepare_types="uuid, uuid")
    assert "Function Scan" not in text, text
    assert "channels" in text and "memberships" in text, text
    # the server's own GET /channels/{id} statement
    text = plan(server, "SELECT r.access, isacd_channel_json(ch, r.access)::text"
                " FROM isacd_channel_rights($1::uuid) r"
                " JOIN channels ch ON ch.id = r.channel_id WHERE r.channel_id = $2::uuid",
                (w["member"], w["cc_m"]), generic=True, prepare_types="uuid, uuid")
    assert "Function Scan" not in text, text


@pytest.mark.parametrize("fn", ["isacd_standing", "isacd_communities_for"])
def test_community_functions_are_inlined(server, w, fn):
    text = plan(server, "SELECT * FROM %s(%%s) WHERE community_id = %%s" % fn,
                (w["member"], w["U"]))
    assert "Function Scan" not in text, text
    assert "memberships" in text and "communities" in text, text
