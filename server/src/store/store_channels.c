/*
 * store_channels.c - channels and the explicit readers of restricted ones.
 *
 * What a caller may do in a channel is isacd_channel_rights
 * (schema/functions/20_access.sql): a channel outside it does not exist for
 * the caller.  Statements on one channel start from its gate
 * (isacd_channel_gate), act only when the verdict is 'ok', and return the
 * verdict beside their result.
 */
#include "store/store.h"

/* $1 actor, $2 community, $3 name, $4 description, $5 visibility,
 * $6 posting, $7 retention days, $8 ip
 * → verdict (moderators and owners; with a retention, owners: they govern
 *   it), channel json, channel id; 23505 channels_name_key for a name
 *   taken in the community */
struct db_stmt store_channel_create = {"channel_create",
    "WITH f AS MATERIALIZED ("
    " SELECT CASE WHEN m.verdict <> 'ok' THEN m.verdict"
    "  WHEN $7::int IS NOT NULL AND o.verdict <> 'ok' THEN o.verdict"
    "  ELSE 'ok' END AS verdict"
    " FROM isacd_community_gate($1::uuid, $2::uuid, 'moderate') m,"
    "  isacd_community_gate($1::uuid, $2::uuid, 'own_or_staff') o"
    "), ch AS ("
    " INSERT INTO channels (community_id, name, description, visibility,"
    "  posting, retention_days, created_by)"
    " SELECT $2::uuid, $3, $4, $5, $6, $7::int, $1::uuid FROM f"
    " WHERE f.verdict = 'ok'"
    " RETURNING id, name, visibility, posting,"
    "  isacd_channel_json(channels, 'moderate') AS j"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'channel.created', $2::uuid, $8::inet,"
    "  jsonb_build_object('channel_id', ch.id, 'name', ch.name,"
    "   'visibility', ch.visibility, 'posting', ch.posting) FROM ch"
    ")"
    " SELECT f.verdict, (SELECT j::text FROM ch), (SELECT id FROM ch)"
    " FROM f",
    8, 0};

/* $1 user id, $2 community id, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, channel json, cursor key: the channels the user may read */
struct db_stmt store_channel_list = {"channel_list",
    "WITH f AS MATERIALIZED ("
    " SELECT * FROM isacd_community_gate($1::uuid, $2::uuid, 'member')"
    ")"
    " SELECT f.verdict, x.j, x.k FROM f"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_channel_json(ch, r.access)::text AS j,"
    "   ch.created_at::text || '|' || ch.id::text AS k"
    "  FROM isacd_channel_rights($1::uuid) r"
    "  JOIN channels ch ON ch.id = r.channel_id"
    "  WHERE r.community_id = $2::uuid AND f.verdict = 'ok' AND r.reads"
    "   AND ($3::timestamptz IS NULL"
    "    OR (ch.created_at, ch.id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY ch.created_at DESC, ch.id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 user id, $2 channel id → verdict, channel json */
struct db_stmt store_channel_get = {"channel_get",
    "SELECT g.verdict, isacd_channel_json(ch, g.access)::text"
    " FROM isacd_channel_gate($1::uuid, $2::uuid, 'read') g"
    " LEFT JOIN channels ch ON ch.id = $2::uuid AND g.verdict = 'ok'",
    2, 0};

/* $1 actor, $2 channel, $3 name, $4 description set, $5 description,
 * $6 visibility, $7 posting, $8 retention set, $9 retention days, $10 ip,
 * $11 anything besides retention set
 * → verdict, channel json; audited with before and after.  Retention is
 *   governed by owners and staff (isacd_channel_govern_gate), the rest by
 *   moderators and owners.  Made restricted, the channel is gone at once
 *   for members who are not its readers: access is isacd_channel_rights,
 *   read each time. */
struct db_stmt store_channel_update = {"channel_update",
    "WITH r AS MATERIALIZED ("
    " SELECT CASE WHEN $8::boolean AND gv.verdict <> 'ok' THEN gv.verdict"
    "  WHEN (NOT $8::boolean OR $11::boolean) AND m.verdict <> 'ok'"
    "   THEN m.verdict"
    "  ELSE 'ok' END AS verdict, m.access"
    " FROM isacd_channel_gate($1::uuid, $2::uuid, 'moderate') m,"
    "  isacd_channel_govern_gate($1::uuid, $2::uuid) gv"
    "), old AS ("
    " SELECT ch.* FROM channels ch, r WHERE ch.id = $2::uuid"
    "  AND r.verdict = 'ok' FOR UPDATE OF ch"
    "), upd AS ("
    " UPDATE channels ch SET name = coalesce($3, ch.name),"
    "  description = CASE WHEN $4::boolean THEN $5 ELSE ch.description END,"
    "  visibility = coalesce($6, ch.visibility),"
    "  posting = coalesce($7, ch.posting),"
    "  retention_days = CASE WHEN $8::boolean THEN $9::int"
    "   ELSE ch.retention_days END"
    " FROM old WHERE ch.id = old.id"
    " RETURNING ch AS rec"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'channel.updated', old.community_id, $10::inet,"
    "  d.ch || jsonb_build_object('channel_id', $2::uuid)"
    " FROM old, upd, LATERAL (SELECT isacd_changes(to_jsonb(old),"
    "  to_jsonb(upd.rec)) AS ch) d WHERE d.ch IS NOT NULL"
    ")"
    " SELECT r.verdict,"
    " (SELECT isacd_channel_json(upd.rec, r.access)::text FROM upd)"
    " FROM r",
    11, 0};

/* $1 actor, $2 channel, $3 ip → verdict */
struct db_stmt store_channel_delete = {"channel_delete",
    "WITH r AS MATERIALIZED ("
    " SELECT * FROM isacd_channel_gate($1::uuid, $2::uuid, 'moderate')"
    "), d AS ("
    " DELETE FROM channels ch USING r WHERE ch.id = $2::uuid"
    "  AND r.verdict = 'ok'"
    " RETURNING ch.id, ch.name, ch.community_id"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, ip, detail)"
    " SELECT $1::uuid, 'channel.deleted', d.community_id, $3::inet,"
    "  jsonb_build_object('channel_id', d.id, 'name', d.name) FROM d"
    ")"
    " SELECT r.verdict FROM r",
    3, 0};

