"""The access matrix: who may do what with communities, members, invites,
join requests and channels, for every role, as one table.

Each line of MATRIX is one request (method, path, recipe) and the exact status
every role gets; each (line, role) is one pytest case.  The roles, the world
they live in and what each may not see are in world.py.  Every response is
also searched, as raw text, for what its caller may not see
(World.hidden_from): the unlisted community B, channels the caller may not
read, people the roster hides.  A refusal never repeats the ids or e-mail
addresses of what the cell made for it; and a community or channel that is
hidden answers 404 exactly as one that does not exist.

Path placeholders:
  {A} {B} {unknown}        the communities; a random id
  {me}                     the caller's own user id
  {member} {reader} ...    the user id of that role's account in the world
  {guest-org}              an organisation with no member in A or B
  {A.general} …            a channel of the world: A. or B. and a kind
                           (general, restricted, announcements)
A trailing * makes a new one for the cell, so that cells that change
something never touch each other's targets:
  {A.general*} …           a new channel like it (in A with the reader role
                           as explicit reader)
  {A.member*} {A.moderator*} {A.owner*} {B.member*}   a new member
  {A.member-org*} {A.moderator-org*} {B.member-org*}  a new organisation with
                           one new member (moderator) there
  {org*}                   a new organisation with no member anywhere
  {A.invite*} {A.moderator-invite*} {B.invite*}       a new pending invite
  {A.request*}             a new pending join request (by a new outsider)
  {A.request} {A.decided-request}   one pending / one denied request, shared
The recipe (RECIPES) gives the body, a check of a successful answer and the
world: "shared" (one world for the module) or a name, for lines whose cells
act on the caller themselves (leave, ask to join, suspend oneself as the
only owner): a world of their own.  What the shared world's cells change
besides their own new targets is read by no other cell: PATCH /communities
sets a description, accepting an invite adds a new account.

test_every_route_of_the_issue_is_in_the_matrix fails for a route from
POST /organisations on that has no line, here or in the posts' matrix
(test_access_matrix_posts.py: posts, comments, sightings, search,
indicators, STIX), so new routes join one of the two tables.

To add a line: one line in MATRIX (and a recipe if none fits).  To add a
role: see world.py, then one more number on every line.
"""

import re
import time
import uuid

import pytest

from conftest import DEFAULT_PASSWORD, ROOT, Server, assert_problem, totp_code
from identity_helpers import wait_for_fresh_totp_step
from world import ROLES, World, build_world, expect, tag

COLUMNS = {"anon": "anonymous", "r/o": "readonly", "out": "outsider", "mem": "member",
           "sus": "suspended", "rdr": "reader", "mod": "moderator", "own": "owner",
           "stf": "staff", "oth": "other", "off": "offboarded"}

