/*
 * store_communities.c - communities, their members and their audit trail.
 *
 * Every statement starts from the gate of its community
 * (isacd_community_gate, schema/functions/20_access.sql), acts only when
 * its verdict is 'ok', and returns the verdict beside its result, so one
 * round trip both checks and does the work.  Membership changes with rules
 * of more than one step are SQL functions (schema/functions/
 * 40_membership.sql).
 */
#include "store/store.h"

/* $1 staff id, $2 name, $3 kind, $4 description, $5 listed, $6 join
 * policy, $7 roster, $8 retention days, $9 retention by tlp (json), $10
 * require totp, $11 erase content on leave, $12 owner email, $13 owner
 * organisation id, $14 invite token sha256, $15 ip, $16 statistics
 * → verdict ('ok', 'owner_org_unknown': the organisation is unknown or
 *   suspended), community json, invite id, invite expires_at, community
 *   id; 23505 for a name taken */
struct db_stmt store_comm_create = {"comm_create",
    "WITH org AS ("
    " SELECT id FROM organisations WHERE id = $13::uuid AND status = 'active'"
    "), c AS ("
    " INSERT INTO communities (name, kind, description, listed, join_policy,"
    "  roster, retention_days, retention_by_tlp, require_totp,"
    "  erase_content_on_leave, statistics, created_by)"
    " SELECT $2, $3, $4, coalesce($5::boolean, false),"
    "  coalesce($6, 'invite'), coalesce($7, 'moderators'), $8::int,"
    "  $9::jsonb, coalesce($10::boolean, false),"
    "  coalesce($11::boolean, false), coalesce($16, 'none'), $1::uuid"
    " FROM org"
    " RETURNING id, name, kind,"
    "  isacd_community_json(communities, $1::uuid, NULL, NULL, true) AS j"
    "), i AS ("
    " INSERT INTO invites (community_id, email, organisation_id, role,"
    "  token_hash, expires_at, created_by)"
    " SELECT c.id, $12, $13::uuid, 'owner', $14, now() + interval '7 days',"
    "  $1::uuid FROM c"
    " RETURNING id, community_id, email, role, expires_at"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'community.created', c.id, $15::inet,"
    "  jsonb_build_object('name', c.name, 'kind', c.kind) FROM c"
    " UNION ALL"
    " SELECT $1::uuid, 'invite.created', i.community_id, $15::inet,"
    "  jsonb_build_object('invite_id', i.id, 'email', i.email,"
    "   'role', i.role, 'organisation_id', $13::uuid) FROM i"
    ")"
    " SELECT CASE WHEN c.id IS NULL THEN 'owner_org_unknown' ELSE 'ok' END,"
    " c.j::text, i.id, isacd_ts(i.expires_at), c.id"
    " FROM (SELECT 1) one LEFT JOIN c ON true LEFT JOIN i ON true",
    16, 0};

/* $1 user id, $2 kind or NULL, $3 cursor time, $4 cursor id, $5 limit + 1
 * → community json, cursor key: the communities the user may see */
struct db_stmt store_comm_list = {"comm_list",
    "SELECT isacd_community_json(c, $1::uuid, f.role, f.state,"
    " f.staff)::text,"
    " c.created_at::text || '|' || c.id::text"
    " FROM isacd_communities_for($1::uuid) f"
    " JOIN communities c ON c.id = f.community_id"
    " WHERE ($2::text IS NULL OR c.kind = $2)"
    "  AND ($3::timestamptz IS NULL"
    "   OR (c.created_at, c.id) < ($3::timestamptz, $4::uuid))"
    " ORDER BY c.created_at DESC, c.id DESC LIMIT $5::int",
    5, 0};

/* $1 user id, $2 community id → verdict, community json */
struct db_stmt store_comm_get = {"comm_get",
    "SELECT g.verdict,"
    " isacd_community_json(c, $1::uuid, g.role, g.state, g.staff)::text"
    " FROM isacd_community_gate($1::uuid, $2::uuid, 'see') g"
    " LEFT JOIN communities c ON c.id = $2::uuid AND g.verdict = 'ok'",
    2, 0};

/* $1 user id, $2 community id, $3 name, $4 kind, $5 description set,
 * $6 description, $7 listed, $8 join policy, $9 roster, $10 retention set,
 * $11 retention days, $12 retention by tlp set, $13 retention by tlp,
 * $14 require totp, $15 erase content on leave, $16 ip, $17 statistics
 * → verdict (an owner or staff; the statistics consent is the owner's
 *   alone: 'owners_only' for staff who are not), community json; the
 *   change is audited with before and after */
