/*
 * store_invites.c - invitations and join requests: the two ways into a
 * community.  Only the SHA-256 of an invitation token is stored.
 */
#include "store/store.h"

/* $1 actor, $2 community, $3 email, $4 organisation id, $5 role,
 * $6 token sha256, $7 ip → verdict, invite json (isacd_invite_create) */
struct db_stmt store_invite_create = {"invite_create",
    "SELECT outcome, invite::text FROM"
    " isacd_invite_create($1::uuid, $2::uuid, $3, $4::uuid, $5, $6,"
    " $7::inet)",
    7, 0};

/* $1 user id, $2 community id, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, invite json, cursor key (moderators and owners) */
struct db_stmt store_invite_list = {"invite_list",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'moderate')"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_invite_json(i)::text AS j,"
    "   i.created_at::text || '|' || i.id::text AS k"
    "  FROM invites i WHERE i.community_id = $2::uuid"
    "   AND f.verdict = 'ok'"
    "   AND ($3::timestamptz IS NULL"
    "    OR (i.created_at, i.id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY i.created_at DESC, i.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 actor, $2 community, $3 invite id, $4 ip
 * → verdict: the gate's, or 'ok', 'invite_not_found', 'invite_closed'
 *   (accepted, revoked or expired), 'revoke_owners_only' (a moderator and
 *   an invite of a moderator or owner) */
struct db_stmt store_invite_revoke = {"invite_revoke",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'moderate')"
    "), i AS ("
    " SELECT * FROM invites WHERE id = $3::uuid AND community_id = $2::uuid"
    " FOR UPDATE"
    "), v AS ("
    " SELECT CASE"
    "  WHEN f.verdict <> 'ok' THEN f.verdict"
    "  WHEN NOT EXISTS (SELECT 1 FROM i) THEN 'invite_not_found'"
    "  WHEN (SELECT role FROM i) <> 'member' AND f.role <> 'owner'"
    "   THEN 'revoke_owners_only'"
    "  WHEN (SELECT accepted_at IS NOT NULL OR revoked_at IS NOT NULL"
    "   OR expires_at <= now() FROM i) THEN 'invite_closed'"
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
    " SELECT v.outcome FROM v",
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
 * → verdict: the gate's, or 'ok', 'is_member', 'join_closed' (not listed
 *   or invitation only), request json; 23505 for a pending request */
struct db_stmt store_join_create = {"join_create",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'see')"
    "), v AS ("
    " SELECT CASE WHEN f.verdict <> 'ok' THEN f.verdict"
    "  WHEN f.role IS NOT NULL THEN 'is_member'"
    "  WHEN NOT c.listed OR c.join_policy <> 'request' THEN 'join_closed'"
    "  ELSE 'ok' END AS outcome"
    " FROM f LEFT JOIN communities c ON c.id = $2::uuid"
    "), j AS ("
    " INSERT INTO join_requests (community_id, user_id, message)"
    " SELECT $2::uuid, $1::uuid, $3 FROM v WHERE v.outcome = 'ok'"
    " RETURNING isacd_join_request_json(join_requests) AS j"
    ")"
    " SELECT v.outcome, (SELECT j::text FROM j) FROM v",
    3, 0};

/* $1 user id, $2 community id, $3 status or NULL, $4 cursor time,
 * $5 cursor id, $6 limit + 1
 * → verdict, request json, cursor key (moderators, owners) */
struct db_stmt store_join_list = {"join_list",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'moderate')"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_join_request_json(j)::text AS j,"
    "   j.created_at::text || '|' || j.id::text AS k"
    "  FROM join_requests j WHERE j.community_id = $2::uuid"
    "   AND f.verdict = 'ok'"
    "   AND ($3::text IS NULL OR j.status = $3)"
    "   AND ($4::timestamptz IS NULL"
    "    OR (j.created_at, j.id) < ($4::timestamptz, $5::uuid))"
    "  ORDER BY j.created_at DESC, j.id DESC LIMIT $6::int"
    " ) x ON true",
    6, 0};

/* $1 user id, $2 community id, $3 request id
 * → verdict ('request_not_found' unless the caller made it or moderates
 *   the community), request json */
struct db_stmt store_join_get = {"join_get",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'see')"
    ")"
    " SELECT CASE WHEN f.verdict <> 'ok' THEN f.verdict"
    "  WHEN j.id IS NULL THEN 'request_not_found' ELSE 'ok' END,"
    " isacd_join_request_json(j)::text"
    " FROM f LEFT JOIN join_requests j ON j.id = $3::uuid"
    "  AND j.community_id = $2::uuid AND f.verdict = 'ok'"
    "  AND (j.user_id = $1::uuid OR isacd_community_verdict(f.state, f.role,"
    "   false, 'moderate') = 'ok')",
    3, 0};

/* $1 actor, $2 community, $3 request, $4 approve (boolean), $5 ip
 * → outcome, request json (isacd_join_decide) */
struct db_stmt store_join_decide = {"join_decide",
    "SELECT outcome, request::text FROM isacd_join_decide($1::uuid,"
    " $2::uuid, $3::uuid, $4::boolean, $5::inet)",
    5, 0};
