/*
 * api_internal.h - helpers the api/ files share; nobody else includes it.
 */
#ifndef ISACD_API_INTERNAL_H
#define ISACD_API_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "api/app.h"
#include "auth/auth.h"
#include "db/db.h"
#include "domain/password.h"
#include "http/http_request.h"

static inline struct app *
api_app(struct http_req *r)
{
	return r->app;
}

static inline struct principal *
api_principal(struct http_req *r)
{
	return r->auth;
}

typedef void (*api_result_fn)(struct http_req *r, PGresult *res);

/**
 * Run a statement for the request; fn runs with the result on success.  A
 * failure (database down, busy, SQL error) is answered here, mapped by
 * SQLSTATE in one place.
 */
void api_query(struct http_req *r, struct db_stmt *st,
    const char *const *params, api_result_fn fn);
/** Answer a failed query (503 for an unavailable database, ...). */
void api_db_fail(struct http_req *r, const struct db_result *res);
/** Answer with JSON text built in C (a literal, or a rendered buffer). */
void api_respond_text(struct http_req *r, int status, const char *json);
/*
 * JSON the database rendered is never parsed again: it is compacted into the
 * response as text (codec_json_compact), so every read costs a copy, not a
 * jansson parse and dump.
 */
/** The database's JSON text, compacted, in request memory. */
const char *api_db_json(struct http_req *r, const char *text);
/**
 * The database's JSON object text, compacted, with `members` (JSON text
 * built in C: "\"name\":value,...") added before its closing brace.
 */
const char *api_db_json_extend(
    struct http_req *r, const char *text, const char *members);
/** Answer with JSON text the database rendered (see api_db_json). */
void api_respond_db(struct http_req *r, int status, const char *text);
/** Answer 400 with the errors array when it is not empty; true if answered. */
bool api_reject_errors(struct http_req *r, json_t *errors);
/** Path parameter that must be a UUID; answers 404 and returns NULL if not. */
const char *api_uuid_param(struct http_req *r, const char *name);
/**
 * Run a list statement and answer {items, next_cursor}.  The statement takes
 * lead[0..nlead), then cursor time, cursor id and limit + 1, and returns rows
 * of (json text, cursor key), newest first.  Bad ?limit= (1..200, default
 * 50) or ?cursor= are answered 400 here.  The rows' JSON is spliced into
 * the answer as text.
 */
void api_list_query(struct http_req *r, struct db_stmt *st,
    const char *const *lead, size_t nlead);

/* ---- access: verdicts to answers (api_access.c) ---- */

/** The verdict word at (row 0, col) of res (no row or NULL: unknown). */
enum auth_verdict api_verdict_at(PGresult *res, int col);
/**
 * Answer a verdict that does not let the request go on (404, 403, 409,
 * 410, 422; 500 for a verdict with no answer) and return false; return true
 * for ok, unchanged and replay, leaving the answer to the caller.
 */
bool api_verdict(struct http_req *r, enum auth_verdict v);
/** api_verdict of the word at (row 0, col) of res. */
bool api_verdict_res(struct http_req *r, PGresult *res, int col);

/**
 * api_list_query for a list inside a community, channel or post: each row
 * starts with the gate's verdict word, then (json text or NULL, cursor
 * key); a row whose json is NULL carries only the verdict (the caller may
 * not see items, or there are none).
 */
void api_list_query_gated(struct http_req *r, struct db_stmt *st,
    const char *const *lead, size_t nlead);
/** The kinds of list cursors: each list takes its own kind only (400). */
enum api_cursor {
	CURSOR_TIME, /* "time|uuid": (created_at, id) order */
	CURSOR_RANK, /* "rank|uuid": search results */
	CURSOR_ID,   /* a decimal id: the audit trail, revisions */
};
/**
 * ?limit= and ?cursor= of a list of this kind: NULL with *limit (50 when
 * absent) and cur[] set — the time or rank and the id (CURSOR_ID: the id
 * in cur[1]), and for a search past its first window the window's bound
 * in cur[2], cur[3]; all NULL without a cursor — or the 400 detail.
 */