struct db_stmt store_comm_update = {"comm_update",
    "WITH f AS MATERIALIZED ("
    " SELECT CASE WHEN g.verdict = 'ok' AND $17::text IS NOT NULL"
    "   AND isacd_community_verdict(g.state, g.role, false, 'own') <> 'ok'"
    "  THEN 'owners_only' ELSE g.verdict END AS verdict,"
    "  g.role, g.state, g.staff"
    " FROM isacd_community_gate($1::uuid, $2::uuid, 'own_or_staff') g"
    "), old AS ("
    " SELECT c.* FROM communities c, f WHERE c.id = $2::uuid"
    "  AND f.verdict = 'ok'"
    " FOR UPDATE OF c"
    "), upd AS ("
    " UPDATE communities c SET name = coalesce($3, c.name),"
    "  kind = coalesce($4, c.kind),"
    "  description = CASE WHEN $5::boolean THEN $6 ELSE c.description END,"
    "  listed = coalesce($7::boolean, c.listed),"
    "  join_policy = coalesce($8, c.join_policy),"
    "  roster = coalesce($9, c.roster),"
    "  retention_days = CASE WHEN $10::boolean THEN $11::int"
    "   ELSE c.retention_days END,"
    "  retention_by_tlp = CASE WHEN $12::boolean THEN $13::jsonb"
    "   ELSE c.retention_by_tlp END,"
    "  require_totp = coalesce($14::boolean, c.require_totp),"
    "  erase_content_on_leave = coalesce($15::boolean,"
    "   c.erase_content_on_leave),"
    "  statistics = coalesce($17, c.statistics)"
    " FROM old WHERE c.id = old.id"
    " RETURNING c AS rec"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'community.updated', $2::uuid, $16::inet, ch FROM ("
    "  SELECT isacd_changes(to_jsonb(old), to_jsonb(upd.rec)) AS ch"
    "  FROM old, upd) d WHERE ch IS NOT NULL"
    ")"
    " SELECT f.verdict, (SELECT isacd_community_json(upd.rec, $1::uuid,"
    "  f.role, f.state, f.staff)::text FROM upd)"
    " FROM f",
    17, 0};

/* $1 user id, $2 community id, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, member json, cursor key: the members the caller sees on the
 * roster (isacd_roster_shows) */
struct db_stmt store_member_list = {"member_list",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'member')"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_member_json(m)::text AS j,"
    "   m.joined_at::text || '|' || m.user_id::text AS k"
    "  FROM memberships m JOIN communities c ON c.id = m.community_id"
    "  WHERE m.community_id = $2::uuid AND f.verdict = 'ok'"
    "   AND isacd_roster_shows($1::uuid, f.role, c.roster, m.user_id,"
    "    m.role, m.status)"
    "   AND ($3::timestamptz IS NULL"
    "    OR (m.joined_at, m.user_id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY m.joined_at DESC, m.user_id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 actor, $2 community, $3 member, $4 role or NULL, $5 status or NULL,
 * $6 ip → outcome, member json (isacd_member_change) */
struct db_stmt store_member_change = {"member_change",
    "SELECT outcome, member::text FROM isacd_member_change($1::uuid,"
    " $2::uuid, $3::uuid, $4, $5, $6::inet)",
    6, 0};

/* $1 actor, $2 community, $3 member, $4 ip → outcome */
struct db_stmt store_member_remove = {"member_remove",
    "SELECT outcome FROM isacd_member_remove($1::uuid, $2::uuid, $3::uuid,"
    " $4::inet)",
    4, 0};

/* $1 actor, $2 community, $3 organisation, $4 ip
 * → outcome, members removed, invites revoked */
struct db_stmt store_org_offboard = {"org_offboard",
    "SELECT outcome, removed, invites_revoked FROM isacd_org_offboard("
    "$1::uuid, $2::uuid, $3::uuid, $4::inet)",
    4, 0};

/* $1 user id, $2 community id, $3 cursor (unused), $4 cursor id (audit
 * id), $5 limit + 1 → verdict, audit json, cursor key; platform staff who
 * do not moderate the community see no channel or post of it */
struct db_stmt store_comm_audit = {"comm_audit",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid,"
    "  'moderate_or_staff')"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_audit_json(a, isacd_community_verdict(f.state, f.role,"
    "   false, 'moderate') = 'ok')::text AS j, a.id::text AS k"
    "  FROM audit_log a"
    "  WHERE a.community_id = $2::uuid AND $3::text IS NULL"
    "   AND f.verdict = 'ok'"
    "   AND ($4::bigint IS NULL OR a.id < $4::bigint)"
    "  ORDER BY a.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};
