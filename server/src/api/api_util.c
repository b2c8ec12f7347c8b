/*
 * api_util.c - the plumbing every handler uses: queries bound to a request,
 * SQLSTATE → HTTP status (in one place), lists with cursors, password jobs.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/work.h"
#include "domain/validate.h"

struct api_query_ctx {
	struct http_req *r;
	api_result_fn fn;
	const char *stmt;
};

static void api_query_done(struct db_result *res, void *arg);
static const char *api_conflict_message(const char *constraint);
static void api_list_done(struct http_req *r, PGresult *res);
static void api_list_respond(
    struct http_req *r, PGresult *res, int limit, int col);
static void api_pw_run(void *arg);
static void api_pw_done(void *arg);
static void api_pw_free(void *arg);

void
api_query(struct http_req *r, struct db_stmt *st, const char *const *params,
    api_result_fn fn)
{
	struct api_query_ctx *ctx = arena_alloc(r->arena, sizeof(*ctx));
	struct db_query *q;

	ctx->r = r;
	ctx->fn = fn;
	ctx->stmt = st->name;
	q = db_query(api_app(r)->db, st, params, api_query_done, ctx);
	http_req_set_pending(r, q, db_query_abandon);
}

static void
api_query_done(struct db_result *res, void *arg)
{
	struct api_query_ctx *ctx = arg;
	struct http_req *r = ctx->r;

	http_req_clear_pending(r);
	if (res->status != DB_OK) {
		if (res->status == DB_ERROR)
			log_debug("request %s: %s failed: %s %s", r->request_id,
			    ctx->stmt, res->sqlstate, res->message);
		api_db_fail(r, res);
		return;
	}
	/* a change may have written events (their triggers did): the
	 * realtime layer reads them now and tells the other instances */
	if (r->head.method != HTTP_GET && r->head.method != HTTP_HEAD &&
	    api_app(r)->rt_written)
		api_app(r)->rt_written(api_app(r)->rt);
	ctx->fn(r, res->res);
}

void
api_db_fail(struct http_req *r, const struct db_result *res)
{
	const char *st = res->sqlstate ? res->sqlstate : "";

	switch (res->status) {
	case DB_OK:
		break;
	case DB_UNAVAILABLE:
	case DB_BUSY:
	case DB_TIMEOUT:
		http_req_add_header(r, "Retry-After", "1");
		http_respond_problem(r, 503,
		    res->status == DB_BUSY ? "the server is busy"
		                           : "the database is unavailable");
		return;
	case DB_ERROR:
		if (strcmp(st, "23505") == 0) {
			http_respond_problem(
			    r, 409, api_conflict_message(res->constraint));
			return;
		}
		if (strcmp(st, "23503") == 0) {
			http_respond_problem(r, 422,
			    "it refers to something that does not exist");
			return;
		}
		if (strcmp(st, "23514") == 0 || strcmp(st, "23502") == 0 ||
		    strncmp(st, "22", 2) == 0) {
			http_respond_problem(r, 400, "a value is not valid");
			return;
		}
		if (strcmp(st, "57014") == 0 || strcmp(st, "40001") == 0 ||
		    strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0) {
			http_req_add_header(r, "Retry-After", "1");
			http_respond_problem(
			    r, 503, "the database is busy; try again");
			return;
		}
		log_error("request %s: database error %s", r->request_id, st);
		http_respond_problem(r, 500, "internal error");
		return;
	}
	http_respond_problem(r, 500, "internal error");
}

/* The unique constraint that failed → what to tell the client. */
static const char *
api_conflict_message(const char *constraint)
{
	static const struct {
		const char *constraint;
		const char *message;
	} known[] = {
	    {"organisations_name_key",
	        "an organisation with this name already exists"},
	    {"users_email_key", "an account with this e-mail address exists"},
	    {"communities_name_key",
	        "a community with this name already exists"},
	    {"channels_name_key",
	        "this community already has a channel with this name"},
	    {"invites_pending_key",
	        "this e-mail address already has a pending invite to this "
	        "community; revoke it first"},
	    {"join_requests_pending_key",
	        "you already have a pending request to join this community"},
	    {"channel_readers_pkey", "this member already reads the channel"},
	    {"memberships_pkey", "already a member of this community"},
	    {"articles_slug_key", "an article with this slug already exists"},
	};

	for (size_t i = 0; constraint && i < sizeof(known) / sizeof(known[0]);
	     i++)
		if (strcmp(known[i].constraint, constraint) == 0)
			return known[i].message;
	return "it already exists";
}

