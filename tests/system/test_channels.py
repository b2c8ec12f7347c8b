"""Channels of a community and the explicit readers of restricted ones.

What users rely on: moderators create, change and delete channels; a name is
taken once per community whatever its case; a restricted channel does not
exist (404, absent from every list) for anyone but its explicit readers and
the community's moderators and owners, and making a channel restricted takes
it away from everyone else on their very next request; readers must be
members; posting rights are shown (can_post / can_moderate) as they are;
every change is in the community's audit trail."""

import uuid

import pytest

from conftest import assert_problem
from community_helpers import (add_existing, add_member, assert_no_server_errors, audit, audit_of,
                               channel_ids, expect, new_channel, new_community, platform_account,
                               set_member, uid)
from identity_helpers import account, error_fields


@pytest.fixture(scope="module", autouse=True)
def no_server_errors(server):
    yield
    assert_no_server_errors(server)


@pytest.fixture(scope="module")
def staff(server):
    return account(server, role="staff")


@pytest.fixture(scope="module")
def c(server, staff):
    """One community: owner, moderator, members a and b, a stranger."""
    comm, owner = new_community(server, staff["token"], listed=True)
    cid = comm["id"]
    mod = add_member(server, cid, owner["token"], owner["org_id"], role="moderator")
    a = add_member(server, cid, owner["token"], owner["org_id"])
    b = add_member(server, cid, owner["token"], owner["org_id"])
    stranger = platform_account(server)
    return {"id": cid, "owner": owner, "mod": mod, "a": a, "b": b, "stranger": stranger,
            "staff": staff}


def chans(cid):
    return "communities/%s/channels" % cid


def readers(ch_id):
    return "channels/%s/members" % ch_id


# ---- create, list, get, patch, delete --------------------------------------------

def test_create_list_get(server, c):
    name = "alerts-" + uid()
    body = {"name": name, "description": "what we see", "visibility": "community",
            "posting": "members", "retention_days": 90}
    # retention is the owners' to set (and staff's): a moderator makes a
    # channel without one
    assert_problem(server.post(chans(c["id"]), token=c["mod"]["token"], json=body), 403)
    r = server.post(chans(c["id"]), token=c["owner"]["token"], json=body)
    ch = expect(r, 201)
    assert r.headers["Location"] == "/api/v1/channels/" + ch["id"]
    assert set(ch) == {"id", "community_id", "name", "description", "visibility", "posting",
                       "retention_days", "effective_retention_days",
                       "effective_retention_by_tlp", "legal_hold", "created_at", "updated_at",
                       "can_post", "can_moderate"}
    assert ch["community_id"] == c["id"] and ch["name"] == name
    assert ch["description"] == "what we see" and ch["retention_days"] == 90
    assert ch["visibility"] == "community" and ch["posting"] == "members"
    assert ch["can_post"] is True and ch["can_moderate"] is True

    got = expect(server.get("channels/" + ch["id"], token=c["a"]["token"]), 200)
    assert got["name"] == name and got["can_post"] is True and got["can_moderate"] is False
    listed = expect(server.get(chans(c["id"]), token=c["a"]["token"]), 200)["items"]
    assert ch["id"] in [x["id"] for x in listed]
    mine = [x for x in listed if x["id"] == ch["id"]][0]
    assert mine == got
    created = [e for e in audit_of(server, c["id"], c["owner"]["token"], "channel.created")
               if e["detail"]["channel_id"] == ch["id"]]
    assert len(created) == 1 and created[0]["actor"]["id"] == c["owner"]["id"]
    assert created[0]["detail"]["name"] == name


def test_members_cannot_create_patch_or_delete(server, c):
    r = server.post(chans(c["id"]), token=c["a"]["token"],
                    json={"name": "nope-" + uid(), "visibility": "community", "posting": "members"})
    assert_problem(r, 403)
    ch = new_channel(server, c["id"], c["mod"]["token"])
    assert_problem(server.patch("channels/" + ch["id"], token=c["a"]["token"],
                                json={"name": "hijacked"}), 403)
    assert_problem(server.delete("channels/" + ch["id"], token=c["a"]["token"]), 403)
    assert expect(server.get("channels/" + ch["id"], token=c["a"]["token"]), 200)["name"] \
        == ch["name"]


