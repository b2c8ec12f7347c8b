"""Threat posts: create, list, read, edit, delete, share, revisions, comments
and sightings, with TLP 2.0 as the audience and anonymous posting.

What users rely on:

* every post answer carries where it lives (community_id, channel_id), when
  (created_at, updated_at), how often it was edited (revision) and what the
  caller may do with it (can_edit: its author; can_delete: its author and the
  community's moderators and owners);
* a channel's list is newest first, paged by keyset cursor, filtered by kind,
  TLP and tag (tags are stored lower-case and merged, the tag filter ignores
  case); a page reads no more posts than it shows, and one, however big the
  channel and whether or not the planner has statistics;
* who may post: members in members channels, moderators and owners
  everywhere; a suspended member 403, a non-reader 404;
* TLP:RED is for its author and its recipients only (readers of the channel,
  each bad one named): moderators, owners and staff get 404 and do not find it
  in any list, and raising or lowering a post's TLP takes effect on the very
  next request; TLP:WHITE is refused, naming TLP:CLEAR;
* only the author edits; the author or a moderator deletes (a moderator's
  deletion is audited without the post's content), and a deleted post takes
  its comments, revisions, sightings and indicators with it;
* an anonymous post names its author to the author and the community's
  moderators and owners only: nothing a member is sent (post, lists,
  comments, revisions, sightings, search, indicators, lookup, STIX) carries
  the author's id, name or organisation;
* each edit keeps a revision (who, when, what was there), shown only to those
  the revision's own TLP admitted;
* TLP:CLEAR and GREEN posts can be shared to another channel the caller may
  post in (linked by shared_from, audited); AMBER, AMBER+STRICT and RED never
  leave their channel;
* comments (16 KiB) are edited by their author and deleted by their author or
  a moderator (audited); sightings are one per organisation, counted per
  organisation, naming organisations only as the roster allows and never the
  anonymous author's.
"""

import json
import uuid

import pytest

from community_helpers import (add_member, assert_no_server_errors, audit, expect, new_channel,
                               walk)
from identity_helpers import RFC3339_RE, error_fields
from post_helpers import (assert_post_shape, build_post_world, create_post, get_post,
                          is_problem, list_ids, post_fields, tag)

RANDOM_ID = str(uuid.uuid4())


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


def fresh_channel(server, w, **kw):
    return new_channel(server, w.c1, w.tok("owner"), name="ch-" + tag(), **kw)["id"]


def seen_as_authors(server, w, channel_id, *roles):
    """Each role writes a post in the channel, so that those who read it see
    them there (a TLP:RED recipient must be someone the poster can see in
    the channel: on the roster as the poster sees it, or the shown author
    of a post the poster can read there)."""
    for role in roles:
        create_post(server, w.tok(role), channel_id, "Hello from " + role)


def list_text(server, token, channel_id):
    r = server.get("channels/%s/posts?limit=200" % channel_id, token=token)
    assert r.status_code == 200, r.text
    return r.text


# ---- create, get, list -----------------------------------------------------------------

def test_create_answers_201_with_location_and_the_whole_post(server, w):
    r = server.post("channels/%s/posts" % w.ch("general"), token=w.tok("author"),
                    json=post_fields("Phishing wave", severity="high",
                                     tags=["Phishing", "phishing", "Mail"],
                                     indicators=[{"type": "domain",
                                                  "value": "Evil.Example.COM."}]))
    p = assert_post_shape(expect(r, 201))
    assert r.headers["Location"] == "/api/v1/posts/" + p["id"]
    assert p["community_id"] == w.c1 and p["channel_id"] == w.ch("general")
    assert p["kind"] == "incident" and p["title"] == "Phishing wave"
    assert p["tlp"] == "TLP:GREEN" and p["severity"] == "high"
    assert p["tags"] == ["phishing", "mail"]
    assert p["indicators"] == [{"type": "domain", "value": "evil.example.com", "seen_in": 0}]
    assert p["anonymous"] is False and p["recipients"] is None and p["shared_from"] is None
    assert p["author"] == {"id": w.author["id"], "display_name": w.author["name"],
                           "organisation": {"id": w.author["org_id"],
                                            "name": w.author["org_name"]}}
    assert RFC3339_RE.match(p["created_at"]) and p["updated_at"] == p["created_at"]
    assert p["revision"] == 0 and p["can_edit"] is True and p["can_delete"] is True
    assert get_post(server, w.tok("author"), p["id"]) == p
    got = server.get(r.headers["Location"], token=w.tok("author"))
    assert got.json() == p


ROLE_RIGHTS = {"author": (True, True), "member": (False, False), "reader": (False, False),
               "moderator": (False, True), "owner": (False, True)}


def test_every_answer_carries_place_time_revision_and_rights_per_role(server, w):
    ch = fresh_channel(server, w)
    p = create_post(server, w.tok("author"), ch, "Rights " + tag())
    p = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"body": "edited once"}), 200)
    assert p["revision"] == 1 and p["updated_at"] >= p["created_at"]
    for role, (can_edit, can_delete) in ROLE_RIGHTS.items():
        got = assert_post_shape(get_post(server, w.tok(role), p["id"]))
        listed = [x for x in expect(server.get("channels/%s/posts" % ch, token=w.tok(role)),
                                    200)["items"] if x["id"] == p["id"]]
        assert len(listed) == 1, role
        for view in (got, assert_post_shape(listed[0])):
            assert view["community_id"] == w.c1 and view["channel_id"] == ch, role
            assert view["created_at"] == p["created_at"], role
            assert view["updated_at"] == p["updated_at"], role
            assert view["revision"] == 1, role
            assert (view["can_edit"], view["can_delete"]) == (can_edit, can_delete), role


@pytest.mark.parametrize("role", ["outsider", "staff", "other"])
def test_a_post_of_a_channel_one_cannot_read_is_404(server, w, role):
    p = create_post(server, w.tok("author"), w.ch("general"))
    assert is_problem(server.get("posts/%s" % p["id"], token=w.tok(role)), 404)["detail"] == \
        "no such post"
    assert is_problem(server.get("channels/%s/posts" % w.ch("general"), token=w.tok(role)),
                      404)["detail"] == "no such channel"


