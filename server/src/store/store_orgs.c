/*
 * store_orgs.c - organisations.
 */
#include "store/store.h"

/* $1 name, $2 sector, $3 country, $4 creator id, $5 ip
 * → organisation json, id; no row unless the creator is platform staff or
 *   an active moderator or owner of a community (so that they can invite
 *   a company that is not on the platform yet); 23505 when the name exists
 *   (any case) */
struct db_stmt store_org_create = {"org_create",
    "WITH ok AS ("
    " SELECT 1 FROM users u WHERE u.id = $4::uuid"
    "  AND (u.platform_role = 'staff' OR EXISTS (SELECT 1"
    "   FROM isacd_communities_for($4::uuid) s"
    "   WHERE isacd_community_verdict(s.state, s.role, false, 'moderate')"
    "    = 'ok'))"
    "), o AS ("
    " INSERT INTO organisations (name, sector, country, created_by)"
    " SELECT $1, $2, $3, $4::uuid FROM ok"
    " RETURNING id, name, isacd_organisation_json(organisations) AS j"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, ip, detail)"
    " SELECT $4::uuid, 'organisation_created', $5::inet,"
    "  jsonb_build_object('organisation_id', id, 'name', name) FROM o"
    ")"
    " SELECT j::text, id FROM o",
    5, 0};

/* $1 cursor time or NULL, $2 cursor id or NULL, $3 limit + 1
 * → organisation json, cursor key; newest first */
struct db_stmt store_org_list = {"org_list",
    "SELECT isacd_organisation_json(o)::text,"
    " o.created_at::text || '|' || o.id::text"
    " FROM organisations o"
    " WHERE $1::timestamptz IS NULL"
    "  OR (o.created_at, o.id) < ($1::timestamptz, $2::uuid)"
    " ORDER BY o.created_at DESC, o.id DESC LIMIT $3::int",
    3, 0};

/* $1 organisation id → organisation json */
struct db_stmt store_org_get = {"org_get",
    "SELECT isacd_organisation_json(o)::text FROM organisations o"
    " WHERE o.id = $1::uuid",
    1, 0};

/* $1 staff id, $2 organisation, $3 name, $4 sector set, $5 sector,
 * $6 country set, $7 country, $8 status, $9 ip
 * → verdict ('organisation_not_found', 'own_organisation': a staff
 *   member may not suspend their own), organisation json, sessions ended,
 *   tokens revoked (isacd_org_update) */
struct db_stmt store_org_update = {"org_update",
    "SELECT outcome, organisation::text, sessions_ended, tokens_revoked"
    " FROM isacd_org_update($1::uuid, $2::uuid, $3, $4::boolean, $5,"
    " $6::boolean, $7, $8, $9::inet)",
    9, 0};
