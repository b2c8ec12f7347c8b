"""Bad input on every field of the agency's routes: advisories and their
acknowledgements, articles, the questionnaire, answers, the statistics
consent of a community, and the query parameters of lists and aggregates.

Each is refused with a 4xx RFC 9457 problem (400 naming the field in
errors[] for a body), before anything is written; limits are exact where
they are easy to miss (an advisory's body of 32,768 bytes, 100 CVEs, 20
actions); nothing ever answers 5xx.
"""

import uuid

import pytest

from agency_helpers import (advisory_body, expect, join, sql_community, sql_org, sql_staff,
                            sql_user, tag)
from community_helpers import assert_no_server_errors
from conftest import Server, assert_problem
from identity_helpers import error_fields


@pytest.fixture(scope="module")
def server(pg):
    s = Server(pg)
    yield s
    assert_no_server_errors(s)
    s.stop()


@pytest.fixture(scope="module")
def w(server):
    staff = sql_staff(server)
    cid = sql_community(server)
    org = sql_org(server)
    member = join(server, cid, sql_user(server, org))
    owner = join(server, cid, sql_user(server, sql_org(server)), "owner")
    adv = expect(server.post("advisories", token=staff["token"], json=advisory_body(
        targets={"community_ids": [cid]})), 201)
    q = expect(server.get("assessment", token=member["token"]), 200)
    good = [{"question_id": qq["id"], "option_id": qq["options"][0]["id"]}
            for p in q["principles"] for qq in p["questions"]]
    return {"staff": staff["token"], "member": member["token"], "owner": owner["token"],
            "cid": cid, "org": org, "adv": adv["id"], "answers": good}


STATE_SQL = ("SELECT (SELECT count(*) FROM advisories), (SELECT count(*) FROM posts),"
             " (SELECT count(*) FROM advisory_acks), (SELECT count(*) FROM articles),"
             " (SELECT count(*) FROM questionnaires), (SELECT count(*) FROM assessments),"
             " (SELECT string_agg(title || version, ',' ORDER BY id) FROM advisories),"
             " (SELECT string_agg(statistics, ',' ORDER BY id) FROM communities)")

LONG = "x" * 201

