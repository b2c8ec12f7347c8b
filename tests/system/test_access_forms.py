"""The one access definition, asked in each of its forms, agrees with itself.

"May user U read post P" is isacd_reads_post (schema/functions/
20_access.sql): U reads P's channel, and P's TLP admits U.  Statements ask
it in the form their shape needs:

* row forms: isacd_post_rights(U) (a post's gate), isacd_post_readers(P)
  (the audience of a post's events);
* set form: isacd_may_read(P..., isacd_readable(U), U) (search,
  correlation, the bulk lookup, seen_in);
* a page of one channel: the channel's gate (isacd_channel_gate) and the
  rule per row.

Over every (principal, post) pair of the access-matrix world, the four
answers are equal, and equal the model of the rules in world.py.  The
copies of a post kept in post_indicators (for index-only correlation) equal
the post, after every kind of change that moves them.
"""

import pytest

from world import ROLES, build_posts, build_world, expect


@pytest.fixture(scope="module")
def w(server):
    return build_posts(build_world(server))


FORMS = """
SELECT u.id::text, p.id::text,
  EXISTS (SELECT 1 FROM isacd_post_rights(u.id) r
          WHERE r.post_id = p.id AND r.reads) AS row_form,
  u.id IN (SELECT x.user_id FROM isacd_post_readers(p.id) x) AS audience,
  isacd_may_read(p.channel_id, p.tlp, p.author_id, p.recipients,
                 (SELECT x.readable FROM isacd_readable(u.id) x), u.id) AS set_form,
  isacd_reads_post((SELECT g.verdict FROM isacd_channel_gate(u.id, p.channel_id, 'read') g)
                   = 'ok', p.tlp, p.author_id, p.recipients, u.id) AS page_form
FROM unnest(%s::uuid[]) u (id), unnest(%s::uuid[]) p0 (id)
JOIN posts p ON p.id = p0.id
"""


def test_row_set_audience_and_page_forms_agree_on_every_pair(server, w):
    names = w.accounts()
    by_id = {w.acct(n)["id"]: n for n in names}
    posts = {p.id: p for p in w.posts.values()}
    rows = server.sql(FORMS, (list(by_id), list(posts)))
    assert len(rows) == len(by_id) * len(posts)
    disagree, readable = [], 0
    for uid, pid, row, audience, set_form, page in rows:
        name, p = by_id[uid], posts[pid]
        model = w.may_read(name, p)
        readable += model
        if not (row == audience == set_form == page == model):
            disagree.append((name, p.key, dict(row=row, audience=audience, set=set_form,
                                               page=page, model=model)))
    assert not disagree, disagree
    # the world is not trivial: some pairs read, most do not
    assert 0 < readable < len(rows)


def test_the_forms_agree_with_what_the_api_answers(server, w):
    """GET /posts/{id} answers 200 exactly when the row form says the caller
    reads the post (403 for a suspended member, 404 otherwise)."""
    for role in ROLES:
        for p in w.posts.values():
            r = server.get("posts/%s" % p.id, token=w.token(role))
            assert r.status_code == w.post_status(role, p), (role, p.key, r.status_code)


COPIES_DIFFER = """
SELECT count(*) FROM post_indicators i JOIN posts p ON p.id = i.post_id
WHERE (i.community_id, i.channel_id, i.created_at, i.tlp, i.author_id, i.recipients)
      IS DISTINCT FROM
      (p.community_id, p.channel_id, p.created_at, p.tlp, p.author_id, p.recipients)
"""


def test_indicator_copies_equal_their_post_after_every_change(server, w):
    assert server.sql(COPIES_DIFFER)[0][0] == 0
    assert server.sql("SELECT count(*) FROM post_indicators")[0][0] > 0
    mod, reader = w.users["moderator"], w.users["reader"]
    ch = w.twin("A.general")["id"]
    ind = [{"type": t, "value": v} for t, v in w.indicator.values()]
    p = expect(server.post("channels/%s/posts" % ch, token=mod["token"], json={
        "kind": "indicators", "title": "copies", "body": "b", "tlp": "TLP:GREEN",
        "indicators": ind}), 201)
    steps = [
        {"tlp": "TLP:RED", "recipients": [reader["id"]]},     # raised
        {"recipients": [reader["id"], w.users["owner"]["id"]]},  # recipients changed
        {"tlp": "TLP:AMBER"},                                 # lowered
        {"indicators": ind[:2]},                              # indicators replaced
    ]
    for body in steps:
        expect(server.patch("posts/%s" % p["id"], token=mod["token"], json=body), 200)
        assert server.sql(COPIES_DIFFER)[0][0] == 0, body
    # a share copies the indicators with the copy's own audience
    g = expect(server.post("channels/%s/posts" % ch, token=mod["token"], json={
        "kind": "indicators", "title": "shared copies", "body": "b", "tlp": "TLP:CLEAR",
        "indicators": ind}), 201)
    copy = expect(server.post("posts/%s/share" % g["id"], token=mod["token"],
                              json={"channel_id": w.twin("A.restricted")["id"]}), 201)
    assert server.sql(COPIES_DIFFER)[0][0] == 0
    assert server.sql("SELECT count(*) FROM post_indicators WHERE post_id = %s",
                      (copy["id"],))[0][0] == len(ind)