const char *api_list_check(
    struct http_req *r, enum api_cursor kind, int *limit, const char *cur[4]);
/**
 * The parameters of GET /search: NULL with lead[1..5] set (q, community_id
 * in lower case, kind, tlp, since; NULL when absent), or the 400 detail.
 */
const char *api_search_check(struct http_req *r, const char *lead[6]);
/** api_list_query (gated: api_list_query_gated) with a cursor other than
 * CURSOR_TIME; the statement gets (NULL, id) for CURSOR_ID. */
void api_list_query_kind(struct http_req *r, struct db_stmt *st,
    const char *const *lead, size_t nlead, bool gated, enum api_cursor kind);
/** A body member that is present (even as JSON null): for PATCH, where null
 * clears a nullable field. */
bool api_has(json_t *body, const char *key);
/** A PostgreSQL array literal of n strings, quoted, in arena memory. */
char *api_pg_array(struct arena *a, const char *const *vals, size_t n);
/** The same, with NULL (or empty) strings as SQL NULL elements. */
char *api_pg_array_nulls(struct arena *a, const char *const *vals, size_t n);
/** RFC 3339: 2026-11-28T14:00:00Z, with an optional fraction and offset. */
bool api_rfc3339(const char *s);
/** A text member (multi-line) of 1 character to max_bytes bytes; NULL when
 * absent or wrong (the error recorded).  The string belongs to body. */
const char *api_text_bytes(json_t *body, const char *key, unsigned flags,
    size_t max_bytes, json_t *errors);
/**
 * A member that is an array of at most max_items strings, each one line of
 * 1..max_chars characters, duplicates merged, as a PostgreSQL array literal
 * in a; NULL when absent or null, or wrong (the error recorded).
 */
const char *api_string_list(json_t *body, const char *key, size_t max_items,
    size_t max_chars, struct arena *a, json_t *errors);
/** True when s is one of list (NULL-terminated). */
bool api_in(const char *s, const char *const *list);

/** The Idempotency-Key of a creating POST. */
struct api_idem {
	const char *key; /* NULL when the request has none */
	char hash[65];   /* SHA-256 of method, path and body */
};
/**
 * Read the Idempotency-Key header (1 to 255 visible ASCII characters) and
 * hash the request it names; 0 on success (key may be NULL), -1 after
 * answering 400 for a malformed key.
 */
int api_idempotency(struct http_req *r, struct api_idem *out);
/** The client address as a parameter for inet columns (NULL if none). */
const char *api_ip(struct http_req *r);
/** The lockout settings as query parameters (decimal text). */
struct api_limits {
	char account[24]; /* ISACD_LOGIN_MAX_ACCOUNT */
	char ip[24];      /* ISACD_LOGIN_MAX_IP */
	char window[24];  /* ISACD_LOGIN_WINDOW_S */
};
struct api_limits api_limits(struct http_req *r);
/** Answer 429 with Retry-After. */
void api_too_many(struct http_req *r, long seconds);
/** Answer 401 with a WWW-Authenticate challenge. */
void api_unauthorized(struct http_req *r, const char *detail);

/*
 * Password work off the loop.  A job holds copies of everything the worker
 * touches (never request memory: the request may be freed while the job
 * runs); free_job wipes the secrets.
 */
struct api_pw_job {
	struct http_req *r;
	char *password; /* verified against `hash` */
	size_t password_len;
	char hash[PASSWORD_HASH_MAX];
	bool rehash_if_needed; /* on a match, re-hash `password` if stale */
	char *new_password;    /* hashed into new_hash when set */
	size_t new_password_len;
	struct password_params params;
	int verified; /* result: 1 match, 0 mismatch, -1 error */
	bool have_new_hash;
	char new_hash[PASSWORD_HASH_MAX];
	void (*cont)(struct http_req *r, struct api_pw_job *j);
	/* flow state carried to the continuation */
	char user_id[37];
	char email[256];
	char totp_secret[40];
	long long totp_last_step;
	char totp_code[8];
	char display_name[404];
	bool has_display_name;
};

