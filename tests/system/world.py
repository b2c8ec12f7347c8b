"""A small world of communities, channels and people, for the access matrix.

build_world(server) sets up, through the public API only (SQL only where the
API has no way: making a platform user with `isacd create-staff`):

* community A: listed, join_policy "request"; community B: unlisted, by
  invitation.  Each has three channels, by kind (World.CHANNEL_KINDS):
  "general" (visibility community, posting members), "restricted"
  (visibility restricted) and "announcements" (visibility community,
  posting moderators).
* one account per role, the columns of the matrix (ROLES):
    anonymous   no token at all
    readonly    a personal API token with scopes ["read"] of an active
                plain member of A
    outsider    signed in, member of nothing
    member      an active plain member of A
    suspended   a plain member of A, suspended
    reader      a plain member of A and explicit reader of A's restricted
                channel
    moderator   a moderator of A
    owner       the owner of A
    staff       platform staff, member of nothing
    other       an active plain member of B only
    offboarded  was a member of A, removed with its organisation
                (DELETE /communities/{A}/organisations/{org})
  B's owner is an account of its own, not a column.  Every account has an
  organisation of its own, so that off-boarding one touches nobody else.

Names carry a random tag, so several worlds live side by side in one
database and a name or id found in a response body is unambiguous.
World.hidden_from(role) lists what a role must never see.

Adding a role: add it to ROLES, make its account in build_world, say what it
may not see in hidden_from, and give every row of the matrix a status for it
(and, for posts, a line in MEMBERS).  The fresh_* helpers make new targets
(members, organisations, invites, channels, join requests, posts, comments)
for cells that change something.

build_posts(world) adds the posts of the posts' matrix
(test_access_matrix_posts.py) and a model of who may read them; see the
posts section at the end of this file.
"""

import hashlib
import ipaddress
import uuid

from conftest import DEFAULT_PASSWORD, create_user, login

ROLES = ("anonymous", "readonly", "outsider", "member", "suspended", "reader",
         "moderator", "owner", "staff", "other", "offboarded")

# roles with a membership of A, and the plain (non-moderator) ones among them
IN_A = ("readonly", "member", "suspended", "reader", "moderator", "owner")
PLAIN_IN_A = ("readonly", "member", "suspended", "reader")
# roles that are not (or no longer) members of A
NOT_IN_A = ("anonymous", "outsider", "staff", "other", "offboarded")


def tag():
    return uuid.uuid4().hex[:8]


def expect(r, status):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    return r.json() if r.content else None


class Community:
    """A community of the world: id, name, and its channels by kind, each
    {"id", "name", "visibility", "posting"}."""

    def __init__(self, key, body, owner):
        self.key = key
        self.id = body["id"]
        self.name = body["name"]
        self.owner = owner
        self.channels = {}


