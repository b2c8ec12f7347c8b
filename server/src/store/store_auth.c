/*
 * store_auth.c - sessions, API tokens, login and logout.
 *
 * Authentication looks a credential up by the SHA-256 of the token (an index
 * lookup that leaks nothing useful by timing) and touches last_seen_at /
 * last_used_at only when it is older than a granularity, so that most
 * requests do not write.
 */
#include "store/store.h"

/* $1 token sha256, $2 idle seconds, $3 touch granularity seconds
 * → session id, user id, platform role, can write, email, display name,
 *   organisation id, expires (epoch s); nothing for a user of a suspended
 *   organisation */
struct db_stmt store_auth_session = {"auth_session",
    "WITH s AS ("
    " SELECT id, user_id, last_seen_at, expires_at FROM sessions"
    " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()"
    "  AND last_seen_at > now() - make_interval(secs => $2::int)"
    "), touch AS ("
    " UPDATE sessions t SET last_seen_at = now() FROM s"
    " WHERE t.id = s.id"
    "  AND s.last_seen_at < now() - make_interval(secs => $3::float8)"
    ")"
    " SELECT s.id, u.id, u.platform_role, true, u.email, u.display_name,"
    " u.organisation_id, extract(epoch FROM s.expires_at)::bigint"
    " FROM s JOIN users u ON u.id = s.user_id"
    " JOIN organisations o ON o.id = u.organisation_id"
    " WHERE o.status = 'active'",
    3, 0};

/* $1 token sha256, $2 touch granularity seconds
 * → token id, user id, platform role, can write, email, display name,
 *   organisation id, expires (epoch s); nothing for a user of a suspended
 *   organisation */
struct db_stmt store_auth_token = {"auth_token",
    "WITH t AS ("
    " SELECT id, user_id, scopes, last_used_at, expires_at FROM api_tokens"
    " WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()"
    "), touch AS ("
    " UPDATE api_tokens a SET last_used_at = now() FROM t"
    " WHERE a.id = t.id AND (t.last_used_at IS NULL"
    "  OR t.last_used_at < now() - make_interval(secs => $2::float8))"
    ")"
    " SELECT t.id, u.id, u.platform_role, 'write' = ANY (t.scopes),"
    " u.email, u.display_name, u.organisation_id,"
    " extract(epoch FROM t.expires_at)::bigint"
    " FROM t JOIN users u ON u.id = t.user_id"
    " JOIN organisations o ON o.id = u.organisation_id"
    " WHERE o.status = 'active'",
    2, 0};

/* $1 email, $2 client ip, $3 ip limit, $4 account limit, $5 window s
 * → account wait s, ip wait s, user id, password hash, totp secret,
 *   totp last step, organisation suspended (one row; user columns NULL for
 *   an unknown email).
 * Counts the attempt for the IP and, unless that is locked, the account,
 * before any password is checked: parallel guesses cannot slip through. */
struct db_stmt store_login_lookup = {"login_lookup",
    "WITH ip AS ("
    " SELECT isacd_throttle_begin(isacd_ip_key($2::inet), $3::int, $5::int)"
    "  AS w"
    "), acct AS ("
    " SELECT CASE WHEN (SELECT w FROM ip) IS NULL THEN"
    "  isacd_throttle_begin(isacd_account_key($1), $4::int, $5::int) END AS w"
    ")"
    " SELECT (SELECT w FROM acct), (SELECT w FROM ip),"
    " u.id, u.password_hash, t.secret, t.last_step, o.status = 'suspended'"
    " FROM (SELECT 1) one"
    " LEFT JOIN users u ON lower(u.email) = lower($1)"
    " LEFT JOIN organisations o ON o.id = u.organisation_id"
    " LEFT JOIN totp_secrets t ON t.user_id = u.id"
    "  AND t.confirmed_at IS NOT NULL",
    5, 0};

/* $1 user id, $2 token sha256, $3 lifetime s, $4 ip, $5 totp step or NULL,
 * $6 new password hash or NULL, $7 email
 * → expires_at, user json (no row when the TOTP step was used meanwhile).
 * Clears the account counter and gives the IP its attempt back. */