MATRIX = """
                                                                        anon r/o out mem sus rdr mod own stf oth off
# organisations
POST   /organisations                                   new-org          401 403 403 403 403 403 201 201 201 403 403
GET    /organisations                                   -                401 200 200 200 200 200 200 200 200 200 200
GET    /organisations/{guest-org}                       -                401 200 200 200 200 200 200 200 200 200 200
PATCH  /organisations/{org*}                            country          401 403 403 403 403 403 403 403 200 403 403
# communities
POST   /communities                                     new-community    401 403 403 403 403 403 403 403 201 403 403
GET    /communities                                     directory        401 200 200 200 200 200 200 200 200 200 200
GET    /communities/{A}                                 community        401 200 200 200 200 200 200 200 200 200 200
GET    /communities/{B}                                 community        401 404 404 404 404 404 404 404 200 200 404
GET    /communities/{unknown}                           -                401 404 404 404 404 404 404 404 404 404 404
PATCH  /communities/{A}                                 describe         401 403 403 403 403 403 403 200 200 403 403
PATCH  /communities/{B}                                 describe         401 403 404 404 404 404 404 404 200 403 404
GET    /communities/{A}/audit                           audit            401 403 403 403 403 403 200 200 200 403 403
GET    /communities/{B}/audit                           audit            401 404 404 404 404 404 404 404 200 403 404
# the roster
GET    /communities/{A}/members                         roster           401 200 403 200 403 200 200 200 403 403 403
GET    /communities/{B}/members                         roster           401 404 404 404 404 404 404 404 403 200 404
PATCH  /communities/{A}/members/{A.member*}             suspend          401 403 403 403 403 403 200 200 403 403 403
PATCH  /communities/{A}/members/{A.member*}             promote          401 403 403 403 403 403 403 200 403 403 403
PATCH  /communities/{A}/members/{A.moderator*}          suspend          401 403 403 403 403 403 403 200 403 403 403
PATCH  /communities/{A}/members/{A.owner*}              suspend          401 403 403 403 403 403 403 200 403 403 403
PATCH  /communities/{A}/members/{me}                    suspend-self     401 403 403 403 403 403 403 409 403 403 403
PATCH  /communities/{B}/members/{B.member*}             suspend          401 403 404 404 404 404 404 404 403 403 404
DELETE /communities/{A}/members/{A.member*}             remove           401 403 403 403 403 403 204 204 403 403 403
DELETE /communities/{A}/members/{A.moderator*}          remove           401 403 403 403 403 403 403 204 403 403 403
DELETE /communities/{A}/members/{me}                    leave            401 403 404 204 204 204 204 409 404 404 404
DELETE /communities/{B}/members/{B.member*}             remove           401 403 404 404 404 404 404 404 403 403 404
DELETE /communities/{B}/members/{me}                    leave            401 403 404 404 404 404 404 404 404 204 404
DELETE /communities/{A}/organisations/{A.member-org*}   offboard         401 403 403 403 403 403 200 200 403 403 403
DELETE /communities/{A}/organisations/{A.moderator-org*} offboard        401 403 403 403 403 403 403 200 403 403 403
DELETE /communities/{A}/organisations/{org*}            -                401 403 403 403 403 403 404 404 403 403 403
DELETE /communities/{B}/organisations/{B.member-org*}   offboard         401 403 404 404 404 404 404 404 403 403 404
# invitations
POST   /communities/{A}/invites                         invite           401 403 403 403 403 403 201 201 403 403 403
POST   /communities/{A}/invites                         invite-moderator 401 403 403 403 403 403 403 201 403 403 403
POST   /communities/{B}/invites                         invite           401 403 404 404 404 404 404 404 403 403 404
GET    /communities/{A}/invites                         invites          401 403 403 403 403 403 200 200 403 403 403
GET    /communities/{B}/invites                         invites          401 404 404 404 404 404 404 404 403 403 404
DELETE /communities/{A}/invites/{A.invite*}             revoke           401 403 403 403 403 403 204 204 403 403 403
DELETE /communities/{A}/invites/{A.moderator-invite*}   revoke           401 403 403 403 403 403 403 204 403 403 403
DELETE /communities/{B}/invites/{B.invite*}             revoke           401 403 404 404 404 404 404 404 403 403 404
POST   /invites/accept                                  accept-own       201 403 201 201 201 201 201 201 201 201 201
POST   /invites/accept                                  accept-other-A   201 403 403 403 403 403 403 403 403 403 403
POST   /invites/accept                                  accept-other-B   201 403 403 403 403 403 403 403 403 403 403
POST   /invites/accept                                  accept-revoked   410 403 410 410 410 410 410 410 410 410 410
POST   /invites/accept                                  accept-unknown   404 403 404 404 404 404 404 404 404 404 404
# join requests
POST   /communities/{A}/join-requests                   ask              401 403 201 409 409 409 409 409 201 201 201
POST   /communities/{B}/join-requests                   ask              401 403 404 404 404 404 404 404 403 409 404
GET    /communities/{A}/join-requests                   requests         401 403 403 403 403 403 200 200 403 403 403
GET    /communities/{B}/join-requests                   -                401 404 404 404 404 404 404 404 403 403 404
GET    /communities/{A}/join-requests/{A.request}       request          401 404 404 404 404 404 200 200 404 404 404
GET    /communities/{B}/join-requests/{unknown}         -                401 404 404 404 404 404 404 404 404 404 404
POST   /communities/{A}/join-requests/{A.request*}/approve  approve      401 403 403 403 403 403 200 200 403 403 403
POST   /communities/{A}/join-requests/{A.decided-request}/approve  -    401 403 403 403 403 403 409 409 403 403 403
POST   /communities/{B}/join-requests/{unknown}/approve -                401 403 404 404 404 404 404 404 403 403 404
POST   /communities/{A}/join-requests/{A.request*}/deny deny             401 403 403 403 403 403 200 200 403 403 403
POST   /communities/{B}/join-requests/{unknown}/deny    -                401 403 404 404 404 404 404 404 403 403 404
# channels
POST   /communities/{A}/channels                        new-channel      401 403 403 403 403 403 201 201 403 403 403
POST   /communities/{B}/channels                        new-channel      401 403 404 404 404 404 404 404 403 403 404
GET    /communities/{A}/channels                        channels         401 200 403 200 403 200 200 200 403 403 403
GET    /communities/{B}/channels                        channels         401 404 404 404 404 404 404 404 403 200 404
GET    /channels/{A.general}                            channel          401 200 404 200 403 200 200 200 404 404 404
GET    /channels/{A.restricted}                         channel          401 404 404 404 404 200 200 200 404 404 404
GET    /channels/{A.announcements}                      channel          401 200 404 200 403 200 200 200 404 404 404
GET    /channels/{B.general}                            channel          401 404 404 404 404 404 404 404 404 200 404
GET    /channels/{B.restricted}                         channel          401 404 404 404 404 404 404 404 404 404 404
GET    /channels/{B.announcements}                      channel          401 404 404 404 404 404 404 404 404 200 404
GET    /channels/{unknown}                              -                401 404 404 404 404 404 404 404 404 404 404
PATCH  /channels/{A.general*}                           describe         401 403 404 403 403 403 200 200 404 404 404
PATCH  /channels/{A.restricted*}                        describe         401 403 404 404 404 403 200 200 404 404 404
PATCH  /channels/{A.announcements*}                     describe         401 403 404 403 403 403 200 200 404 404 404
PATCH  /channels/{B.general*}                           describe         401 403 404 404 404 404 404 404 404 403 404
PATCH  /channels/{B.restricted*}                        describe         401 403 404 404 404 404 404 404 404 404 404
PATCH  /channels/{B.announcements*}                     describe         401 403 404 404 404 404 404 404 404 403 404
DELETE /channels/{A.general*}                           delete-channel   401 403 404 403 403 403 204 204 404 404 404
DELETE /channels/{A.restricted*}                        delete-channel   401 403 404 404 404 403 204 204 404 404 404
DELETE /channels/{A.announcements*}                     delete-channel   401 403 404 403 403 403 204 204 404 404 404
DELETE /channels/{B.general*}                           delete-channel   401 403 404 404 404 404 404 404 404 403 404
DELETE /channels/{B.restricted*}                        delete-channel   401 403 404 404 404 404 404 404 404 404 404
DELETE /channels/{B.announcements*}                     delete-channel   401 403 404 404 404 404 404 404 404 403 404
# explicit readers of channels
GET    /channels/{A.general}/members                    readers          401 403 404 403 403 403 200 200 404 404 404
GET    /channels/{A.restricted}/members                 readers          401 404 404 404 404 403 200 200 404 404 404
GET    /channels/{A.announcements}/members              readers          401 403 404 403 403 403 200 200 404 404 404
GET    /channels/{B.general}/members                    readers          401 404 404 404 404 404 404 404 404 403 404
GET    /channels/{B.restricted}/members                 readers          401 404 404 404 404 404 404 404 404 404 404
GET    /channels/{B.announcements}/members              readers          401 404 404 404 404 404 404 404 404 403 404
POST   /channels/{A.general*}/members                   add-member       401 403 404 403 403 403 201 201 404 404 404
POST   /channels/{A.restricted*}/members                add-member       401 403 404 404 404 403 201 201 404 404 404
POST   /channels/{A.announcements*}/members             add-member       401 403 404 403 403 403 201 201 404 404 404
POST   /channels/{A.restricted}/members                 add-reader-again 401 403 404 404 404 403 409 409 404 404 404
POST   /channels/{A.restricted}/members                 add-outsider     401 403 404 404 404 403 422 422 404 404 404
POST   /channels/{B.general*}/members                   add-member       401 403 404 404 404 404 404 404 404 403 404
POST   /channels/{B.restricted*}/members                add-member       401 403 404 404 404 404 404 404 404 404 404
POST   /channels/{B.announcements*}/members             add-member       401 403 404 404 404 404 404 404 404 403 404
DELETE /channels/{A.general*}/members/{reader}          -                401 403 404 403 403 403 204 204 404 404 404
DELETE /channels/{A.restricted*}/members/{reader}       -                401 403 404 404 404 403 204 204 404 404 404
DELETE /channels/{A.announcements*}/members/{reader}    -                401 403 404 403 403 403 204 204 404 404 404
DELETE /channels/{A.general}/members/{member}           -                401 403 404 403 403 403 404 404 404 404 404
DELETE /channels/{B.general*}/members/{other}           -                401 403 404 404 404 404 404 404 404 403 404
DELETE /channels/{B.restricted*}/members/{other}        -                401 403 404 404 404 404 404 404 404 404 404
DELETE /channels/{B.announcements*}/members/{other}     -                401 403 404 404 404 404 404 404 404 403 404
# the agency: advisories to communities, acknowledged per organisation; its
# moderators see a community's states and notes, staff the counts only
POST   /advisories                                      new-advisory     401 403 403 403 403 403 403 403 201 403 403
GET    /advisories                                      advisories       401 200 200 200 200 200 200 200 200 200 200
GET    /advisories/{adv-A}                              advisory         401 200 404 200 404 200 200 200 200 404 404
GET    /advisories/{adv-B}                              advisory         401 404 404 404 404 404 404 404 200 200 404
GET    /advisories/{unknown}                            -                401 404 404 404 404 404 404 404 404 404 404
PATCH  /advisories/{adv-A*}                             retitle          401 403 403 403 403 403 403 403 200 403 403
POST   /advisories/{adv-A*}/withdraw                    withdraw         401 403 403 403 403 403 403 403 200 403 403
POST   /advisories/{adv-A*}/acks                        ack              401 403 404 201 404 201 201 201 403 404 404
POST   /advisories/{adv-B}/acks                         ack-B            401 403 404 404 404 404 404 404 403 201 404
GET    /advisories/{adv-A}/acks                         ack-counts       401 403 404 403 404 403 403 403 200 404 404
GET    /advisories/{adv-A}/acks                         acks-of-A        401 403 404 403 404 403 200 200 403 404 404
# knowledge articles: public; drafts for staff; written by staff
GET    /articles                                        articles         200 200 200 200 200 200 200 200 200 200 200
GET    /articles/{article}                              article          200 200 200 200 200 200 200 200 200 200 200
GET    /articles/{draft}                                -                404 404 404 404 404 404 404 404 200 404 404
POST   /articles                                        new-article      401 403 403 403 403 403 403 403 201 403 403
PATCH  /articles/{article*}                             retitle-article  401 403 403 403 403 403 403 403 200 403 403
DELETE /articles/{article*}                             -                401 403 403 403 403 403 403 403 204 403 403
# the self-assessment: an organisation's answers are its own users'
GET    /assessment                                      questionnaire    401 200 200 200 200 200 200 200 200 200 200
POST   /assessment                                      republish        401 403 403 403 403 403 403 403 201 403 403
POST   /organisations/{my-org}/assessments              assess           401 403 201 201 201 201 201 201 201 201 201
POST   /organisations/{member-org}/assessments          assess           401 403 403 201 403 403 403 403 403 403 403
GET    /organisations/{member-org}/assessments          own-assessments  401 403 403 200 403 403 403 403 403 403 403
GET    /communities/{A}/assessment-benchmark            benchmark        401 200 403 200 403 200 200 200 403 403 403
GET    /communities/{B}/assessment-benchmark            benchmark        401 404 404 404 404 404 404 404 403 200 404
GET    /insights/assessments                            insights         401 403 403 403 403 403 403 403 200 403 403
# the threat picture: counts of what the caller reads; the agency's, staff's
GET    /communities/{A}/threat-picture                  picture          401 200 403 200 403 200 200 200 403 403 403
GET    /communities/{B}/threat-picture                  picture          401 404 404 404 404 404 404 404 403 200 404
GET    /insights/threat-picture                         agency-picture   401 403 403 403 403 403 403 403 200 403 403
# retention and legal holds: owners and staff govern them (staff of every
# community, channel and post, though they read none of it)
GET    /communities/{A}/retention                       retention        401 403 403 403 403 403 403 200 200 403 403
GET    /communities/{B}/retention                       retention        401 404 404 404 404 404 404 404 200 403 404
GET    /communities/{unknown}/retention                 -                401 404 404 404 404 404 404 404 404 404 404
PATCH  /communities/{A}                                 hold             401 403 403 403 403 403 403 200 200 403 403
PATCH  /communities/{B}                                 hold             401 403 404 404 404 404 404 404 200 403 404
PATCH  /channels/{A.general*}                           hold             401 403 404 403 403 403 403 200 200 404 404
PATCH  /channels/{A.restricted*}                        hold             401 403 404 404 404 403 403 200 200 404 404
PATCH  /channels/{B.general*}                           hold             401 403 404 404 404 404 404 404 200 403 404
PATCH  /channels/{A.general*}                           retention-days   401 403 404 403 403 403 403 200 200 404 404
PATCH  /channels/{B.general*}                           retention-days   401 403 404 404 404 404 404 404 200 403 404
# erasure (each account erases itself, in a world of its own: the last
# owner of a community cannot) and export of one's own data
DELETE /me                                              erase-self       401 403 204 204 204 204 204 409 204 204 204
GET    /me/export                                       export           401 403 200 200 200 200 200 200 200 200 200
DELETE /users/{A.member*}                               erase            401 403 403 403 403 403 403 403 204 403 403
DELETE /users/{unknown}                                 -                401 403 403 403 403 403 403 403 404 403 403
# realtime: anyone signed in may open a socket and ask for a ticket; what a
# socket may subscribe to and receive is test_realtime.py's matrix of events
GET    /realtime                                        upgrade          401 101 101 101 101 101 101 101 101 101 101
POST   /realtime/tickets                                ticket           401 201 201 201 201 201 201 201 201 201 201
"""

