"""Full-text search: GET /search.

What users rely on: search understands Dutch and English inflection
("phishingmail" finds "phishingmails", "aanvallen" finds "aanval",
"attacked" finds "attacks"), "phrases" and -exclusion; it filters by
community, kind, TLP and time; a title match ranks above a body match; results
page by cursor without repeats; a snippet quotes the post it belongs to, its
matches in **bold**; and search never returns, counts or quotes a post the
caller may not read (TLP:RED without being a recipient, a restricted channel,
another community).  q is 1 to 500 characters.
"""

import base64
import time

import pytest

from community_helpers import assert_no_server_errors, expect, walk
from post_helpers import build_post_world, create_post, get_post, is_problem, search_ids, tag


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def w(server):
    return build_post_world(server)


def marker():
    # a word no stemmer changes and no other test uses
    return "qz" + tag().translate(str.maketrans("0123456789", "ghijklmnop"))


def post(server, w, title, body, channel="general", role="author", **kw):
    return create_post(server, w.tok(role), w.ch(channel), title, body=body, **kw)


@pytest.mark.parametrize("query,title,body", [
    ("phishingmail", "Phishingmails naar klanten", "Veel meldingen vandaag"),
    ("aanvallen", "Nieuwe aanval op netbeheerder", "Details volgen"),
    ("aanval", "Grote aanvallen gemeld", "Details volgen"),
    ("attacked", "Status update", "The attackers attacks were seen twice"),
    ("attacks", "Server attacked overnight", "No further details"),
    ("phishing", "Phishing campaign", "Mails with invoices"),
])
def test_dutch_and_english_inflections_are_found(server, w, query, title, body):
    m = marker()
    p = post(server, w, "%s %s" % (title, m), body)
    assert p["id"] in search_ids(server, w.tok("member"), query)
    assert search_ids(server, w.tok("member"), "%s %s" % (query, m)) == [p["id"]]


def test_a_phrase_matches_the_words_in_order_only(server, w):
    m = marker()
    inorder = post(server, w, "Report " + m, "Grote aanvallen op energiebedrijven")
    reversed_ = post(server, w, "Report " + m, "Aanvallen waren niet grote zorgen")
    found = search_ids(server, w.tok("member"), '"grote aanvallen" %s' % m)
    assert found == [inorder["id"]]
    both = search_ids(server, w.tok("member"), "grote aanvallen %s" % m)
    assert set(both) == {inorder["id"], reversed_["id"]}


def test_an_excluded_word_removes_its_posts(server, w):
    m = marker()
    keep = post(server, w, "Ransomware " + m, "Seen at a hospital")
    drop = post(server, w, "Ransomware " + m, "Seen at a water utility")
    assert set(search_ids(server, w.tok("member"), "ransomware " + m)) == {keep["id"], drop["id"]}
    assert search_ids(server, w.tok("member"), "ransomware %s -water" % m) == [keep["id"]]


def test_filters_community_kind_tlp_and_since(server, w):
    m = marker()
    a = w.tok("author")
    one = create_post(server, a, w.ch("general"), "Filter " + m, kind="advisory",
                      tlp="TLP:AMBER")["id"]
    two = create_post(server, a, w.ch("two"), "Filter " + m, kind="incident",
                      tlp="TLP:GREEN")["id"]
    assert set(search_ids(server, a, m)) == {one, two}
    assert search_ids(server, a, m, community_id=w.c1) == [one]
    assert search_ids(server, a, m, community_id=w.c2.upper()) == [two]
    assert search_ids(server, a, m, kind="advisory") == [one]
    assert search_ids(server, a, m, tlp="TLP:GREEN") == [two]
    assert search_ids(server, a, m, tlp="TLP:RED") == []
    assert search_ids(server, a, m, kind="incident", community_id=w.c1) == []
    time.sleep(1.1)
    three = create_post(server, a, w.ch("general"), "Filter " + m)
    since = three["created_at"]   # whole seconds: three is at or after it
    assert search_ids(server, a, m, since=since) == [three["id"]]
    assert search_ids(server, a, m, since=since.replace("Z", "+00:00")) == [three["id"]]
    assert set(search_ids(server, a, m, since="2000-01-01T00:00:00Z")) == \
        {one, two, three["id"]}
    assert search_ids(server, a, m, since="2999-01-01T00:00:00.5Z") == []