def test_a_restricted_channel_post_is_404_to_a_non_reader(server, w):
    p = create_post(server, w.tok("author"), w.ch("restricted"))
    assert get_post(server, w.tok("reader"), p["id"])["id"] == p["id"]
    assert get_post(server, w.tok("moderator"), p["id"])["id"] == p["id"]
    is_problem(server.get("posts/%s" % p["id"], token=w.tok("member")), 404)
    for sub in ("comments", "sightings", "revisions", "stix"):
        is_problem(server.get("posts/%s/%s" % (p["id"], sub), token=w.tok("member")), 404)


def test_the_list_is_newest_first_with_a_keyset_cursor(server, w):
    ch = fresh_channel(server, w)
    made = [create_post(server, w.tok("author"), ch, "Page %d" % i)["id"] for i in range(5)]
    newer = []

    def post_between(page):
        # a post written while the reader pages goes before the cursor:
        # nothing is seen twice, nothing is skipped
        newer.append(create_post(server, w.tok("author"), ch, "Between %d" % page)["id"])

    items, pages = walk(server, "channels/%s/posts" % ch, w.tok("member"), limit=2,
                        between=post_between)
    assert pages == 3
    assert [p["id"] for p in items] == list(reversed(made))
    assert list_ids(server, w.tok("member"), ch) == list(reversed(newer)) + list(reversed(made))
    stamps = [p["created_at"] for p in items]
    assert stamps == sorted(stamps, reverse=True)


def test_filters_kind_tlp_and_tag_the_tag_ignoring_case(server, w):
    ch = fresh_channel(server, w)
    a = create_post(server, w.tok("author"), ch, kind="advisory", tlp="TLP:AMBER",
                    tags=["Ransomware", "LockBit"])["id"]
    b = create_post(server, w.tok("author"), ch, kind="incident", tlp="TLP:AMBER",
                    tags=["ransomware"])["id"]
    c = create_post(server, w.tok("author"), ch, kind="advisory", tlp="TLP:CLEAR")["id"]
    d = create_post(server, w.tok("author"), ch, kind="question", tlp="TLP:GREEN",
                    tags=["lockbit"])["id"]
    m = w.tok("member")
    assert list_ids(server, m, ch, "&kind=advisory") == [c, a]
    assert list_ids(server, m, ch, "&tlp=TLP:AMBER") == [b, a]
    assert list_ids(server, m, ch, "&tlp=TLP:CLEAR") == [c]
    assert list_ids(server, m, ch, "&tag=RANSOMWARE") == [b, a]
    assert list_ids(server, m, ch, "&tag=LockBit") == [d, a]
    assert list_ids(server, m, ch, "&tag=lockbit&kind=advisory&tlp=TLP:AMBER") == [a]
    assert list_ids(server, m, ch, "&tag=nothing-" + tag()) == []
    assert list_ids(server, m, ch) == [d, c, b, a]


def test_tags_are_lower_cased_and_merged_on_create_and_edit(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"),
                    tags=["APT29", "apt29", "Ransomware", "RANSOMWARE", "x"])
    assert p["tags"] == ["apt29", "ransomware", "x"]
    e = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"tags": ["Energy", "ENERGY", "grid"]}), 200)
    assert e["tags"] == ["energy", "grid"]
    assert get_post(server, w.tok("member"), p["id"])["tags"] == ["energy", "grid"]



def page_plan(server, user_id, channel_id, n, after=(None, None)):
    """The plans, as they ran, of the statement of a channel page of n posts
    (isacd_channel_page, plpgsql: auto_explain shows it) in a new session,
    run as often as a pool connection does: plpgsql plans its first five
    runs for their values and may then keep a generic plan, which knows no
    limit.  A list of the plan's nodes, of every run."""
    conn = server.pg.connect(server.db)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("LOAD 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on",
                            "log_analyze = on", "log_buffers = on", "log_format = json"):
                cur.execute("SET auto_explain." + setting)
            cur.execute("SET client_min_messages = log")
            for _ in range(8):
                cur.execute("SELECT count(*) FROM isacd_channel_page(%s, %s, true, NULL,"
                            " NULL, NULL, %s, %s, %s)", (user_id, channel_id) + after + (n,))
                assert cur.fetchone()[0] == n
        plans = [json.loads(m[m.index("{"):]) for m in conn.notices if "plan:" in m]
    finally:
        conn.close()
    page = [p for p in plans if "FROM posts p" in p["Query Text"]]
    assert len(page) == 8, plans
    nodes, todo = [], [p["Plan"] for p in page]
    while todo:
        node = todo.pop()
        nodes.append(node)
        todo += node.get("Plans", [])
    return nodes


def test_a_page_reads_no_more_posts_than_it_shows_whatever_the_statistics(server, w):
    """A page of 5 (the server asks for 6, to know if there is more) of a
    channel of 40 posts, the first and one after a cursor, with the posts
    table as never analysed and after VACUUM ANALYZE: the plan walks the
    channel's index newest first from the cursor and stops at the limit; it
    never lists the whole channel and sorts it, walks every post by time
    keeping the channel's, or reads the posts before the cursor."""
    ch = fresh_channel(server, w)
    for i in range(40):
        create_post(server, w.tok("author"), ch, "Many %d" % i)
    cursor = tuple(server.sql("SELECT created_at, id FROM posts WHERE channel_id = %s"
                              " ORDER BY created_at DESC, id DESC OFFSET 17 LIMIT 1", (ch,))[0])
    conn = server.pg.connect(server.db)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            for when in ("no statistics", "analysed"):
                if when == "no statistics":
                    cur.execute("DELETE FROM pg_statistic WHERE starelid = 'posts'::regclass")
                    cur.execute("UPDATE pg_class SET reltuples = -1, relpages = 0"
                                " WHERE oid = 'posts'::regclass")
                else:
                    cur.execute("VACUUM ANALYZE posts")
                nodes = page_plan(server, w.member["id"], ch, 6) \
                    + page_plan(server, w.member["id"], ch, 6, cursor)
                kinds = {n["Node Type"] for n in nodes}
                assert not kinds & {"Sort", "Seq Scan", "Bitmap Heap Scan"}, (when, kinds)
                scans = [n for n in nodes if n.get("Relation Name") == "posts"]
                assert {n["Index Name"] for n in scans} == {"posts_channel_idx"}, (when, nodes)
                for scan in scans:
                    read = scan["Actual Rows"] + scan.get("Rows Removed by Filter", 0)
                    assert read * scan["Actual Loops"] <= 6, (when, nodes)
    finally:
        conn.close()