class World:
    CHANNEL_KINDS = {
        "general": {"visibility": "community", "posting": "members"},
        "restricted": {"visibility": "restricted", "posting": "members"},
        "announcements": {"visibility": "community", "posting": "moderators"},
    }

    def __init__(self, server):
        self.server = server
        self.tag = tag()
        self.users = {}          # role → account (not for anonymous)
        self.communities = {}    # "A", "B" → Community
        self._lobby = None
        self._cache = {}
        self.posts = {}          # key → Post (build_posts; empty for the communities matrix)
        self.bridge = None       # build_posts: a plain member of A and of B
        self._hidden = {}        # role → hidden_from(role), once the posts are made

    # ---- what a cell needs -------------------------------------------------

    @property
    def A(self):
        return self.communities["A"]

    @property
    def B(self):
        return self.communities["B"]

    def token(self, role):
        """The bearer token a role calls with (None for anonymous)."""
        return None if role == "anonymous" else self.users[role]["token"]

    def user_id(self, role):
        return None if role == "anonymous" else self.users[role]["id"]

    def channel(self, ckey, kind):
        return self.communities[ckey].channels[kind]

    # ---- what each role may not see ----------------------------------------

    def hidden_from(self, role):
        """{label: text} that must not occur in any response body to `role`:
        * community B (unlisted): to everyone but its member and staff
          (staff see every community's metadata, but no channel content);
        * a restricted channel: to everyone who may not read it (staff
          included); A's other channels: to those not in A (but staff); B's
          other channels: to everyone but B's member and staff;
        * people: everyone in A (ids, e-mails) to those not in A (but
          staff); to A's plain members, the other plain members (roster
          "moderators" shows them only themselves, moderators and owners)
          and any e-mail address but their own; B's people to everyone but
          B's member (who does not see its owner's e-mail) and staff.
        With posts (build_posts), also what _hide_post_content says."""
        if role in self._hidden:
            return self._hidden[role]
        u = self.users
        hide = {}

        def people(roles, emails_only=False):
            for r in roles:
                if not emails_only:
                    hide["id of %s" % r] = u[r]["id"]
                hide["e-mail of %s" % r] = u[r]["email"]

        if role not in ("other", "staff"):
            hide["B.id"] = self.B.id
            hide["B.name"] = self.B.name
        for kind, ch in self.B.channels.items():
            if kind == "restricted" or role not in ("other", "staff"):
                hide["B.%s.id" % kind] = ch["id"]
                hide["B.%s.name" % kind] = ch["name"]
        for kind, ch in self.A.channels.items():
            if kind == "restricted":
                hidden = role not in ("reader", "moderator", "owner")
            else:
                hidden = role in NOT_IN_A and role != "staff"
            if hidden:
                hide["A.%s.id" % kind] = ch["id"]
                hide["A.%s.name" % kind] = ch["name"]
        if role in NOT_IN_A and role != "staff":
            people(IN_A + ("offboarded",))
        if role in PLAIN_IN_A:
            people(PLAIN_IN_A + ("offboarded",))
            people(("moderator", "owner"), emails_only=True)
        if role not in ("other", "staff"):
            people(("other",))
            hide["id of B's owner"] = self.B.owner["id"]
            hide["e-mail of B's owner"] = self.B.owner["email"]
        if role == "other":
            hide["e-mail of B's owner"] = self.B.owner["email"]
        if self.posts:
            hide = self._hide_post_content(role, hide)
        if role != "anonymous":     # nobody is hidden from themselves
            mine = {u[role]["id"], u[role]["email"], u[role]["org_id"], u[role].get("org_name")}
            hide = {k: v for k, v in hide.items() if v not in mine}
        if self.posts:              # the world does not change any more
            self._hidden[role] = hide
        return hide

    @staticmethod
    def may_see_community(role, ckey):
        """Whether the community exists for the role (else: 404, exactly as
        a community that does not exist)."""
        return role != "anonymous" and (ckey == "A" or role in ("other", "staff"))

    @staticmethod
    def may_see_channel(role, ckey, kind):
        """Whether a channel of the world's kind exists for the role (it may
        still refuse: 403 for a suspended member)."""
        if ckey == "B":
            return role == "other" and kind != "restricted"
        if kind == "restricted":
            return role in ("reader", "moderator", "owner")
        return role in IN_A

    # ---- making things: accounts, organisations, invites -------------------

    @property
    def staff_token(self):
        return self.users["staff"]["token"]

    def fresh_org(self, prefix="Org"):
        r = self.server.post("organisations", token=self.staff_token,
                             json={"name": "%s %s-%s" % (prefix, self.tag, tag())})
        return expect(r, 201)["id"]

    def fresh_email(self, prefix="fresh"):
        return "%s-%s-%s@example.org" % (prefix, self.tag, tag())

    def invite(self, ckey, email=None, org_id=None, role=None):
        """An invite into A or B by its owner → invite json with token."""
        c = self.communities[ckey]
        body = {"email": email or self.fresh_email("inv"),
                "organisation_id": org_id or self.guest_org}
        if role:
            body["role"] = role
        r = self.server.post("communities/%s/invites" % c.id, token=c.owner["token"], json=body)
        return expect(r, 201)

    def accept_new(self, invite_token, name):
        """Accept an invite without an account: creates it → account."""
        r = self.server.post("invites/accept", json={
            "token": invite_token, "display_name": name, "password": DEFAULT_PASSWORD})
        body = expect(r, 201)
        user = body["user"]
        return {"id": user["id"], "email": user["email"], "password": DEFAULT_PASSWORD,
                "token": body["token"], "org_id": user["organisation"]["id"],
                "name": user["display_name"]}

    def fresh_member(self, ckey="A", role="member", org_id=None, name=None, label=None):
        """A new account that is an active member of A or B, invited by the
        owner, with its own organisation unless one is given.  role
        "owner": invited as a member, then made an owner."""
        org_id = org_id or self.fresh_org()
        inv = self.invite(ckey, self.fresh_email(label or role), org_id,
                          role="moderator" if role == "moderator" else None)
        acct = self.accept_new(inv["token"], name or "Fresh %s %s" % (role.title(), tag()))
        if role == "owner":
            c = self.communities[ckey]
            r = self.server.patch("communities/%s/members/%s" % (c.id, acct["id"]),
                                  token=c.owner["token"], json={"role": "owner"})
            expect(r, 200)
        return acct

    def fresh_outsider(self):
        """A new signed-in account that is in neither A nor B (it belongs to
        a lobby community of its own, which makes it cheap: one hash)."""
        if self._lobby is None:
            org = self.fresh_org("Lobby")
            r = self.server.post("communities", token=self.staff_token, json={
                "name": "Lobby %s" % self.tag, "kind": "thematic",
                "owner": {"email": self.fresh_email("lobby-owner"), "organisation_id": org}})
            made = expect(r, 201)
            owner = self.accept_new(made["owner_invite"]["token"], "Lobby Owner")
            self._lobby = (made["community"]["id"], owner)
        cid, owner = self._lobby
        r = self.server.post("communities/%s/invites" % cid, token=owner["token"], json={
            "email": self.fresh_email("outsider"), "organisation_id": self.fresh_org()})
        return self.accept_new(expect(r, 201)["token"], "Fresh Outsider %s" % tag())

    def fresh_channel(self, ckey, kind):
        """A new channel of A or B like the world's channel of that kind.  In
        A the reader role is its explicit reader (as of A's restricted
        channel), so cells may also remove that reader."""
        c = self.communities[ckey]
        body = dict(self.CHANNEL_KINDS[kind])
        body["name"] = "%s-%s-%s-%s" % (ckey.lower(), kind, self.tag, tag())
        r = self.server.post("communities/%s/channels" % c.id, token=c.owner["token"], json=body)
        ch = expect(r, 201)
        if ckey == "A":
            r = self.server.post("channels/%s/members" % ch["id"], token=c.owner["token"],
                                 json={"user_id": self.users["reader"]["id"]})
            expect(r, 201)
        return ch

    def fresh_join_request(self):
        """A pending join request to A by a new outsider → (request, account)."""
        acct = self.fresh_outsider()
        r = self.server.post("communities/%s/join-requests" % self.A.id, token=acct["token"],
                             json={"message": "please let us in"})
        return expect(r, 201), acct

    def once(self, key, make):
        """A thing made on first use and shared by the cells that only read it."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    @property
    def guest_org(self):
        return self.once("guest_org", lambda: self.fresh_org("Guest"))

    # ---- posts: the model of issue 8's rules (see build_posts) ------------

    def acct(self, name):
        """The account of a model name: a role, "B-owner" or "bridge"."""
        if name == "B-owner":
            return self.B.owner
        if name == "bridge":
            return self.bridge
        return self.users[name]

    def accounts(self):
        return [r for r in ROLES if r != "anonymous"] + ["B-owner", "bridge"]

    def access(self, name, ckey, kind):
        """What isacd_channel_rights says of a channel: None (hidden),
        "suspended", "read", "post" or "moderate"."""
        role = MEMBERS[ckey].get(name)
        if role is None:
            return None
        if kind == "restricted" and role == "member" \
                and name not in EXPLICIT_READERS.get((ckey, kind), ()):
            return None
        if (ckey, name) in SUSPENDED:
            return "suspended"
        if role in ("moderator", "owner"):
            return "moderate"
        return "post" if World.CHANNEL_KINDS[kind]["posting"] == "members" else "read"

    def admits(self, name, tlp, author, recipients):
        return tlp != "RED" or name == author or name in recipients

    def knows(self, name, p):
        """The post's access for the name (None: the post does not exist for it)."""
        a = self.access(name, p.ckey, p.kind)
        return a if a and self.admits(name, p.tlp, p.author, p.recipients) else None

    def may_read(self, name, p):
        return self.knows(name, p) in ("read", "post", "moderate")

    def post_status(self, role, p):
        """The status of GET /posts/{p} (and of every read of it)."""
        if role == "anonymous":
            return 401
        k = self.knows(role, p)
        return 404 if k is None else 403 if k == "suspended" else 200

    def shows_author(self, name, p, writer):
        """isacd_shows_author: who wrote something on an anonymous post."""
        return (not p.anonymous or writer != p.author or writer == name
                or MEMBERS[p.ckey].get(name) in ("moderator", "owner"))

    def shows_sighting(self, name, p, s):
        """Whether a sighting is listed: on an anonymous post, a reader not
        shown its author sees their own organisation's only (the others
        would narrow the author down)."""
        mine = self.acct(s["by"])["org_id"] == self.acct(name)["org_id"]
        return mine or self.shows_author(name, p, p.author)

    def names_sighting(self, name, p, s):
        """Whether a listed sighting's organisation is named (roster
        "moderators": to moderators and owners, and one's own)."""
        mine = self.acct(s["by"])["org_id"] == self.acct(name)["org_id"]
        return self.shows_sighting(name, p, s) and \
            (MEMBERS[p.ckey].get(name) in ("moderator", "owner") or mine)

    def seen_in(self, name, p, itype, value):
        """How many other posts the name may read carry this indicator."""
        return sum(1 for q in self.posts.values()
                   if q is not p and self.may_read(name, q) and (itype, value) in q.indicators)

    def correlates(self, p, itype, value):
        """The indicators of p that GET /indicators?type&value matches: the
        value, an IPv4 and its IPv4-mapped IPv6 form, CIDRs containing it."""
        forms, ip = {(itype, value)}, None
        if itype == "ipv4":
            forms.add(("ipv6", "::ffff:" + value))
            ip = value
        elif itype == "ipv6" and value.startswith("::ffff:") and "." in value:
            forms.add(("ipv4", value[7:]))
            ip = value[7:]
        out = []
        for t, v in p.indicators:
            if (t, v) in forms or (ip and t == "cidr" and ipaddress.ip_address(ip)
                                   in ipaddress.ip_network(v, strict=False)):
                out.append({"type": t, "value": v})
        return out

    def readable_posts(self, name):
        return [p for p in self.posts.values() if self.may_read(name, p)]

    def post_view(self, name, p):
        """The post json as the name must get it (the fields the model knows)."""
        a = self.acct(p.author)
        return {
            "id": p.id, "community_id": self.communities[p.ckey].id,
            "channel_id": self.channel(p.ckey, p.kind)["id"],
            "title": p.title(self.word), "body": p.body(), "tlp": "TLP:" + p.tlp,
            "anonymous": p.anonymous,
            "author": ({"id": a["id"], "display_name": a["name"],
                        "organisation": {"id": a["org_id"], "name": a["org_name"]}}
                       if self.shows_author(name, p, p.author) else None),
            "recipients": ([self.acct(r)["id"] for r in p.recipients]
                           if p.tlp == "RED" else None),
            "shared_from": (p.shared_from.id if p.shared_from
                            and self.may_read(name, p.shared_from) else None),
            "revision": len(p.revisions),
            "can_edit": name == p.author,
            "can_delete": name == p.author or self.knows(name, p) == "moderate",
            "indicators": [{"type": t, "value": v, "seen_in": self.seen_in(name, p, t, v)}
                           for t, v in p.indicators],
        }

    def _hide_post_content(self, role, hide):
        """What the posts add to hidden_from(role), and the people they show:
        * every token, id, comment and sighting note of a post the role may
          not read (suspended members read none), and of revisions whose own
          TLP does not admit the role;
        * people: the authors the role is shown (anonymity as
          isacd_shows_author), recipients of TLP:RED posts it reads,
          commenters and editors are no longer hidden; "bridge" is hidden
          like a plain member of A;
        * the anonymous author (id, name, organisation) to those not shown;
        * organisations: each account's, unless the role is shown its author
          or a sighting names it;
        * e-mail addresses: nobody's (no post answer carries one)."""
        me = None if role == "anonymous" else role
        named, ids, orgs, shown, everything = set(), set(), set(), set(), {}
        for p in self.posts.values():
            for label, value in p.tokens():
                everything.setdefault(value, label)
            if not me or not self.may_read(me, p):
                continue
            shown |= {p.id, p.title_token, p.body_token}
            if self.shows_author(me, p, p.author):
                named.add(p.author)
            if p.tlp == "RED":
                ids |= set(p.recipients)
            for v in p.revisions:
                if self.admits(me, v["tlp"], p.author, v["recipients"]):
                    shown |= {v["title_token"], v["body_token"]}
                    ids |= set(v["recipients"]) if v["tlp"] == "RED" else set()
                    if self.shows_author(me, p, v["editor"]):
                        named.add(v["editor"])
            for c in p.comments:
                shown |= {c["id"], c["token"]}
                if self.shows_author(me, p, c["author"]):
                    named.add(c["author"])
            for s in p.sightings:
                if self.shows_sighting(me, p, s):
                    shown.add(s["token"])
                if self.names_sighting(me, p, s):
                    orgs.add(s["by"])
            if p.shared_from and self.may_read(me, p.shared_from):
                shown.add(p.shared_from.id)
        if role in PLAIN_IN_A or role in NOT_IN_A and role not in ("staff", "other"):
            hide["id of bridge"] = self.bridge["id"]
        revealed = {self.acct(n)["id"] for n in named | ids}
        hide = {k: v for k, v in hide.items() if v not in revealed}
        for value, label in everything.items():
            if value not in shown:
                hide[label] = value
        for p in self.posts.values():
            if p.anonymous and p.author != me \
                    and MEMBERS[p.ckey].get(me) not in ("moderator", "owner"):
                assert p.author not in named | ids, \
                    "the world names the anonymous author of %s elsewhere" % p.key
                a = self.acct(p.author)
                hide["anonymous author of %s: id" % p.key] = a["id"]
                hide["anonymous author of %s: name" % p.key] = a["name"]
        for n in self.accounts():
            a = self.acct(n)
            if n != me and n not in named and n not in orgs:
                hide["organisation of %s" % n] = a["org_id"]
                hide["organisation name of %s" % n] = a["org_name"]
            if n != me:
                hide["e-mail of %s" % n] = a["email"]
        return hide

    # ---- making posts and comments for cells -------------------------------

    def twin(self, channel):
        """A channel like the world's channel "A.general" (&c.), made once: the
        posts that cells change live there."""
        ckey, kind = channel.split(".")
        return self.once("twin " + channel, lambda: self.fresh_channel(ckey, kind))

    def fresh_post(self, key):
        """A new post like the world's post `key` (author, TLP, recipients,
        anonymity; no indicators, no search word) in the twin of its channel
        → Post, not part of the model."""
        like = self.posts[key]
        p = Post("fresh " + key, like.channel, like.tlp, like.author, like.recipients,
                 anonymous=like.anonymous)
        body = _post_body(self, p, title="Scratch %s %s" % (p.title_token, key))
        r = self.server.post("channels/%s/posts" % self.twin(like.channel)["id"],
                             token=self.acct(like.author)["token"], json=body)
        p.id = expect(r, 201)["id"]
        return p

    def fresh_comment(self, key):
        """A new comment by the commenter of the world's post `key` on it → (id, token)."""
        who = next(a for k, a in COMMENTS if k == key)
        t = token("COMMENT")
        r = self.server.post("posts/%s/comments" % self.posts[key].id,
                             token=self.acct(who)["token"], json={"body": t})
        return expect(r, 201)["id"], t


