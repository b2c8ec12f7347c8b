"""Knowledge articles: the agency's public content, readable without an
account, versioned, in Dutch and English, found with the posts' text search,
linked to the five basic principles; drafts are staff's alone."""

import pytest

from agency_helpers import expect, sql_org, sql_staff, sql_user, tag
from conftest import Server, assert_problem

PRINCIPLES_EN = ["map-your-risks-and-make-back-ups", "choose-safe-settings", "install-updates",
                 "limit-access", "prevent-viruses-and-malware"]
PRINCIPLES_NL = ["breng-risicos-in-kaart-en-maak-back-ups", "kies-veilige-instellingen",
                 "installeer-updates", "beperk-toegang", "voorkom-virussen-en-malware"]


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def people(server):
    return {"staff": sql_staff(server), "user": sql_user(server, sql_org(server))}


def all_articles(server, token=None, **params):
    items, cursor = [], None
    while True:
        q = dict(params, limit=200, **({"cursor": cursor} if cursor else {}))
        body = expect(server.get("articles", token=token, params=q), 200)
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def article(**over):
    t = tag()
    body = {"slug": "phishing-melden-" + t, "lang": "nl", "title": "Phishing melden " + t,
            "summary": "Wat te doen met een verdachte mail.",
            "body": "Stuur verdachte mails door en **klik niet** op de link.",
            "category": "respond", "principles": [5], "tags": ["Phishing"]}
    body.update(over)
    return body


def test_the_five_principles_are_the_first_articles_in_both_languages(server):
    for lang, slugs in (("en", PRINCIPLES_EN), ("nl", PRINCIPLES_NL)):
        items = all_articles(server, lang=lang)
        # newest first: the five principles are the oldest, principle 1 first of all
        assert [a["slug"] for a in items[::-1][:5]] == slugs
        for n, slug in enumerate(slugs, 1):
            a = expect(server.get("articles/" + slug), 200)
            assert a["principles"] == [n] and a["category"] == "prevent"
            assert a["status"] == "published" and a["lang"] == lang
            assert a["title"].startswith("Principle %d" % n if lang == "en"
                                         else "Basisprincipe %d" % n)
            assert len(a["body"]) > 400 and a["version"] == 1
            other = PRINCIPLES_NL if lang == "en" else PRINCIPLES_EN
            assert a["translation"] == other[n - 1]
    # a list shows no body; one article does
    assert all(a["body"] is None for a in all_articles(server))


def test_articles_need_no_token_and_filter_by_principle_category_and_language(server):
    r = server.get("articles", params={"principle": 3, "lang": "en"})
    assert [a["slug"] for a in expect(r, 200)["items"]] == ["install-updates"]
    r = server.get("articles", params={"category": "recognise"})
    assert all(a["category"] == "recognise" for a in expect(r, 200)["items"])
    assert "Content-Type" in r.headers and r.headers["Content-Type"].startswith(
        "application/json")


def test_search_is_the_posts_text_search_in_dutch_and_english(server):
    # Dutch stems: "wachtwoord" finds "standaardwachtwoorden"? no: words,
    # stemmed: "updates installeren" finds the Dutch article on updates
    nl = [a["slug"] for a in all_articles(server, q="wachtwoordmanager", lang="nl")]
    assert nl == ["beperk-toegang"]
    en = [a["slug"] for a in all_articles(server, q="restore back-ups", lang="en")]
    assert en == ["map-your-risks-and-make-back-ups"]
    # English stemming: "encrypting laptops" matches "Encrypt laptops"
    en = [a["slug"] for a in all_articles(server, q="encrypting laptops")]
    assert en == ["choose-safe-settings"]
    # websearch syntax: an excluded word
    both = {a["slug"] for a in all_articles(server, q="ransomware")}
    assert {"map-your-risks-and-make-back-ups", "prevent-viruses-and-malware"} <= both
    minus = {a["slug"] for a in all_articles(server, q="ransomware -macros")}
    assert "prevent-viruses-and-malware" not in minus