# ---- who may post ----------------------------------------------------------------------

def test_a_moderators_channel_refuses_members_with_403(server, w):
    before = server.sql("SELECT count(*) FROM posts")[0][0]
    r = server.post("channels/%s/posts" % w.ch("mods"), token=w.tok("member"),
                    json=post_fields())
    assert is_problem(r, 403)["detail"] == "only moderators and owners may post in this channel"
    assert server.sql("SELECT count(*) FROM posts")[0][0] == before
    for role in ("moderator", "owner"):
        create_post(server, w.tok(role), w.ch("mods"))
    # members still read it
    assert list_ids(server, w.tok("member"), w.ch("mods"))


def test_a_suspended_member_gets_403(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    s = w.tok("suspended")
    r = server.post("channels/%s/posts" % w.ch("general"), token=s, json=post_fields())
    assert "suspended" in is_problem(r, 403)["detail"]
    is_problem(server.get("channels/%s/posts" % w.ch("general"), token=s), 403)
    is_problem(server.get("posts/%s" % p["id"], token=s), 403)


@pytest.mark.parametrize("role,channel", [("member", "restricted"), ("outsider", "general"),
                                          ("staff", "general"), ("other", "general")])
def test_a_non_reader_posting_gets_404(server, w, role, channel):
    before = server.sql("SELECT count(*) FROM posts")[0][0]
    r = server.post("channels/%s/posts" % w.ch(channel), token=w.tok(role), json=post_fields())
    assert is_problem(r, 404)["detail"] == "no such channel"
    assert server.sql("SELECT count(*) FROM posts")[0][0] == before


def test_a_channel_that_does_not_exist_is_404(server, w):
    r = server.post("channels/%s/posts" % RANDOM_ID, token=w.tok("author"), json=post_fields())
    is_problem(r, 404)


# ---- TLP -------------------------------------------------------------------------------

def test_tlp_white_is_400_naming_tlp_clear(server, w):
    r = server.post("channels/%s/posts" % w.ch("general"), token=w.tok("author"),
                    json=post_fields(tlp="TLP:WHITE"))
    problem = is_problem(r, 400)
    msgs = [e["message"] for e in problem["errors"] if e["field"] == "tlp"]
    assert msgs and "TLP:CLEAR" in msgs[0], problem


def test_red_recipients_the_poster_cannot_see_get_one_422_that_names_nobody(server, w):
    """Naming someone the poster cannot see in the channel -- a member the
    roster ("moderators") hides, an outsider, an id nobody has -- gets the
    same answer, byte for byte, whoever it is: the answer never tells who is
    a member or who reads the channel."""
    nobody = str(uuid.uuid4())
    ch = fresh_channel(server, w)
    seen_as_authors(server, w, ch, "reader")
    before = server.sql("SELECT count(*) FROM posts")[0][0]
    bodies = set()
    for bad in (w.member["id"], w.outsider["id"], w.other["id"], nobody):
        r = server.post("channels/%s/posts" % ch, token=w.tok("author"),
                        json=post_fields("Red " + tag(), tlp="TLP:RED",
                                         recipients=[w.reader["id"], bad]))
        problem = is_problem(r, 422)
        assert error_fields(problem) == ["recipients"], problem
        assert bad not in r.text and w.reader["id"] not in r.text
        bodies.add(r.content)
    assert len(bodies) == 1, bodies
    assert server.sql("SELECT count(*) FROM posts")[0][0] == before
    # the reader, seen as the author of a post there, and the moderators
    # (on every roster, and readers of every channel) may be named
    p = create_post(server, w.tok("author"), ch, tlp="TLP:RED",
                    recipients=[w.reader["id"], w.moderator["id"]])
    assert p["recipients"] == [w.reader["id"], w.moderator["id"]]


def test_red_recipient_check_is_no_membership_oracle(server, w):
    """A member of the channel's community whom the roster hides from the
    poster is refused exactly as an id nobody has, in a channel everyone of
    the community reads."""
    ch = fresh_channel(server, w)
    answers = []
    for who in (w.member["id"], str(uuid.uuid4())):
        r = server.post("channels/%s/posts" % ch, token=w.tok("author"),
                        json=post_fields("Red", body="red", tlp="TLP:RED", recipients=[who]))
        answers.append((r.status_code, r.content))
    assert answers[0] == answers[1] and answers[0][0] == 422, answers


def test_red_without_recipients_is_422(server, w):
    for extra in ({}, {"recipients": []}):
        r = server.post("channels/%s/posts" % w.ch("general"), token=w.tok("author"),
                        json=post_fields(tlp="TLP:RED", **extra))
        assert "recipients" in is_problem(r, 422)["detail"]


@pytest.mark.parametrize("tlp", ["TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT"])
def test_recipients_on_a_post_that_is_not_red_are_422(server, w, tlp):
    r = server.post("channels/%s/posts" % w.ch("general"), token=w.tok("author"),
                    json=post_fields(tlp=tlp, recipients=[w.member["id"]]))
    assert "TLP:RED" in is_problem(r, 422)["detail"]


def test_red_is_for_its_author_and_recipients_only(server, w):
    title = "Red only " + tag()
    ch = fresh_channel(server, w)
    seen_as_authors(server, w, ch, "member")
    p = create_post(server, w.tok("author"), ch, title, tlp="TLP:RED",
                    recipients=[w.member["id"]])
    assert p["recipients"] == [w.member["id"]]
    for role in ("author", "member"):
        assert get_post(server, w.tok(role), p["id"])["tlp"] == "TLP:RED"
        text = list_text(server, w.tok(role), ch)
        assert p["id"] in text and title in text
    for role in ("moderator", "owner", "reader", "staff", "other", "outsider"):
        r = server.get("posts/%s" % p["id"], token=w.tok(role))
        assert is_problem(r, 404)["detail"] == "no such post", role
        for sub in ("comments", "sightings", "revisions", "stix"):
            is_problem(server.get("posts/%s/%s" % (p["id"], sub), token=w.tok(role)), 404)
    for role in ("moderator", "owner", "reader"):
        text = list_text(server, w.tok(role), ch)
        assert p["id"] not in text and title not in text, role
    # a moderator cannot act on it either: it does not exist for them
    for method, path, body in (("DELETE", "posts/%s" % p["id"], None),
                               ("PATCH", "posts/%s" % p["id"], {"title": "x"}),
                               ("POST", "posts/%s/comments" % p["id"], {"body": "x"}),
                               ("POST", "posts/%s/sightings" % p["id"], {}),
                               ("POST", "posts/%s/share" % p["id"],
                                {"channel_id": w.ch("second")})):
        r = server.request(method, path, token=w.tok("moderator"), json=body)
        is_problem(r, 404)
    assert get_post(server, w.tok("author"), p["id"])["title"] == title


def test_raising_to_red_hides_the_post_at_once_and_lowering_shows_it_again(server, w):
    ch = fresh_channel(server, w)
    seen_as_authors(server, w, ch, "member")
    title = "Raised " + tag()
    p = create_post(server, w.tok("author"), ch, title)
    for role in ("member", "moderator", "owner", "reader"):
        assert p["id"] in list_ids(server, w.tok(role), ch)
    # raising needs recipients
    r = server.patch("posts/%s" % p["id"], token=w.tok("author"), json={"tlp": "TLP:RED"})
    is_problem(r, 422)
    e = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"tlp": "TLP:RED", "recipients": [w.member["id"]]}), 200)
    assert e["tlp"] == "TLP:RED" and e["recipients"] == [w.member["id"]]
    for role in ("moderator", "owner", "reader"):
        is_problem(server.get("posts/%s" % p["id"], token=w.tok(role)), 404)
        text = list_text(server, w.tok(role), ch)
        assert p["id"] not in text and title not in text, role
    assert get_post(server, w.tok("member"), p["id"])["tlp"] == "TLP:RED"
    # lowering shows it again, without recipients
    e = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"tlp": "TLP:GREEN"}), 200)
    assert e["tlp"] == "TLP:GREEN" and e["recipients"] is None
    assert server.sql("SELECT recipients::text FROM posts WHERE id = %s", (p["id"],))[0][0] == "{}"
    for role in ("moderator", "owner", "reader", "member"):
        got = get_post(server, w.tok(role), p["id"])
        assert got["tlp"] == "TLP:GREEN" and got["recipients"] is None
        assert p["id"] in list_ids(server, w.tok(role), ch)