# (name, method, path, who, body, field named in errors or None)
CASES = [
    # advisories
    ("adv no title", "POST", "advisories", "staff", advisory_body(title=None), "title"),
    ("adv long title", "POST", "advisories", "staff", advisory_body(title=LONG), "title"),
    ("adv title not text", "POST", "advisories", "staff", advisory_body(title=7), "title"),
    ("adv no summary", "POST", "advisories", "staff", advisory_body(summary=""), "summary"),
    ("adv long summary", "POST", "advisories", "staff", advisory_body(summary="s" * 2001),
     "summary"),
    ("adv body too big", "POST", "advisories", "staff", advisory_body(body="b" * 32769),
     "body"),
    ("adv no severity", "POST", "advisories", "staff", advisory_body(severity=None),
     "severity"),
    ("adv bad severity", "POST", "advisories", "staff", advisory_body(severity="urgent"),
     "severity"),
    ("adv red", "POST", "advisories", "staff", advisory_body(tlp="TLP:RED"), "tlp"),
    ("adv amber strict", "POST", "advisories", "staff",
     advisory_body(tlp="TLP:AMBER+STRICT"), "tlp"),
    ("adv white", "POST", "advisories", "staff", advisory_body(tlp="TLP:WHITE"), "tlp"),
    ("adv source lines", "POST", "advisories", "staff", advisory_body(source="a\nb"),
     "source"),
    ("adv source long", "POST", "advisories", "staff", advisory_body(source=LONG), "source"),
    ("adv cves not list", "POST", "advisories", "staff", advisory_body(cves="CVE-2026-1"),
     "cves"),
    ("adv bad cve", "POST", "advisories", "staff", advisory_body(cves=["CVE-26-1"]), "cves"),
    ("adv too many cves", "POST", "advisories", "staff",
     advisory_body(cves=["CVE-2026-%05d" % i for i in range(101)]), "cves"),
    ("adv products not strings", "POST", "advisories", "staff",
     advisory_body(products=[1]), "products"),
    ("adv product long", "POST", "advisories", "staff", advisory_body(products=[LONG]),
     "products"),
    ("adv too many actions", "POST", "advisories", "staff",
     advisory_body(actions=["a%d" % i for i in range(21)]), "actions"),
    ("adv action lines", "POST", "advisories", "staff", advisory_body(actions=["a\nb"]),
     "actions"),
    ("adv no targets", "POST", "advisories", "staff", advisory_body(targets=None), "targets"),
    ("adv empty targets", "POST", "advisories", "staff", advisory_body(targets={}),
     "targets.all"),
    ("adv targets list", "POST", "advisories", "staff", advisory_body(targets=[1]),
     "targets"),
    ("adv targets all text", "POST", "advisories", "staff",
     advisory_body(targets={"all": "yes"}), "targets.all"),
    ("adv targets bad kind", "POST", "advisories", "staff",
     advisory_body(targets={"kinds": ["national"]}), "targets.kinds"),
    ("adv targets bad id", "POST", "advisories", "staff",
     advisory_body(targets={"community_ids": ["nope"]}), "targets.community_ids"),
    ("adv targets unknown field", "POST", "advisories", "staff",
     advisory_body(targets={"all": True, "everyone": True}), "targets.everyone"),
    ("adv unknown field", "POST", "advisories", "staff", advisory_body(urgent=True), "urgent"),
    ("adv patch bad tlp", "PATCH", "advisories/{adv}", "staff", {"tlp": "TLP:RED"}, "tlp"),
    ("adv patch bad targets", "PATCH", "advisories/{adv}", "staff",
     {"targets": {"kinds": []}}, "targets.all"),
    ("adv patch unknown field", "PATCH", "advisories/{adv}", "staff", {"version": 3},
     "version"),
    # acknowledgements
    ("ack no status", "POST", "advisories/{adv}/acks", "member", {"note": "n"}, "status"),
    ("ack bad status", "POST", "advisories/{adv}/acks", "member", {"status": "done"},
     "status"),
    ("ack long note", "POST", "advisories/{adv}/acks", "member",
     {"status": "read", "note": "n" * 2001}, "note"),
    ("ack empty note", "POST", "advisories/{adv}/acks", "member",
     {"status": "read", "note": ""}, "note"),
    ("ack unknown field", "POST", "advisories/{adv}/acks", "member",
     {"status": "read", "organisation_id": str(uuid.uuid4())}, "organisation_id"),
    # articles
    ("art no slug", "POST", "articles", "staff", {"lang": "en"}, "slug"),
    ("art bad slug", "POST", "articles", "staff", {"slug": "Not A Slug"}, "slug"),
    ("art slug dashes", "POST", "articles", "staff", {"slug": "a--b"}, "slug"),
    ("art bad lang", "POST", "articles", "staff", {"slug": "a", "lang": "de"}, "lang"),
    ("art no title", "POST", "articles", "staff", {"slug": "a"}, "title"),
    ("art bad category", "POST", "articles", "staff", {"category": "detect"}, "category"),
    ("art principle 6", "POST", "articles", "staff", {"principles": [6]}, "principles"),
    ("art principle text", "POST", "articles", "staff", {"principles": ["1"]}, "principles"),
    ("art bad status", "POST", "articles", "staff", {"status": "live"}, "status"),
    ("art body too big", "POST", "articles", "staff", {"body": "b" * 65537}, "body"),
    ("art tags", "POST", "articles", "staff", {"tags": ["t" * 41]}, "tags"),
    ("art bad translation", "POST", "articles", "staff", {"translation": "Nope!"},
     "translation"),
    ("art patch slug", "PATCH", "articles/install-updates", "staff", {"slug": "x"}, "slug"),
    ("art patch summary", "PATCH", "articles/install-updates", "staff",
     {"summary": "s" * 1001}, "summary"),
    # the questionnaire
    ("q not five", "POST", "assessment", "staff", {"principles": []}, "principles"),
    ("q unknown field", "POST", "assessment", "staff", {"version": 9}, "version"),
    # answers
    ("ans none", "POST", "organisations/{org}/assessments", "member", {}, "answers"),
    ("ans not list", "POST", "organisations/{org}/assessments", "member",
     {"answers": "all good"}, "answers"),
    ("ans item", "POST", "organisations/{org}/assessments", "member", {"answers": [1]},
     "answers[0]"),
    ("ans bad id", "POST", "organisations/{org}/assessments", "member",
     {"answers": [{"question_id": "Q 1", "option_id": "a"}]}, "answers[0].question_id"),
    ("ans missing option", "POST", "organisations/{org}/assessments", "member",
     {"answers": [{"question_id": "q1"}]}, "answers[0].option_id"),
    ("ans twice", "POST", "organisations/{org}/assessments", "member",
     {"answers": [{"question_id": "q1", "option_id": "a"},
                  {"question_id": "q1", "option_id": "b"}]}, "answers[1].question_id"),
    ("ans bad version", "POST", "organisations/{org}/assessments", "member",
     {"answers": "{answers}", "version": 0}, "version"),
    ("ans bad lang", "POST", "organisations/{org}/assessments", "member",
     {"answers": "{answers}", "lang": "fr"}, "lang"),
    # the statistics consent
    ("community statistics", "POST", "communities", "staff",
     {"name": "S " + tag(), "kind": "sector", "statistics": "public",
      "owner": {"email": "s@example.org", "organisation_id": "{org}"}}, "statistics"),
    ("community statistics patch", "PATCH", "communities/{cid}", "owner",
     {"statistics": True}, "statistics"),
]


