"""The threat picture: counts without content.  A member counts the posts
they may read in their community, per ISO week, kind and severity; staff
count, across the communities that opted in, the TLP:CLEAR, GREEN and AMBER
posts, and see no cell that fewer than five organisations contributed to.
Neither shows a title, body, indicator, author or organisation: every answer
is scanned, raw."""

import datetime

import pytest

from agency_helpers import (advisory_body, expect, join, leaks, sql_channel, sql_community,
                            sql_org, sql_staff, sql_user, tag)
from conftest import Server, assert_problem


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    s.stop()


def this_week():
    y, w, _ = datetime.datetime.now(datetime.timezone.utc).isocalendar()
    return "%d-W%02d" % (y, w)


def post(server, acct, channel, kind="incident", severity="high", tlp="TLP:GREEN",
         title=None, **extra):
    body = {"kind": kind, "title": title or "Seen %s %s" % (kind, tag()),
            "body": "Details only readers see.", "tlp": tlp}
    if severity:
        body["severity"] = severity
    body.update(extra)
    r = server.post("channels/%s/posts" % channel, token=acct["token"], json=body)
    return expect(r, 201)


class World:
    pass


@pytest.fixture(scope="module")
def w(server):
    w = World()
    w.staff = sql_staff(server)
    w.sector = "tp-" + tag()
    w.k1 = sql_community(server, "Opted In " + tag(), kind="sector", statistics="agency")
    w.k3 = sql_community(server, "Private " + tag(), kind="thematic", statistics="none")
    # an open roster: authors may name any member as a TLP:RED recipient
    server.sql("UPDATE communities SET roster = 'members' WHERE id = %s", (w.k1,))
    w.general = sql_channel(server, w.k1, "general")
    w.restricted = sql_channel(server, w.k1, "restricted", visibility="restricted")
    w.k3_general = sql_channel(server, w.k3, "general")
    w.orgs = [sql_org(server, "TP Org %d %s" % (i, tag()), sector=w.sector) for i in range(5)]
    w.authors = [join(server, w.k1, sql_user(server, o, "TP Author %d" % i))
                 for i, o in enumerate(w.orgs)]
    for a in w.authors:
        join(server, w.k3, a)
        server.sql("INSERT INTO channel_readers (channel_id, user_id) VALUES (%s, %s)",
                   (w.restricted, a["id"]))
    w.member = join(server, w.k1, sql_user(server, sql_org(server, "TP Reader Org " + tag())))
    w.owner = join(server, w.k1, sql_user(server, sql_org(server)), "owner")
    w.titles = []
    return w


def member_picture(server, w, token=None, **params):
    r = server.get("communities/%s/threat-picture" % w.k1, token=token or w.member["token"],
                   params=params)
    return r, expect(r, 200)


def agency_picture(server, w, **params):
    r = server.get("insights/threat-picture", token=w.staff["token"], params=params)
    return r, expect(r, 200)


def test_a_member_counts_what_they_may_read(server, w):
    a, b = w.authors[0], w.authors[1]
    for kind, sev in (("incident", "high"), ("incident", "high"), ("vulnerability", None),
                      ("question", "low")):
        w.titles.append(post(server, a, w.general, kind, sev)["title"])
    # not for the member: a restricted channel, and TLP:RED for someone else
    w.titles.append(post(server, b, w.restricted, "incident", "high")["title"])
    w.titles.append(post(server, a, w.general, "incident", "high", tlp="TLP:RED",
                         recipients=[b["id"]])["title"])
    # TLP:RED for the member counts for the member
    w.titles.append(post(server, a, w.general, "incident", "critical", tlp="TLP:RED",
                         recipients=[w.member["id"]])["title"])
    r, got = member_picture(server, w)
    assert got["weeks"] == 12 and got["community_id"] == w.k1
    cells = {(c["week"], c["kind"], c["severity"]): c["posts"] for c in got["cells"]}
    wk = this_week()
    assert cells == {(wk, "incident", "high"): 2, (wk, "vulnerability", None): 1,
                     (wk, "question", "low"): 1, (wk, "incident", "critical"): 1}
    # the owner reads the restricted channel, not the RED post for b
    _, mine = member_picture(server, w, token=w.owner["token"])
    cells = {(c["week"], c["kind"], c["severity"]): c["posts"] for c in mine["cells"]}
    assert cells[(wk, "incident", "high")] == 3
    assert not leaks(r.text, {t: t for t in w.titles}), "a title in the picture"
    assert not leaks(r.text, {a["id"]: a["id"], a["name"]: a["name"], "org": w.orgs[0]})