def test_changing_the_recipients_of_a_red_post_takes_effect_at_once(server, w):
    ch = fresh_channel(server, w)
    seen_as_authors(server, w, ch, "member", "reader")
    title = "Recipients " + tag()
    p = create_post(server, w.tok("author"), ch, title, tlp="TLP:RED",
                    recipients=[w.member["id"], w.reader["id"]])
    assert get_post(server, w.tok("member"), p["id"])["id"] == p["id"]
    e = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"recipients": [w.reader["id"]]}), 200)
    assert e["recipients"] == [w.reader["id"]]
    is_problem(server.get("posts/%s" % p["id"], token=w.tok("member")), 404)
    text = list_text(server, w.tok("member"), ch)
    assert p["id"] not in text and title not in text
    assert get_post(server, w.tok("reader"), p["id"])["recipients"] == [w.reader["id"]]
    # a recipient the author cannot see there is refused, unnamed
    r = server.patch("posts/%s" % p["id"], token=w.tok("author"),
                     json={"recipients": [w.reader["id"], w.other["id"]]})
    problem = is_problem(r, 422)
    assert [e["field"] for e in problem["errors"]] == ["recipients"]
    assert w.other["id"] not in r.text
    # recipients on a post that is not TLP:RED
    g = create_post(server, w.tok("author"), ch)
    r = server.patch("posts/%s" % g["id"], token=w.tok("author"),
                     json={"recipients": [w.member["id"]]})
    is_problem(r, 422)


# ---- editing and deleting --------------------------------------------------------------

@pytest.mark.parametrize("role", ["moderator", "owner", "member"])
def test_only_the_author_edits(server, w, role):
    p = create_post(server, w.tok("author"), w.ch("general"), "Mine " + tag())
    r = server.patch("posts/%s" % p["id"], token=w.tok(role), json={"title": "Hijacked"})
    assert is_problem(r, 403)["detail"] == "only the author may do this"
    got = get_post(server, w.tok("author"), p["id"])
    assert got["title"] == p["title"] and got["revision"] == 0
    assert server.sql("SELECT count(*) FROM post_revisions WHERE post_id = %s",
                      (p["id"],))[0][0] == 0


def test_edit_by_a_non_reader_is_404(server, w):
    p = create_post(server, w.tok("author"), w.ch("restricted"))
    is_problem(server.patch("posts/%s" % p["id"], token=w.tok("member"), json={"title": "x"}),
               404)