LINE_RE = re.compile(r"^(GET|POST|PATCH|DELETE)\s+(/\S*)\s+(\S+)\s+((?:\d{3}\s+)*\d{3})$")


class Row:
    """One line of the matrix: a request, and the status per role."""

    def __init__(self, method, path, recipe, statuses):
        self.method, self.path, self.recipe = method, path, recipe
        self.id = "%s %s %s" % (method, path, recipe) if recipe != "-" else "%s %s" % (method, path)
        self.expect = dict(zip(ROLES, statuses))     # role → status


def parse_matrix(text):
    lines = [l.rstrip() for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    header = tuple(COLUMNS[c] for c in lines[0].split())
    assert header == ROLES, "the header of MATRIX names the columns of world.ROLES in order"
    rows = []
    for line in lines[1:]:
        m = LINE_RE.match(line)
        assert m, "a matrix line is METHOD PATH RECIPE and one status per role: %r" % line
        statuses = [int(s) for s in m.group(4).split()]
        assert len(statuses) == len(ROLES), "one status per role: %r" % line
        rows.append(Row(m.group(1), m.group(2), m.group(3), statuses))
    ids = [r.id for r in rows]
    assert len(set(ids)) == len(ids), "matrix lines are unique"
    return rows


ROWS = parse_matrix(MATRIX)


# ---- one cell ----------------------------------------------------------------

class Cell:
    """One request of one role, with what it made and what went wrong."""

    def __init__(self, server, world, row, role):
        self.server, self.w, self.row, self.role = server, world, row, role
        self.values = {}     # placeholder → its value
        self.objs = {}       # what the placeholders made: "target", "invite", "requester", …
        self.echo = []       # values a refusal must not repeat
        self.allow = set()   # values this cell may see though hidden_from lists them
        self.problems = []
        first = re.search(r"\{(A|B)[.}]", row.path)
        self.community = first.group(1) if first else None

    @property
    def token(self):
        return self.w.token(self.role)

    def value(self, name):
        if name not in self.values:
            assert name in PLACEHOLDERS, "unknown placeholder {%s}" % name
            self.values[name] = PLACEHOLDERS[name](self)
        return self.values[name]

    def resolve(self, path, swap=None):
        def one(m):
            if swap and m.group(1) == swap:
                return str(uuid.uuid4())
            return str(self.value(m.group(1)))
        return "/api/v1" + re.sub(r"\{([^}]+)\}", one, path)

    def made(self, name, obj, *secrets):
        self.objs[name] = obj
        self.echo.extend(s for s in secrets if s)
        return obj

    def request(self, method, path, token="role", scan=True, **kw):
        """A request as the role (or with another token, then unscanned)."""
        r = self.server.request(method, path, self.token if token == "role" else token, **kw)
        if scan and token == "role":
            self.scan(r, "%s %s" % (method, path))
        return r

    def scan(self, r, what):
        # the raw body, decoded once (as UTF-8: r.text would guess an
        # encoding with chardet on every use when no charset is named)
        text = r.content.decode("utf-8", errors="replace")
        for label, value in self.w.hidden_from(self.role).items():
            if value not in self.allow and value in text:
                self.problems.append("LEAK: %s → %d shows %s (%s) to %s: %s"
                                     % (what, r.status_code, label, value, self.role, text[:300]))
        if r.status_code >= 400:
            for value in self.echo:
                if value in text:
                    self.problems.append("ECHO: %s → %d repeats %s: %s"
                                         % (what, r.status_code, value, text[:300]))

    def list_all(self, path, token="role", **params):
        """Every item of a list, page by page (each page scanned)."""
        items, cursor = [], None
        params.setdefault("limit", 200)
        while True:
            q = dict(params, **({"cursor": cursor} if cursor else {}))
            r = self.request("GET", path, token=token, params=q)
            assert r.status_code == 200, r.text
            items += r.json()["items"]
            cursor = r.json()["next_cursor"]
            if not cursor:
                return items

    def first_hidden_object(self):
        """The placeholder of the path's first community or channel when the
        role may not know it exists, else None."""
        m = re.search(r"\{([^}]+)\}", self.row.path)
        if not m:
            return None
        name = m.group(1)
        if name in ("A", "B"):
            return None if World.may_see_community(self.role, name) else name
        ckey, _, kind = name.rstrip("*").partition(".")
        if self.row.path.startswith("/channels/") and kind in World.CHANNEL_KINDS:
            return None if World.may_see_channel(self.role, ckey, kind) else name
        return None


# ---- placeholders ----------------------------------------------------------------

def _fresh_member(ckey, mrole):
    def make(c):
        acct = c.w.fresh_member(ckey, mrole)
        c.made("target", acct, acct["id"], acct["email"])
        return acct["id"]
    return make


def _fresh_member_org(ckey, mrole):
    def make(c):
        org = c.w.fresh_org()
        acct = c.w.fresh_member(ckey, mrole, org_id=org)
        c.made("target", acct, org, acct["id"], acct["email"])
        return org
    return make


def _fresh_invite(ckey, irole):
    def make(c):
        inv = c.w.invite(ckey, role=irole)
        c.made("invite", inv, inv["id"], inv["email"])
        return inv["id"]
    return make


def _fresh_channel(ckey, kind):
    def make(c):
        ch = c.w.fresh_channel(ckey, kind)
        c.made("channel", ch, ch["id"], ch["name"])
        return ch["id"]
    return make


def _fresh_request(c):
    req, acct = c.w.fresh_join_request()
    c.made("requester", acct, req["id"], acct["id"], acct["email"])
    return req["id"]


def _shared_request(c):
    req, acct = c.w.once("pending request", c.w.fresh_join_request)
    c.made("requester", acct, req["id"], acct["id"], acct["email"])
    return req["id"]


def _decided_request(c):
    def make():
        req, acct = c.w.fresh_join_request()
        r = c.server.post("communities/%s/join-requests/%s/deny" % (c.w.A.id, req["id"]),
                          token=c.w.A.owner["token"])
        return expect(r, 200), acct
    req, acct = c.w.once("decided request", make)
    c.made("requester", acct, req["id"], acct["id"], acct["email"])
    return req["id"]


def _new_org(c):
    org = c.w.fresh_org()
    c.made("org", org, org)
    return org


def _advisory(ckey):
    """An advisory of the agency to community A or B, made by staff."""
    def make(c):
        r = c.server.post("advisories", token=c.w.staff_token, json={
            "title": "Advisory %s %s" % (ckey, tag()), "summary": "Summary.",
            "body": "What to do.", "severity": "medium", "tlp": "TLP:GREEN",
            "targets": {"community_ids": [c.w.communities[ckey].id]}})
        return expect(r, 201)["id"]
    return make


def _shared_advisory(ckey):
    return lambda c: c.w.once("advisory " + ckey, lambda: _advisory(ckey)(c))


def _article(status):
    def make(c):
        slug = "matrix-%s-%s" % (status, tag())
        r = c.server.post("articles", token=c.w.staff_token, json={
            "slug": slug, "lang": "en", "title": "Matrix " + slug, "summary": "Summary.",
            "body": "Body.", "category": "recognise", "principles": [2], "status": status})
        expect(r, 201)
        return slug
    return make


def _org_of(role):
    def value(c):
        return c.w.users[role]["org_id"] if role in c.w.users else str(uuid.uuid4())
    return value


PLACEHOLDERS = {
    "A": lambda c: c.w.A.id,
    "B": lambda c: c.w.B.id,
    "unknown": lambda c: str(uuid.uuid4()),
    "me": lambda c: c.w.user_id(c.role) or str(uuid.uuid4()),
    "guest-org": lambda c: c.w.guest_org,
    "org*": _new_org,
    "A.member*": _fresh_member("A", "member"),
    "A.moderator*": _fresh_member("A", "moderator"),
    "A.owner*": _fresh_member("A", "owner"),
    "B.member*": _fresh_member("B", "member"),
    "A.member-org*": _fresh_member_org("A", "member"),
    "A.moderator-org*": _fresh_member_org("A", "moderator"),
    "B.member-org*": _fresh_member_org("B", "member"),
    "A.invite*": _fresh_invite("A", None),
    "A.moderator-invite*": _fresh_invite("A", "moderator"),
    "B.invite*": _fresh_invite("B", None),
    "A.request": _shared_request,
    "A.request*": _fresh_request,
    "A.decided-request": _decided_request,
}
PLACEHOLDERS.update({
    "adv-A": _shared_advisory("A"),
    "adv-B": _shared_advisory("B"),
    "adv-A*": _advisory("A"),
    "article": lambda c: "install-updates",
    "draft": lambda c: c.w.once("draft", lambda: _article("draft")(c)),
    "article*": _article("published"),
    "my-org": lambda c: _org_of(c.role)(c),
    "member-org": _org_of("member"),
})
for _role in ROLES[1:]:
    PLACEHOLDERS[_role] = (lambda r: lambda c: c.w.users[r]["id"])(_role)
for _ckey in ("A", "B"):
    for _kind in World.CHANNEL_KINDS:
        PLACEHOLDERS["%s.%s" % (_ckey, _kind)] = (
            lambda k, n: lambda c: c.w.channel(k, n)["id"])(_ckey, _kind)
        PLACEHOLDERS["%s.%s*" % (_ckey, _kind)] = _fresh_channel(_ckey, _kind)


# ---- recipes: bodies and checks of successful answers ---------------------------

def membership_in(role, ckey):
    """What GET /communities/{id} says of the role's membership."""
    if ckey == "A":
        return {"readonly": {"role": "member", "status": "active"},
                "member": {"role": "member", "status": "active"},
                "reader": {"role": "member", "status": "active"},
                "suspended": {"role": "member", "status": "suspended"},
                "moderator": {"role": "moderator", "status": "active"},
                "owner": {"role": "owner", "status": "active"}}.get(role)
    return {"role": "member", "status": "active"} if role == "other" else None


def check_directory(c, r):
    ids = {i["id"] for i in c.list_all("/api/v1/communities")}
    assert c.w.A.id in ids, "the listed community A is in everyone's directory"
    assert (c.w.B.id in ids) == (c.role in ("other", "staff")), \
        "the unlisted community B is listed to its member and staff only"


def check_community(c, r):
    body = r.json()
    mine = membership_in(c.role, c.community)
    assert body["membership"] == mine
    if c.role == "staff":
        assert isinstance(body["member_count"], int) and body["member_count"] >= 2
    elif mine is None or mine["status"] != "active":
        assert body["member_count"] is None, \
            "outsiders and suspended members do not learn the member count"
    else:
        # the members the caller sees on the roster, never one it hides
        roster = c.list_all("/api/v1/communities/%s/members" % body["id"])
        assert body["member_count"] == len(roster)


def check_roster(c, r):
    ids = {m["user_id"] for m in c.list_all(c.resolve(c.row.path))}
    u = c.w.users
    if c.community == "B":
        want = {u["other"]["id"], c.w.B.owner["id"]}
    elif c.role in ("moderator", "owner"):
        want = {u[x]["id"] for x in ("owner", "moderator", "member", "suspended", "reader",
                                     "readonly")}
    else:
        want = {u[x]["id"] for x in (c.role, "owner", "moderator")}
    assert want <= ids, "missing from the roster: %s" % (want - ids)
    assert u["offboarded"]["id"] not in ids


def check_channels(c, r):
    ids = {ch["id"] for ch in c.list_all(c.resolve(c.row.path))}
    for kind, ch in c.w.communities[c.community].channels.items():
        assert (ch["id"] in ids) == World.may_see_channel(c.role, c.community, kind), kind


def check_channel(c, r):
    ch = r.json()
    moderates = c.community == "A" and c.role in ("moderator", "owner")
    assert ch["can_moderate"] is moderates
    assert ch["can_post"] is (moderates or ch["posting"] == "members")


def check_invites(c, r):
    items = c.list_all(c.resolve(c.row.path))
    assert all("token" not in i for i in items), "an invite list never shows tokens"
    emails = {i["email"] for i in items}
    assert {c.w.users["member"]["email"], c.w.users["moderator"]["email"]} <= emails


def check_requests(c, r):
    pending = c.value("A.request")          # made (once) before the list is read
    ids = {j["id"] for j in c.list_all(c.resolve(c.row.path))}
    assert pending in ids


def check_request(c, r):
    assert r.json()["id"] == c.value("A.request") and r.json()["status"] == "pending"


def check_decided(status):
    def check(c, r):
        assert r.json()["status"] == status
        requester = c.objs["requester"]
        got = expect(c.server.get("communities/" + c.w.A.id, token=requester["token"]), 200)
        assert got["membership"] == ({"role": "member", "status": "active"}
                                     if status == "approved" else None)
    return check


def check_asked(c, r):
    """The requester (and nobody but moderators) reads the request."""
    req = r.json()
    assert req["status"] == "pending" and req["user"]["id"] == c.w.user_id(c.role)
    got = c.request("GET", "/api/v1/communities/%s/join-requests/%s" % (c.w.A.id, req["id"]))
    assert got.status_code == 200 and got.json() == req
    me = expect(c.server.get("me", token=c.token), 200)
    assert {"community_id": c.w.A.id, "role": None, "status": "pending",
            "join_request_id": req["id"]} in me["memberships"]


def check_member_gone(c, r):
    """The removed member reads A as an outsider now."""
    got = expect(c.server.get("communities/" + c.w.A.id, token=c.objs["target"]["token"]), 200)
    assert got["membership"] is None


def check_left(c, r):
    got = c.server.get("communities/" + c.w.communities[c.community].id, token=c.token)
    if c.community == "A":
        assert got.status_code == 200 and got.json()["membership"] is None
    else:
        assert_problem(got, 404)      # unlisted: gone from sight with the membership


def check_offboarded(c, r):
    assert r.json() == {"removed": 1, "invites_revoked": 0}
    check_member_gone(c, r)


def check_channel_gone(c, r):
    owner = c.w.communities[c.community].owner["token"]
    assert_problem(c.server.get(c.resolve(c.row.path), token=owner), 404)


def check_readers(c, r):
    ids = {x["user_id"] for x in c.list_all(c.resolve(c.row.path))}
    if c.row.path == "/channels/{A.restricted}/members":
        assert c.w.users["reader"]["id"] in ids


def accept_body(c, invite_token):
    """Anonymous callers create their account; signed-in ones give only the token."""
    if c.role == "anonymous":
        return {"token": invite_token, "display_name": "New Person %s" % tag(),
                "password": "Grey-Heron-Lantern-417"}
    return {"token": invite_token}


def accept_own(c):
    """An invite made out to the caller's address and organisation: the owner
    invite of a new community (members of A cannot be invited to A again)."""
    if c.role == "anonymous":
        email, org = c.w.fresh_email("anon"), c.w.guest_org
    else:
        email, org = c.w.users[c.role]["email"], c.w.users[c.role]["org_id"]
    r = c.server.post("communities", token=c.w.staff_token, json={
        "name": "Own %s" % tag(), "kind": "thematic",
        "owner": {"email": email, "organisation_id": org}})
    made = expect(r, 201)
    c.made("community", made["community"])
    return accept_body(c, made["owner_invite"]["token"])


def accept_other(ckey):
    def body(c):
        inv = c.w.invite(ckey)
        c.made("invite", inv, inv["id"], inv["email"])
        c.objs["community"] = {"id": c.w.communities[ckey].id}
        if c.role == "anonymous":
            # who holds the token makes the account: a member of B from now on
            c.allow.add(c.w.communities[ckey].id)
        return accept_body(c, inv["token"])
    return body


def accept_revoked(c):
    inv = c.w.invite("A")
    expect(c.server.delete("communities/%s/invites/%s" % (c.w.A.id, inv["id"]),
                           token=c.w.A.owner["token"]), 204)
    c.made("invite", inv, inv["id"], inv["email"])
    return accept_body(c, inv["token"])


def check_accepted(c, r):
    body = r.json()
    assert body["community_id"] == c.objs["community"]["id"]
    assert ("token" in body) == (c.role == "anonymous")


def new_channel_body(c):
    return {"name": "new-%s" % tag(), "visibility": "community", "posting": "members"}


def check_channel_made(c, r):
    assert r.headers["Location"] == "/api/v1/channels/" + r.json()["id"]
    assert r.json()["can_moderate"] is True


def check_advisories(c, r):
    items = c.list_all("/api/v1/advisories")
    for a in items:
        assert (a["targets"] is None) == (c.role != "staff")
    if c.role in ("readonly", "member", "reader", "moderator", "owner"):
        mine = c.value("adv-A")
        ids = [a["id"] for a in c.list_all("/api/v1/advisories")]
        assert mine in ids


def check_advisory(c, r):
    a = r.json()
    if c.role == "staff":
        assert a["target_count"] == 1
    else:
        assert a["targets"] is None and a["target_count"] is None
        assert [x["id"] for x in a["communities"]] == [c.w.communities[c.community or (
            "A" if "adv-A" in c.row.path else "B")].id]


def check_acks_of_a(c, r):
    orgs = {o["organisation"]["id"] for o in r.json()["organisations"]}
    assert c.w.users["member"]["org_id"] in orgs


class Recipe:
    """body(c), check(c, r), params (or params(c)), headers(c) of a line."""

    def __init__(self, body=None, check=None, world="shared", params=None, headers=None):
        self.body, self.check, self.world, self.params = body, check, world, params
        self.headers = headers


def upgrade_headers(c):
    return {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}


def check_ticket(c, r):
    body = r.json()
    assert body["ticket"].startswith("isacd_wst_") and body["expires_at"]


def check_retention(c, r):
    """Every channel of the community (restricted ones too: owners and
    staff govern them all), with what the next run deletes there."""
    body = r.json()
    ids = {ch["channel_id"] for ch in body["channels"]}
    assert {ch["id"] for ch in c.w.communities[c.community].channels.values()} <= ids
    assert all(set(ch["due"]) == {"posts", "comments"} for ch in body["channels"])


def retention_params(c):
    if c.role == "staff":
        # the preview names every channel of the community to staff, who
        # read none of their content (the restricted one included)
        for ch in c.w.communities[c.community].channels.values():
            c.allow.update((ch["id"], ch["name"]))
    return None


def hold_body(c):
    if c.role == "staff" and "channel" in c.objs:
        # staff govern the new channel, whose name begins with the name of
        # the world's channel of its kind (which staff may not see)
        c.allow.add(c.w.channel(c.community, "restricted")["name"])
    return {"legal_hold": True, "reason": "held by " + c.role}


def erase_self_body(c):
    return {"password": DEFAULT_PASSWORD}


def check_erased(who):
    def check(c, r):
        acct = c.objs["target"] if who == "target" else c.w.users[c.role]
        assert c.server.get("me", token=acct["token"]).status_code == 401
    return check


RECIPES = {
    "-": Recipe(),
    "retention": Recipe(params=retention_params, check=check_retention),
    "hold": Recipe(body=hold_body, check=lambda c, r: r.json()["legal_hold"] is True),
    "retention-days": Recipe(body=lambda c: {"retention_days": 30},
                             check=lambda c, r: r.json()["effective_retention_days"] == 30
                             and r.json()["retention_due"] == {"posts": 0, "comments": 0}),
    "erase-self": Recipe(body=erase_self_body, world="erase", check=check_erased("self")),
    "export": Recipe(check=lambda c, r: r.json()["account"]["id"] == c.w.user_id(c.role)),
    "erase": Recipe(check=check_erased("target")),
    "upgrade": Recipe(headers=upgrade_headers),
    "ticket": Recipe(check=check_ticket),
    "new-org": Recipe(body=lambda c: {"name": "New Org %s" % tag()},
                      check=lambda c, r: r.json()["status"] == "active"),
    "country": Recipe(body=lambda c: {"country": "nl"},
                      check=lambda c, r: r.json()["country"] == "NL"),
    "new-community": Recipe(
        body=lambda c: {"name": "New Community %s" % tag(), "kind": "thematic",
                        "owner": {"email": c.w.fresh_email("new-owner"),
                                  "organisation_id": c.w.guest_org}},
        check=lambda c, r: r.json()["owner_invite"]["token"].startswith("isacd_inv_")),
    "directory": Recipe(check=check_directory),
    "community": Recipe(check=check_community),
    "describe": Recipe(body=lambda c: {"description": "edited by %s" % c.role},
                       check=lambda c, r: r.json()["description"] == "edited by " + c.role),
    "audit": Recipe(check=lambda c, r: r.json()["items"]),
    "roster": Recipe(check=check_roster),
    "suspend": Recipe(body=lambda c: {"status": "suspended"},
                      check=lambda c, r: r.json()["status"] == "suspended"),
    "promote": Recipe(body=lambda c: {"role": "moderator"},
                      check=lambda c, r: r.json()["role"] == "moderator"),
    "suspend-self": Recipe(body=lambda c: {"status": "suspended"}, world="self"),
    "remove": Recipe(check=check_member_gone),
    "leave": Recipe(world="leave", check=check_left),
    "offboard": Recipe(check=check_offboarded),
    "invite": Recipe(body=lambda c: {"email": c.w.fresh_email("new"),
                                     "organisation_id": c.w.guest_org},
                     check=lambda c, r: r.json()["state"] == "pending"),
    "invite-moderator": Recipe(body=lambda c: {"email": c.w.fresh_email("new"),
                                               "organisation_id": c.w.guest_org,
                                               "role": "moderator"},
                               check=lambda c, r: r.json()["role"] == "moderator"),
    "invites": Recipe(check=check_invites),
    "revoke": Recipe(),
    "accept-own": Recipe(body=accept_own, check=check_accepted),
    "accept-other-A": Recipe(body=accept_other("A"), check=check_accepted),
    "accept-other-B": Recipe(body=accept_other("B"), check=check_accepted),
    "accept-revoked": Recipe(body=accept_revoked),
    "accept-unknown": Recipe(body=lambda c: accept_body(c, "isacd_inv_" + "Q" * 43)),
    "ask": Recipe(body=lambda c: {"message": "we would like to join"}, world="join",
                  check=check_asked),
    "requests": Recipe(check=check_requests),
    "request": Recipe(check=check_request),
    "approve": Recipe(check=check_decided("approved")),
    "deny": Recipe(check=check_decided("denied")),
    "new-channel": Recipe(body=new_channel_body, check=check_channel_made),
    "channels": Recipe(check=check_channels),
    "channel": Recipe(check=check_channel),
    "delete-channel": Recipe(check=check_channel_gone),
    "readers": Recipe(check=check_readers),
    "add-member": Recipe(
        body=lambda c: {"user_id": c.w.users["member" if c.community == "A" else "other"]["id"]},
        check=lambda c, r: r.json()["user_id"] == c.w.users["member"]["id"]),
    "add-reader-again": Recipe(body=lambda c: {"user_id": c.w.users["reader"]["id"]}),
    "add-outsider": Recipe(body=lambda c: {"user_id": c.w.users["outsider"]["id"]}),
    "new-advisory": Recipe(body=lambda c: {
        "title": "New advisory " + tag(), "summary": "S.", "body": "B.", "severity": "low",
        "tlp": "TLP:AMBER", "targets": {"community_ids": [c.w.A.id]}},
        check=lambda c, r: r.json()["target_count"] == 1),
    "advisories": Recipe(check=check_advisories),
    "advisory": Recipe(check=check_advisory),
    "retitle": Recipe(body=lambda c: {"title": "Retitled " + tag()},
                      check=lambda c, r: r.json()["version"] == 2),
    "withdraw": Recipe(check=lambda c, r: r.json()["status"] == "withdrawn"),
    "ack": Recipe(body=lambda c: {"status": "applies", "note": "cell note " + c.role},
                  check=lambda c, r: r.json()["organisation"]["id"]
                  == c.w.users[c.role]["org_id"]),
    "ack-B": Recipe(body=lambda c: {"status": "read"}),
    "ack-counts": Recipe(check=lambda c, r: [x["community"]["id"]
                                              for x in r.json()["communities"]] == [c.w.A.id]),
    "acks-of-A": Recipe(params=lambda c: {"community_id": c.w.A.id}, check=check_acks_of_a),
    "articles": Recipe(check=lambda c, r: "install-updates" in
                       [a["slug"] for a in c.list_all("/api/v1/articles", lang="en")]),
    "article": Recipe(check=lambda c, r: r.json()["principles"] == [3]),
    "new-article": Recipe(body=lambda c: {
        "slug": "new-%s" % tag(), "lang": "nl", "title": "Nieuw", "summary": "S.",
        "body": "B.", "category": "respond"},
        check=lambda c, r: r.json()["status"] == "draft"),
    "retitle-article": Recipe(body=lambda c: {"title": "Retitled"},
                              check=lambda c, r: r.json()["version"] == 2),
    "questionnaire": Recipe(check=lambda c, r: len(r.json()["principles"]) == 5),
    "republish": Recipe(body=lambda c: {"principles": [
        {k: p[k] for k in ("principle", "title", "questions")}
        for p in expect(c.server.get("assessment", token=c.w.staff_token), 200)["principles"]]},
        check=lambda c, r: r.json()["version"] >= 2),
    "assess": Recipe(body=lambda c: {"answers": [
        {"question_id": q["id"], "option_id": q["options"][-1]["id"]}
        for p in expect(c.server.get("assessment", token=c.w.staff_token), 200)["principles"]
        for q in p["questions"]]}, check=lambda c, r: set(r.json()["scores"]) == set("12345")),
    "own-assessments": Recipe(check=lambda c, r: isinstance(r.json()["items"], list)),
    "benchmark": Recipe(check=lambda c, r: r.json() == {
        "suppressed": "fewer than 5 organisations"} or r.json()["organisations"] >= 5),
    "insights": Recipe(check=lambda c, r: r.json()["group_by"] == "sector"),
    "picture": Recipe(check=lambda c, r: r.json()["community_id"] == c.w.communities[
        c.community].id),
    "agency-picture": Recipe(check=lambda c, r: r.json()["group_by"] == "community_kind"),
}


# ---- fixtures and the cases ------------------------------------------------------

@pytest.fixture(scope="module")
def server(pg):
    """The module's isacd.  Accepting invitations is throttled per client
    address like logins, and many cells fail on purpose (unknown and revoked
    tokens): the limit is raised so that the matrix tests access, not the
    throttle."""
    s = Server(pg, ISACD_LOGIN_MAX_IP="100000")
    yield s
    s.stop()
    pg.drop_database(s.db)


@pytest.fixture(scope="module")
def worlds(server):
    """World by name, built on first use: "shared" for most lines."""
    made = {}

    def get(name):
        if name not in made:
            made[name] = build_world(server)
        return made[name]
    return get


CELLS = [pytest.param(row, role, id="%s [%s]" % (row.id, role)) for row in ROWS for role in ROLES]


@pytest.mark.parametrize("row,role", CELLS)
def test_access(server, worlds, row, role):
    recipe = RECIPES[row.recipe]
    run_cell(Cell(server, worlds(recipe.world), row, role), recipe)


def run_cell(c, recipe):
    """One cell: the request, its status, the leak scan, the oracle of hidden
    things and the recipe's check (test_access_matrix_posts.py runs its
    cells here too)."""
    row, role = c.row, c.role
    path = c.resolve(row.path)
    body = recipe.body(c) if recipe.body else None
    params = recipe.params(c) if callable(recipe.params) else recipe.params
    extra = {"headers": recipe.headers(c)} if recipe.headers else {}
    r = c.request(row.method, path, json=body, params=params, **extra)
    want = row.expect[role]
    if r.status_code != want:
        c.problems.insert(0, "STATUS: %s %s as %s: expected %d, got %d: %s"
                          % (row.method, row.path, role, want, r.status_code, r.text[:300]))
    elif r.status_code == 404 and c.first_hidden_object():
        # a hidden community, channel or post: the same answer as one that does not exist
        again = c.request(row.method, c.resolve(row.path, swap=c.first_hidden_object()),
                          json=body, params=params, **extra)
        if (again.status_code, again.json()) != (r.status_code, r.json()):
            c.problems.append("ORACLE: hidden {%s} answers %s, a missing one %s"
                              % (c.first_hidden_object(), r.text, again.text))
    assert not c.problems, "\n".join(c.problems)
    if recipe.check and 200 <= r.status_code < 300:
        assert recipe.check(c, r) is not False, "check of %s failed: %s" % (row.id, r.text[:300])
        assert not c.problems, "\n".join(c.problems)


def test_every_route_of_the_issue_is_in_the_matrix():
    """From POST /organisations on, every route of the table has a line, here
    or in the posts' matrix (test_access_matrix_posts.py)."""
    import test_access_matrix_posts as posts
    with open(ROOT + "/server/src/api/api_routes.c") as f:
        routes = re.findall(r'\{HTTP_(GET|POST|PATCH|DELETE), "(/api/v1/[^"]*)"', f.read())
    routes = routes[routes.index(("POST", "/api/v1/organisations")):]

    def shape(path):
        return re.sub(r"\{[^}]+\}", "{}", path)
    routes = {(m, shape(p)) for m, p in routes}
    lines = {(r.method, shape("/api/v1" + r.path)) for r in ROWS + posts.ROWS}
    assert routes - lines == set(), "routes without a line in MATRIX"
    assert lines - routes == set(), "MATRIX lines that are no route"
    assert set(RECIPES) >= {r.recipe for r in ROWS}
    assert len(CELLS) == len(ROWS) * len(ROLES)


def test_the_leak_scan_finds_what_it_looks_for(server, worlds):
    """The scan is only as good as its matching: the full roster (as a
    moderator reads it) shown to a plain member is reported, the plain
    member's own roster is not."""
    w = worlds("shared")
    row = next(r for r in ROWS if r.path == "/communities/{A}/members")
    seen_by_member, own = Cell(server, w, row, "member"), Cell(server, w, row, "member")
    path = own.resolve(row.path)
    for token, cell in ((w.token("moderator"), seen_by_member), (w.token("member"), own)):
        cursor = None
        while True:     # every page: cells before this one added members
            r = server.get(path, token=token, params={"limit": 200, "cursor": cursor})
            assert r.status_code == 200, r.text
            cell.scan(r, "a roster page")
            cursor = r.json()["next_cursor"]
            if not cursor:
                break
    found = "\n".join(seen_by_member.problems)
    assert "id of suspended" in found and "id of reader" in found, found
    assert own.problems == []


# ---- a community that requires TOTP --------------------------------------------

def test_totp_required_blocks_content_not_the_community(server, worlds):
    """require_totp: a member without TOTP reads the community, but its
    content (roster, channels) answers 403 type "totp-required" until the
    member enables TOTP."""
    w = worlds("shared")
    org = w.fresh_org()
    r = server.post("communities", token=w.staff_token, json={
        "name": "Totp ISAC %s" % tag(), "kind": "sector",
        "owner": {"email": w.fresh_email("totp-owner"), "organisation_id": org}})
    made = expect(r, 201)
    cid = made["community"]["id"]
    owner = w.accept_new(made["owner_invite"]["token"], "Totp Owner")
    ch = expect(server.post("communities/%s/channels" % cid, token=owner["token"],
                            json={"name": "general", "visibility": "community",
                                  "posting": "members"}), 201)
    inv = expect(server.post("communities/%s/invites" % cid, token=owner["token"],
                             json={"email": w.fresh_email("totp-member"), "organisation_id": org}),
                 201)
    member = w.accept_new(inv["token"], "Totp Member")
    got = expect(server.patch("communities/" + cid, token=w.staff_token,
                              json={"require_totp": True}), 200)
    assert got["require_totp"] is True

    got = server.get("communities/" + cid, token=member["token"])
    assert got.status_code == 200, got.text
    assert got.json()["membership"] == {"role": "member", "status": "active"}
    for path in ("communities/%s/members" % cid, "channels/" + ch["id"],
                 "communities/%s/channels" % cid):
        body = assert_problem(server.get(path, token=member["token"]), 403)
        assert body["type"] == "totp-required", (path, body)
        assert "/api/v1/me/totp" in body["detail"], body
        assert ch["name"] not in str(body) and owner["id"] not in str(body)

    # with TOTP enabled the same requests work
    secret = expect(server.post("me/totp", token=member["token"]), 200)["secret"]
    wait_for_fresh_totp_step()
    expect(server.post("me/totp/confirm", token=member["token"],
                       json={"code": totp_code(secret, at=time.time())}), 200)
    members = expect(server.get("communities/%s/members" % cid, token=member["token"]), 200)
    assert {m["user_id"] for m in members["items"]} == {member["id"], owner["id"]}
    assert expect(server.get("channels/" + ch["id"], token=member["token"]), 200)["id"] == ch["id"]
