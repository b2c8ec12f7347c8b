"""Paging of every community list: communities, members, invites, join
requests, channels, channel readers and the audit trail.

What users rely on: ?limit= and ?cursor= walk a list newest first, each item
exactly once, with the same order as the whole list; a bad limit or cursor
is a 400, never a silent first page; and a list that grows while it is being
read (new channels, new invites) still yields every item that was there
before, once each, without duplicates."""

import base64
import uuid

import pytest

from conftest import assert_problem
from community_helpers import (add_member, assert_no_server_errors, expect, invite, make_org,
                               new_channel, new_community, platform_account, walk)
from identity_helpers import account, parse_ts

N = 5


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def staff(server):
    return account(server, role="staff")


@pytest.fixture(scope="module")
def world(server, staff):
    """One community with N+ items in every list."""
    org = make_org(server, staff["token"])
    comm, owner = new_community(server, staff["token"], org_id=org["id"], listed=True,
                                join_policy="request")
    cid = comm["id"]
    for i in range(2 * N):      # every other one listed
        server.post("communities", token=staff["token"], json={
            "name": "Paged " + uuid.uuid4().hex[:8], "kind": "thematic", "listed": i % 2 == 0,
            "owner": {"email": "p-%s@example.org" % uuid.uuid4().hex[:8],
                      "organisation_id": org["id"]}}).raise_for_status()
    members = [add_member(server, cid, owner["token"], org["id"]) for _ in range(N)]
    for _ in range(N):
        invite(server, cid, owner["token"], org["id"])
    channels = [new_channel(server, cid, owner["token"],
                            visibility="restricted" if i % 3 == 0 else "community")
                for i in range(N + 3)]
    for m in members:
        expect(server.post("channels/%s/members" % channels[0]["id"], token=owner["token"],
                           json={"user_id": m["id"]}), 201)
    # join requests: two requesters, asking again after each denial
    askers = [platform_account(server) for _ in range(2)]
    for i in range(N + 1):
        who = askers[i % 2]
        jr = expect(server.post("communities/%s/join-requests" % cid, token=who["token"]), 201)
        if i < N - 1:
            expect(server.post("communities/%s/join-requests/%s/deny" % (cid, jr["id"]),
                               token=owner["token"]), 200)
    # an outsider: sees the listed communities only (and the restricted
    # channels stay out of a plain member's list)
    outsider = platform_account(server)
    return {"id": cid, "owner": owner, "org": org, "members": members, "channels": channels,
            "outsider": outsider}


def lists(world):
    """(name, path, token key, SQL giving every id newest first, id key, time key)"""
    cid, ch0 = world["id"], world["channels"][0]["id"]
    return [
        ("communities", "communities", "staff",
         "SELECT c.id::text FROM communities c ORDER BY c.created_at DESC, c.id DESC", "id",
         "created_at"),
        ("communities-outsider", "communities", "outsider",
         "SELECT c.id::text FROM communities c WHERE c.listed"
         " ORDER BY c.created_at DESC, c.id DESC", "id", "created_at"),
        ("channels-member", "communities/%s/channels" % cid, "member",
         "SELECT ch.id::text FROM channels ch WHERE community_id = '%s'"
         " AND (visibility = 'community' OR id IN (SELECT channel_id FROM channel_readers"
         "  WHERE user_id = '%s')) ORDER BY ch.created_at DESC, ch.id DESC"
         % (cid, world["members"][-1]["id"]), "id", "created_at"),
        ("members", "communities/%s/members" % cid, "owner",
         "SELECT m.user_id::text FROM memberships m WHERE community_id = '%s'"
         " ORDER BY m.joined_at DESC, m.user_id DESC" % cid, "user_id", "joined_at"),
        ("invites", "communities/%s/invites" % cid, "owner",
         "SELECT i.id::text FROM invites i WHERE community_id = '%s'"
         " ORDER BY i.created_at DESC, i.id DESC" % cid, "id", "created_at"),
        ("join-requests", "communities/%s/join-requests" % cid, "owner",
         "SELECT j.id::text FROM join_requests j WHERE community_id = '%s'"
         " ORDER BY j.created_at DESC, j.id DESC" % cid, "id", "created_at"),
        ("channels", "communities/%s/channels" % cid, "owner",
         "SELECT ch.id::text FROM channels ch WHERE community_id = '%s'"
         " ORDER BY ch.created_at DESC, ch.id DESC" % cid, "id", "created_at"),
        ("channel-members", "channels/%s/members" % ch0, "owner",
         "SELECT r.user_id::text FROM channel_readers r WHERE channel_id = '%s'"
         " ORDER BY r.added_at DESC, r.user_id DESC" % ch0, "user_id", "added_at"),
        ("audit", "communities/%s/audit" % cid, "owner",
         "SELECT a.id::text FROM audit_log a WHERE community_id = '%s'"
         " ORDER BY a.id DESC" % cid,
         "id", "at"),
    ]


LIST_NAMES = ["communities", "members", "invites", "join-requests", "channels",
              "channel-members", "audit"]