def test_drafts_are_for_staff_only(server, people):
    staff, user = people["staff"]["token"], people["user"]["token"]
    body = article()
    r = server.post("articles", token=staff, json=body)
    made = expect(r, 201)
    assert r.headers["Location"] == "/api/v1/articles/" + body["slug"]
    assert made["status"] == "draft" and made["published_at"] is None
    assert made["tags"] == ["phishing"] and made["version"] == 1
    for token in (None, user):
        assert_problem(server.get("articles/" + body["slug"], token=token), 404)
        assert body["slug"] not in [a["slug"] for a in all_articles(server, token=token)]
        assert body["slug"] not in [a["slug"] for a in all_articles(
            server, token=token, q="verdachte")]
    assert expect(server.get("articles/" + body["slug"], token=staff), 200)["status"] == "draft"
    assert body["slug"] in [a["slug"] for a in all_articles(server, token=staff)]
    # a draft's slug is not named as anyone's translation to the public
    en = article(slug="report-phishing-" + tag(), lang="en", title="Report phishing",
                 summary="What to do with a suspicious mail.", body="Forward it.",
                 status="published", translation=body["slug"])
    expect(server.post("articles", token=staff, json=en), 201)
    assert expect(server.get("articles/" + en["slug"]), 200)["translation"] is None
    assert expect(server.get("articles/" + en["slug"], token=staff),
                  200)["translation"] == body["slug"]
    # published: for everyone, found by its words, a new version
    got = expect(server.patch("articles/" + body["slug"], token=staff,
                              json={"status": "published"}), 200)
    assert got["version"] == 2 and got["published_at"]
    assert expect(server.get("articles/" + body["slug"]), 200)["version"] == 2
    assert body["slug"] in [a["slug"] for a in all_articles(server, q="verdachte mails")]
    assert expect(server.get("articles/" + en["slug"]), 200)["translation"] == body["slug"]


def test_every_change_is_a_new_version_and_nothing_is_no_change(server, people):
    staff = people["staff"]["token"]
    body = article(status="published")
    expect(server.post("articles", token=staff, json=body), 201)
    same = expect(server.patch("articles/" + body["slug"], token=staff,
                               json={"title": body["title"]}), 200)
    assert same["version"] == 1
    got = expect(server.patch("articles/" + body["slug"], token=staff,
                              json={"body": "Nieuw: bel ook de helpdesk.",
                                    "principles": [4, 5, 4]}), 200)
    assert got["version"] == 2 and got["principles"] == [4, 5]
    assert server.sql("SELECT v.body FROM article_versions v JOIN articles a"
                      " ON a.id = v.article_id WHERE a.slug = %s",
                      (body["slug"],))[0][0] == body["body"]
    # the new text is what the search finds
    assert body["slug"] in [a["slug"] for a in all_articles(server, q="helpdesk")]
    expect(server.delete("articles/" + body["slug"], token=staff), 204)
    assert_problem(server.get("articles/" + body["slug"]), 404)
    assert_problem(server.delete("articles/" + body["slug"], token=staff), 404)


def test_only_staff_write_and_a_slug_is_taken_once(server, people):
    user = people["user"]["token"]
    staff = people["staff"]["token"]
    assert_problem(server.post("articles", token=user, json=article()), 403)
    assert_problem(server.post("articles", json=article()), 401)
    assert_problem(server.patch("articles/install-updates", token=user,
                                json={"title": "x"}), 403)
    assert_problem(server.delete("articles/install-updates", token=user), 403)
    body = article()
    expect(server.post("articles", token=staff, json=body), 201)
    r = server.post("articles", token=staff, json=body)
    assert "slug" in assert_problem(r, 409)["detail"]
    assert_problem(server.patch("articles/no-such-" + tag(), token=staff,
                                json={"title": "x"}), 404)
    assert_problem(server.post("articles", token=staff,
                               json=article(translation="no-such-" + tag())), 422)
    # a bad token on a public route is still a bad token
    assert_problem(server.get("articles", token="isacd_s_" + "A" * 43), 401)
