/*
 * auth.h - the access layer: who is calling, and what the SQL access rules
 * said about them.
 *
 * Below api/ and the coming realtime/, and knowing nothing of HTTP: a bearer
 * token (from an Authorization header or a WebSocket upgrade) becomes a
 * principal through one indexed query; the route policy flags say what a
 * principal must be; and the states that the SQL access functions of
 * schema/0012_communities.sql return (isacd_communities_for,
 * isacd_channel_rights) are parsed here into one enum each.  The rules
 * themselves are in SQL, defined once; this is only their C side.
 */
#ifndef ISACD_AUTH_AUTH_H
#define ISACD_AUTH_AUTH_H

#include <stdbool.h>

#include "core/secret.h"
#include "db/db.h"

struct arena;

/** Who is calling, once their token was looked up. */
struct principal {
	char user_id[37];
	char credential_id[37]; /* session id, or API token id */
	char organisation_id[37];
	const char *email; /* arena strings, as of authentication */
	const char *display_name;
	bool staff;
	bool token; /* a personal API token, not an interactive session */
	bool can_write;
};

/* Route policy: what a caller must be for a route (the route table's
 * `policy`).  No AUTH_REQUIRED means public. */
#define AUTH_REQUIRED 0x01u /* a valid bearer token */
#define AUTH_WRITE    0x02u /* changes state: refused to read-only tokens */
#define AUTH_SESSION  0x04u /* an interactive session, not an API token */
#define AUTH_STAFF    0x08u /* platform staff */
#define AUTH_OPTIONAL 0x10u /* public, but a bearer token is used if sent */

enum auth_parse {
	AUTH_PARSE_OK,
	AUTH_PARSE_MISSING,   /* no Authorization header */
	AUTH_PARSE_SCHEME,    /* not "Bearer <token>" */
	AUTH_PARSE_MALFORMED, /* not a token isacd issues */
};

/**
 * Check an Authorization header value (NULL when absent) and hash its
 * token into hash; *pat says whether it is a personal API token.  Pure: a
 * token of the wrong shape is refused without touching the database.
 */
enum auth_parse auth_parse_bearer(
    const char *header, char hash[SECRET_SHA256_HEX], bool *pat);

/** A finished lookup: p is NULL when the token is unknown or expired. */
typedef void (*auth_cb)(
    const struct db_result *res, struct principal *p, void *arg);

/**
 * Look the hashed credential up (and touch its last use): cb runs on the
 * loop with the principal allocated in a, or NULL, or with a failed
 * db_result (res->status != DB_OK, p NULL).  Returns the query handle for
 * db_query_abandon.  session_idle_s is ISACD_SESSION_IDLE_S.
 */
struct db_query *auth_lookup(struct db_pool *db, long session_idle_s,
    const char *hash, bool pat, struct arena *a, auth_cb cb, void *arg);

/** What a user's membership allows in a community (isacd_communities_for). */
enum auth_standing {
	AUTH_HIDDEN,     /* no such community for this user */
	AUTH_OUTSIDER,   /* visible (listed, or staff), not a member */
	AUTH_SUSPENDED,  /* a suspended member */
	AUTH_NEEDS_TOTP, /* the community requires TOTP, the user has none */
	AUTH_ACTIVE,     /* an active member */
};
/** Parse a state column (NULL is AUTH_HIDDEN). */
enum auth_standing auth_standing_parse(const char *state);

/** What a user may do in a channel (isacd_channel_rights). */
enum auth_channel {
	AUTH_CH_HIDDEN, /* no such channel for this user */
	AUTH_CH_SUSPENDED,
	AUTH_CH_NEEDS_TOTP,
	AUTH_CH_READ,
	AUTH_CH_POST,
	AUTH_CH_MODERATE,
};
/** Parse an access column (NULL is AUTH_CH_HIDDEN). */
enum auth_channel auth_channel_parse(const char *access);

/** Community roles, in rank order. */
enum auth_role {
	AUTH_ROLE_NONE,
	AUTH_ROLE_MEMBER,
	AUTH_ROLE_MODERATOR,
	AUTH_ROLE_OWNER
};
/** Parse a role column (NULL or unknown is AUTH_ROLE_NONE). */
enum auth_role auth_role_parse(const char *role);

#endif