/** A zeroed job for request r (owned by the job machinery). */
struct api_pw_job *api_pw_job_new(struct http_req *r);
/**
 * Queue the job; its cont runs on the loop when done.  A full queue answers
 * 503 with Retry-After and frees the job; returns false then.
 */
bool api_pw_submit(struct http_req *r, struct api_pw_job *j);

/* handlers, one file per resource */
void api_health_healthz(struct http_req *r);
void api_health_readyz(struct http_req *r);
void api_health_metrics(struct http_req *r);
void api_auth_login(struct http_req *r);
void api_auth_logout(struct http_req *r);
void api_me_get(struct http_req *r);
void api_me_patch(struct http_req *r);
void api_totp_enrol(struct http_req *r);
void api_totp_confirm(struct http_req *r);
void api_totp_delete(struct http_req *r);
void api_tokens_list(struct http_req *r);
void api_tokens_create(struct http_req *r);
void api_tokens_get(struct http_req *r);
void api_tokens_delete(struct http_req *r);
void api_orgs_create(struct http_req *r);
void api_orgs_list(struct http_req *r);
void api_orgs_get(struct http_req *r);
void api_orgs_patch(struct http_req *r);
void api_comm_create(struct http_req *r);
void api_comm_list(struct http_req *r);
void api_comm_get(struct http_req *r);
void api_comm_patch(struct http_req *r);
void api_comm_audit(struct http_req *r);
void api_members_list(struct http_req *r);
void api_members_patch(struct http_req *r);
void api_members_delete(struct http_req *r);
void api_members_offboard(struct http_req *r);
void api_invites_create(struct http_req *r);
void api_invites_list(struct http_req *r);
void api_invites_revoke(struct http_req *r);
void api_invites_accept(struct http_req *r);
void api_join_create(struct http_req *r);
void api_join_list(struct http_req *r);
void api_join_get(struct http_req *r);
void api_join_approve(struct http_req *r);
void api_join_deny(struct http_req *r);
void api_channels_create(struct http_req *r);
void api_channels_list(struct http_req *r);
void api_channels_get(struct http_req *r);
void api_channels_patch(struct http_req *r);
void api_channels_delete(struct http_req *r);
void api_readers_list(struct http_req *r);
void api_readers_add(struct http_req *r);
void api_readers_remove(struct http_req *r);
void api_posts_create(struct http_req *r);
void api_posts_list(struct http_req *r);
void api_posts_get(struct http_req *r);
void api_posts_patch(struct http_req *r);
void api_posts_delete(struct http_req *r);
void api_posts_share(struct http_req *r);
void api_revisions_list(struct http_req *r);
void api_comments_list(struct http_req *r);
void api_comments_create(struct http_req *r);
void api_comments_patch(struct http_req *r);
void api_comments_delete(struct http_req *r);
void api_sightings_list(struct http_req *r);
void api_sightings_create(struct http_req *r);
void api_posts_stix(struct http_req *r);
void api_indicators_get(struct http_req *r);
void api_indicators_lookup(struct http_req *r);
void api_search(struct http_req *r);
void api_advisories_create(struct http_req *r);
void api_advisories_list(struct http_req *r);
void api_advisories_get(struct http_req *r);
void api_advisories_patch(struct http_req *r);
void api_advisories_withdraw(struct http_req *r);
void api_acks_create(struct http_req *r);
void api_acks_list(struct http_req *r);
void api_articles_list(struct http_req *r);
void api_articles_get(struct http_req *r);
void api_articles_create(struct http_req *r);
void api_articles_patch(struct http_req *r);
void api_articles_delete(struct http_req *r);
void api_questionnaire_get(struct http_req *r);
void api_questionnaire_publish(struct http_req *r);
void api_assessments_create(struct http_req *r);
void api_assessments_list(struct http_req *r);
void api_benchmark_get(struct http_req *r);
void api_insights_assessments(struct http_req *r);
void api_threat_community(struct http_req *r);
void api_threat_agency(struct http_req *r);
void api_realtime(struct http_req *r);
void api_realtime_ticket(struct http_req *r);
void api_retention_get(struct http_req *r);
void api_me_erase(struct http_req *r);
void api_users_erase(struct http_req *r);
void api_me_export(struct http_req *r);
void api_static_index(struct http_req *r);
void api_static_file(struct http_req *r);
void api_static_docs(struct http_req *r);
void api_static_openapi(struct http_req *r);