struct db_stmt store_login_ok = {"login_ok",
    "WITH totp_ok AS ("
    " UPDATE totp_secrets SET last_step = $5::bigint"
    " WHERE $5::bigint IS NOT NULL AND user_id = $1::uuid"
    "  AND last_step < $5::bigint RETURNING 1"
    "), sess AS ("
    " INSERT INTO sessions (user_id, token_hash, expires_at, ip)"
    " SELECT $1::uuid, $2, now() + make_interval(secs => $3::int), $4::inet"
    " WHERE $5::bigint IS NULL OR EXISTS (SELECT 1 FROM totp_ok)"
    " RETURNING id, expires_at"
    "), rehash AS ("
    " UPDATE users SET password_hash = $6"
    " WHERE id = $1::uuid AND $6::text IS NOT NULL"
    "  AND EXISTS (SELECT 1 FROM sess)"
    "), reset AS ("
    " UPDATE auth_throttle SET failures = CASE"
    "  WHEN key = isacd_account_key($7) THEN 0"
    "  ELSE greatest(failures - 1, 0) END"
    " WHERE key IN (isacd_account_key($7), isacd_ip_key($4::inet))"
    "  AND EXISTS (SELECT 1 FROM sess)"
    "), audit AS ("
    " INSERT INTO audit_log (actor_id, action, ip)"
    " SELECT $1::uuid, 'login', $4::inet FROM sess"
    ")"
    " SELECT isacd_ts(sess.expires_at), isacd_user_json($1::uuid)::text"
    " FROM sess",
    7, 0};

/* $1 email, $2 ip, $3 account limit, $4 ip limit, $5 window s,
 * $6 user id or NULL, $7 reason.  The attempt was counted by login_lookup:
 * this only locks the keys that reached their limit. */
struct db_stmt store_login_fail = {"login_fail",
    "WITH audit AS ("
    " INSERT INTO audit_log (actor_id, action, ip, detail)"
    " VALUES ($6::uuid, 'login_failed', $2::inet,"
    "  jsonb_build_object('reason', $7::text))"
    ")"
    " SELECT isacd_throttle_failed(isacd_account_key($1), $3::int, $5::int),"
    " isacd_throttle_failed(isacd_ip_key($2::inet), $4::int, $5::int)",
    7, 0};

/* $1 email or NULL, $2 ip or NULL, $3 every key
 * → lockouts lifted, failure records dropped.
 * The operator's way out of a lockout (`isacd unlock`): the keys' records
 * go, counters and the doubling of repeated lockouts with them; audited. */
struct db_stmt store_throttle_unlock = {"throttle_unlock",
    "WITH gone AS ("
    " DELETE FROM auth_throttle"
    " WHERE key = isacd_account_key($1) OR key = isacd_ip_key($2::inet)"
    "  OR $3::bool"
    " RETURNING coalesce(locked_until > now(), false) AS locked"
    "), n AS ("
    " SELECT count(*) FILTER (WHERE locked) AS locked, count(*) AS keys"
    " FROM gone"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, target_user_id, ip, detail)"
    " SELECT NULL, 'login_unlocked',"
    "  (SELECT id FROM users WHERE lower(email) = lower($1)), $2::inet,"
    "  jsonb_build_object('by', 'cli', 'all', $3::bool,"
    "   'lockouts_lifted', n.locked)"
    " FROM n"
    ")"
    " SELECT locked, keys FROM n",
    3, 0};

/* $1 session id, $2 ip → one row when revoked now */
struct db_stmt store_logout_session = {"logout_session",
    "WITH r AS ("
    " UPDATE sessions SET revoked_at = now()"
    " WHERE id = $1::uuid AND revoked_at IS NULL RETURNING user_id"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, ip)"
    " SELECT user_id, 'logout', $2::inet FROM r"
    ")"
    " SELECT 1 FROM r",
    2, 0};

/* $1 token id, $2 ip → one row when revoked now */
struct db_stmt store_logout_token = {"logout_token",
    "WITH r AS ("
    " UPDATE api_tokens SET revoked_at = now()"
    " WHERE id = $1::uuid AND revoked_at IS NULL RETURNING user_id, id"
    "), a AS ("
    " INSERT INTO audit_log (actor_id, action, ip, detail)"
    " SELECT user_id, 'token_revoked', $2::inet,"
    "  jsonb_build_object('token_id', id, 'by', 'logout') FROM r"
    ")"
    " SELECT 1 FROM r",
    2, 0};

/* → max applied schema version */
struct db_stmt store_schema_version = {"schema_version",
    "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, 0};