def test_a_title_match_ranks_above_a_body_match(server, w):
    m = marker()
    body_hit = post(server, w, "Weekly overview " + m, "We saw a credential stuffing wave")
    title_hit = post(server, w, "Credential stuffing " + m, "Weekly overview of what we saw")
    body = expect(server.get("search", token=w.tok("member"),
                             params={"q": "credential stuffing " + m}), 200)
    assert [i["post"]["id"] for i in body["items"]] == [title_hit["id"], body_hit["id"]]
    assert body["items"][0]["rank"] > body["items"][1]["rank"]


def test_results_page_by_cursor_without_repeats(server, w):
    m = marker()
    made = {post(server, w, "Paged %s %d" % (m, i), "paged " * (i + 1))["id"]
            for i in range(5)}
    items, pages = walk(server, "search?q=" + m, w.tok("member"), limit=2)
    ids = [i["post"]["id"] for i in items]
    assert len(ids) == 5 and set(ids) == made and pages == 3
    ranks = [i["rank"] for i in items]
    assert ranks == sorted(ranks, reverse=True)
    for i in items:
        assert set(i) == {"post", "rank", "snippet"}
        assert set(i["post"]) == {"id", "title", "kind", "tlp", "severity", "community",
                                  "channel", "created_at"}
        assert i["post"]["community"] == {"id": w.c1, "name": w.c1_name}
        assert i["post"]["channel"] == {"id": w.ch("general"),
                                        "name": w.channels["general"]["name"]}


@pytest.fixture(scope="module")
def many(server, w):
    """530 posts with one word, more than a ranked window (500), oldest
    first, with other posts of the channel between them."""
    m = marker()
    made = []
    for i in range(530):
        made.append(post(server, w, "Window %s %d" % (m, i), (m + " ") * (1 + i % 7))["id"])
        if i % 5 == 0:
            post(server, w, "Between %d" % i, "no such word here")
    return m, made


def test_every_match_is_reached_past_the_first_window_of_500(server, w, many):
    # a word in more posts than one ranked window (500): the first pages
    # rank the 500 newest matches best first, the next ones the older
    # matches, and every match comes exactly once
    m, made = many
    items, pages = walk(server, "search?q=" + m, w.tok("member"), limit=200)
    ids = [i["post"]["id"] for i in items]
    assert len(ids) == 530 and set(ids) == set(made)
    assert pages == 3
    newest, oldest = ids[:500], ids[500:]
    assert set(newest) == set(made[30:]) and set(oldest) == set(made[:30])
    for part in (items[:500], items[500:]):
        ranks = [i["rank"] for i in part]
        assert ranks == sorted(ranks, reverse=True)
    # a smaller page size crosses the window inside a page the same way
    items, _ = walk(server, "search?q=" + m, w.tok("member"), limit=170)
    assert [i["post"]["id"] for i in items] == ids


def window_of(server, w, m, way=None, span=None, before=None, since=None, community=None,
              timezone="UTC"):
    """isacd_search_window for the member, way and span forced (NULL: chosen
    by cost): the window's ids and times, newest first."""
    user = w.users["member"]["id"]
    rows = server.sql(
        "SET TimeZone = '%s'; SELECT w.ids::text[], w.times FROM isacd_search_window("
        " isacd_search_query(%%s), (SELECT x.readable FROM isacd_readable(%%s) x), %%s, %%s,"
        " NULL, NULL, %%s, %%s, %%s, %%s, %%s::interval) w" % timezone,
        (m, user, user, community, since, before and before[0], before and before[1], way,
         span))
    ids, times = rows[0]
    return ids or [], times or []


# isacd_search_window walks back from the bound a time range at a time and
# finds each range's matches by the index's hours and days, by the channels
# the member reads, or (for all that is left) by the words and communities
# alone, by what each would cost; whichever way, the window is the same
WAYS = [(None, None), ("listed", None), ("hours", None), ("hours", "50 milliseconds"),
        ("walked", None), ("walked", "50 milliseconds"), (None, "50 milliseconds")]
WAY_IDS = ["chosen", "listed", "hours", "hours-short", "walked", "walked-short", "chosen-short"]


@pytest.mark.parametrize("way,span", WAYS, ids=WAY_IDS)
def test_every_way_to_find_a_window_finds_the_same_one(server, w, many, way, span):
    m, made = many
    ids, times = window_of(server, w, m, way, span)
    assert ids == list(reversed(made))[:500]
    rest, _ = window_of(server, w, m, way, span, before=(times[-1], ids[-1]))
    assert rest == list(reversed(made))[500:]