def test_what_a_member_cannot_read_does_not_move_their_picture(server, w):
    before, _ = member_picture(server, w)
    post(server, w.authors[2], w.restricted, "indicators", "medium")
    post(server, w.authors[2], w.general, "indicators", "medium", tlp="TLP:RED",
         recipients=[w.authors[3]["id"]])
    after, _ = member_picture(server, w)
    assert after.content == before.content


def test_old_posts_fall_out_of_the_window(server, w):
    p = post(server, w.authors[0], w.general, "discussion", "info")
    server.sql("UPDATE posts SET created_at = now() - interval '20 weeks' WHERE id = %s",
               (p["id"],))
    _, got = member_picture(server, w)
    assert ("discussion", "info") not in {(c["kind"], c["severity"]) for c in got["cells"]}
    _, got = member_picture(server, w, weeks=52)
    assert ("discussion", "info") in {(c["kind"], c["severity"]) for c in got["cells"]}
    assert got["weeks"] == 52


def test_the_agency_sees_cells_of_five_organisations_and_no_fewer(server, w):
    def cell(kind, sev, group_by="community_kind", group="sector"):
        r, got = agency_picture(server, w, group_by=group_by)
        assert not leaks(r.text, {t: t for t in w.titles}), "a title in the picture"
        private = {"org%d" % i: o for i, o in enumerate(w.orgs)}
        private.update({"u%d" % i: a["id"] for i, a in enumerate(w.authors)})
        private.update({"n%d" % i: a["name"] for i, a in enumerate(w.authors)})
        private.update({"k1": w.k1, "k3": w.k3, "TP Org": "TP Org"})
        assert not leaks(r.text, private), leaks(r.text, private)
        hits = [c for c in got["cells"] if (c["week"], c["group"], c["kind"], c["severity"])
                == (this_week(), group, kind, sev)]
        return hits[0]["posts"] if hits else None

    # four organisations: no cell; the fifth: the cell, counting every post
    for i in range(4):
        post(server, w.authors[i], w.general, "incident", "medium", tlp="TLP:AMBER")
    assert cell("incident", "medium") is None
    assert cell("incident", "medium", "sector", w.sector) is None
    post(server, w.authors[4], w.general, "incident", "medium", tlp="TLP:CLEAR")
    post(server, w.authors[4], w.general, "incident", "medium", tlp="TLP:GREEN")
    assert cell("incident", "medium") == 6
    assert cell("incident", "medium", "sector", w.sector) == 6
    # AMBER+STRICT and RED never count, from however many organisations
    for i in range(5):
        post(server, w.authors[i], w.general, "vulnerability", "critical",
             tlp="TLP:AMBER+STRICT")
        post(server, w.authors[i], w.general, "vulnerability", "critical", tlp="TLP:RED",
             recipients=[w.member["id"]])
    assert cell("vulnerability", "critical") is None
    # a community that did not opt in does not count
    k3 = [join(server, w.k3, sql_user(server, o)) for o in w.orgs]
    for a in k3:
        post(server, a, w.k3_general, "question", "low")
    assert cell("question", "low", group="thematic") is None
    server.sql("UPDATE communities SET statistics = 'agency' WHERE id = %s", (w.k3,))
    try:
        assert cell("question", "low", group="thematic") == 5
    finally:
        server.sql("UPDATE communities SET statistics = 'none' WHERE id = %s", (w.k3,))
    # the agency's own advisories are not the communities' picture
    expect(server.post("advisories", token=w.staff["token"], json=advisory_body(
        severity="info", tlp="TLP:CLEAR", targets={"community_ids": [w.k1]})), 201)
    assert cell("advisory", "info") is None


def test_only_members_and_staff_and_only_good_parameters(server, w):
    outsider = sql_user(server, sql_org(server))
    assert_problem(server.get("communities/%s/threat-picture" % w.k1,
                              token=outsider["token"]), 404)
    # staff see that the community exists, and read none of its content
    assert_problem(server.get("communities/%s/threat-picture" % w.k1,
                              token=w.staff["token"]), 403)
    assert_problem(server.get("insights/threat-picture", token=w.member["token"]), 403)
    for bad in ({"weeks": 0}, {"weeks": 53}, {"weeks": "x"}, {"weeks": "1.5"},
                {"group_by": "organisation"}):
        assert_problem(server.get("insights/threat-picture", token=w.staff["token"],
                                  params=bad), 400)
    assert_problem(server.get("communities/%s/threat-picture" % w.k1,
                              token=w.member["token"], params={"weeks": -1}), 400)