void
api_respond_text(struct http_req *r, int status, const char *json)
{
	http_respond(
	    r, status, "application/json; charset=utf-8", json, strlen(json));
}

const char *
api_db_json(struct http_req *r, const char *text)
{
	return api_db_json_extend(r, text, NULL);
}

const char *
api_db_json_extend(struct http_req *r, const char *text, const char *members)
{
	size_t n = strlen(text), extra = members ? strlen(members) : 0, len;
	char *buf = arena_alloc(r->arena, n + extra + 2);

	len = codec_json_compact(buf, text, n);
	if (extra > 0) {
		if (len < 2 || buf[len - 1] != '}')
			fatal("the database returned no JSON object");
		len--;
		if (len > 1) /* not {} */
			buf[len++] = ',';
		memcpy(buf + len, members, extra);
		len += extra;
		buf[len++] = '}';
	}
	buf[len] = '\0';
	return buf;
}

void
api_respond_db(struct http_req *r, int status, const char *text)
{
	api_respond_text(r, status, api_db_json(r, text));
}

bool
api_reject_errors(struct http_req *r, json_t *errors)
{
	if (json_array_size(errors) == 0) {
		json_decref(errors);
		return false;
	}
	http_respond_problem_errors(
	    r, 400, "the request body is not valid", errors);
	return true;
}

const char *
api_uuid_param(struct http_req *r, const char *name)
{
	const char *v = http_req_param(r, name);
	char *lower;

	if (v == NULL || !codec_uuid_valid(v, strlen(v))) {
		http_respond_problem(r, 404, "no such resource");
		return NULL;
	}
	lower = arena_strdup(r->arena, v);
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p - 'A' + 'a');
	return lower;
}

/*
 * ?limit= and ?cursor=.  A cursor is the base64url of the last item's key,
 * of the list's own kind: "time|uuid" for lists ordered by (created_at,
 * id), "rank|uuid" or "rank|uuid|time|uuid" (past the first window, whose
 * bound the last two name) for search results, the decimal id for lists
 * ordered by a number (the audit trail, revisions).  A cursor of another
 * kind is 400.  cur[0], cur[1]: the time or rank and the id; cur[2],
 * cur[3]: a search window's bound.
 */
static bool
api_cursor_time(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789-:. +") == n;
}

const char *
api_list_check(
    struct http_req *r, enum api_cursor kind, int *limit, const char *cur[4])
{
	static const char bad_limit[] =
	    "limit must be a whole number from 1 to 200";
	static const char bad_cursor[] = "the cursor is not valid";
	const char *v;
	int rc;

