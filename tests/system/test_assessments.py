"""The self-assessment on the five basic principles: the questionnaire as
data (versioned, staff publish new ones), an organisation's answers (its own
users' alone), scores and advice, and the aggregates -- a community's
benchmark, the agency's insights by sector or country -- that describe at
least five organisations or are suppressed, never approximated."""

import statistics

import pytest

from agency_helpers import expect, join, leaks, sql_community, sql_org, sql_staff, sql_user, tag
from conftest import Server, assert_problem

SUPPRESSED = {"suppressed": "fewer than 5 organisations"}


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def staff(server):
    return sql_staff(server)


@pytest.fixture(scope="module")
def questionnaire(server, staff):
    return expect(server.get("assessment", token=staff["token"]), 200)


def answers(q, pick):
    """Answers choosing, per principle n, the option pick(n, options) (an
    index into the question's options)."""
    out = []
    for p in q["principles"]:
        for question in p["questions"]:
            opts = question["options"]
            out.append({"question_id": question["id"],
                        "option_id": opts[pick(p["principle"], opts)]["id"]})
    return out


def scores_of(q, pick):
    """The scores answers(q, pick) should get: the mean per principle."""
    out = {}
    for p in q["principles"]:
        s = [qq["options"][pick(p["principle"], qq["options"])]["score"]
             for qq in p["questions"]]
        out[str(p["principle"])] = int(round(sum(s) / len(s) + 1e-9))
    return out


def best(n, opts):
    return max(range(len(opts)), key=lambda i: opts[i]["score"])


def worst(n, opts):
    return min(range(len(opts)), key=lambda i: opts[i]["score"])


def test_the_questionnaire_covers_the_five_principles(server, staff, questionnaire):
    q = questionnaire
    assert q["version"] >= 1
    assert [p["principle"] for p in q["principles"]] == [1, 2, 3, 4, 5]
    for p in q["principles"]:
        assert p["title"]["nl"] and p["title"]["en"]
        assert len(p["questions"]) >= 2
        for question in p["questions"]:
            assert question["text"]["nl"] and question["text"]["en"]
            assert {0, 100} <= {o["score"] for o in question["options"]}
    user = sql_user(server, sql_org(server))
    assert expect(server.get("assessment", token=user["token"]), 200) == q
    assert_problem(server.get("assessment"), 401)


def test_scores_and_advice_for_the_weakest_principles(server, questionnaire):
    org = sql_org(server)
    u = sql_user(server, org)
    # strong everywhere but in updates (3)
    pick = lambda n, opts: worst(n, opts) if n == 3 else best(n, opts)
    r = server.post("organisations/%s/assessments" % org, token=u["token"],
                    json={"answers": answers(questionnaire, pick), "lang": "en"})
    got = expect(r, 201)
    assert got["scores"] == scores_of(questionnaire, pick)
    assert got["scores"]["3"] == 0 and got["scores"]["1"] == 100
    assert got["advice"][0] == "install-updates"
    assert "choose-safe-settings" not in got["advice"]
    assert got["questionnaire_version"] == questionnaire["version"]
    assert r.headers["Location"].endswith("/assessments/" + got["id"])
    # in Dutch, the Dutch article
    got = expect(server.post("organisations/%s/assessments" % org, token=u["token"],
                             json={"answers": answers(questionnaire, pick)}), 201)
    assert got["advice"][0] == "installeer-updates" and got["lang"] == "nl"
    # all 100: nothing to advise
    got = expect(server.post("organisations/%s/assessments" % org, token=u["token"],
                             json={"answers": answers(questionnaire, best)}), 201)
    assert got["advice"] == [] and set(got["scores"].values()) == {100}


def test_answers_are_the_organisations_own(server, staff, questionnaire):
    org = sql_org(server)
    cid = sql_community(server)
    author = join(server, cid, sql_user(server, org))
    colleague = sql_user(server, org)
    owner = join(server, cid, sql_user(server, sql_org(server)), "owner")
    outsider = sql_user(server, sql_org(server))
    made = expect(server.post("organisations/%s/assessments" % org, token=author["token"],
                              json={"answers": answers(questionnaire, best)}), 201)
    mine = expect(server.get("organisations/%s/assessments" % org,
                             token=colleague["token"]), 200)
    assert [a["id"] for a in mine["items"]] == [made["id"]]
    assert mine["items"][0]["answers"] == made["answers"]
    for who in (owner, outsider, staff):
        r = server.get("organisations/%s/assessments" % org, token=who["token"])
        assert_problem(r, 403)
        assert made["id"] not in r.text
        assert_problem(server.post("organisations/%s/assessments" % org, token=who["token"],
                                   json={"answers": answers(questionnaire, best)}), 403)
    import uuid
    assert_problem(server.get("organisations/%s/assessments" % uuid.uuid4(),
                              token=author["token"]), 404)