/* ---- privacy (api_privacy.c) ---- */

/**
 * PATCH of a community, channel or post whose body sets a legal hold
 * ({legal_hold, reason}): kind is "community", "channel" or "post", id its
 * id (already checked).  Answers the request.
 */
void api_hold_patch(struct http_req *r, const char *kind, const char *id);
/**
 * Answer 200 with json (a PATCH's answer, database text) plus
 * "retention_due": what the next purge run deletes in the community or
 * the channel (the other NULL) under the settings just made.
 */
void api_respond_with_due(struct http_req *r, const char *json,
    const char *community, const char *channel);

/* body parsers: pure, exposed for the JSON fuzz target */
struct login_input {
	const char *email;
	const char *password;
	size_t password_len;
	const char *totp;
};
/** Parse a login body; problems are appended to errors. */
void api_auth_parse_login(json_t *body, struct login_input *in, json_t *errors);

struct me_patch_input {
	const char *display_name;
	const char *current;
	size_t current_len;
	const char *new_password;
	size_t new_len;
};
void api_me_parse_patch(
    json_t *body, struct me_patch_input *in, json_t *errors);

struct token_input {
	const char *name;
	const char *scopes; /* "{read}" or "{read,write}" */
	long long days;
};
void api_tokens_parse_create(
    json_t *body, long long max_days, struct token_input *in, json_t *errors);

struct org_input {
	const char *name;
	const char *sector;
	char country[3];
	bool has_country;
};
void api_orgs_parse_create(json_t *body, struct org_input *in, json_t *errors);

struct org_patch_input {
	struct org_input fields;      /* name NULL: unchanged */
	bool has_sector, has_country; /* present, even as null: clear */
	const char *status;
};
/** Parse PATCH /organisations/{id}: the create rules, none required. */
void api_orgs_parse_patch(
    json_t *body, struct org_patch_input *in, json_t *errors);

/** Parse {code}: a 6-digit string. */
const char *api_totp_parse_code(json_t *body, json_t *errors);

struct community_input {
	const char *name, *kind, *description, *join_policy, *roster;
	const char *statistics; /* "none" or "agency"; NULL: absent */
	bool has_description;   /* present, even as null (PATCH: clear) */
	int listed, require_totp, erase; /* -1 absent, else 0 or 1 */
	bool has_retention;
	long long retention_days; /* 0: absent or null (keep) */
	bool has_retention_by_tlp;
	char *retention_by_tlp; /* compact JSON, malloc'd; the caller frees */
	const char *owner_email, *owner_org;
	char owner_org_buf[37];
};
/** Parse POST (patch false: owner required) or PATCH /communities. */
void api_comm_parse(json_t *body, bool patch, long long max_days,
    struct community_input *in, json_t *errors);

struct member_input {
	const char *role, *status;
};
/** Parse PATCH /communities/{id}/members/{user_id}. */
void api_member_parse(json_t *body, struct member_input *in, json_t *errors);

struct invite_input {
	const char *email, *organisation_id, *role;
	char org_buf[37];
};
/** Parse POST /communities/{id}/invites. */
void api_invite_parse(json_t *body, struct invite_input *in, json_t *errors);

struct accept_input {
	const char *token, *display_name, *password;
	size_t password_len;
};
/** Parse POST /invites/accept; account fields are checked by the handler. */
void api_accept_parse(json_t *body, struct accept_input *in, json_t *errors);

struct channel_input {
	const char *name, *description, *visibility, *posting;
	bool has_description, has_retention;
	long long retention_days; /* 0: absent or null */
};
/** Parse POST (patch false: visibility and posting required) or PATCH. */
void api_channel_parse(json_t *body, bool patch, long long max_days,
    struct channel_input *in, json_t *errors);