	*limit = 50;
	cur[0] = cur[1] = cur[2] = cur[3] = NULL;
	rc = http_req_query(r, "limit", &v);
	if (rc < 0)
		return bad_limit;
	if (rc > 0) {
		char *end;
		long n;

		if (v[0] < '0' || v[0] > '9' || strlen(v) > 4)
			return bad_limit;
		n = strtol(v, &end, 10);
		if (*end != '\0' || n < 1 || n > 200)
			return bad_limit;
		*limit = (int)n;
	}
	rc = http_req_query(r, "cursor", &v);
	if (rc < 0)
		return bad_cursor;
	if (rc > 0) {
		uint8_t buf[192];
		long n =
		    codec_base64url_decode(buf, sizeof(buf) - 1, v, strlen(v));
		char *bar, *text, *id;
		size_t lead;

		if (n <= 0)
			return bad_cursor;
		buf[n] = '\0';
		text = arena_strndup(r->arena, (const char *)buf, (size_t)n);
		if (strlen(text) != (size_t)n)
			return bad_cursor;
		if (kind == CURSOR_ID) {
			if (n > 18 || strspn(text, "0123456789") != (size_t)n)
				return bad_cursor;
			cur[1] = text;
			return NULL;
		}
		bar = strchr(text, '|');
		if (bar == NULL || bar == text)
			return bad_cursor;
		lead = (size_t)(bar - text);
		*bar = '\0';
		id = bar + 1;
		if (kind == CURSOR_RANK) {
			if (strspn(text, "0123456789.e-+") != lead)
				return bad_cursor;
			bar = strchr(id, '|');
			if (bar != NULL) {
				char *wid;

				*bar = '\0';
				wid = strchr(bar + 1, '|');
				if (wid == NULL ||
				    !api_cursor_time(
				        bar + 1, (size_t)(wid - bar - 1)) ||
				    !codec_uuid_valid(wid + 1, strlen(wid + 1)))
					return bad_cursor;
				*wid = '\0';
				cur[2] = bar + 1;
				cur[3] = wid + 1;
			}
		} else if (!api_cursor_time(text, lead))
			return bad_cursor;
		if (!codec_uuid_valid(id, strlen(id)))
			return bad_cursor;
		cur[0] = text;
		cur[1] = id;
	}
	return NULL;
}

struct api_list_state {
	int limit;
	bool gated;
};

void
api_list_query(struct http_req *r, struct db_stmt *st, const char *const *lead,
    size_t nlead)
{
	api_list_query_kind(r, st, lead, nlead, false, CURSOR_TIME);
}

void
api_list_query_gated(struct http_req *r, struct db_stmt *st,
    const char *const *lead, size_t nlead)
{
	api_list_query_kind(r, st, lead, nlead, true, CURSOR_TIME);
}

void
api_list_query_kind(struct http_req *r, struct db_stmt *st,
    const char *const *lead, size_t nlead, bool gated, enum api_cursor kind)
{
	const char **params =
	    arena_alloc(r->arena, (nlead + 5) * sizeof(char *));
	struct api_list_state *ls = arena_zalloc(r->arena, sizeof(*ls));
	const char *cur[4], *bad;

	bad = api_list_check(r, kind, &ls->limit, cur);
	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return;
	}
	for (size_t i = 0; i < nlead; i++)
		params[i] = lead[i];
	params[nlead] = cur[0];
	params[nlead + 1] = cur[1];
	params[nlead + 2] = arena_printf(r->arena, "%d", ls->limit + 1);
	/* a search window's bound follows (the statement's last two) */
	params[nlead + 3] = cur[2];
	params[nlead + 4] = cur[3];
	ls->gated = gated;
	r->state = ls;
	api_query(r, st, params, api_list_done);
}

static void
api_list_done(struct http_req *r, PGresult *res)
{
	struct api_list_state *ls = r->state;

	if (ls->gated && !api_verdict_res(r, res, 0))
		return;
	api_list_respond(r, res, ls->limit, ls->gated ? 1 : 0);
}

/* Rows whose json (column col) is not NULL are the items; col + 1 the key. */
static void
api_list_respond(struct http_req *r, PGresult *res, int limit, int col)
{
	int n = PQntuples(res), items = 0, last = -1;
	size_t cap = 64, len;
	bool more = false;
	char *buf;

	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, i, col))
			continue;
		if (items == limit) {
			more = true;
			break;
		}
		cap += (size_t)PQgetlength(res, i, col) + 1;
		items++;
		last = i;
	}
	if (more)
		cap += (size_t)PQgetlength(res, last, col + 1) * 4 / 3 + 8;
	buf = arena_alloc(r->arena, cap);
	memcpy(buf, "{\"items\":[", 10);
	len = 10;
	for (int i = 0, k = 0; i < n && k < items; i++) {
		if (PQgetisnull(res, i, col))
			continue;
		if (k++ > 0)
			buf[len++] = ',';
		len += codec_json_compact(buf + len, PQgetvalue(res, i, col),
		    (size_t)PQgetlength(res, i, col));
	}
	memcpy(buf + len, "],\"next_cursor\":", 16);
	len += 16;
	if (more) {
		const char *key = PQgetvalue(res, last, col + 1);

		buf[len++] = '"';
		len += codec_base64url(
		    buf + len, (const uint8_t *)key, strlen(key));
		buf[len++] = '"';
	} else {
		memcpy(buf + len, "null", 4);
		len += 4;
	}
	buf[len++] = '}';
	http_respond(r, 200, "application/json; charset=utf-8", buf, len);
}