def test_outsiders_and_staff_see_no_channels(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"])
    for who in (c["stranger"], c["staff"]):
        assert_problem(server.get("channels/" + ch["id"], token=who["token"]), 404)
        assert_problem(server.get(chans(c["id"]), token=who["token"]), 403)
        assert_problem(server.post(chans(c["id"]), token=who["token"],
                                   json={"name": "x-" + uid(), "visibility": "community",
                                         "posting": "members"}), 403)
        assert_problem(server.patch("channels/" + ch["id"], token=who["token"],
                                    json={"name": "x"}), 404)
        assert_problem(server.delete("channels/" + ch["id"], token=who["token"]), 404)
    assert_problem(server.get("channels/" + str(uuid.uuid4()), token=c["a"]["token"]), 404)


def test_moderators_of_another_community_cannot_touch_its_channels(server, c, staff):
    other, other_owner = new_community(server, staff["token"])
    ch = new_channel(server, c["id"], c["mod"]["token"])
    t = other_owner["token"]
    assert_problem(server.get("channels/" + ch["id"], token=t), 404)
    assert_problem(server.patch("channels/" + ch["id"], token=t, json={"name": "mine"}), 404)
    assert_problem(server.delete("channels/" + ch["id"], token=t), 404)
    assert_problem(server.get(readers(ch["id"]), token=t), 404)
    assert_problem(server.post(readers(ch["id"]), token=t, json={"user_id": other_owner["id"]}),
                   404)
    assert expect(server.get("channels/" + ch["id"], token=c["mod"]["token"]), 200)["name"] \
        == ch["name"]


def test_patch_and_its_audit(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"], description="old")
    new_name = "renamed-" + uid()
    # a moderator may rename, not set retention: that is the owners'
    assert_problem(server.patch("channels/" + ch["id"], token=c["mod"]["token"],
                                json={"name": new_name, "retention_days": 30}), 403)
    r = server.patch("channels/" + ch["id"], token=c["owner"]["token"],
                     json={"name": new_name, "posting": "moderators", "retention_days": 30})
    got = expect(r, 200)
    assert got["retention_due"] == {"posts": 0, "comments": 0}
    assert got["name"] == new_name and got["posting"] == "moderators"
    assert got["retention_days"] == 30 and got["description"] == "old"
    # null clears the nullable fields
    got = expect(server.patch("channels/" + ch["id"], token=c["owner"]["token"],
                              json={"description": None, "retention_days": None}), 200)
    assert got["description"] is None and got["retention_days"] is None
    assert got["name"] == new_name
    updates = [e for e in audit_of(server, c["id"], c["owner"]["token"], "channel.updated")
               if e["detail"]["channel_id"] == ch["id"]]
    assert len(updates) == 2
    first = updates[-1]["detail"]          # oldest last
    assert first["before"] == {"name": ch["name"], "posting": "members", "retention_days": None}
    assert first["after"] == {"name": new_name, "posting": "moderators", "retention_days": 30}
    second = updates[0]["detail"]
    assert second["before"] == {"description": "old", "retention_days": 30}
    assert second["after"] == {"description": None, "retention_days": None}
    # a PATCH that changes nothing is not audited
    expect(server.patch("channels/" + ch["id"], token=c["mod"]["token"],
                        json={"name": new_name}), 200)
    assert len([e for e in audit_of(server, c["id"], c["owner"]["token"], "channel.updated")
                if e["detail"]["channel_id"] == ch["id"]]) == 2


def test_delete(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"])
    r = server.delete("channels/" + ch["id"], token=c["mod"]["token"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_problem(server.get("channels/" + ch["id"], token=c["mod"]["token"]), 404)
    assert_problem(server.delete("channels/" + ch["id"], token=c["mod"]["token"]), 404)
    assert ch["id"] not in channel_ids(server, c["id"], c["owner"]["token"])
    deleted = [e for e in audit_of(server, c["id"], c["owner"]["token"], "channel.deleted")
               if e["detail"]["channel_id"] == ch["id"]]
    assert len(deleted) == 1 and deleted[0]["detail"]["name"] == ch["name"]


# ---- names ----------------------------------------------------------------------------

def test_names_are_unique_per_community_regardless_of_case(server, c, staff):
    name = "Incidents-" + uid()
    first = new_channel(server, c["id"], c["mod"]["token"], name=name)
    for clash in (name, name.upper(), name.lower()):
        r = server.post(chans(c["id"]), token=c["mod"]["token"],
                        json={"name": clash, "visibility": "restricted", "posting": "members"})
        assert_problem(r, 409)
    other = new_channel(server, c["id"], c["mod"]["token"])
    assert_problem(server.patch("channels/" + other["id"], token=c["mod"]["token"],
                                json={"name": name.swapcase()}), 409)
    # renaming a channel to its own name in another case is fine
    expect(server.patch("channels/" + first["id"], token=c["mod"]["token"],
                        json={"name": name.upper()}), 200)
    # the same name in another community is fine
    comm2, owner2 = new_community(server, staff["token"], org_id=c["owner"]["org_id"])
    new_channel(server, comm2["id"], owner2["token"], name=name)
    assert server.sql("SELECT count(*) FROM channels WHERE lower(name) = lower(%s)",
                      (name,))[0][0] == 2


# ---- restricted channels ---------------------------------------------------------------

def test_restricted_channels_are_hidden_from_non_readers(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"], visibility="restricted")
    # not yet a reader: does not exist
    for who in (c["a"], c["b"]):
        body = assert_problem(server.get("channels/" + ch["id"], token=who["token"]), 404)
        assert body["detail"] == "no such channel"
        assert ch["id"] not in channel_ids(server, c["id"], who["token"])
    # moderators and owners read every channel
    for who in (c["mod"], c["owner"]):
        got = expect(server.get("channels/" + ch["id"], token=who["token"]), 200)
        assert got["can_moderate"] is True
        assert ch["id"] in channel_ids(server, c["id"], who["token"])
    expect(server.post(readers(ch["id"]), token=c["mod"]["token"],
                       json={"user_id": c["a"]["id"]}), 201)
    got = expect(server.get("channels/" + ch["id"], token=c["a"]["token"]), 200)
    assert got["visibility"] == "restricted" and got["can_moderate"] is False
    assert ch["id"] in channel_ids(server, c["id"], c["a"]["token"])
    assert_problem(server.get("channels/" + ch["id"], token=c["b"]["token"]), 404)
    assert ch["id"] not in channel_ids(server, c["id"], c["b"]["token"])
    # a reader who is not a moderator cannot manage its readers
    assert_problem(server.get(readers(ch["id"]), token=c["a"]["token"]), 403)
    # non-readers cannot even learn it exists
    assert_problem(server.get(readers(ch["id"]), token=c["b"]["token"]), 404)
    assert_problem(server.patch("channels/" + ch["id"], token=c["b"]["token"],
                                json={"name": "x"}), 404)


def test_turning_a_channel_restricted_hides_it_at_once(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"])
    for who in (c["a"], c["b"]):
        expect(server.get("channels/" + ch["id"], token=who["token"]), 200)
        assert ch["id"] in channel_ids(server, c["id"], who["token"])
    expect(server.post(readers(ch["id"]), token=c["mod"]["token"],
                       json={"user_id": c["a"]["id"]}), 201)
    r = server.patch("channels/" + ch["id"], token=c["mod"]["token"],
                     json={"visibility": "restricted"})
    assert expect(r, 200)["visibility"] == "restricted"
    assert_problem(server.get("channels/" + ch["id"], token=c["b"]["token"]), 404)
    assert ch["id"] not in channel_ids(server, c["id"], c["b"]["token"])
    # its explicit reader keeps it
    expect(server.get("channels/" + ch["id"], token=c["a"]["token"]), 200)
    # and back
    expect(server.patch("channels/" + ch["id"], token=c["mod"]["token"],
                        json={"visibility": "community"}), 200)
    expect(server.get("channels/" + ch["id"], token=c["b"]["token"]), 200)


def test_a_suspended_non_reader_gets_404_on_a_restricted_channel(server, c, staff):
    comm, owner = new_community(server, staff["token"])
    cid = comm["id"]
    m = add_member(server, cid, owner["token"], owner["org_id"])
    r_ch = new_channel(server, cid, owner["token"], visibility="restricted")
    open_ch = new_channel(server, cid, owner["token"])
    expect(set_member(server, cid, owner["token"], m["id"], status="suspended"), 200)
    assert_problem(server.get("channels/" + r_ch["id"], token=m["token"]), 404)
    assert_problem(server.get("channels/" + open_ch["id"], token=m["token"]), 403)


# ---- readers ------------------------------------------------------------------------------

def test_readers_add_list_remove(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"], visibility="restricted")
    r = server.post(readers(ch["id"]), token=c["mod"]["token"], json={"user_id": c["b"]["id"]})
    reader = expect(r, 201)
    assert set(reader) == {"user_id", "display_name", "organisation", "added_at"}
    assert reader["user_id"] == c["b"]["id"] and reader["display_name"] == c["b"]["name"]
    assert reader["organisation"]["id"] == c["b"]["org_id"]
    assert_problem(server.post(readers(ch["id"]), token=c["owner"]["token"],
                               json={"user_id": c["b"]["id"]}), 409)
    for outsider in (c["stranger"]["id"], str(uuid.uuid4())):
        r = server.post(readers(ch["id"]), token=c["mod"]["token"], json={"user_id": outsider})
        assert error_fields(assert_problem(r, 422)) == ["user_id"]
    listed = expect(server.get(readers(ch["id"]), token=c["mod"]["token"]), 200)["items"]
    assert [x["user_id"] for x in listed] == [c["b"]["id"]]
    assert listed[0] == reader

    r = server.delete(readers(ch["id"]) + "/" + c["b"]["id"], token=c["mod"]["token"])
    assert r.status_code == 204, r.text
    assert_problem(server.get("channels/" + ch["id"], token=c["b"]["token"]), 404)
    assert_problem(server.delete(readers(ch["id"]) + "/" + c["b"]["id"],
                                 token=c["mod"]["token"]), 404)
    assert_problem(server.delete(readers(ch["id"]) + "/" + c["a"]["id"],
                                 token=c["mod"]["token"]), 404)
    assert expect(server.get(readers(ch["id"]), token=c["mod"]["token"]), 200)["items"] == []

    entries = audit(server, c["id"], c["owner"]["token"])
    added = [e for e in entries if e["action"] == "channel.reader_added"
             and e["detail"]["channel_id"] == ch["id"]]
    removed = [e for e in entries if e["action"] == "channel.reader_removed"
               and e["detail"]["channel_id"] == ch["id"]]
    assert len(added) == 1 and len(removed) == 1
    assert added[0]["subject"]["id"] == c["b"]["id"]
    assert added[0]["actor"]["id"] == c["mod"]["id"]
    assert removed[0]["subject"]["id"] == c["b"]["id"]


def test_readers_of_a_community_channel_need_moderators(server, c):
    ch = new_channel(server, c["id"], c["mod"]["token"])
    assert_problem(server.post(readers(ch["id"]), token=c["a"]["token"],
                               json={"user_id": c["b"]["id"]}), 403)
    assert_problem(server.get(readers(ch["id"]), token=c["a"]["token"]), 403)
    assert_problem(server.delete(readers(ch["id"]) + "/" + c["b"]["id"],
                                 token=c["a"]["token"]), 403)


def test_a_rejoined_member_can_be_a_reader_again(server, c, staff):
    comm, owner = new_community(server, staff["token"])
    m = add_member(server, comm["id"], owner["token"], owner["org_id"])
    ch = new_channel(server, comm["id"], owner["token"], visibility="restricted")
    expect(server.post(readers(ch["id"]), token=owner["token"], json={"user_id": m["id"]}), 201)
    assert server.delete("communities/%s/members/%s" % (comm["id"], m["id"]),
                         token=m["token"]).status_code == 204
    assert_problem(server.post(readers(ch["id"]), token=owner["token"],
                               json={"user_id": m["id"]}), 422)
    add_existing(server, comm["id"], owner["token"], m)
    expect(server.post(readers(ch["id"]), token=owner["token"], json={"user_id": m["id"]}), 201)
    expect(server.get("channels/" + ch["id"], token=m["token"]), 200)


# ---- posting rights -------------------------------------------------------------------------

def test_posting_rights_are_shown(server, c):
    announce = new_channel(server, c["id"], c["mod"]["token"], posting="moderators")
    chat = new_channel(server, c["id"], c["mod"]["token"], posting="members")
    got = expect(server.get("channels/" + announce["id"], token=c["a"]["token"]), 200)
    assert got["can_post"] is False and got["can_moderate"] is False
    got = expect(server.get("channels/" + chat["id"], token=c["a"]["token"]), 200)
    assert got["can_post"] is True and got["can_moderate"] is False
    for who in (c["mod"], c["owner"]):
        for ch in (announce, chat):
            got = expect(server.get("channels/" + ch["id"], token=who["token"]), 200)
            assert got["can_post"] is True and got["can_moderate"] is True
    listed = {x["id"]: x for x in expect(server.get(chans(c["id"]) + "?limit=200",
                                                    token=c["a"]["token"]), 200)["items"]}
    assert listed[announce["id"]]["can_post"] is False
    assert listed[chat["id"]]["can_post"] is True
    # a channel switched to moderators-only posting says so at once
    expect(server.patch("channels/" + chat["id"], token=c["mod"]["token"],
                        json={"posting": "moderators"}), 200)
    assert expect(server.get("channels/" + chat["id"], token=c["a"]["token"]),
                  200)["can_post"] is False