def _signed_in(server, world, role, platform_role="user"):
    """An account made with `isacd create-staff` (+ SQL for the platform
    role): the way in for people who are in no community."""
    acct = create_user(server, email=world.fresh_email(role), role=platform_role,
                       name="%s %s" % (role.title(), world.tag),
                       organisation="Org %s %s" % (role, world.tag))
    acct["token"] = login(server, acct)
    me = expect(server.get("me", token=acct["token"]), 200)
    acct["org_id"] = me["organisation"]["id"]
    acct["name"] = me["display_name"]
    return acct


def build_world(server):
    """The world of the module docstring, built through the API."""
    w = World(server)
    s = server
    w.users["staff"] = _signed_in(s, w, "staff", platform_role="staff")
    w.users["outsider"] = _signed_in(s, w, "outsider")

    def community(key, **fields):
        owner_email = w.fresh_email("owner-" + key.lower())
        r = s.post("communities", token=w.staff_token, json=dict(fields, **{
            "name": "%s ISAC %s" % ({"A": "Alpha", "B": "Bravo"}[key], w.tag),
            "owner": {"email": owner_email, "organisation_id": w.fresh_org("Owner " + key)}}))
        made = expect(r, 201)
        owner = w.accept_new(made["owner_invite"]["token"], "Owner %s %s" % (key, w.tag))
        c = Community(key, made["community"], owner)
        w.communities[key] = c
        for kind, spec in World.CHANNEL_KINDS.items():
            body = dict(spec, name="%s-%s-%s" % (key.lower(), kind, w.tag))
            c.channels[kind] = expect(s.post("communities/%s/channels" % c.id,
                                             token=owner["token"], json=body), 201)
        return c

    A = community("A", kind="sector", listed=True, join_policy="request")
    B = community("B", kind="regional")
    assert A.channels and B.channels
    w.users["owner"] = A.owner
    for role in ("moderator", "member", "suspended", "reader", "readonly", "offboarded"):
        w.users[role] = w.fresh_member("A", role="moderator" if role == "moderator" else "member",
                                       name="%s %s" % (role.title(), w.tag), label=role)
    w.users["other"] = w.fresh_member("B", name="Other %s" % w.tag, label="other")

    owner = A.owner["token"]
    # readonly: the member's session makes a read-only personal API token
    r = s.post("me/tokens", token=w.users["readonly"]["token"],
               json={"name": "matrix", "scopes": ["read"]})
    w.users["readonly"]["token"] = expect(r, 201)["token"]
    # reader: explicit reader of A's restricted channel
    expect(s.post("channels/%s/members" % A.channels["restricted"]["id"], token=owner,
                  json={"user_id": w.users["reader"]["id"]}), 201)
    # suspended
    r = s.patch("communities/%s/members/%s" % (A.id, w.users["suspended"]["id"]),
                token=owner, json={"status": "suspended"})
    assert expect(r, 200)["status"] == "suspended"
    # offboarded: their organisation leaves A
    r = s.delete("communities/%s/organisations/%s" % (A.id, w.users["offboarded"]["org_id"]),
                 token=owner)
    assert expect(r, 200)["removed"] == 1
    assert set(w.users) == set(ROLES) - {"anonymous"}
    return w