bool
api_has(json_t *body, const char *key)
{
	return body != NULL && json_object_get(body, key) != NULL;
}

char *
api_pg_array(struct arena *a, const char *const *vals, size_t n)
{
	size_t cap = 3, len = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += strlen(vals[i]) * 2 + 3;
	out = arena_alloc(a, cap);
	out[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[len++] = ',';
		out[len++] = '"';
		for (const char *p = vals[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[len++] = '\\';
			out[len++] = *p;
		}
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

char *
api_pg_array_nulls(struct arena *a, const char *const *vals, size_t n)
{
	size_t cap = 3, len = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		cap += (vals[i] ? strlen(vals[i]) * 2 : 0) + 5;
	out = arena_alloc(a, cap);
	out[len++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[len++] = ',';
		if (vals[i] == NULL || vals[i][0] == '\0') {
			memcpy(out + len, "NULL", 4);
			len += 4;
			continue;
		}
		out[len++] = '"';
		for (const char *p = vals[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[len++] = '\\';
			out[len++] = *p;
		}
		out[len++] = '"';
	}
	out[len++] = '}';
	out[len] = '\0';
	return out;
}

const char *
api_text_bytes(json_t *body, const char *key, unsigned flags, size_t max_bytes,
    json_t *errors)
{
	const char *s = v_string(body, key, flags, 1, max_bytes, errors);
	char msg[80];

	if (s != NULL && strlen(s) > max_bytes) {
		snprintf(
		    msg, sizeof(msg), "must be at most %zu bytes", max_bytes);
		v_error(errors, key, msg);
		return NULL;
	}
	return s;
}

const char *
api_string_list(json_t *body, const char *key, size_t max_items,
    size_t max_chars, struct arena *a, json_t *errors)
{
	json_t *list = json_object_get(body, key), *v;
	const char **vals;
	size_t n = 0, i;
	char msg[120];

	if (list == NULL || json_is_null(list))
		return NULL;
	if (!json_is_array(list) || json_array_size(list) > max_items) {
		snprintf(msg, sizeof(msg),
		    "must be an array of at most %zu strings", max_items);
		v_error(errors, key, msg);
		return NULL;
	}
	vals = arena_alloc(a, (json_array_size(list) + 1) * sizeof(*vals));
	json_array_foreach(list, i, v)
	{
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);
		bool dup = false;

		if (s == NULL || len == 0 || memchr(s, '\0', len) != NULL ||
		    !codec_utf8_valid(s, len) ||
		    codec_utf8_len(s, len) > max_chars) {
			snprintf(msg, sizeof(msg),
			    "each must be 1 to %zu characters of text",
			    max_chars);
			v_error(errors, key, msg);
			return NULL;
		}
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)s[k];

			if (c < 0x20 || c == 0x7f) {
				v_error(errors, key,
				    "each must be one line, without control "
				    "characters");
				return NULL;
			}
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(vals[k], s) == 0)
				dup = true;
		if (!dup)
			vals[n++] = arena_strndup(a, s, len);
	}
	return api_pg_array(a, vals, n);
}

bool
api_in(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

int
api_idempotency(struct http_req *r, struct api_idem *out)
{
	const char *k = http_req_header(r, "idempotency-key");
	EVP_MD_CTX *ctx;
	uint8_t md[32];
	unsigned mdlen = 0;
	size_t n;

	out->key = NULL;
	out->hash[0] = '\0';
	if (k == NULL)
		return 0;
	n = strlen(k);
	if (n == 0 || n > 255) {
		http_respond_problem(r, 400,
		    "Idempotency-Key must be 1 to 255 visible ASCII characters");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x21 || k[i] > 0x7e) {
			http_respond_problem(r, 400,
			    "Idempotency-Key must be 1 to 255 visible ASCII "
			    "characters");
			return -1;
		}
	/* the same key with another request is refused (422) */
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, r->head.method_str, r->head.method_len) !=
	        1 ||
	    EVP_DigestUpdate(ctx, " ", 1) != 1 ||
	    EVP_DigestUpdate(ctx, r->head.path, r->head.path_len) != 1 ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1 ||
	    EVP_DigestUpdate(ctx, r->body, r->body_len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != sizeof(md))
		fatal("sha256 failed");
	EVP_MD_CTX_free(ctx);
	codec_hex(out->hash, md, sizeof(md));
	out->key = k;
	return 0;
}

const char *
api_ip(struct http_req *r)
{
	return r->peer && r->peer[0] ? r->peer : NULL;
}

struct api_limits
api_limits(struct http_req *r)
{
	const struct config *cfg = api_app(r)->cfg;
	struct api_limits l;

	snprintf(l.account, sizeof(l.account), "%ld", cfg->login_max_account);
	snprintf(l.ip, sizeof(l.ip), "%ld", cfg->login_max_ip);
	snprintf(l.window, sizeof(l.window), "%ld", cfg->login_window_s);
	return l;
}

void
api_too_many(struct http_req *r, long seconds)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", seconds > 0 ? seconds : 1);
	http_req_add_header(r, "Retry-After", buf);
	http_respond_problem(
	    r, 429, "too many failed attempts; try again later");
}