def test_the_author_deletes_with_204(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    r = server.delete("posts/%s" % p["id"], token=w.tok("author"))
    assert r.status_code == 204 and r.content == b""
    is_problem(server.get("posts/%s" % p["id"], token=w.tok("author")), 404)
    is_problem(server.delete("posts/%s" % p["id"], token=w.tok("author")), 404)


def test_a_moderator_deletes_with_204_audited_without_the_content(server, w):
    secret_title = "Moderated title " + tag()
    secret_body = "Moderated body " + tag()
    p = create_post(server, w.tok("author"), w.ch("general"), secret_title, body=secret_body)
    r = server.delete("posts/%s" % p["id"], token=w.tok("moderator"))
    assert r.status_code == 204, r.text
    is_problem(server.get("posts/%s" % p["id"], token=w.tok("author")), 404)
    entries = [a for a in audit(server, w.c1, w.tok("owner"))
               if a["action"] == "post.deleted" and a["detail"].get("post_id") == p["id"]]
    assert len(entries) == 1, entries
    assert entries[0]["actor"]["id"] == w.moderator["id"]
    text = json.dumps(entries[0])
    assert secret_title not in text and secret_body not in text


@pytest.mark.parametrize("role", ["member", "reader"])
def test_another_member_cannot_delete(server, w, role):
    p = create_post(server, w.tok("author"), w.ch("general"))
    r = server.delete("posts/%s" % p["id"], token=w.tok(role))
    is_problem(r, 403)
    assert get_post(server, w.tok("author"), p["id"])["id"] == p["id"]


def test_deleting_removes_comments_revisions_sightings_and_indicators(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"),
                    indicators=[{"type": "ipv4", "value": "198.51.100.77"},
                                {"type": "cve", "value": "CVE-2024-12345"}])
    pid = p["id"]
    expect(server.patch("posts/%s" % pid, token=w.tok("author"), json={"body": "v2"}), 200)
    expect(server.post("posts/%s/comments" % pid, token=w.tok("member"), json={"body": "c"}), 201)
    expect(server.post("posts/%s/sightings" % pid, token=w.tok("member"), json={}), 201)
    counts = "SELECT (SELECT count(*) FROM comments WHERE post_id = %s)," \
             " (SELECT count(*) FROM post_revisions WHERE post_id = %s)," \
             " (SELECT count(*) FROM sightings WHERE post_id = %s)," \
             " (SELECT count(*) FROM post_indicators WHERE post_id = %s)," \
             " (SELECT count(*) FROM posts WHERE id = %s)"
    assert server.sql(counts, (pid,) * 5)[0] == (1, 1, 1, 2, 1)
    assert server.delete("posts/%s" % pid, token=w.tok("moderator")).status_code == 204
    assert server.sql(counts, (pid,) * 5)[0] == (0, 0, 0, 0, 0)


# ---- anonymity -------------------------------------------------------------------------

def author_traces(w):
    a = w.author
    return [a["id"], a["name"], a["org_id"], a["org_name"]]


def test_an_anonymous_post_names_its_author_to_author_moderators_and_owners_only(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), anonymous=True, tlp="TLP:AMBER")
    assert p["anonymous"] is True
    for role in ("author", "moderator", "owner"):
        got = get_post(server, w.tok(role), p["id"])
        assert got["author"]["id"] == w.author["id"], role
        assert got["author"]["organisation"]["id"] == w.author["org_id"], role
    for role in ("member", "reader"):
        r = server.get("posts/%s" % p["id"], token=w.tok(role))
        got = expect(r, 200)
        assert got["author"] is None and got["anonymous"] is True
        for trace in author_traces(w):
            assert trace not in r.text, (role, trace)


@pytest.fixture(scope="module")
def anon(server, w):
    """An anonymous post with everything around it: the author's own comment,
    sighting and edit, a member's comment and sighting, a unique word and a
    unique indicator."""
    word = "zwartkop" + uuid.uuid4().hex[:6]
    ip = "203.0.113.%d" % (uuid.uuid4().int % 200 + 20)
    a, m = w.tok("author"), w.tok("member")
    # a channel of its own: the author's other, signed posts are elsewhere
    ch = fresh_channel(server, w)
    p = create_post(server, a, ch, "Anonymous %s report" % word,
                    body="Seen %s at our site" % word, anonymous=True, tlp="TLP:GREEN",
                    indicators=[{"type": "ipv4", "value": ip}])
    expect(server.patch("posts/%s" % p["id"], token=a,
                        json={"body": "Seen %s at our site, twice" % word}), 200)
    own = expect(server.post("posts/%s/comments" % p["id"], token=a,
                             json={"body": "author adds more"}), 201)
    other = expect(server.post("posts/%s/comments" % p["id"], token=m,
                               json={"body": "member asks"}), 201)
    expect(server.post("posts/%s/sightings" % p["id"], token=a, json={"note": "ours"}), 201)
    expect(server.post("posts/%s/sightings" % p["id"], token=m, json={}), 201)
    return {"post": p, "channel": ch, "word": word, "ip": ip, "own_comment": own["id"],
            "member_comment": other["id"]}


def member_bodies(server, w, anon):
    pid, m = anon["post"]["id"], w.tok("member")
    calls = [("GET", "posts/%s" % pid, None),
             ("GET", "channels/%s/posts?limit=200" % anon["channel"], None),
             ("GET", "posts/%s/comments" % pid, None),
             ("GET", "posts/%s/revisions" % pid, None),
             ("GET", "posts/%s/sightings" % pid, None),
             ("GET", "search?q=%s" % anon["word"], None),
             ("GET", "indicators?type=ipv4&value=%s" % anon["ip"], None),
             ("POST", "indicators/lookup",
              {"indicators": [{"type": "ipv4", "value": anon["ip"]}]}),
             ("GET", "posts/%s/stix" % pid, None)]
    out = []
    for method, path, body in calls:
        r = server.request(method, path, token=m, json=body)
        assert r.status_code == 200, (path, r.status_code, r.text)
        out.append((path, r.text))
    return out


def test_the_anonymous_author_is_in_no_body_a_member_is_sent(server, w, anon):
    bodies = member_bodies(server, w, anon)
    # the searches found the post, so the scan is not of empty answers
    joined = "".join(t for _, t in bodies)
    assert joined.count(anon["post"]["id"]) >= 7
    for path, text in bodies:
        for trace in author_traces(w):
            assert trace not in text, (path, trace, text[:2000])


def test_the_authors_comments_and_revisions_on_an_anonymous_post_stay_anonymous(server, w, anon):
    pid = anon["post"]["id"]
    comments = {c["id"]: c for c in expect(server.get("posts/%s/comments" % pid,
                                                      token=w.tok("member")), 200)["items"]}
    assert comments[anon["own_comment"]]["author"] is None
    assert comments[anon["member_comment"]]["author"]["id"] == w.member["id"]
    revs = expect(server.get("posts/%s/revisions" % pid, token=w.tok("member")), 200)["items"]
    assert len(revs) == 1 and revs[0]["editor"] is None
    for role in ("moderator", "owner", "author"):
        comments = {c["id"]: c for c in expect(server.get("posts/%s/comments" % pid,
                                                          token=w.tok(role)), 200)["items"]}
        assert comments[anon["own_comment"]]["author"]["id"] == w.author["id"], role
        revs = expect(server.get("posts/%s/revisions" % pid, token=w.tok(role)), 200)["items"]
        assert revs[0]["editor"]["id"] == w.author["id"], role


def test_the_anonymous_authors_organisation_is_not_named_in_sightings(server, w, anon):
    pid = anon["post"]["id"]
    seen = expect(server.get("posts/%s/sightings" % pid, token=w.tok("member")), 200)
    assert seen["total"] == 2
    named = [s["organisation"]["id"] for s in seen["organisations"] if s["organisation"]]
    assert named == [w.member["org_id"]]
    mod = expect(server.get("posts/%s/sightings" % pid, token=w.tok("moderator")), 200)
    assert {s["organisation"]["id"] for s in mod["organisations"]} == \
        {w.author["org_id"], w.member["org_id"]}