def fill(value, w):
    if isinstance(value, str):
        if value == "{answers}":
            return w["answers"]
        for k in ("adv", "org", "cid"):
            value = value.replace("{%s}" % k, w[k])
        return value
    if isinstance(value, dict):
        return {k: fill(v, w) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [fill(v, w) for v in value]
    return value


@pytest.mark.parametrize("name,method,path,who,body,field", CASES, ids=[c[0] for c in CASES])
def test_a_bad_field_is_a_400_naming_it(server, w, name, method, path, who, body, field):
    before = server.sql(STATE_SQL)
    r = server.request(method, fill(path, w), token=w[who], json=fill(body, w))
    problem = assert_problem(r, 400)
    assert field in error_fields(problem), (field, problem)
    assert server.sql(STATE_SQL) == before, "a refused request changed something"


def test_a_bad_questionnaire_names_the_place(server, w):
    q = expect(server.get("assessment", token=w["member"]), 200)
    content = {"principles": [{"principle": p["principle"], "title": p["title"],
                               "questions": p["questions"]} for p in q["principles"]]}
    cases = []
    c = json_copy(content)
    c["principles"][1]["principle"] = 1
    cases.append((c, "principles[1].principle"))
    c = json_copy(content)
    c["principles"][2]["questions"][0]["options"][1]["score"] = 101
    cases.append((c, "principles[2].questions[0].options[1].score"))
    c = json_copy(content)
    c["principles"][0]["questions"][1]["id"] = c["principles"][0]["questions"][0]["id"]
    cases.append((c, "principles[0].questions[1].id"))
    c = json_copy(content)
    c["principles"][3]["questions"][0]["options"] = c["principles"][3]["questions"][0][
        "options"][:1]
    cases.append((c, "principles[3].questions[0].options"))
    c = json_copy(content)
    del c["principles"][4]["title"]["en"]
    cases.append((c, "principles[4].title.en"))
    c = json_copy(content)
    c["principles"][0]["questions"] = []
    cases.append((c, "principles[0].questions"))
    c = json_copy(content)
    c["principles"][0]["questions"][0]["options"][0]["id"] = "A B"
    cases.append((c, "principles[0].questions[0].options[0].id"))
    for body, field in cases:
        before = server.sql(STATE_SQL)
        problem = assert_problem(server.post("assessment", token=w["staff"], json=body), 400)
        assert field in error_fields(problem), (field, problem)
        assert server.sql(STATE_SQL) == before


def json_copy(x):
    import json
    return json.loads(json.dumps(x))


QUERIES = [
    ("articles", "member", {"category": "detect"}),
    ("articles", "member", {"principle": "6"}),
    ("articles", "member", {"principle": "1,2"}),
    ("articles", "member", {"lang": "de"}),
    ("articles", "member", {"q": ""}),
    ("articles", "member", {"q": "x" * 201}),
    ("articles", "member", {"limit": "0"}),
    ("articles", "member", {"cursor": "not-a-cursor"}),
    ("advisories", "member", {"limit": "201"}),
    ("advisories/{adv}/acks", "owner", {"community_id": "nope"}),
    ("communities/{cid}/threat-picture", "member", {"weeks": "0"}),
    ("communities/{cid}/threat-picture", "member", {"weeks": "53"}),
    ("communities/{cid}/threat-picture", "member", {"weeks": "twelve"}),
    ("insights/threat-picture", "staff", {"weeks": "-3"}),
    ("insights/threat-picture", "staff", {"group_by": "organisation"}),
    ("insights/assessments", "staff", {"group_by": "community"}),
    ("organisations/{org}/assessments", "member", {"limit": "x"}),
]


@pytest.mark.parametrize("path,who,params", QUERIES,
                         ids=["%s %s" % (p, sorted(q.items())) for p, _, q in QUERIES])
def test_a_bad_query_parameter_is_a_400(server, w, path, who, params):
    assert_problem(server.get(fill(path, w), token=w[who], params=params), 400)


@pytest.mark.parametrize("method,path,who", [
    ("GET", "advisories/not-a-uuid", "staff"),
    ("PATCH", "advisories/not-a-uuid", "staff"),
    ("POST", "advisories/not-a-uuid/withdraw", "staff"),
    ("POST", "advisories/not-a-uuid/acks", "member"),
    ("GET", "articles/Not_A_Slug", "member"),
    ("DELETE", "articles/-x", "staff"),
    ("GET", "organisations/not-a-uuid/assessments", "member"),
    ("GET", "communities/not-a-uuid/assessment-benchmark", "member"),
    ("GET", "communities/not-a-uuid/threat-picture", "member"),
])
def test_a_bad_id_in_the_path_is_a_404(server, w, method, path, who):
    body = {"status": "read"} if method in ("POST", "PATCH") else None
    assert_problem(server.request(method, path, token=w[who], json=body), 404)


@pytest.mark.parametrize("path", ["advisories", "advisories/{adv}/acks", "articles",
                                  "assessment", "organisations/{org}/assessments"])
def test_a_body_that_is_not_json_is_refused(server, w, path):
    who = "member" if "acks" in path or "organisations" in path else "staff"
    r = server.request("POST", fill(path, w), token=w[who], data="title=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415)
    r = server.request("POST", fill(path, w), token=w[who], data="{\"title\": ",
                       headers={"Content-Type": "application/json"})
    assert_problem(r, 400)


def test_the_exact_limits_are_accepted(server, w):
    r = server.post("advisories", token=w["staff"], json=advisory_body(
        title="t" * 200, summary="s" * 2000, body="b" * 32768,
        cves=["CVE-2026-%d" % (10000 + i) for i in range(100)], actions=["a%d" % i for i in range(20)],
        products=["p%d" % i for i in range(50)], targets={"community_ids": [w["cid"]]}))
    a = expect(r, 201)
    assert len(a["cves"]) == 100 and a["cves"][0] == "CVE-2026-10000"
    got = expect(server.get("channels/%s/posts" % server.sql(
        "SELECT id FROM channels WHERE community_id = %s AND posting = 'agency'",
        (w["cid"],))[0][0], token=w["member"], params={"limit": 1}), 200)["items"][0]
    assert len(got["indicators"]) == 100