# ---- posts (issue 8): the world of test_access_matrix_posts.py ----------------
#
# build_posts(world) adds, through the API, to a world of build_world:
#
# * "bridge": one more account (not a column), a plain member of both A and B,
#   who shares A/general's GREEN post into B/general ("B.copy");
# * in each of the six channels one post of each TLP, keyed "A.general.RED"
#   and so on (POSTS: author, recipients of TLP:RED, indicators); every
#   TLP:RED post leaves out someone who reads its channel (A's owner, A's
#   moderator, B's member...), and its recipients read the channel;
# * "A.anonymous" (A/general, GREEN, by the member, anonymous) with a comment
#   and an edit by its author.  The member writes nothing else under their
#   name, so their id, name and organisation must appear in no answer to
#   anyone but themselves and A's moderators and owners;
# * "A.lowered": TLP:RED (for the moderator) lowered to TLP:AMBER, so its
#   first revision is TLP:RED and stays with the author and the moderator;
# * comments (COMMENTS), sightings (SIGHTINGS), edits (EDITS);
# * the same indicators in several posts, communities and channels (the
#   IPv4, its IPv4-mapped IPv6 form and a CIDR that contains it; a domain).
#
# Every title has the world's search word, a unique TITLE… token, and every
# body, comment and sighting note a unique token, so that World.hidden_from
# can name what a role must never see.  The model (access, may_read,
# shows_author, seen_in, correlates) is issue 8's rules in Python: the
# expectations of the checks come from it, never from the server.
#
# Cells that change something work on posts "like" one of these (same
# author, TLP, recipients, anonymity; World.fresh_post) in a twin of its
# channel (World.twin): the world's channels keep exactly the posts above,
# so the lists, the search and the correlation can be checked exactly.

TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")

# who belongs to A and B: the accounts of the model (roles, "B-owner", "bridge")
MEMBERS = {
    "A": {"readonly": "member", "member": "member", "suspended": "member",
          "reader": "member", "moderator": "moderator", "owner": "owner",
          "bridge": "member"},
    "B": {"other": "member", "B-owner": "owner", "bridge": "member"},
}
SUSPENDED = {("A", "suspended")}
EXPLICIT_READERS = {("A", "restricted"): {"reader"}}

#  key                           tlp            author       TLP:RED for        indicators
POSTS = (
    ("A.general.CLEAR",          "CLEAR",        "reader",    (),               ("domain",)),
    ("A.general.GREEN",          "GREEN",        "moderator", (),               ("ip",)),
    ("A.general.AMBER",          "AMBER",        "reader",    (),               ("sha256",)),
    ("A.general.AMBER+STRICT",   "AMBER+STRICT", "owner",     (),               ()),
    ("A.general.RED",            "RED",          "moderator", ("reader",),      ("ip",)),
    ("A.restricted.CLEAR",       "CLEAR",        "reader",    (),               ()),
    ("A.restricted.GREEN",       "GREEN",        "moderator", (),               ()),
    ("A.restricted.AMBER",       "AMBER",        "reader",    (),               ("ip",)),
    ("A.restricted.AMBER+STRICT", "AMBER+STRICT", "owner",    (),               ("cidr",)),
    ("A.restricted.RED",         "RED",          "owner",     ("reader",),      ("domain",)),
    ("A.announcements.CLEAR",    "CLEAR",        "owner",     (),               ()),
    ("A.announcements.GREEN",    "GREEN",        "moderator", (),               ()),
    ("A.announcements.AMBER",    "AMBER",        "owner",     (),               ()),
    ("A.announcements.AMBER+STRICT", "AMBER+STRICT", "moderator", (),           ("mapped",)),
    ("A.announcements.RED",      "RED",          "owner",     ("readonly",),    ("ip",)),
    ("B.general.CLEAR",          "CLEAR",        "other",     (),               ("domain",)),
    ("B.general.GREEN",          "GREEN",        "B-owner",   (),               ()),
    ("B.general.AMBER",          "AMBER",        "other",     (),               ("ip",)),
    ("B.general.AMBER+STRICT",   "AMBER+STRICT", "B-owner",   (),               ()),
    ("B.general.RED",            "RED",          "B-owner",   ("B-owner",),     ("ip",)),
    ("B.restricted.CLEAR",       "CLEAR",        "B-owner",   (),               ()),
    ("B.restricted.GREEN",       "GREEN",        "B-owner",   (),               ("domain",)),
    ("B.restricted.AMBER",       "AMBER",        "B-owner",   (),               ("ip",)),
    ("B.restricted.AMBER+STRICT", "AMBER+STRICT", "B-owner",  (),               ()),
    ("B.restricted.RED",         "RED",          "B-owner",   ("B-owner",),     ()),
    ("B.announcements.CLEAR",    "CLEAR",        "B-owner",   (),               ()),
    ("B.announcements.GREEN",    "GREEN",        "B-owner",   (),               ()),
    ("B.announcements.AMBER",    "AMBER",        "B-owner",   (),               ()),
    ("B.announcements.AMBER+STRICT", "AMBER+STRICT", "B-owner", (),             ()),
    ("B.announcements.RED",      "RED",          "B-owner",   ("other",),       ("ip",)),
)
#  key            channel      tlp     author    TLP:RED for      indicators  anonymous
MORE_POSTS = (
    ("A.anonymous", "A.general", "GREEN", "member", (),             ("ip",),    True),
    ("A.lowered",   "A.general", "RED",   "reader", ("moderator",), (),         False),
)
# (post, its author's PATCH): A.lowered goes from TLP:RED to TLP:AMBER
EDITS = (("A.general.AMBER", ("title", "body")), ("A.lowered", ("title", "body", "tlp:AMBER")),
         ("A.anonymous", ("body",)))