/* $1 user id, $2 channel id, $3 cursor time, $4 cursor id, $5 limit + 1
 * → verdict, reader json, cursor key (moderators and owners) */
struct db_stmt store_reader_list = {"reader_list",
    "WITH r AS MATERIALIZED ("
    " SELECT * FROM isacd_channel_gate($1::uuid, $2::uuid, 'moderate')"
    ")"
    " SELECT r.verdict, x.j, x.k FROM r"
    " LEFT JOIN LATERAL ("
    "  SELECT isacd_reader_json(cr)::text AS j,"
    "   cr.added_at::text || '|' || cr.user_id::text AS k"
    "  FROM channel_readers cr WHERE cr.channel_id = $2::uuid"
    "   AND r.verdict = 'ok'"
    "   AND ($3::timestamptz IS NULL"
    "    OR (cr.added_at, cr.user_id) < ($3::timestamptz, $4::uuid))"
    "  ORDER BY cr.added_at DESC, cr.user_id DESC LIMIT $5::int"
    " ) x ON true",
    5, 0};

/* $1 actor, $2 channel, $3 user, $4 ip
 * → verdict ('reader_not_member': the user is no member of the
 *   community), reader json; 23505 channel_readers_pkey when already one */
struct db_stmt store_reader_add = {"reader_add",
    "WITH r AS MATERIALIZED ("
    " SELECT * FROM isacd_channel_gate($1::uuid, $2::uuid, 'moderate')"
    "), v AS ("
    " SELECT CASE WHEN r.verdict <> 'ok' THEN r.verdict"
    "  WHEN NOT EXISTS (SELECT 1 FROM memberships m"
    "   WHERE m.community_id = r.community_id AND m.user_id = $3::uuid)"
    "   THEN 'reader_not_member'"
    "  ELSE 'ok' END AS outcome FROM r"
    "), ins AS ("
    " INSERT INTO channel_readers (channel_id, user_id, added_by)"
    " SELECT $2::uuid, $3::uuid, $1::uuid FROM v WHERE v.outcome = 'ok'"
    " RETURNING isacd_reader_json(channel_readers) AS j"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, target_user_id,"
    "  ip, detail)"
    " SELECT $1::uuid, 'channel.reader_added', r.community_id, $3::uuid,"
    "  $4::inet, jsonb_build_object('channel_id', $2::uuid) FROM r, ins"
    ")"
    " SELECT v.outcome, (SELECT j::text FROM ins) FROM v",
    4, 0};

/* $1 actor, $2 channel, $3 user, $4 ip → verdict ('reader_not_found') */
struct db_stmt store_reader_remove = {"reader_remove",
    "WITH r AS MATERIALIZED ("
    " SELECT * FROM isacd_channel_gate($1::uuid, $2::uuid, 'moderate')"
    "), d AS ("
    " DELETE FROM channel_readers cr USING r WHERE cr.channel_id = $2::uuid"
    "  AND cr.user_id = $3::uuid AND r.verdict = 'ok'"
    " RETURNING cr.user_id"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, community_id, target_user_id,"
    "  ip, detail)"
    " SELECT $1::uuid, 'channel.reader_removed', r.community_id, d.user_id,"
    "  $4::inet, jsonb_build_object('channel_id', $2::uuid) FROM r, d"
    ")"
    " SELECT CASE WHEN r.verdict <> 'ok' THEN r.verdict"
    "  WHEN NOT EXISTS (SELECT 1 FROM d) THEN 'reader_not_found'"
    "  ELSE 'ok' END FROM r",
    4, 0};
