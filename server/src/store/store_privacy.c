/*
 * store_privacy.c - retention, legal holds, the purge, erasure, export and
 * the sealed TOTP secrets.
 *
 * The rules are SQL functions: how long a post is kept in
 * schema/functions/25_retention.sql, who governs it in 20_access.sql, the
 * rest in 80_privacy.sql.  The purge's statements run on a connection of
 * their own (the purge's pool in `isacd serve`, or `isacd purge`'s), which
 * holds the purge's advisory lock for a whole run.
 */
#include "store/store.h"

/* $1 user id, $2 community id, $3 next run (RFC 3339) or NULL
 * → verdict (owners and staff), retention json */
struct db_stmt store_retention_get = {"retention_get",
    "SELECT g.verdict, CASE WHEN g.verdict = 'ok' THEN"
    " isacd_retention_json($2::uuid, $3)::text END"
    " FROM isacd_community_gate($1::uuid, $2::uuid, 'own_or_staff') g",
    3, 0};

/* $1 community id or NULL, $2 channel id or NULL
 * → {"posts", "comments"} the next run deletes there */
struct db_stmt store_retention_due = {"retention_due",
    "SELECT isacd_retention_due_json($1::uuid, $2::uuid)::text", 2, 0};

/* $1 actor, $2 'community', 'channel' or 'post', $3 its id, $4 hold
 * (boolean), $5 reason or NULL, $6 ip → outcome, response json */
struct db_stmt store_hold = {"hold",
    "SELECT outcome, response::text FROM isacd_hold($1::uuid, $2, $3::uuid,"
    " $4::boolean, $5, $6::inet)",
    6, 0};

/* $1 actor, $2 user to erase, $3 ip, $4 rows per step
 * → outcome ('more': call again) */
struct db_stmt store_erase_step = {"erase_step",
    "SELECT outcome FROM isacd_erase_step($1::uuid, $2::uuid, $3::inet,"
    " $4::int)",
    4, 0};

/* $1 user id → the export json (no row when the account is gone) */
struct db_stmt store_me_export = {
    "me_export", "SELECT isacd_me_export($1::uuid)::text", 1, 0};

/* → true when this connection now holds the purge lock */
struct db_stmt store_purge_lock = {
    "purge_lock", "SELECT pg_try_advisory_lock(isacd_purge_lock_key())", 0, 0};

/* → whether it was held; releases it */
struct db_stmt store_purge_unlock = {
    "purge_unlock", "SELECT pg_advisory_unlock(isacd_purge_lock_key())", 0, 0};

/* $1 kind, $2 limit, $3 IP retention days, $4 login window s, $5 dry run
 * → rows swept (or, dry, due) */
struct db_stmt store_purge_sweep = {"purge_sweep",
    "SELECT isacd_purge_sweep($1, $2::int, $3::int, $4::int, $5::boolean)", 5,
    0};

/* $1 posts at most, $2 run id → community id, channel id, posts, comments
 * deleted (one row per channel; none when nothing is due) */
struct db_stmt store_purge_batch = {"purge_batch",
    "SELECT community_id, channel_id, posts, comments"
    " FROM isacd_purge_batch($1::int, $2::uuid)",
    2, 0};

/* → community id, channel id, posts, comments due now, per channel */
struct db_stmt store_purge_due = {"purge_due",
    "SELECT community_id, channel_id, posts, comments"
    " FROM isacd_retention_due(NULL, NULL) ORDER BY community_id, channel_id",
    0, 0};

/* $1 channel ids (uuid[]) → channel id, community name, channel name */
struct db_stmt store_purge_names = {"purge_names",
    "SELECT ch.id, c.name, ch.name FROM channels ch"
    " JOIN communities c ON c.id = ch.community_id"
    " WHERE ch.id = ANY ($1::uuid[])",
    1, 0};

/* $1 settle s → events, idempotency keys forgotten */
struct db_stmt store_purge_forget = {"purge_forget",
    "SELECT events, keys FROM isacd_purge_forget($1::int)", 1, 0};

/* → user id, sealed (or legacy plain) TOTP secret, of every account */
struct db_stmt store_totp_all = {
    "totp_all", "SELECT user_id, secret FROM totp_secrets", 0, 0};

/* $1 user id, $2 the secret as read, $3 sealed anew → one row when
 * replaced (not when it changed meanwhile) */
struct db_stmt store_totp_reseal = {"totp_reseal",
    "UPDATE totp_secrets SET secret = $3"
    " WHERE user_id = $1::uuid AND secret = $2 RETURNING 1",
    3, 0};