# (post, who writes a comment): the first one named for a post is its
# "commenter", who also writes the fresh comments of the cells
COMMENTS = (("A.general.GREEN", "reader"), ("A.general.RED", "reader"),
            ("A.restricted.AMBER", "owner"), ("A.restricted.RED", "reader"),
            ("A.restricted.RED", "owner"), ("A.announcements.RED", "owner"),
            ("B.general.RED", "B-owner"), ("B.announcements.RED", "other"),
            ("A.anonymous", "member"), ("A.anonymous", "reader"))
# (post, whose organisation saw it)
SIGHTINGS = (("A.general.GREEN", "reader"), ("A.general.GREEN", "owner"),
             ("A.general.RED", "reader"), ("A.restricted.AMBER", "moderator"),
             ("A.anonymous", "member"), ("A.anonymous", "reader"),
             ("B.general.AMBER", "B-owner"), ("B.announcements.RED", "other"))
# (copy, original, who shares it, into which channel)
SHARES = (("B.copy", "A.general.GREEN", "bridge", "B.general"),)


def token(prefix):
    """A word that occurs in one place of the world only (upper-case letters
    never occur in ids)."""
    return "%s%s" % (prefix, uuid.uuid4().hex[:12])


class Post:
    """A post of the model: where it is, who wrote it for whom, what it says
    (title and body tokens), its revisions, comments and sightings."""

    def __init__(self, key, channel, tlp, author, recipients=(), indicators=(),
                 anonymous=False):
        self.key = self.named = key       # named: what the title calls it
        self.ckey, self.kind = channel.split(".")
        self.tlp, self.author, self.recipients = tlp, author, tuple(recipients)
        self.indicators = list(indicators)     # [(type, value)]
        self.anonymous = anonymous
        self.id = None
        self.title_token, self.body_token = token("TITLE"), token("BODY")
        self.revisions = []    # [{"tlp", "recipients", "title_token", "body_token", "editor"}]
        self.comments = []     # [{"id", "author", "token"}]
        self.sightings = []    # [{"by", "token"}]
        self.shared_from = None

    @property
    def channel(self):
        return "%s.%s" % (self.ckey, self.kind)

    def title(self, word):
        return "%s %s %s TLP:%s" % (word, self.title_token, self.named, self.tlp)

    def body(self):
        return "%s: what we saw, and what to do about it." % self.body_token

    def tokens(self):
        """(label, value) of everything this post says, for hidden_from."""
        yield "post %s id" % self.key, self.id
        yield "post %s title" % self.key, self.title_token
        yield "post %s body" % self.key, self.body_token
        for n, v in enumerate(self.revisions, 1):
            yield "post %s revision %d title" % (self.key, n), v["title_token"]
            yield "post %s revision %d body" % (self.key, n), v["body_token"]
        for c in self.comments:
            yield "comment of %s on %s" % (c["author"], self.key), c["id"]
            yield "comment of %s on %s (body)" % (c["author"], self.key), c["token"]
        for s in self.sightings:
            yield "sighting note of %s on %s" % (s["by"], self.key), s["token"]