@pytest.fixture(scope="module")
def spread(server, w):
    """Posts with one word made over nine days, one every 61 minutes (so
    across hours and UTC midnights), two of them at the same instant, with
    posts the member may not read between them: in the restricted channel
    and TLP:RED for the reader.  → (word, {id: created_at} of the ones the
    member may read)."""
    m = marker()
    a = w.tok("author")
    made = []
    for i in range(210):
        if i % 7 == 3:
            p = create_post(server, a, w.ch("restricted"), "Spread %s %d" % (m, i))
        elif i % 7 == 5:
            p = create_post(server, a, w.ch("general"), "Spread %s %d" % (m, i),
                            tlp="TLP:RED", recipients=[w.reader["id"]])
        else:
            p = post(server, w, "Spread %s %d" % (m, i), "spread " + m)
        made.append(p["id"])
    # in the order made, 61 minutes apart, the newest 17 minutes past the
    # hour a day ago; the 101st at the instant of the 100th
    server.sql(
        "UPDATE posts p SET created_at = date_trunc('hour', now()) - interval '1 day'"
        " + interval '17 minutes' - (210 - x.n + CASE WHEN x.n = 101 THEN 1 ELSE 0 END)"
        " * interval '61 minutes'"
        " FROM unnest(%s::uuid[]) WITH ORDINALITY x (id, n) WHERE p.id = x.id",
        (made,))
    at = dict(server.sql("SELECT id::text, created_at FROM posts WHERE id = ANY(%s::uuid[])",
                         (made,)))
    readable = {i: at[i] for n, i in enumerate(made) if n % 7 not in (3, 5)}
    return m, readable


@pytest.mark.parametrize("way,span", WAYS + [
    ("hours", "90 minutes"), ("hours", "30 hours"), ("walked", "90 minutes"),
    (None, "30 hours")], ids=WAY_IDS + ["hours-90m", "hours-30h", "walked-90m", "chosen-30h"])
def test_a_window_over_days_and_hours_is_the_same_every_way(server, w, spread, way, span):
    # a window's range is made of the whole UTC days inside it and the
    # hours at its ends; cut by the bound, by since and by the community,
    # in any session time zone, it holds exactly the newest readable matches
    m, readable = spread
    newest = sorted(readable, key=lambda i: (readable[i], i), reverse=True)
    assert len(set(readable.values())) == len(readable) - 1  # one instant twice
    for before, since, community in (
            (None, None, None),
            ((readable[newest[40]], newest[40]), None, None),
            (None, readable[newest[120]], None),
            ((readable[newest[10]], newest[10]), readable[newest[100]], w.c1),
            (None, None, w.c2)):
        want = [i for i in newest
                if (before is None or (readable[i], i) < before)
                and (since is None or readable[i] >= since) and community != w.c2]
        for tz in ("UTC", "Pacific/Chatham"):
            ids, times = window_of(server, w, m, way, span, before, since, community, tz)
            assert ids == want, (before, since, community, tz)
            assert times == [readable[i] for i in want]


def test_a_burst_of_newer_posts_without_the_word_hides_no_match(server, w, many):
    # the newest posts do not hold the word (a burst of other posts): a
    # first range over the newest posts finds nothing and the next looks
    # further back; the window is the same whichever way, and the API still
    # gives the matches newest first within it
    m, made = many
    for i in range(12):
        post(server, w, "Burst %d" % i, "nothing to see")
    for way, span in WAYS:
        ids, _ = window_of(server, w, m, way, span)
        assert ids == list(reversed(made))[:500], (way, span)
    items, _ = walk(server, "search?q=" + m, w.tok("member"), limit=200)
    assert sorted(i["post"]["id"] for i in items) == sorted(made)


@pytest.mark.parametrize("raw", [
    "0.5|%s|" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12),
    "0.5|%s|yesterday|%s" % (("0" * 8 + "-0000-0000-0000-" + "0" * 12,) * 2),
    "0.5|%s|2026-12-02 06:00:00+00|nope" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12),
    "0.5|%s|2026-12-02 06:00:00+00" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12),
    "2026-12-02 06:00:00+00|%s" % ("0" * 8 + "-0000-0000-0000-" + "0" * 12),
])
def test_a_forged_search_cursor_is_400(server, w, raw):
    cursor = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    is_problem(server.get("search", token=w.tok("member"),
                          params={"q": "anything", "cursor": cursor}), 400)


def test_a_snippet_quotes_its_own_post_with_matches_in_bold(server, w):
    m = marker()
    p = post(server, w, "Snippet " + m,
             "First line about nothing. Then the %s word appears in the middle of a long "
             "sentence about a botnet that keeps coming back every night." % m)
    body = expect(server.get("search", token=w.tok("member"), params={"q": m}), 200)
    (item,) = body["items"]
    assert "**%s**" % m in item["snippet"]
    full = get_post(server, w.tok("member"), p["id"])["body"]
    for fragment in item["snippet"].split(" ... "):
        assert fragment.replace("**", "") in full, (fragment, full)


