/*
 * store_invites.c - invitations and join requests: the two ways into a
 * community.  Only the SHA-256 of an invitation token is stored.
 */
#include "store/store.h"

/* $1 actor, $2 community, $3 email, $4 organisation id, $5 role,
 * $6 token sha256, $7 ip → state, role, staff, outcome, invite json
 * (isacd_invite_create) */
struct db_stmt store_invite_create = {"invite_create",
    "SELECT state, role, staff, outcome, invite::text FROM"
    " isacd_invite_create($1::uuid, $2::uuid, $3, $4::uuid, $5, $6,"
    " $7::inet)",
    7, 0};

/* $1 user id, $2 community id, $3 cursor time, $4 cursor id, $5 limit + 1
 * → state, role, staff, invite json, cursor key (moderators and owners) */
struct db_stmt store_invite_list = {"invite_list",
    "WITH f AS ("
    " SELECT state, role, staff FROM isacd_communities_for($1::uuid)"
    " WHERE community_id = $2::uuid"
    ")"
    " SELECT f.state, f.role, f.staff, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_invite_json(i)::text AS j,"
    "   i.created_at::text || '|' || i.id::text AS k"
    "  FROM invites i WHERE i.community_id = $2::uuid"
    "   AND f.state = 'active' AND f.role IN ('owner', 'moderator')"
    "   AND ($3::timestamptz IS NULL"
    "    OR (i.created_at, i.id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY i.created_at DESC, i.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 actor, $2 community, $3 invite id, $4 ip
 * → state, role, staff, outcome: 'ok', 'not_found', 'gone' (accepted,
 *   revoked or expired), 'owners_only' (a moderator and an invite of a
 *   moderator or owner); NULL when the gate refuses */
struct db_stmt store_invite_revoke = {"invite_revoke",
    "WITH f AS ("
    " SELECT state, role, staff FROM isacd_communities_for($1::uuid)"
    " WHERE community_id = $2::uuid"
    "), i AS ("
    " SELECT * FROM invites WHERE id = $3::uuid AND community_id = $2::uuid"
    " FOR UPDATE"
    "), v AS ("
    " SELECT CASE"
    "  WHEN f.state <> 'active' OR f.role NOT IN ('owner', 'moderator')"
    "   THEN NULL"
    "  WHEN NOT EXISTS (SELECT 1 FROM i) THEN 'not_found'"
    "  WHEN (SELECT role FROM i) <> 'member' AND f.role <> 'owner'"
    "   THEN 'owners_only'"
    "  WHEN (SELECT accepted_at IS NOT NULL OR revoked_at IS NOT NULL"
    "   OR expires_at <= now() FROM i) THEN 'gone'"
    "  ELSE 'ok' END AS outcome FROM f"
    "), r AS ("
    " UPDATE invites SET revoked_at = now(), revoked_by = $1::uuid"
    " WHERE id = $3::uuid AND (SELECT outcome FROM v) = 'ok'"
    " RETURNING id, email, role"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'invite.revoked', $2::uuid, $4::inet,"
    "  jsonb_build_object('invite_id', r.id, 'email', r.email,"
    "   'role', r.role) FROM r"
    ")"
    " SELECT f.state, f.role, f.staff, v.outcome FROM f, v",
    4, 0};

/* $1 token sha256, $2 user id, $3 ip, $4 ip limit, $5 window s
 * → outcome, wait, community id, user json (isacd_invite_accept_existing) */
struct db_stmt store_invite_accept = {"invite_accept",
    "SELECT outcome, wait, community_id, user_json::text"
    " FROM isacd_invite_accept_existing($1, $2::uuid, $3::inet, $4::int,"
    " $5::int)",
    5, 0};

/* $1 token sha256, $2 ip, $3 ip limit, $4 window s
 * → outcome, wait, email (isacd_invite_check) */
struct db_stmt store_invite_check = {"invite_check",
    "SELECT outcome, wait, email FROM isacd_invite_check($1, $2::inet,"
    " $3::int, $4::int)",
    4, 0};

/* $1 token sha256, $2 display name, $3 password hash, $4 session sha256,
 * $5 session lifetime s, $6 ip
 * → outcome, community id, expires_at, user json */
struct db_stmt store_invite_accept_new = {"invite_accept_new",
    "SELECT outcome, community_id, expires_at, user_json::text"
    " FROM isacd_invite_accept_new($1, $2, $3, $4, $5::int, $6::inet)",
    6, 0};

/* $1 user, $2 community, $3 message
 * → state, role, staff, outcome ('ok', 'member', 'closed': not listed or
 *   invitation only), request json; 23505 for a pending request */
struct db_stmt store_join_create = {"join_create",
    "WITH f AS ("
    " SELECT f.state, f.role, f.staff, c.listed, c.join_policy"
    " FROM isacd_communities_for($1::uuid) f"
    " JOIN communities c ON c.id = f.community_id"
    " WHERE f.community_id = $2::uuid"
    "), v AS ("
    " SELECT CASE WHEN f.role IS NOT NULL THEN 'member'"
    "  WHEN NOT f.listed OR f.join_policy <> 'request' THEN 'closed'"
    "  ELSE 'ok' END AS outcome FROM f"
    "), j AS ("
    " INSERT INTO join_requests (community_id, user_id, message)"
    " SELECT $2::uuid, $1::uuid, $3 FROM v WHERE v.outcome = 'ok'"
    " RETURNING isacd_join_request_json(join_requests) AS j"
    ")"
    " SELECT f.state, f.role, f.staff, v.outcome, (SELECT j::text FROM j)"
    " FROM f, v",
    3, 0};

/* $1 user id, $2 community id, $3 status or NULL, $4 cursor time,
 * $5 cursor id, $6 limit + 1
 * → state, role, staff, request json, cursor key (moderators, owners) */
struct db_stmt store_join_list = {"join_list",
    "WITH f AS ("
    " SELECT state, role, staff FROM isacd_communities_for($1::uuid)"
    " WHERE community_id = $2::uuid"
    ")"
    " SELECT f.state, f.role, f.staff, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_join_request_json(j)::text AS j,"
    "   j.created_at::text || '|' || j.id::text AS k"
    "  FROM join_requests j WHERE j.community_id = $2::uuid"
    "   AND f.state = 'active' AND f.role IN ('owner', 'moderator')"
    "   AND ($3::text IS NULL OR j.status = $3)"
    "   AND ($4::timestamptz IS NULL"
    "    OR (j.created_at, j.id) < ($4::timestamptz, $5::uuid))"
    "  ORDER BY j.created_at DESC, j.id DESC LIMIT $6::int"
    " ) x ON true",
    6, 0};

/* $1 user id, $2 community id, $3 request id
 * → state, role, staff, whether the user made it, request json (the
 *   requester and the community's moderators and owners see it) */
struct db_stmt store_join_get = {"join_get",
    "WITH f AS ("
    " SELECT state, role, staff FROM isacd_communities_for($1::uuid)"
    " WHERE community_id = $2::uuid"
    ")"
    " SELECT f.state, f.role, f.staff, j.user_id = $1::uuid,"
    " isacd_join_request_json(j)::text"
    " FROM f LEFT JOIN join_requests j ON j.id = $3::uuid"
    "  AND j.community_id = $2::uuid",
    3, 0};

/* $1 actor, $2 community, $3 request, $4 approve (boolean), $5 ip
 * → outcome, request json (isacd_join_decide) */
struct db_stmt store_join_decide = {"join_decide",
    "SELECT outcome, request::text FROM isacd_join_decide($1::uuid,"
    " $2::uuid, $3::uuid, $4::boolean, $5::inet)",
    5, 0};
