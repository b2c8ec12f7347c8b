/*
 * api_privacy.c - what the AVG/GDPR asks of the API: the retention
 * preview, legal holds, erasure of an account (by its owner or by staff)
 * and the export of one's own data.
 *
 * The rules are SQL (schema/functions/25_retention.sql, 80_privacy.sql;
 * who governs retention and holds: 20_access.sql), and each handler runs
 * one statement that both asks and acts, and answers from its verdict.
 * Erasure is the exception in shape, not in kind: its statement rewrites
 * what the account wrote in bounded steps (each at most ERASE_STEP rows,
 * so a step writes few events) and answers 'more' until the last step
 * erases the account itself; the handler calls it again each time.
 * DELETE /me asks for the password first, off the loop like every
 * password check, and counts a wrong one as a failed login.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "domain/validate.h"
#include "store/store.h"

/* rows an erasure step rewrites at most: its events stay far below the
 * 4,095 a transaction may write */
#define ERASE_STEP "500"

struct erase_state {
	const char *params[4];
	const char *password;
	size_t password_len;
};

struct due_state {
	const char *json; /* the PATCH's answer, to extend */
};

static void api_retention_got(struct http_req *r, PGresult *res);
static void api_hold_done(struct http_req *r, PGresult *res);
static void api_due_got(struct http_req *r, PGresult *res);
static void api_erase_secrets(struct http_req *r, PGresult *res);
static void api_erase_verified(struct http_req *r, struct api_pw_job *j);
static void api_erase_wrong_password(struct http_req *r, PGresult *res);
static void api_erase_start(struct http_req *r);
static void api_erase_stepped(struct http_req *r, PGresult *res);
static void api_export_got(struct http_req *r, PGresult *res);

/* ---- parsing: pure, fuzzed ----------------------------------------------- */

void
api_hold_parse(json_t *body, struct hold_input *in, json_t *errors)
{
	const char *key;
	json_t *v;
	size_t before;
	bool hold;
	int got;

	memset(in, 0, sizeof(*in));
	json_object_foreach(body, key, v)
	{
		if (strcmp(key, "legal_hold") != 0 &&
		    strcmp(key, "reason") != 0)
			v_error(errors, key,
			    "cannot change with a legal hold: send {legal_hold, "
			    "reason} on its own");
	}
	got = v_bool(body, "legal_hold", V_REQUIRED, &hold, errors);
	before = json_array_size(errors);
	in->reason = v_string(body, "reason", V_SINGLELINE, 1, 500, errors);
	if (got <= 0)
		return;
	in->hold = hold;
	if (hold && in->reason == NULL && json_array_size(errors) == before)
		v_error(errors, "reason", "is required to set a legal hold");
}