void
api_unauthorized(struct http_req *r, const char *detail)
{
	http_req_add_header(r, "WWW-Authenticate", "Bearer realm=\"isacd\"");
	http_respond_problem(r, 401, detail);
}

/* ---- password jobs ----------------------------------------------------- */

struct api_pw_job *
api_pw_job_new(struct http_req *r)
{
	struct api_pw_job *j = xcalloc(1, sizeof(*j));

	j->r = r;
	j->params = api_app(r)->pw;
	j->verified = -1;
	return j;
}

bool
api_pw_submit(struct http_req *r, struct api_pw_job *j)
{
	struct work *w = work_submit(
	    api_app(r)->work, api_pw_run, api_pw_done, api_pw_free, j);

	if (w == NULL) {
		api_pw_free(j);
		http_req_add_header(r, "Retry-After", "1");
		http_respond_problem(
		    r, 503, "too many logins at once; try again");
		return false;
	}
	http_req_set_pending(r, w, work_abandon);
	return true;
}

/* worker thread: touches only the job */
static void
api_pw_run(void *arg)
{
	struct api_pw_job *j = arg;

	if (j->password != NULL) {
		j->verified =
		    password_verify(j->hash, j->password, j->password_len);
		if (j->verified == 1 && j->rehash_if_needed &&
		    password_needs_rehash(j->hash, &j->params))
			j->have_new_hash =
			    password_hash(j->password, j->password_len,
			        &j->params, j->new_hash,
			        sizeof(j->new_hash)) == 0;
	}
	if (j->new_password != NULL &&
	    (j->password == NULL || j->verified == 1))
		j->have_new_hash =
		    password_hash(j->new_password, j->new_password_len,
		        &j->params, j->new_hash, sizeof(j->new_hash)) == 0;
}

static void
api_pw_done(void *arg)
{
	struct api_pw_job *j = arg;

	http_req_clear_pending(j->r);
	j->cont(j->r, j);
}

static void
api_pw_free(void *arg)
{
	struct api_pw_job *j = arg;

	if (j->password) {
		OPENSSL_cleanse(j->password, j->password_len);
		free(j->password);
	}
	if (j->new_password) {
		OPENSSL_cleanse(j->new_password, j->new_password_len);
		free(j->new_password);
	}
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}
