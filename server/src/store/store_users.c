/*
 * store_users.c - the caller's own account, TOTP and personal API tokens.
 */
#include "store/store.h"

/* $1 user id → user json */
struct db_stmt store_me_get = {
    "me_get", "SELECT isacd_user_json($1::uuid)::text", 1, 0};

/* $1 user id, $2 account limit, $3 window s
 * → password hash, account wait s (NULL: go on; the attempt is counted) */
struct db_stmt store_me_secrets = {"me_secrets",
    "SELECT password_hash,"
    " isacd_throttle_begin(isacd_account_key(email), $2::int, $3::int)"
    " FROM users WHERE id = $1::uuid",
    3, 0};

/* $1 user id, $2 display name or NULL, $3 new password hash or NULL,
 * $4 current session id (kept), $5 ip → user json.  A password change
 * clears the account's failure counter, like a login. */
struct db_stmt store_me_update = {"me_update",
    "WITH u AS ("
    " UPDATE users SET display_name = coalesce($2, display_name),"
    "  password_hash = coalesce($3, password_hash),"
    "  password_changed_at = CASE WHEN $3::text IS NOT NULL THEN now()"
    "   ELSE password_changed_at END"
    " WHERE id = $1::uuid RETURNING isacd_user_json(users) AS j"
    "), rev AS ("
    " UPDATE sessions SET revoked_at = now()"
    " WHERE $3::text IS NOT NULL AND user_id = $1::uuid"
    "  AND revoked_at IS NULL AND id IS DISTINCT FROM $4::uuid"
    "), reset AS ("
    " UPDATE auth_throttle SET failures = 0"
    " WHERE $3::text IS NOT NULL AND key = (SELECT isacd_account_key(email)"
    "  FROM users WHERE id = $1::uuid)"
    "), audit AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip)"
    " SELECT $1::uuid, 'password_changed', $1::uuid, $5::inet"
    " WHERE $3::text IS NOT NULL"
    ")"
    " SELECT j::text FROM u",
    5, 0};

/* $1 user id, $2 ip, $3 account limit, $4 window s, $5 action.  The
 * attempt was counted when it began: this only decides the lock. */
struct db_stmt store_account_fail = {"account_fail",
    "WITH audit AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip)"
    " VALUES ($1::uuid, $5, $1::uuid, $2::inet)"
    ")"
    " SELECT isacd_throttle_failed(isacd_account_key(email), $3::int,"
    "  $4::int) FROM users WHERE id = $1::uuid",
    5, 0};

/* $1 user id, $2 base32 secret → email (no row when TOTP is enabled) */
struct db_stmt store_totp_enrol = {"totp_enrol",
    "INSERT INTO totp_secrets AS t (user_id, secret) VALUES ($1::uuid, $2)"
    " ON CONFLICT (user_id) DO UPDATE"
    "  SET secret = EXCLUDED.secret, created_at = now(), last_step = 0"
    "  WHERE t.confirmed_at IS NULL"
    " RETURNING (SELECT email FROM users WHERE id = $1::uuid)",
    2, 0};

/* $1 user id, $2 account limit, $3 window s, $4 removing (boolean)
 * → secret, last step, confirmed, account wait s.  The attempt is counted
 * only when a code will be checked: a pending enrolment to confirm, or an
 * enabled TOTP to remove (not for the 409 answers). */
struct db_stmt store_totp_get = {"totp_get",
    "SELECT t.secret, t.last_step, t.confirmed_at IS NOT NULL,"
    " CASE WHEN t.secret IS NOT NULL"
    "  AND (t.confirmed_at IS NOT NULL) = $4::boolean"
    " THEN isacd_throttle_begin(isacd_account_key(u.email), $2::int,"
    "  $3::int) END"
    " FROM users u LEFT JOIN totp_secrets t ON t.user_id = u.id"
    " WHERE u.id = $1::uuid",
    4, 0};

/* $1 user id, $2 step, $3 ip → one row when enabled now */
struct db_stmt store_totp_confirm = {"totp_confirm",
    "WITH c AS ("
    " UPDATE totp_secrets SET confirmed_at = now(), last_step = $2::bigint"
    " WHERE user_id = $1::uuid AND confirmed_at IS NULL"
    "  AND last_step < $2::bigint RETURNING user_id"
    "), reset AS ("
    " UPDATE auth_throttle SET failures = 0 WHERE key = (SELECT"
    "  isacd_account_key(email) FROM users WHERE id = $1::uuid)"
    "  AND EXISTS (SELECT 1 FROM c)"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip)"
    " SELECT user_id, 'totp_enabled', user_id, $3::inet FROM c"
    ")"
    " SELECT 1 FROM c",
    3, 0};