@pytest.fixture(scope="module")
def hidden(server, w):
    """Posts with one word that a plain member may not read: TLP:RED for
    someone else, in the restricted channel, in community two; and one the
    member may read."""
    m = marker()
    a = w.tok("author")
    made = {
        "red": create_post(server, a, w.ch("general"), "Red title %s" % m,
                           body="red body %s secret" % m, tlp="TLP:RED",
                           recipients=[w.reader["id"]]),
        "restricted": create_post(server, a, w.ch("restricted"), "Restricted title %s" % m,
                                  body="restricted body %s secret" % m),
        "other": create_post(server, a, w.ch("two"), "Other community title %s" % m,
                             body="other community body %s secret" % m),
        "visible": create_post(server, a, w.ch("general"), "Visible title %s" % m,
                               body="visible body %s" % m),
    }
    return m, made


@pytest.mark.parametrize("role,may_see", [
    ("member", {"visible"}),
    ("moderator", {"visible", "restricted"}),
    ("owner", {"visible", "restricted"}),
    ("reader", {"visible", "restricted", "red"}),
    ("other", {"other"}),
    ("owner2", {"other"}),
    ("author", {"visible", "restricted", "red", "other"}),
    ("staff", set()),
    ("outsider", set()),
])
def test_search_never_returns_or_quotes_a_post_the_caller_cannot_read(server, w, hidden, role,
                                                                      may_see):
    m, made = hidden
    for q in (m, "secret " + m, '"%s secret"' % m, "title", "body " + m):
        r = server.get("search", token=w.tok(role), params={"q": q, "limit": 200})
        found = {i["post"]["id"] for i in expect(r, 200)["items"]}
        for key, p in made.items():
            if key in may_see:
                continue
            assert p["id"] not in found, (role, q, key)
            for text in (p["id"], p["title"], p["body"]):
                assert text not in r.text, (role, q, key, text)
    got = {i["post"]["id"] for i in expect(server.get("search", token=w.tok(role),
                                                      params={"q": m}), 200)["items"]}
    assert got == {made[k]["id"] for k in may_see}, role


def test_a_post_raised_to_red_leaves_search_at_once(server, w):
    m = marker()
    p = post(server, w, "Raised " + m, "raised body")
    assert search_ids(server, w.tok("moderator"), m) == [p["id"]]
    expect(server.patch("posts/%s" % p["id"], token=w.tok("author"),
                        json={"tlp": "TLP:RED", "recipients": [w.member["id"]]}), 200)
    r = server.get("search", token=w.tok("moderator"), params={"q": m})
    assert expect(r, 200)["items"] == [] and "Raised" not in r.text
    assert search_ids(server, w.tok("member"), m) == [p["id"]]


def test_a_deleted_post_is_not_found(server, w):
    m = marker()
    p = post(server, w, "Deleted " + m, "gone")
    assert search_ids(server, w.tok("member"), m) == [p["id"]]
    assert server.delete("posts/%s" % p["id"], token=w.tok("author")).status_code == 204
    assert search_ids(server, w.tok("member"), m) == []


def test_q_of_500_characters_is_accepted(server, w):
    expect(server.get("search", token=w.tok("member"), params={"q": "a" * 500}), 200)
    expect(server.get("search", token=w.tok("member"), params={"q": "é" * 500}), 200)


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "x" * 501}, {"q": "x" * 1000}, {"q": "é" * 501},
    {"q": "tab\there"}, {"q": "del\x7fhere"}, {"q": "a", "community_id": "nope"},
    {"q": "a", "community_id": ""}, {"q": "a", "kind": "rumour"}, {"q": "a", "kind": ""},
    {"q": "a", "tlp": "TLP:WHITE"}, {"q": "a", "tlp": "green"},
    {"q": "a", "since": "yesterday"}, {"q": "a", "since": "2026-01-01"},
    {"q": "a", "since": "2026-01-01T00:00:00"}, {"q": "a", "since": "2026-01-01 00:00:00Z"},
    {"q": "a", "limit": "0"}, {"q": "a", "limit": "201"}, {"q": "a", "cursor": "bad!"},
], ids=lambda p: repr(p)[:60])
def test_bad_search_parameters_are_400(server, w, params):
    is_problem(server.get("search", token=w.tok("member"), params=params), 400)


def test_search_needs_a_token(server, w):
    is_problem(server.get("search", params={"q": "a"}), 401)