void
api_erase_parse(json_t *body, struct erase_input *in, json_t *errors)
{
	static const char *const fields[] = {"password", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->password = v_string(
	    body, "password", V_REQUIRED, 1, PASSWORD_MAX_BYTES, errors);
	if (in->password)
		in->password_len =
		    json_string_length(json_object_get(body, "password"));
	if (in->password_len > PASSWORD_MAX_BYTES) {
		v_error(errors, "password", "must be at most 1024 bytes");
		in->password = NULL;
	}
}

/* ---- the retention preview ------------------------------------------------
 */

void
api_retention_get(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *params[3];
	struct app *app = api_app(r);
	long long next =
	    app->purge_next_run ? app->purge_next_run(app->purge) : 0;

	if (id == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = NULL;
	if (next > 0) {
		time_t t = (time_t)next;
		struct tm tm;
		char *buf = arena_alloc(r->arena, 32);

		gmtime_r(&t, &tm);
		strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
		params[2] = buf;
	}
	api_query(r, &store_retention_get, params, api_retention_got);
}

/* → verdict, retention json */
static void
api_retention_got(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

/* What a change of retention will delete: the answer of the PATCH, with
 * "retention_due" added (community or channel, the other NULL). */
void
api_respond_with_due(struct http_req *r, const char *json,
    const char *community, const char *channel)
{
	struct due_state *st = arena_zalloc(r->arena, sizeof(*st));
	const char *params[2] = {community, channel};

	st->json = arena_strdup(r->arena, json);
	r->state = st;
	api_query(r, &store_retention_due, params, api_due_got);
}

/* → {"posts", "comments"} */
static void
api_due_got(struct http_req *r, PGresult *res)
{
	struct due_state *st = r->state;
	const char *due = api_db_json(r, PQgetvalue(res, 0, 0));

	api_respond_text(r, 200,
	    api_db_json_extend(r, st->json,
	        arena_printf(r->arena, "\"retention_due\":%s", due)));
}

/* ---- legal holds -----------------------------------------------------------
 */

void
api_hold_patch(struct http_req *r, const char *kind, const char *id)
{
	struct hold_input in;
	json_t *errors = json_array();
	const char *params[6];

	api_hold_parse(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = kind;
	params[2] = id;
	params[3] = in.hold ? "true" : "false";
	params[4] = in.reason;
	params[5] = api_ip(r);
	api_query(r, &store_hold, params, api_hold_done);
}

/* → verdict, response json */
static void
api_hold_done(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

/* ---- erasure
 * ----------------------------------------------------------------- */

void
api_me_erase(struct http_req *r)
{
	struct erase_state *st = arena_zalloc(r->arena, sizeof(*st));
	struct erase_input in;
	json_t *errors = json_array();
	struct api_limits lim = api_limits(r);
	const char *params[3];

	api_erase_parse(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	st->password = in.password;
	st->password_len = in.password_len;
	st->params[0] = api_principal(r)->user_id;
	st->params[1] = api_principal(r)->user_id;
	r->state = st;
	/* the password is checked like a login's: the attempt counts now */
	params[0] = api_principal(r)->user_id;
	params[1] = lim.account;
	params[2] = lim.window;
	api_query(r, &store_me_secrets, params, api_erase_secrets);
}

/* → password hash, account wait (the attempt is counted when NULL) */
static void
api_erase_secrets(struct http_req *r, PGresult *res)
{
	struct erase_state *st = r->state;
	struct api_pw_job *j;

	if (PQntuples(res) != 1) {
		api_unauthorized(r, "the account no longer exists");
		return;
	}
	if (!PQgetisnull(res, 0, 1)) {
		api_too_many(r, atol(PQgetvalue(res, 0, 1)));
		return;
	}
	j = api_pw_job_new(r);
	snprintf(j->hash, sizeof(j->hash), "%s", PQgetvalue(res, 0, 0));
	j->password = xstrndup(st->password, st->password_len);
	j->password_len = st->password_len;
	j->cont = api_erase_verified;
	api_pw_submit(r, j);
}

static void
api_erase_verified(struct http_req *r, struct api_pw_job *j)
{
	struct api_limits lim = api_limits(r);
	const char *params[5];

	if (j->verified == 1) {
		api_erase_start(r);
		return;
	}
	/* a wrong password counts against the account like a failed login */
	params[0] = api_principal(r)->user_id;
	params[1] = api_ip(r);
	params[2] = lim.account;
	params[3] = lim.window;
	params[4] = "erasure_failed";
	api_query(r, &store_account_fail, params, api_erase_wrong_password);
}

static void
api_erase_wrong_password(struct http_req *r, PGresult *res)
{
	json_t *errors = json_array();

	(void)res;
	v_error(errors, "password", "is not correct");
	http_respond_problem_errors(
	    r, 403, "the password is not correct", errors);
}

void
api_users_erase(struct http_req *r)
{
	struct erase_state *st = arena_zalloc(r->arena, sizeof(*st));

	st->params[1] = api_uuid_param(r, "id");
	if (st->params[1] == NULL)
		return;
	st->params[0] = api_principal(r)->user_id;
	r->state = st;
	api_erase_start(r);
}

static void
api_erase_start(struct http_req *r)
{
	struct erase_state *st = r->state;

	st->params[2] = api_ip(r);
	st->params[3] = ERASE_STEP;
	api_query(r, &store_erase_step, st->params, api_erase_stepped);
}

/* → outcome: 'more' (again), 'ok', or why not */
static void
api_erase_stepped(struct http_req *r, PGresult *res)
{
	struct erase_state *st = r->state;
	enum auth_verdict v = api_verdict_at(res, 0);

	if (v == AUTH_V_MORE) {
		api_query(r, &store_erase_step, st->params, api_erase_stepped);
		return;
	}
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}

/* ---- export
 * ------------------------------------------------------------------- */

void
api_me_export(struct http_req *r)
{
	const char *params[1] = {api_principal(r)->user_id};

	api_query(r, &store_me_export, params, api_export_got);
}

/* → the export json (NULL when the account is gone) */
static void
api_export_got(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		api_unauthorized(r, "the account no longer exists");
		return;
	}
	http_req_add_header(r, "Content-Disposition",
	    "attachment; filename=\"isacd-export.json\"");
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}