def test_the_benchmark_needs_five_organisations_exactly(server, questionnaire):
    cid = sql_community(server, "Bench " + tag())
    orgs = [sql_org(server, "Bench Org %d %s" % (i, tag())) for i in range(6)]
    people = [join(server, cid, sql_user(server, o)) for o in orgs]
    picks = [lambda n, o, k=k: min(k + n - 1, len(o) - 1) % len(o) for k in range(6)]
    made = []

    def answer(i):
        made.append(expect(server.post(
            "organisations/%s/assessments" % orgs[i], token=people[i]["token"],
            json={"answers": answers(questionnaire, picks[i])}), 201))

    for i in range(4):
        answer(i)
    # four organisations: suppressed, to members, and in the answer itself
    got = expect(server.get("communities/%s/assessment-benchmark" % cid,
                            token=people[0]["token"]), 200)
    assert got == SUPPRESSED
    assert [b["benchmark"] for b in made[-1]["benchmarks"]] == [SUPPRESSED]
    # the same organisation answering again is still one organisation
    answer(0)
    assert expect(server.get("communities/%s/assessment-benchmark" % cid,
                             token=people[1]["token"]), 200) == SUPPRESSED
    # the fifth
    answer(4)
    r = server.get("communities/%s/assessment-benchmark" % cid, token=people[5]["token"])
    got = expect(r, 200)
    assert got["organisations"] == 5
    latest = [made[4]["scores"], made[1]["scores"], made[2]["scores"], made[3]["scores"],
              made[5]["scores"]]
    for n in "12345":
        values = sorted(s[n] for s in latest)
        q1, med, q3 = statistics.quantiles(values, n=4, method="inclusive")
        assert got["principles"][n] == {"q1": round(q1, 1), "median": round(med, 1),
                                        "q3": round(q3, 1)}, n
    assert [b["benchmark"] for b in made[-1]["benchmarks"]] == [got]
    # no organisation, person or assessment in it, on the raw bytes
    private = {("o%d" % i): o for i, o in enumerate(orgs)}
    private.update({("u%d" % i): p["id"] for i, p in enumerate(people)})
    private.update({("n%d" % i): p["name"] for i, p in enumerate(people)})
    private.update({("a%d" % i): a["id"] for i, a in enumerate(made)})
    private.update({("on%d" % i): "Bench Org %d " % i for i in range(6)})
    assert not leaks(r.text, private)
    # members only
    outsider = sql_user(server, sql_org(server))
    assert_problem(server.get("communities/%s/assessment-benchmark" % cid,
                              token=outsider["token"]), 404)


def test_insights_by_sector_and_country_suppress_below_five(server, staff, questionnaire):
    sector = "insights-" + tag()
    orgs = [sql_org(server, "Ins Org %d %s" % (i, tag()), sector=sector, country="LU")
            for i in range(5)]
    people = [sql_user(server, o) for o in orgs]

    def cell(group_by, key):
        r = server.get("insights/assessments", token=staff["token"],
                       params={"group_by": group_by})
        body = expect(r, 200)
        assert body["group_by"] == group_by
        assert not leaks(r.text, {o: o for o in orgs}), "an organisation id in insights"
        assert "Ins Org" not in r.text
        cells = [c for c in body["cells"] if c["group"] == key]
        assert len(cells) == 1, body
        return cells[0]["benchmark"]

    for i in range(4):
        expect(server.post("organisations/%s/assessments" % orgs[i], token=people[i]["token"],
                           json={"answers": answers(questionnaire, best)}), 201)
    assert cell("sector", sector) == SUPPRESSED
    assert cell("country", "LU") == SUPPRESSED
    expect(server.post("organisations/%s/assessments" % orgs[4], token=people[4]["token"],
                       json={"answers": answers(questionnaire, worst)}), 201)
    got = cell("sector", sector)
    assert got["organisations"] == 5
    assert got["principles"]["1"] == {"q1": 100, "median": 100, "q3": 100}
    assert cell("country", "LU")["organisations"] == 5
    # a sector nobody answered in is listed too, suppressed
    sql_org(server, sector="quiet-" + sector)
    assert cell("sector", "quiet-" + sector) == SUPPRESSED
    # staff only; a bad group is a 400
    assert_problem(server.get("insights/assessments", token=people[0]["token"]), 403)
    assert_problem(server.get("insights/assessments", token=staff["token"],
                              params={"group_by": "name"}), 400)


def test_staff_publish_a_new_version_and_answers_follow_it(server, staff, questionnaire):
    q = questionnaire
    content = {"principles": [{"principle": p["principle"], "title": p["title"],
                               "questions": p["questions"][:1]} for p in q["principles"]]}
    content["principles"][0]["questions"] = [{
        "id": "p1-offsite-" + tag(), "text": {"nl": "Staat er een kopie buiten de deur?",
                                               "en": "Is a copy kept off site?"},
        "options": [{"id": "no", "text": {"nl": "Nee", "en": "No"}, "score": 0},
                    {"id": "yes", "text": {"nl": "Ja", "en": "Yes"}, "score": 100}]}]
    user = sql_user(server, sql_org(server))
    assert_problem(server.post("assessment", token=user["token"], json=content), 403)
    made = expect(server.post("assessment", token=staff["token"], json=content), 201)
    assert made["version"] == q["version"] + 1
    assert expect(server.get("assessment", token=user["token"]), 200) == made
    # answers to the old version no longer fit
    r = server.post("organisations/%s/assessments" % user["org_id"], token=user["token"],
                    json={"answers": answers(q, best), "version": q["version"]})
    assert_problem(r, 409)
    r = server.post("organisations/%s/assessments" % user["org_id"], token=user["token"],
                    json={"answers": answers(q, best)})
    assert_problem(r, 422)
    got = expect(server.post("organisations/%s/assessments" % user["org_id"],
                             token=user["token"],
                             json={"answers": answers(made, best), "version": made["version"]}),
                 201)
    assert got["questionnaire_version"] == made["version"]
    # missing an answer, or naming an option the question lacks
    partial = answers(made, best)[1:]
    assert_problem(server.post("organisations/%s/assessments" % user["org_id"],
                               token=user["token"], json={"answers": partial}), 422)
    wrong = answers(made, best)
    wrong[0]["option_id"] = "maybe"
    assert_problem(server.post("organisations/%s/assessments" % user["org_id"],
                               token=user["token"], json={"answers": wrong}), 422)
    # put the first questionnaire's content back as the newest version
    back = {"principles": [{"principle": p["principle"], "title": p["title"],
                            "questions": p["questions"]} for p in q["principles"]]}
    expect(server.post("assessment", token=staff["token"], json=back), 201)