struct arena;
struct post_input {
	const char *kind, *title, *body, *tlp, *severity;
	bool severity_set; /* present, even as null (PATCH: clear) */
	bool anonymous;
	/* PostgreSQL array literals in the arena; NULL: absent (PATCH) */
	const char *tags, *recipients, *ind_types, *ind_values;
};
/**
 * Parse and validate a post (patch false: kind, title, body and tlp
 * required): tags lower-cased and merged, recipients de-duplicated,
 * indicators normalised (domain/indicator.c) and merged.
 */
void api_post_parse(json_t *body, bool patch, struct arena *a,
    struct post_input *in, json_t *errors);

struct advisory_input {
	const char *title, *summary, *body, *severity, *tlp, *source;
	bool source_set; /* present, even as null (PATCH: clear) */
	/* PostgreSQL array literals in the arena; NULL: absent (PATCH) */
	const char *cves, *products, *actions;
	bool has_targets; /* targets given (and valid) */
	bool target_all;
	const char *target_kinds, *target_ids; /* array literals */
};
/**
 * Parse and validate an advisory (patch false: title, summary, body,
 * severity, tlp and targets required): TLP:CLEAR, GREEN or AMBER only, CVE
 * ids normalised, lists de-duplicated, targets naming some community.
 */
void api_advisory_parse(json_t *body, bool patch, struct arena *a,
    struct advisory_input *in, json_t *errors);

struct ack_input {
	const char *status, *note;
};
/** Parse POST /advisories/{id}/acks: {status, note?}. */
void api_ack_parse(json_t *body, struct ack_input *in, json_t *errors);

struct article_input {
	const char *slug, *lang, *title, *summary, *body, *category, *status;
	const char *translation;
	bool translation_set; /* present, even as null (PATCH: clear) */
	/* array literals in the arena; NULL: absent (PATCH) */
	const char *principles, *tags;
};
/**
 * Parse and validate an article (patch false: slug, lang, title, summary,
 * body and category required; patch: no slug); principles 1..5 sorted and
 * de-duplicated, tags lower-cased.
 */
void api_article_parse(json_t *body, bool patch, struct arena *a,
    struct article_input *in, json_t *errors);
/** The filters of GET /articles (NULL: absent): NULL, or the 400 detail. */
const char *api_articles_check(const char *category, const char *principle,
    const char *q, const char *lang);
/** Whether s is an article slug: 1..100 of [a-z0-9] in dash-separated
 * words. */
bool api_slug_valid(const char *s);

/**
 * Parse and validate a questionnaire (POST /assessment): the five
 * principles once each, every one with 1..20 questions of 2..10 options,
 * ids unique, texts in Dutch and English, scores 0..100.  On success the
 * content to store, as compact JSON in the arena; NULL otherwise.
 */
const char *api_questionnaire_parse(
    json_t *body, struct arena *a, json_t *errors);

struct answers_input {
	const char *questions, *options; /* array literals, same length */
	const char *lang;                /* "nl" unless given */
	long long version;               /* 0: not given */
};
/** Parse POST /organisations/{id}/assessments: {answers, version?, lang?}. */
void api_answers_parse(
    json_t *body, struct arena *a, struct answers_input *in, json_t *errors);

/**
 * Check ?weeks= (1..52; NULL: 12) and ?group_by= (one of groups; NULL: the
 * first) of an aggregate: NULL with *weeks and *group set, or the 400
 * detail (group_detail for a group that is not one of them).  Pure,
 * fuzzed.
 */
const char *api_aggregate_check(const char *weeks_s, const char *group_s,
    const char *const *groups, const char *group_detail, int *weeks,
    const char **group);
struct hold_input {
	bool hold;
	const char *reason; /* NULL: none given */
};
/** Parse {legal_hold, reason} (reason required when setting a hold). */
void api_hold_parse(json_t *body, struct hold_input *in, json_t *errors);

struct erase_input {
	const char *password;
	size_t password_len;
};
/** Parse DELETE /me: {password}. */
void api_erase_parse(json_t *body, struct erase_input *in, json_t *errors);

#endif