VIEWS = LIST_NAMES + ["communities-outsider", "channels-member"]


def pick(world, staff, name):
    for entry in lists(world):
        if entry[0] == name:
            token = {"staff": staff["token"], "owner": world["owner"]["token"],
                     "outsider": world["outsider"]["token"],
                     "member": world["members"][-1]["token"]}[entry[2]]
            return entry[1], token, entry[3], entry[4], entry[5]
    raise KeyError(name)


@pytest.mark.parametrize("name", VIEWS)
def test_paging_with_limit_two_gives_every_item_once_newest_first(server, world, staff, name):
    path, token, sql, key, tkey = pick(world, staff, name)
    expected = [r[0] for r in server.sql(sql)]
    assert len(expected) >= N, (name, expected)
    items, pages = walk(server, path, token, limit=2)
    got = [i[key] for i in items]
    assert len(got) == len(set(got)), "duplicates in %s" % name
    assert got == expected
    assert pages == (len(expected) + 1) // 2
    times = [parse_ts(i[tkey]) for i in items]
    assert times == sorted(times, reverse=True)
    if name == "audit":
        ids = [int(x) for x in got]
        assert ids == sorted(ids, reverse=True)
    # the same as one big page
    whole = expect(server.get(path + "?limit=200", token=token), 200)
    assert [i[key] for i in whole["items"]] == expected and whole["next_cursor"] is None
    # and limit=1 walks it too
    items1, _ = walk(server, path, token, limit=1)
    assert [i[key] for i in items1] == expected


def test_default_page_is_fifty(server, world):
    path = "communities/%s/audit" % world["id"]
    total = server.sql("SELECT count(*) FROM audit_log WHERE community_id = %s",
                       (world["id"],))[0][0]
    body = expect(server.get(path, token=world["owner"]["token"]), 200)
    assert len(body["items"]) == min(50, total)
    assert (body["next_cursor"] is None) == (total <= 50)


def cursor(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


BAD_QUERIES = ["limit=0", "limit=201", "limit=x", "limit=-1", "limit=1.5", "limit=",
               "cursor=%21%21%21", "cursor=" + cursor("not-a-cursor"),
               "cursor=" + cursor("2026-01-01 00:00:00+00|not-a-uuid"),
               # fixed ids, so that every xdist worker collects the same test ids
               "cursor=" + cursor("|e2a7c5b9-1d4f-4c3a-9b8e-7f0d6a2c1e45"),
               "cursor=" + cursor("drop table|5d8b1f3c-7a2e-4f9d-b6c0-3e4a9d1b7f26"),
               "cursor=" + "A" * 5000, "cursor="]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("name", LIST_NAMES)
def test_bad_limit_or_cursor_is_400(server, world, staff, name, query):
    path, token, _, _, _ = pick(world, staff, name)
    assert_problem(server.get(path + "?" + query, token=token), 400)


@pytest.mark.parametrize("name", LIST_NAMES)
def test_a_cursor_of_the_other_kind_is_400(server, world, staff, name):
    path, token, _, _, _ = pick(world, staff, name)
    if name == "audit":
        other = cursor("2026-01-01 00:00:00.123456+00|" + str(uuid.uuid4()))
    else:
        other = cursor("12345")
    assert_problem(server.get(path + "?cursor=" + other, token=token), 400)


def test_paging_channels_while_channels_are_created(server, world):
    cid, owner = world["id"], world["owner"]
    path = "communities/%s/channels" % cid
    original = [r[0] for r in server.sql(
        "SELECT ch.id::text FROM channels ch WHERE community_id = %s"
        " ORDER BY ch.created_at DESC, ch.id DESC", (cid,))]
    made = []

    def more(_page):
        made.append(new_channel(server, cid, owner["token"])["id"])
        made.append(new_channel(server, cid, owner["token"])["id"])

    items, _ = walk(server, path, owner["token"], limit=2, between=more)
    got = [i["id"] for i in items]
    assert len(got) == len(set(got)), got
    for ch in original:
        assert got.count(ch) == 1, ch
    assert made, "nothing was inserted while paging"
    # what was read is in the list's order
    order = {c: n for n, c in enumerate(original)}
    seen = [order[c] for c in got if c in order]
    assert seen == sorted(seen)


def test_paging_invites_while_invites_are_sent(server, world):
    cid, owner = world["id"], world["owner"]
    path = "communities/%s/invites" % cid
    original = [r[0] for r in server.sql(
        "SELECT i.id::text FROM invites i WHERE community_id = %s"
        " ORDER BY i.created_at DESC, i.id DESC", (cid,))]
    made = []

    def more(_page):
        made.append(invite(server, cid, owner["token"], world["org"]["id"])["id"])

    items, _ = walk(server, path, owner["token"], limit=2, between=more)
    got = [i["id"] for i in items]
    assert len(got) == len(set(got)), got
    assert sorted(c for c in got if c in set(original)) == sorted(original)
    assert len(made) >= len(original) // 2 - 1