def test_sharing_an_anonymous_post_does_not_reveal_its_author(server, w):
    """The author shares their own anonymous post: a member must not be able
    to tell from the copy who wrote the original."""
    p = create_post(server, w.tok("author"), w.ch("general"), anonymous=True)
    r = server.post("posts/%s/share" % p["id"], token=w.tok("author"),
                    json={"channel_id": w.ch("second")})
    copy = expect(r, 201)
    seen = get_post(server, w.tok("member"), copy["id"])
    linked = seen["shared_from"] == p["id"]
    named = seen["author"] is not None and seen["author"]["id"] == w.author["id"]
    assert not (linked and named), seen
    text = server.get("channels/%s/posts?limit=200" % w.ch("second"), token=w.tok("member")).text
    assert not (p["id"] in text and w.author["id"] in text)


def test_anonymous_cannot_be_changed_after_publishing(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), anonymous=True)
    for value in (False, True):
        r = server.patch("posts/%s" % p["id"], token=w.tok("author"), json={"anonymous": value})
        assert "anonymous" in error_fields(is_problem(r, 400))
    assert get_post(server, w.tok("member"), p["id"])["author"] is None


# ---- revisions -------------------------------------------------------------------------

def test_each_edit_keeps_a_revision_listed_newest_first(server, w):
    a = w.tok("author")
    p = create_post(server, a, w.ch("general"), "Rev v0", body="body v0", tags=["one"],
                    severity="low")
    expect(server.patch("posts/%s" % p["id"], token=a, json={"title": "Rev v1"}), 200)
    expect(server.patch("posts/%s" % p["id"], token=a,
                        json={"body": "body v2", "tlp": "TLP:AMBER", "tags": ["Two"],
                              "severity": None}), 200)
    now = get_post(server, w.tok("member"), p["id"])
    assert (now["title"], now["body"], now["tlp"], now["tags"], now["severity"], now["revision"]) \
        == ("Rev v1", "body v2", "TLP:AMBER", ["two"], None, 2)
    revs = expect(server.get("posts/%s/revisions" % p["id"], token=w.tok("member")), 200)
    assert revs["next_cursor"] is None
    r2, r1 = revs["items"]
    assert r1["revision"] == 1 and r2["revision"] == 2
    assert (r1["title"], r1["body"], r1["tlp"], r1["tags"], r1["severity"], r1["recipients"]) == \
        ("Rev v0", "body v0", "TLP:GREEN", ["one"], "low", None)
    assert (r2["title"], r2["body"], r2["tlp"], r2["tags"], r2["severity"]) == \
        ("Rev v1", "body v0", "TLP:GREEN", ["one"], "low")
    for r in (r1, r2):
        assert r["editor"]["id"] == w.author["id"]
        assert RFC3339_RE.match(r["edited_at"])
    assert r2["edited_at"] >= r1["edited_at"] >= p["created_at"]
    # paged by cursor, newest first
    items, pages = walk(server, "posts/%s/revisions" % p["id"], w.tok("member"), limit=1)
    assert [r["revision"] for r in items] == [2, 1] and pages == 2


def test_an_edit_that_changes_nothing_keeps_no_revision(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), "Same")
    e = expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                            json={"title": "Same"}), 200)
    assert e["revision"] == 0
    assert expect(server.get("posts/%s/revisions" % p["id"], token=w.tok("author")),
                  200)["items"] == []


def test_a_red_revision_is_shown_only_to_those_it_admitted(server, w):
    a = w.tok("author")
    ch = fresh_channel(server, w)
    seen_as_authors(server, w, ch, "member", "reader")
    p = create_post(server, a, ch, "Was red", body="red past", tlp="TLP:RED",
                    recipients=[w.member["id"], w.reader["id"]])
    expect(server.patch("posts/%s" % p["id"], token=a,
                        json={"tlp": "TLP:GREEN", "body": "now green"}), 200)
    for role in ("member", "reader", "author"):
        revs = expect(server.get("posts/%s/revisions" % p["id"], token=w.tok(role)),
                      200)["items"]
        assert len(revs) == 1, role
        assert revs[0]["tlp"] == "TLP:RED" and revs[0]["body"] == "red past"
        assert revs[0]["recipients"] == [w.member["id"], w.reader["id"]]
    for role in ("moderator", "owner"):
        assert get_post(server, w.tok(role), p["id"])["body"] == "now green"
        r = server.get("posts/%s/revisions" % p["id"], token=w.tok(role))
        assert expect(r, 200)["items"] == [], role
        assert "red past" not in r.text


# ---- sharing ---------------------------------------------------------------------------

@pytest.mark.parametrize("tlp", ["TLP:CLEAR", "TLP:GREEN"])
def test_share_to_another_channel_of_the_community_is_201_linked_and_audited(server, w, tlp):
    p = create_post(server, w.tok("author"), w.ch("general"), "Share " + tag(), tlp=tlp,
                    tags=["shared"], indicators=[{"type": "domain", "value": "share.example"}])
    r = server.post("posts/%s/share" % p["id"], token=w.tok("member"),
                    json={"channel_id": w.ch("second")})
    copy = assert_post_shape(expect(r, 201))
    assert r.headers["Location"] == "/api/v1/posts/" + copy["id"]
    assert copy["id"] != p["id"] and copy["shared_from"] == p["id"]
    assert copy["channel_id"] == w.ch("second") and copy["community_id"] == w.c1
    assert (copy["title"], copy["body"], copy["tlp"], copy["tags"]) == \
        (p["title"], p["body"], tlp, ["shared"])
    assert [i["value"] for i in copy["indicators"]] == ["share.example"]
    assert copy["author"]["id"] == w.member["id"]
    assert copy["id"] in list_ids(server, w.tok("reader"), w.ch("second"))
    # audited in the community once, naming the post that was shared
    shared = [a for a in audit(server, w.c1, w.tok("owner"))
              if a["action"] == "post.shared" and a["detail"].get("post_id") == p["id"]]
    assert len(shared) == 1 and shared[0]["actor"]["id"] == w.member["id"]
    assert shared[0]["detail"] == {"post_id": p["id"]}


