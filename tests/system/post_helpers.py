"""Setup helpers shared by the post system tests (posts, events, bad input,
search, indicators, STIX).

build_post_world(server) sets up, through the public API only, two
communities and one account per role, every account in an organisation of
its own (names carry a random tag, so an id or a name found in a response
body is unambiguous):

* community one (roster "moderators"), owned by ``owner``, with channels
    general     visibility community, posting members
    second      visibility community, posting members (a share target)
    mods        visibility community, posting moderators
    restricted  visibility restricted; readers ``author`` and ``reader``
* community two (roster "members"), owned by ``owner2``, channel ``two``;
  ``author`` and ``other`` are members of it, ``member`` is not.
* the member and the reader have each written a first post in general (and
  the reader one in restricted), so that the author may name them as
  TLP:RED recipients there (a recipient is someone the poster can see in
  the channel);
* accounts: owner, moderator, author (the one who writes the posts), member,
  reader (explicit reader of restricted), suspended (a suspended member),
  other (member of community two only), owner2, staff (platform staff, member
  of nothing) and outsider (member of nothing).

Accounts are dicts like community_helpers: {"id", "email", "password",
"token", "org_id", "name"} plus "org_name".
"""

import uuid

from community_helpers import (add_existing, add_member, expect, make_org, new_channel,
                               new_community, platform_account, set_member)

# every key of a post as GET /posts/{id} answers it
POST_KEYS = {"id", "community_id", "channel_id", "kind", "title", "body", "tlp",
             "severity", "tags", "indicators", "anonymous", "author", "recipients",
             "shared_from", "advisory", "created_at", "updated_at", "revision", "can_edit",
             "can_delete"}
REF_KEYS = {"id", "title", "kind", "tlp", "severity", "community", "channel", "created_at"}
TLPS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def tag():
    return uuid.uuid4().hex[:8]


def post_fields(title=None, **over):
    """A valid create body; keyword arguments replace or add members."""
    body = {"kind": "incident", "title": title or "Post " + tag(),
            "body": "Something happened " + tag(), "tlp": "TLP:GREEN"}
    body.update(over)
    return body


def create_post(server, token, channel_id, title=None, status=201, **over):
    """POST /channels/{id}/posts → the post json (or the problem)."""
    r = server.post("channels/%s/posts" % channel_id, token=token,
                    json=post_fields(title, **over))
    return expect(r, status)


def get_post(server, token, post_id, status=200):
    return expect(server.get("posts/%s" % post_id, token=token), status)


def list_ids(server, token, channel_id, query=""):
    """Ids of every post of a channel the caller is shown (all pages)."""
    ids, cursor = [], None
    while True:
        url = "channels/%s/posts?limit=200%s" % (channel_id, query)
        if cursor:
            url += "&cursor=" + cursor
        body = expect(server.get(url, token=token), 200)
        ids += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids


def search_ids(server, token, q, **params):
    params["q"] = q
    params.setdefault("limit", 200)
    body = expect(server.get("search", token=token, params=params), 200)
    return [i["post"]["id"] for i in body["items"]]


def assert_post_shape(p):
    assert set(p) == POST_KEYS, sorted(set(p) ^ POST_KEYS)
    assert isinstance(p["revision"], int)
    assert isinstance(p["can_edit"], bool) and isinstance(p["can_delete"], bool)
    return p


def is_problem(r, status):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json"), r.headers
    return r.json()


class PostWorld:
    def __init__(self):
        self.tag = tag()
        self.users = {}
        self.channels = {}

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)

    def tok(self, role):
        return self.users[role]["token"]

    def ch(self, name):
        return self.channels[name]["id"]


def _named(acct, org_name):
    acct["org_name"] = org_name
    return acct


def build_post_world(server):
    w = PostWorld()
    t = w.tag
    staff = platform_account(server, role="staff", organisation="National Agency %s" % t,
                             name="Sam Staff %s" % t)
    w.users["staff"] = _named(staff, "National Agency %s" % t)
    st = staff["token"]

    def org(label):
        name = "%s Org %s" % (label, t)
        return make_org(server, st, name)["id"], name

    oid, oname = org("Owner")
    c1, owner = new_community(server, st, org_id=oid, owner_name="Owner %s" % t,
                              name="Energy ISAC %s" % t)
    w.c1 = c1["id"]
    w.c1_name = c1["name"]
    w.users["owner"] = _named(owner, oname)

    def member(label, role=None, cid=None, inviter=None):
        o, oname_ = org(label)
        acct = add_member(server, cid or w.c1, inviter or owner["token"], o, role=role,
                          name="%s %s" % (label, t))
        return _named(acct, oname_)

    w.users["moderator"] = member("Moderator", role="moderator")
    w.users["author"] = member("Author")
    w.users["member"] = member("Member")
    w.users["reader"] = member("Reader")
    w.users["suspended"] = member("Suspended")

    for name, vis, posting in (("general", "community", "members"),
                               ("second", "community", "members"),
                               ("mods", "community", "moderators"),
                               ("restricted", "restricted", "members")):
        w.channels[name] = new_channel(server, w.c1, owner["token"], name="%s-%s" % (name, t),
                                       visibility=vis, posting=posting)
    for who in ("author", "reader"):
        expect(server.post("channels/%s/members" % w.ch("restricted"), token=owner["token"],
                           json={"user_id": w.users[who]["id"]}), 201)
    expect(set_member(server, w.c1, owner["token"], w.users["suspended"]["id"],
                      status="suspended"), 200)

    o2, o2name = org("Owner2")
    c2, owner2 = new_community(server, st, org_id=o2, owner_name="Owner2 %s" % t,
                               name="Water ISAC %s" % t, roster="members")
    w.c2 = c2["id"]
    w.c2_name = c2["name"]
    w.users["owner2"] = _named(owner2, o2name)
    w.channels["two"] = new_channel(server, w.c2, owner2["token"], name="two-%s" % t)
    add_existing(server, w.c2, owner2["token"], w.users["author"])
    w.users["other"] = member("Other", cid=w.c2, inviter=owner2["token"])

    out = platform_account(server, organisation="Outsider Org %s" % t, name="Outsider %s" % t)
    w.users["outsider"] = _named(out, "Outsider Org %s" % t)
    # a TLP:RED post names people its author can see in the channel: with
    # roster "moderators", the member and the reader are seen in general as
    # the authors of a first post there (and the reader in restricted)
    for who, ch in (("member", "general"), ("reader", "general"), ("reader", "restricted")):
        create_post(server, w.tok(who), w.ch(ch), "Hello from %s %s" % (who, t))
    return w
