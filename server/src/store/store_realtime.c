/*
 * store_realtime.c - the statements of the realtime layer: reading the
 * events in order, what each local subscriber receives of them, replays,
 * channel rights re-asked after an access change, tickets, and the hint.
 * The rules are the access definition's (schema/functions/20_access.sql),
 * asked by schema/functions/70_events.sql.
 */
#include "store/store.h"

/* → the horizon: a reader starting now reads from (horizon, 0) */
struct db_stmt store_rt_horizon = {
    "rt_horizon", "SELECT pg_snapshot_xmin(pg_current_snapshot())::text", 0, 0};

/* $1 xid, $2 ord, $3 limit → xid, ord, seq, type, community, channel,
 * user, credential, age in ms, horizon (isacd_events_after) */
struct db_stmt store_rt_events = {"rt_events",
    "SELECT e.xid::text, e.ord, e.seq, e.type, e.community_id, e.channel_id,"
    " e.user_id, e.credential_id,"
    " (extract(epoch FROM clock_timestamp() - ev.created_at) * 1000)::bigint,"
    " e.horizon::text"
    " FROM isacd_events_after($1::xid8, $2::int, $3::int) e"
    " LEFT JOIN events ev ON ev.xid = e.xid AND ev.ord = e.ord"
    " ORDER BY e.xid, e.ord",
    3, 0};

/* $1 batch [{"xid", "ord", "users": [...]}, ...] → index in the batch,
 * seq, event name, community, channel, users (uuid[] text), data json
 * (isacd_deliveries) */
struct db_stmt store_rt_deliveries = {"rt_deliveries",
    "SELECT i, seq, kind, community_id, channel_id, users::text, data::text"
    " FROM isacd_deliveries($1::jsonb)",
    1, 0};

/* $1 user, $2 channels uuid[], $3 since → channel, resync, seq, event
 * name, community, data json (isacd_replay) */
struct db_stmt store_rt_replay = {"rt_replay",
    "SELECT channel_id, resync, seq, kind, community_id, data::text"
    " FROM isacd_replay($1::uuid, $2::uuid[], $3::bigint)",
    3, 0};

/* $1 users uuid[], $2 channels uuid[] (pairs) → user, channel, verdict,
 * community: may each read the channel now (isacd_channel_gate) */
struct db_stmt store_rt_rights = {"rt_rights",
    "SELECT x.u, x.c, g.verdict, g.community_id"
    " FROM unnest($1::uuid[], $2::uuid[]) x (u, c)"
    " CROSS JOIN LATERAL isacd_channel_gate(x.u, x.c, 'read') g",
    2, 0};

/* the hint: events were committed (sent after the commit, never inside) */
struct db_stmt store_rt_notify = {
    "rt_notify", "SELECT pg_notify('isacd_events', '')", 0, 0};

/* $1 session ids uuid[]: a live socket keeps its session in use */
struct db_stmt store_rt_touch = {"rt_touch",
    "UPDATE sessions SET last_seen_at = now() WHERE id = ANY ($1::uuid[])"
    " AND revoked_at IS NULL AND last_seen_at < now() - interval '30 seconds'",
    1, 0};

/* $1 user, $2 session id or NULL, $3 API token id or NULL, $4 ticket
 * sha256, $5 lifetime s → expires_at */
struct db_stmt store_rt_ticket_create = {"rt_ticket_create",
    "WITH gone AS (DELETE FROM realtime_tickets WHERE expires_at < now())"
    " INSERT INTO realtime_tickets (hash, user_id, session_id, token_id,"
    " expires_at) VALUES ($4, $1::uuid, $2::uuid, $3::uuid,"
    " now() + make_interval(secs => $5::int)) RETURNING isacd_ts(expires_at)",
    5, 0};

/* $1 ticket sha256, $2 session idle s → credential id, user id, platform
 * role, can write, email, display name, organisation id, is an API token,
 * credential expires (epoch s); nothing for an unknown, used or expired
 * ticket, or one whose credential ended (the ticket is used either way) */
struct db_stmt store_rt_ticket_redeem = {"rt_ticket_redeem",
    "WITH t AS (DELETE FROM realtime_tickets WHERE hash = $1"
    " RETURNING user_id, session_id, token_id, expires_at)"
    " SELECT coalesce(s.id, k.id), u.id, u.platform_role,"
    "  coalesce('write' = ANY (k.scopes), s.id IS NOT NULL), u.email,"
    "  u.display_name, u.organisation_id, k.id IS NOT NULL,"
    "  extract(epoch FROM coalesce(s.expires_at, k.expires_at))::bigint"
    " FROM t JOIN users u ON u.id = t.user_id"
    " JOIN organisations o ON o.id = u.organisation_id"
    " LEFT JOIN sessions s ON s.id = t.session_id AND s.revoked_at IS NULL"
    "  AND s.expires_at > now()"
    "  AND s.last_seen_at > now() - make_interval(secs => $2::int)"
    " LEFT JOIN api_tokens k ON k.id = t.token_id AND k.revoked_at IS NULL"
    "  AND k.expires_at > now()"
    " WHERE t.expires_at > now() AND o.status = 'active'"
    "  AND (s.id IS NOT NULL OR k.id IS NOT NULL)",
    2, 0};
