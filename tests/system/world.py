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
may not see in hidden_from, and give every row of the matrix a status for it.
The fresh_* helpers make new targets (members, organisations, invites,
channels, join requests) for cells that change something.
"""

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
          B's member (who does not see its owner's e-mail) and staff."""
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
        if role != "anonymous":     # nobody is hidden from themselves
            mine = {u[role]["id"], u[role]["email"]}
            hide = {k: v for k, v in hide.items() if v not in mine}
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