def test_share_to_another_community_is_201_audited_in_both(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"), "Cross " + tag())
    r = server.post("posts/%s/share" % p["id"], token=w.tok("author"),
                    json={"channel_id": w.ch("two")})
    copy = expect(r, 201)
    assert copy["community_id"] == w.c2 and copy["channel_id"] == w.ch("two")
    assert copy["shared_from"] == p["id"]
    # a reader of the copy who cannot read the original is not pointed at it
    seen = get_post(server, w.tok("other"), copy["id"])
    assert seen["shared_from"] is None and seen["title"] == p["title"]
    # each community's entry names only what its moderators may see: the
    # source's the post that was shared, the target's the copy and channel
    src = audit(server, w.c1, w.tok("owner"))
    assert [a["detail"] for a in src if a["action"] == "post.shared"
            and a["detail"].get("post_id") == p["id"]] == [{"post_id": p["id"]}]
    assert copy["id"] not in str(src) and w.ch("two") not in str(src) and w.c2 not in str(src)
    dst = audit(server, w.c2, w.tok("owner2"))
    assert [a["detail"] for a in dst if a["action"] == "post.shared"
            and a["detail"].get("copy_id") == copy["id"]] == \
        [{"copy_id": copy["id"], "to_channel_id": w.ch("two")}]
    assert p["id"] not in str(dst) and w.ch("general") not in str(dst)


@pytest.mark.parametrize("tlp", ["TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"])
def test_amber_strict_and_red_never_leave_their_channel(server, w, tlp):
    extra = {"recipients": [w.moderator["id"]]} if tlp == "TLP:RED" else {}
    p = create_post(server, w.tok("author"), w.ch("general"), tlp=tlp, **extra)
    before = server.sql("SELECT count(*) FROM posts")[0][0]
    r = server.post("posts/%s/share" % p["id"], token=w.tok("author"),
                    json={"channel_id": w.ch("second")})
    detail = is_problem(r, 422)["detail"]
    assert "TLP:CLEAR" in detail and "TLP:GREEN" in detail and tlp in detail, detail
    assert server.sql("SELECT count(*) FROM posts")[0][0] == before


def test_share_target_rules(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    m = w.tok("member")

    def share(target, token=m):
        return server.post("posts/%s/share" % p["id"], token=token, json={"channel_id": target})

    assert is_problem(share(w.ch("restricted")), 404)["detail"] == "no such channel"
    assert is_problem(share(w.ch("two")), 404)["detail"] == "no such channel"
    assert is_problem(share(RANDOM_ID), 404)["detail"] == "no such channel"
    assert is_problem(share(w.ch("mods")), 403)["detail"] == \
        "only moderators and owners may post in this channel"
    assert "already" in is_problem(share(w.ch("general")), 422)["detail"]
    assert server.sql("SELECT count(*) FROM posts WHERE shared_from = %s", (p["id"],))[0][0] == 0
    # a moderator may share into the moderators' channel
    assert expect(share(w.ch("mods"), w.tok("moderator")), 201)["shared_from"] == p["id"]


# ---- comments --------------------------------------------------------------------------

def test_comments_create_list_edit_and_rights(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    pid = p["id"]
    r = server.post("posts/%s/comments" % pid, token=w.tok("member"), json={"body": "first"})
    c1 = expect(r, 201)
    assert r.headers["Location"] == "/api/v1/posts/%s/comments/%s" % (pid, c1["id"])
    assert c1["post_id"] == pid and c1["body"] == "first"
    assert c1["author"]["id"] == w.member["id"]
    assert (c1["can_edit"], c1["can_delete"]) == (True, True)
    big = "é" * 8192   # 16384 bytes: the most a comment may have
    c2 = expect(server.post("posts/%s/comments" % pid, token=w.tok("author"),
                            json={"body": big}), 201)
    items = expect(server.get("posts/%s/comments" % pid, token=w.tok("reader")), 200)["items"]
    assert [c["id"] for c in items] == [c2["id"], c1["id"]]
    assert items[0]["body"] == big
    rights = {c["id"]: (c["can_edit"], c["can_delete"]) for c in
              expect(server.get("posts/%s/comments" % pid, token=w.tok("moderator")), 200)["items"]}
    assert rights == {c1["id"]: (False, True), c2["id"]: (False, True)}
    rights = {c["id"]: (c["can_edit"], c["can_delete"]) for c in
              expect(server.get("posts/%s/comments" % pid, token=w.tok("reader")), 200)["items"]}
    assert rights == {c1["id"]: (False, False), c2["id"]: (False, False)}
    # the author of the comment edits it; nobody else does
    e = expect(server.patch("posts/%s/comments/%s" % (pid, c1["id"]), token=w.tok("member"),
                            json={"body": "first, edited"}), 200)
    assert e["body"] == "first, edited" and e["updated_at"] >= e["created_at"]
    for role in ("moderator", "owner", "author"):
        r = server.patch("posts/%s/comments/%s" % (pid, c1["id"]), token=w.tok(role),
                         json={"body": "not yours"})
        assert is_problem(r, 403)["detail"] == "only the author may do this"
    body = server.sql("SELECT body FROM comments WHERE id = %s", (c1["id"],))[0][0]
    assert body == "first, edited"
    assert is_problem(server.post("posts/%s/comments" % pid, token=w.tok("member"),
                                  json={"body": "x" * 16385}), 400)


def test_comment_delete_by_author_or_moderator_audited(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    pid = p["id"]

    def comment(role, text):
        return expect(server.post("posts/%s/comments" % pid, token=w.tok(role),
                                  json={"body": text}), 201)["id"]

    mine = comment("member", "mine to delete")
    secret = "moderated comment " + tag()
    theirs = comment("member", secret)
    other = comment("reader", "stays")
    is_problem(server.delete("posts/%s/comments/%s" % (pid, other), token=w.tok("member")), 403)
    is_problem(server.delete("posts/%s/comments/%s" % (pid, other), token=w.tok("author")), 403)
    assert server.delete("posts/%s/comments/%s" % (pid, mine),
                         token=w.tok("member")).status_code == 204
    assert server.delete("posts/%s/comments/%s" % (pid, theirs),
                         token=w.tok("moderator")).status_code == 204
    left = [c["id"] for c in expect(server.get("posts/%s/comments" % pid, token=w.tok("member")),
                                    200)["items"]]
    assert left == [other]
    entries = [a for a in audit(server, w.c1, w.tok("owner"))
               if a["action"] == "comment.deleted"
               and a["detail"].get("comment_id") in (mine, theirs)]
    assert [(a["actor"]["id"], a["detail"]["comment_id"]) for a in entries] == \
        [(w.moderator["id"], theirs)]
    assert secret not in json.dumps(entries)
    is_problem(server.delete("posts/%s/comments/%s" % (pid, mine), token=w.tok("member")), 404)
    is_problem(server.delete("posts/%s/comments/%s" % (pid, RANDOM_ID), token=w.tok("member")),
               404)


def test_a_comment_of_another_post_is_404(server, w):
    p1 = create_post(server, w.tok("author"), w.ch("general"))
    p2 = create_post(server, w.tok("author"), w.ch("general"))
    c = expect(server.post("posts/%s/comments" % p1["id"], token=w.tok("member"),
                           json={"body": "on p1"}), 201)
    is_problem(server.patch("posts/%s/comments/%s" % (p2["id"], c["id"]), token=w.tok("member"),
                            json={"body": "moved"}), 404)
    is_problem(server.delete("posts/%s/comments/%s" % (p2["id"], c["id"]),
                             token=w.tok("member")), 404)


# ---- sightings -------------------------------------------------------------------------

def test_one_sighting_per_organisation(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    pid = p["id"]
    r = server.post("posts/%s/sightings" % pid, token=w.tok("member"), json={"note": "here too"})
    s = expect(r, 201)
    assert s["post_id"] == pid and s["note"] == "here too"
    assert s["organisation"] == {"id": w.member["org_id"], "name": w.member["org_name"]}
    colleague = add_member(server, w.c1, w.tok("owner"), w.member["org_id"])
    for token in (w.tok("member"), colleague["token"]):
        r = server.post("posts/%s/sightings" % pid, token=token, json={})
        assert "already" in is_problem(r, 409)["detail"]
    # a sighting without a body at all
    r = server.post("posts/%s/sightings" % pid, token=w.tok("reader"))
    assert expect(r, 201)["note"] is None
    expect(server.post("posts/%s/sightings" % pid, token=w.tok("moderator"), json={}), 201)
    assert server.sql("SELECT count(*) FROM sightings WHERE post_id = %s", (pid,))[0][0] == 3


def test_sightings_count_per_organisation_and_name_them_as_the_roster_allows(server, w):
    p = create_post(server, w.tok("author"), w.ch("general"))
    pid = p["id"]
    for role in ("member", "reader", "moderator"):
        expect(server.post("posts/%s/sightings" % pid, token=w.tok(role), json={}), 201)
    orgs = {w.member["org_id"], w.reader["org_id"], w.moderator["org_id"]}
    # roster "moderators": a member sees other organisations unnamed
    seen = expect(server.get("posts/%s/sightings" % pid, token=w.tok("member")), 200)
    assert set(seen) == {"post_id", "total", "organisations"}
    assert seen["post_id"] == pid and seen["total"] == 3
    assert all(s["count"] == 1 for s in seen["organisations"])
    mine = [s for s in seen["organisations"] if s["mine"]]
    assert len(mine) == 1 and mine[0]["organisation"]["id"] == w.member["org_id"]
    assert all(s["organisation"] is None for s in seen["organisations"] if not s["mine"])
    text = server.get("posts/%s/sightings" % pid, token=w.tok("member")).text
    for acct in (w.reader, w.moderator):
        assert acct["org_id"] not in text and acct["org_name"] not in text
    # moderators and owners see every organisation
    for role in ("moderator", "owner"):
        seen = expect(server.get("posts/%s/sightings" % pid, token=w.tok(role)), 200)
        assert {s["organisation"]["id"] for s in seen["organisations"]} == orgs
    # the author (a plain member) sees only their own, which has none here
    seen = expect(server.get("posts/%s/sightings" % pid, token=w.tok("author")), 200)
    assert seen["total"] == 3 and all(s["organisation"] is None for s in seen["organisations"])


def test_an_open_roster_names_organisations_but_never_the_anonymous_authors(server, w):
    # community two has roster "members"
    p = create_post(server, w.tok("author"), w.ch("two"), anonymous=True)
    pid = p["id"]
    for role in ("author", "owner2", "other"):
        expect(server.post("posts/%s/sightings" % pid, token=w.tok(role), json={}), 201)
    # a reader who does not see the author sees a count and their own
    # organisation's sighting only: naming the others would leave the
    # author's as the one not named
    r = server.get("posts/%s/sightings" % pid, token=w.tok("other"))
    seen = expect(r, 200)
    assert seen["total"] == 3
    assert [(s["organisation"]["id"], s["mine"]) for s in seen["organisations"]] == \
        [(w.other["org_id"], True)]
    for acct in (w.author, w.owner2):
        assert acct["org_id"] not in r.text and acct["org_name"] not in r.text
    own = expect(server.get("posts/%s/sightings" % pid, token=w.tok("owner2")), 200)
    assert {s["organisation"]["id"] for s in own["organisations"]} == \
        {w.author["org_id"], w.owner2["org_id"], w.other["org_id"]}


def test_sightings_and_comments_of_a_hidden_post_are_404(server, w):
    p = create_post(server, w.tok("author"), w.ch("restricted"))
    for path in ("posts/%s/sightings", "posts/%s/comments"):
        is_problem(server.post(path % p["id"], token=w.tok("member"), json={"body": "x"}
                               if "comments" in path else {}), 404)


def test_every_indicator_row_agrees_with_its_post(server, w):
    # (last in the module: after every create, edit, share and delete
    # above) correlation trusts the indicator rows' copies of their post
    assert server.sql("SELECT count(*) FROM post_indicators")[0][0] > 0
    assert server.sql(
        "SELECT count(*) FROM post_indicators i LEFT JOIN posts p ON p.id = i.post_id"
        " WHERE (i.community_id, i.channel_id, i.created_at, i.tlp, i.author_id,"
        "  i.recipients) IS DISTINCT FROM (p.community_id, p.channel_id,"
        "  p.created_at, p.tlp, p.author_id, p.recipients)")[0][0] == 0
