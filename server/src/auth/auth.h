/*
 * auth.h - the access layer: who is calling, and what the SQL access rules
 * said about them.
 *
 * Below api/ and the coming realtime/, and knowing nothing of HTTP: a bearer
 * token (from an Authorization header or a WebSocket upgrade) becomes a
 * principal through one indexed query; the route policy flags say what a
 * principal must be; and the verdicts that the SQL access functions of
 * schema/functions/20_access.sql return are parsed here into one enum.
 * The rules themselves are in SQL, defined once; this is only their C
 * side.
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
	long long expires_at; /* the credential's end (epoch seconds) */
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

/*
 * The verdict of a request: what the SQL access functions (schema/functions/
 * 20_access.sql) and the writes built on them answered, as one word per
 * outcome.  Parsed here, in one place; api/api_access.c maps each to its
 * HTTP answer in one table.  A word this list does not know parses as
 * AUTH_V_UNKNOWN, which the API answers 500 (and logs): a new outcome can
 * never slip through as a success.
 */
#define AUTH_VERDICTS(X)                                                       \
	X(OK, "ok")                                                            \
	X(UNCHANGED, "unchanged")                                              \
	X(REPLAY, "replay")                                                    \
	X(COMMUNITY_HIDDEN, "community_hidden")                                \
	X(CHANNEL_HIDDEN, "channel_hidden")                                    \
	X(POST_HIDDEN, "post_hidden")                                          \
	X(MEMBER_NOT_FOUND, "member_not_found")                                \
	X(INVITE_NOT_FOUND, "invite_not_found")                                \
	X(REQUEST_NOT_FOUND, "request_not_found")                              \
	X(COMMENT_NOT_FOUND, "comment_not_found")                              \
	X(READER_NOT_FOUND, "reader_not_found")                                \
	X(ORGANISATION_NOT_FOUND, "organisation_not_found")                    \
	X(ORG_MEMBERS_NOT_FOUND, "org_members_not_found")                      \
	X(NOT_MEMBER, "not_member")                                            \
	X(STAFF_NO_CONTENT, "staff_no_content")                                \
	X(SUSPENDED, "suspended")                                              \
	X(TOTP_REQUIRED, "totp_required")                                      \
	X(NOT_MODERATOR, "not_moderator")                                      \
	X(NOT_OWNER, "not_owner")                                              \
	X(OWNERS_ONLY, "owners_only")                                          \
	X(DENIED, "denied")                                                    \
	X(CANNOT_POST, "cannot_post")                                          \
	X(NOT_AUTHOR, "not_author")                                            \
	X(NOT_AUTHOR_OR_MODERATOR, "not_author_or_moderator")                  \
	X(FORBIDDEN, "forbidden")                                              \
	X(ROLES_OWNERS_ONLY, "roles_owners_only")                              \
	X(INVITE_OWNERS_ONLY, "invite_owners_only")                            \
	X(REVOKE_OWNERS_ONLY, "revoke_owners_only")                            \
	X(OFFBOARD_FORBIDDEN, "offboard_forbidden")                            \
	X(JOIN_CLOSED, "join_closed")                                          \
	X(WRONG_EMAIL, "wrong_email")                                          \
	X(WRONG_ORG, "wrong_org")                                              \
	X(ORG_SUSPENDED, "org_suspended")                                      \
	X(LAST_OWNER, "last_owner")                                            \
	X(DECIDED, "decided")                                                  \
	X(SIGHTING_EXISTS, "sighting_exists")                                  \
	X(BUSY, "busy")                                                        \
	X(ALREADY_MEMBER, "already_member")                                    \
	X(IS_MEMBER, "is_member")                                              \
	X(INVITE_PENDING, "invite_pending")                                    \
	X(INVITE_CLOSED, "invite_closed")                                      \
	X(EMAIL_TAKEN, "email_taken")                                          \
	X(OWN_ORGANISATION, "own_organisation")                                \
	X(INVITE_GONE, "invite_gone")                                          \
	X(MISMATCH, "mismatch")                                                \
	X(TLP_SHARE, "tlp_share")                                              \
	X(SAME_CHANNEL, "same_channel")                                        \
	X(NO_RECIPIENTS, "no_recipients")                                      \
	X(BAD_RECIPIENTS, "bad_recipients")                                    \
	X(RECIPIENTS_NOT_RED, "recipients_not_red")                            \
	X(ORG_UNKNOWN, "org_unknown")                                          \
	X(OWNER_ORG_UNKNOWN, "owner_org_unknown")                              \
	X(READER_NOT_MEMBER, "reader_not_member")                              \
	X(LOCKED, "locked")                                                    \
	X(READ_ONLY, "read_only")                                              \
	X(NOT_STAFF, "not_staff")                                              \
	X(ADVISORY_HIDDEN, "advisory_hidden")                                  \
	X(NOT_RECIPIENT, "not_recipient")                                      \
	X(TARGET_NOT_FOUND, "target_not_found")                                \
	X(ADVISORY_WITHDRAWN, "advisory_withdrawn")                            \
	X(NO_TARGETS, "no_targets")                                            \
	X(TARGETS_UNKNOWN, "targets_unknown")                                  \
	X(TOO_MANY_TARGETS, "too_many_targets")                                \
	X(ARTICLE_NOT_FOUND, "article_not_found")                              \
	X(TRANSLATION_UNKNOWN, "translation_unknown")                          \
	X(NOT_YOUR_ORGANISATION, "not_your_organisation")                      \
	X(ANSWERS_UNKNOWN, "answers_unknown")                                  \
	X(ANSWERS_INCOMPLETE, "answers_incomplete")                            \
	X(QUESTIONNAIRE_CHANGED, "questionnaire_changed")                      \
	X(USER_NOT_FOUND, "user_not_found")                                    \
	X(MORE, "more")

enum auth_verdict {
#define AUTH_VERDICT_ENUM(name, word) AUTH_V_##name,
	AUTH_VERDICTS(AUTH_VERDICT_ENUM)
#undef AUTH_VERDICT_ENUM
	    AUTH_V_UNKNOWN,
};

/** Parse a verdict word (NULL or unknown: AUTH_V_UNKNOWN). */
enum auth_verdict auth_verdict_parse(const char *word);
/** The word of a verdict (static storage). */
const char *auth_verdict_word(enum auth_verdict v);
/** Whether the request may go on: ok, unchanged or replay. */
bool auth_verdict_ok(enum auth_verdict v);

/**
 * What a verdict that stops a request answers, in one table for every
 * route and message: an HTTP status (404 for what the caller may not know
 * of, exactly as for what does not exist; 403 for what it may not do; ...),
 * a problem type (NULL: about:blank), a detail for people, and the field
 * to name in a problem's errors when there is one.
 */
struct auth_verdict_answer {
	enum auth_verdict verdict;
	int status;
	const char *type;
	const char *detail;
	const char *field; /* or NULL */
	const char *field_message;
};
/** The answer to v (static storage), or NULL (ok, unchanged, replay, or a
 * verdict with no answer: a bug). */
const struct auth_verdict_answer *auth_verdict_answer(enum auth_verdict v);

#endif