def _post_body(w, p, title=None):
    body = {"kind": "indicators" if p.indicators else "advisory",
            "title": title or p.title(w.word), "body": p.body(), "tlp": "TLP:" + p.tlp,
            "indicators": [{"type": t, "value": v} for t, v in p.indicators]}
    if p.recipients:
        body["recipients"] = [w.acct(r)["id"] for r in p.recipients]
    if p.anonymous:
        body["anonymous"] = True
    return body


def build_posts(w):
    """The posts of the comment above, in a world of build_world."""
    s = w.server
    w.word = "kestrel" + w.tag
    b1, b2 = int(w.tag[:2], 16), int(w.tag[2:4], 16) or 1
    ip = "198.18.%d.%d" % (b1, b2)
    w.indicator = {"ip": ("ipv4", ip), "mapped": ("ipv6", "::ffff:" + ip),
                   "cidr": ("cidr", "198.18.%d.0/24" % b1),
                   "domain": ("domain", "kestrel-%s.example" % w.tag),
                   "sha256": ("sha256", hashlib.sha256(w.tag.encode()).hexdigest())}
    # bridge: a plain member of A, then of B (invited with its address and organisation)
    w.bridge = w.fresh_member("A", name="Bridge %s" % w.tag, label="bridge")
    inv = w.invite("B", email=w.bridge["email"], org_id=w.bridge["org_id"])
    expect(s.post("invites/accept", token=w.bridge["token"], json={"token": inv["token"]}), 201)
    for n in w.accounts():
        a = w.acct(n)
        a["org_name"] = expect(s.get("organisations/" + a["org_id"], token=w.staff_token),
                               200)["name"]
    specs = [(k, k.rsplit(".", 1)[0], tlp, au, rc, ind, False) for k, tlp, au, rc, ind in POSTS]
    for key, channel, tlp, author, recipients, indicators, anonymous in specs + list(MORE_POSTS):
        p = Post(key, channel, tlp, author, recipients,
                 [w.indicator[i] for i in indicators], anonymous)
        r = s.post("channels/%s/posts" % w.channel(p.ckey, p.kind)["id"],
                   token=w.acct(author)["token"], json=_post_body(w, p))
        got = expect(r, 201)
        assert [(i["type"], i["value"]) for i in got["indicators"]] == p.indicators, got
        p.id = got["id"]
        w.posts[key] = p
    for key, changes in EDITS:
        p = w.posts[key]
        before = {"tlp": p.tlp, "recipients": p.recipients, "title_token": p.title_token,
                  "body_token": p.body_token, "editor": p.author}
        body = {}
        for change in changes:
            if change == "title":
                p.title_token = token("TITLE")
                body["title"] = p.title(w.word)
            elif change == "body":
                p.body_token = token("BODY")
                body["body"] = p.body()
            else:
                p.tlp = change.split(":")[1]
                p.recipients = ()
                body["tlp"] = "TLP:" + p.tlp
                body["title"] = p.title(w.word)     # the title names the TLP
        r = s.patch("posts/" + p.id, token=w.acct(p.author)["token"], json=body)
        assert expect(r, 200)["revision"] == 1
        p.revisions.append(before)
    for key, who in COMMENTS:
        p, t = w.posts[key], token("COMMENT")
        r = s.post("posts/%s/comments" % p.id, token=w.acct(who)["token"], json={"body": t})
        p.comments.append({"id": expect(r, 201)["id"], "author": who, "token": t})
    for key, who in SIGHTINGS:
        p, t = w.posts[key], token("NOTE")
        r = s.post("posts/%s/sightings" % p.id, token=w.acct(who)["token"], json={"note": t})
        expect(r, 201)
        p.sightings.append({"by": who, "token": t})
    for key, original, who, channel in SHARES:
        o = w.posts[original]
        r = s.post("posts/%s/share" % o.id, token=w.acct(who)["token"],
                   json={"channel_id": w.channel(*channel.split("."))["id"]})
        got = expect(r, 201)
        p = Post(key, channel, o.tlp, who, indicators=o.indicators)
        p.id, p.shared_from = got["id"], o
        p.title_token, p.body_token, p.named = o.title_token, o.body_token, o.named
        w.posts[key] = p
    return w