/* $1 user id, $2 step, $3 ip → one row when removed now */
struct db_stmt store_totp_delete = {"totp_delete",
    "WITH d AS ("
    " DELETE FROM totp_secrets"
    " WHERE user_id = $1::uuid AND confirmed_at IS NOT NULL"
    "  AND last_step < $2::bigint RETURNING user_id"
    "), reset AS ("
    " UPDATE auth_throttle SET failures = 0 WHERE key = (SELECT"
    "  isacd_account_key(email) FROM users WHERE id = $1::uuid)"
    "  AND EXISTS (SELECT 1 FROM d)"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip)"
    " SELECT user_id, 'totp_disabled', user_id, $3::inet FROM d"
    ")"
    " SELECT 1 FROM d",
    3, 0};

/* $1 user id, $2 cursor time or NULL, $3 cursor id or NULL, $4 limit + 1
 * → token json, cursor key; newest first */
struct db_stmt store_token_list = {"token_list",
    "SELECT isacd_api_token_json(t)::text,"
    " t.created_at::text || '|' || t.id::text"
    " FROM api_tokens t"
    " WHERE t.user_id = $1::uuid AND t.revoked_at IS NULL"
    "  AND t.expires_at > now()"
    "  AND ($2::timestamptz IS NULL"
    "   OR (t.created_at, t.id) < ($2::timestamptz, $3::uuid))"
    " ORDER BY t.created_at DESC, t.id DESC LIMIT $4::int",
    4, 0};

/* $1 user id, $2 token id → token json (live tokens only) */
struct db_stmt store_token_get = {"token_get",
    "SELECT isacd_api_token_json(t)::text FROM api_tokens t"
    " WHERE t.id = $2::uuid AND t.user_id = $1::uuid"
    "  AND t.revoked_at IS NULL AND t.expires_at > now()",
    2, 0};

/* $1 user id, $2 name, $3 token sha256, $4 scopes text[], $5 days, $6 ip
 * → token json, id (no row when the user has 100 live tokens) */
struct db_stmt store_token_create = {"token_create",
    "WITH t AS ("
    " INSERT INTO api_tokens (user_id, name, token_hash, scopes, expires_at)"
    " SELECT $1::uuid, $2, $3, $4::text[],"
    "  now() + make_interval(days => $5::int)"
    " WHERE (SELECT count(*) FROM api_tokens WHERE user_id = $1::uuid"
    "  AND revoked_at IS NULL AND expires_at > now()) < 100"
    " RETURNING id, name, scopes, isacd_api_token_json(api_tokens) AS j"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip, detail)"
    " SELECT $1::uuid, 'token_created', $1::uuid, $6::inet,"
    "  jsonb_build_object('token_id', id, 'name', name, 'scopes', scopes)"
    " FROM t"
    ")"
    " SELECT j::text, id FROM t",
    6, 0};

/* $1 user id, $2 token id, $3 ip → one row when revoked now */
struct db_stmt store_token_revoke = {"token_revoke",
    "WITH r AS ("
    " UPDATE api_tokens SET revoked_at = now()"
    " WHERE id = $2::uuid AND user_id = $1::uuid AND revoked_at IS NULL"
    " RETURNING id, name"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip, detail)"
    " SELECT $1::uuid, 'token_revoked', $1::uuid, $3::inet,"
    "  jsonb_build_object('token_id', id, 'name', name) FROM r"
    ")"
    " SELECT 1 FROM r",
    3, 0};

/* $1 email, $2 display name, $3 organisation name, $4 password hash,
 * $5 only when there is no staff account yet
 * → user id (no row when $5 and a staff account exists); the organisation
 * is created when no name matches (any case) */
struct db_stmt store_staff_create = {"staff_create",
    "WITH go AS ("
    " SELECT NOT ($5::bool AND EXISTS ("
    "  SELECT 1 FROM users WHERE platform_role = 'staff')) AS ok"
    "), o AS ("
    " INSERT INTO organisations (name) SELECT $3 FROM go WHERE go.ok"
    " ON CONFLICT ((lower(name))) DO NOTHING RETURNING id"
    "), org AS ("
    " SELECT id FROM o UNION ALL"
    " SELECT id FROM organisations WHERE lower(name) = lower($3) LIMIT 1"
    "), u AS ("
    " INSERT INTO users (email, display_name, organisation_id,"
    "  platform_role, password_hash)"
    " SELECT $1, $2, org.id, 'staff', $4 FROM org, go WHERE go.ok"
    " RETURNING id"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, detail)"
    " SELECT NULL, 'staff_created', id, jsonb_build_object('by', 'cli')"
    " FROM u"
    ")"
    " SELECT id FROM u",
    5, 0};
