/*
 * api_me.c - the caller's own account: GET/PATCH /me and TOTP enrolment.
 *
 * Changing the password needs the current one (verified off the loop, with
 * failures counted against the account like failed logins) and revokes every
 * other session in the same statement that stores the new hash.  TOTP codes
 * are checked on the loop (one HMAC is cheap) and a used step is recorded in
 * the same statement that acts on it, so a code works once.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/clock.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "domain/totp.h"
#include "domain/validate.h"
#include "store/store.h"

struct me_state {
	struct me_patch_input in;
	const char *code;
	int64_t step;
	bool deleting; /* DELETE /me/totp rather than confirm */
};

static void api_me_got(struct http_req *r, PGresult *res);
static void api_me_secrets(struct http_req *r, PGresult *res);
static void api_me_verified(struct http_req *r, struct api_pw_job *j);
static void api_me_update(struct http_req *r, const char *new_hash);
static void api_me_updated(struct http_req *r, PGresult *res);
static void api_me_fail(
    struct http_req *r, const char *action, api_result_fn then);
static void api_me_wrong_password(struct http_req *r, PGresult *res);
static void api_totp_enrolled(struct http_req *r, PGresult *res);
static void api_totp_got(struct http_req *r, PGresult *res);
static void api_totp_done(struct http_req *r, PGresult *res);
static void api_totp_wrong_code(struct http_req *r, PGresult *res);
static void api_totp_code_request(struct http_req *r, bool deleting);

void
api_me_get(struct http_req *r)
{
	const char *params[1] = {api_principal(r)->user_id};

	api_query(r, &store_me_get, params, api_me_got);
}

static void
api_me_got(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		api_unauthorized(r, "the account no longer exists");
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}

void
api_me_parse_patch(json_t *body, struct me_patch_input *in, json_t *errors)
{
	static const char *const fields[] = {"display_name", "password", NULL};
	static const char *const pw_fields[] = {"current", "new", NULL};
	json_t *pw = json_object_get(body, "password");

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->display_name =
	    v_string(body, "display_name", V_SINGLELINE, 1, 100, errors);
	if (pw == NULL || json_is_null(pw))
		return;
	if (!json_is_object(pw)) {
		v_error(errors, "password",
		    "must be an object {\"current\", \"new\"}");
		return;
	}
	{
		json_t *sub = json_array();
		size_t i;
		json_t *e;

		v_only(pw, pw_fields, sub);
		in->current = v_string(
		    pw, "current", V_REQUIRED, 1, PASSWORD_MAX_BYTES, sub);
		in->new_password = v_string(
		    pw, "new", V_REQUIRED, 1, PASSWORD_MAX_BYTES * 4, sub);
		if (in->current)
			in->current_len =
			    json_string_length(json_object_get(pw, "current"));
		if (in->new_password)
			in->new_len =
			    json_string_length(json_object_get(pw, "new"));
		if (in->current_len > PASSWORD_MAX_BYTES) {
			v_error(sub, "current", "must be at most 1024 bytes");
			in->current = NULL;
		}
		/* name nested fields password.current / password.new */
		json_array_foreach(sub, i, e)
		{
			char name[128];

			snprintf(name, sizeof(name), "password.%s",
			    json_string_value(json_object_get(e, "field")));
			v_error(errors, name,
			    json_string_value(json_object_get(e, "message")));
		}
		json_decref(sub);
	}
}

void
api_me_patch(struct http_req *r)
{
	struct me_state *st = arena_zalloc(r->arena, sizeof(*st));
	struct principal *p = api_principal(r);
	json_t *errors = json_array();
	struct api_limits lim = api_limits(r);
	const char *params[3], *why;

	api_me_parse_patch(r->json, &st->in, errors);
	if (api_reject_errors(r, errors))
		return;
	r->state = st;
	if (st->in.new_password == NULL) {
		api_me_update(r, NULL);
		return;
	}
	/* before the attempt is counted: a weak choice is no failed guess */
	if (password_policy_check(st->in.new_password, st->in.new_len, p->email,
	        st->in.display_name ? st->in.display_name : p->display_name,
	        &why) != 0) {
		errors = json_array();
		v_error(errors, "password.new", why);
		http_respond_problem_errors(
		    r, 400, "the new password is not acceptable", errors);
		return;
	}
	params[0] = p->user_id;
	params[1] = lim.account;
	params[2] = lim.window;
	api_query(r, &store_me_secrets, params, api_me_secrets);
}

/* → password hash, account wait (the attempt is counted when NULL) */
static void
api_me_secrets(struct http_req *r, PGresult *res)
{
	struct me_state *st = r->state;
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
	j->password = xstrndup(st->in.current, st->in.current_len);
	j->password_len = st->in.current_len;
	j->new_password = xstrndup(st->in.new_password, st->in.new_len);
	j->new_password_len = st->in.new_len;
	j->cont = api_me_verified;
	api_pw_submit(r, j);
}

static void
api_me_verified(struct http_req *r, struct api_pw_job *j)
{
	if (j->verified != 1) {
		api_me_fail(r, "password_change_failed", api_me_wrong_password);
		return;
	}
	if (!j->have_new_hash) {
		http_respond_problem(r, 500, "hashing failed");
		return;
	}
	api_me_update(r, j->new_hash);
}

static void
api_me_update(struct http_req *r, const char *new_hash)
{
	struct me_state *st = r->state;
	struct principal *p = api_principal(r);
	const char *params[5];

	params[0] = p->user_id;
	params[1] = st->in.display_name;
	params[2] = new_hash;
	params[3] = p->token ? NULL : p->credential_id;
	params[4] = api_ip(r);
	api_query(r, &store_me_update, params, api_me_updated);
}

static void
api_me_updated(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		api_unauthorized(r, "the account no longer exists");
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}

/* Count a wrong password or code against the account, then answer. */
static void
api_me_fail(struct http_req *r, const char *action, api_result_fn then)
{
	struct api_limits lim = api_limits(r);
	const char *params[5];

	params[0] = api_principal(r)->user_id;
	params[1] = api_ip(r);
	params[2] = lim.account;
	params[3] = lim.window;
	params[4] = action;
	api_query(r, &store_account_fail, params, then);
}

static void
api_me_wrong_password(struct http_req *r, PGresult *res)
{
	json_t *errors = json_array();

	(void)res;
	v_error(errors, "password.current", "is not correct");
	http_respond_problem_errors(
	    r, 403, "the current password is not correct", errors);
}

/* ---- TOTP --------------------------------------------------------------- */

const char *
api_totp_parse_code(json_t *body, json_t *errors)
{
	static const char *const fields[] = {"code", NULL};
	const char *code;

	v_only(body, fields, errors);
	code = v_string(body, "code", V_REQUIRED | V_SINGLELINE, 1, 16, errors);
	if (code == NULL)
		return NULL;
	if (strlen(code) != TOTP_DIGITS ||
	    strspn(code, "0123456789") != TOTP_DIGITS) {
		v_error(errors, "code", "must be 6 digits");
		return NULL;
	}
	return code;
}

void
api_totp_enrol(struct http_req *r)
{
	uint8_t key[TOTP_SECRET_LEN];
	char *b32 = arena_alloc(r->arena, 64);
	char *sealed = arena_alloc(r->arena, TOTP_SEALED_MAX);
	const char *params[2];

	secret_random(key, sizeof(key));
	codec_base32(b32, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	/* only the sealed secret is stored (its key: ISACD_TOTP_KEY) */
	if (totp_seal(api_app(r)->totp_keys, api_principal(r)->user_id, b32,
	        sealed) != 0) {
		http_respond_problem(r, 500, "the secret could not be sealed");
		return;
	}
	r->state = b32;
	params[0] = api_principal(r)->user_id;
	params[1] = sealed;
	api_query(r, &store_totp_enrol, params, api_totp_enrolled);
}

/* Percent-encode for an otpauth URI label or parameter. */
static char *
api_uri_escape(struct http_req *r, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = arena_alloc(r->arena, strlen(s) * 3 + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* → email; no row when TOTP is already on */
static void
api_totp_enrolled(struct http_req *r, PGresult *res)
{
	const char *secret = r->state;
	char *uri;

	if (PQntuples(res) != 1) {
		http_respond_problem(
		    r, 409, "TOTP is already enabled; remove it first");
		return;
	}
	uri = arena_printf(r->arena,
	    "otpauth://totp/isacd:%s?secret=%s&issuer=isacd&algorithm=SHA1"
	    "&digits=6&period=30",
	    api_uri_escape(r, PQgetvalue(res, 0, 0)), secret);
	http_respond_json(r, 200,
	    json_pack("{s:s, s:s}", "secret", secret, "otpauth_uri", uri));
}

void
api_totp_confirm(struct http_req *r)
{
	api_totp_code_request(r, false);
}

void
api_totp_delete(struct http_req *r)
{
	api_totp_code_request(r, true);
}

static void
api_totp_code_request(struct http_req *r, bool deleting)
{
	struct me_state *st = arena_zalloc(r->arena, sizeof(*st));
	json_t *errors = json_array();
	struct api_limits lim = api_limits(r);
	const char *params[4];

	st->code = api_totp_parse_code(r->json, errors);
	if (api_reject_errors(r, errors))
		return;
	st->deleting = deleting;
	r->state = st;
	params[0] = api_principal(r)->user_id;
	params[1] = lim.account;
	params[2] = lim.window;
	params[3] = deleting ? "true" : "false";
	api_query(r, &store_totp_get, params, api_totp_got);
}

/* → secret, last step, confirmed, account wait */
static void
api_totp_got(struct http_req *r, PGresult *res)
{
	struct me_state *st = r->state;
	uint8_t key[32];
	char b32[TOTP_B32_LEN + 1];
	long klen;
	bool confirmed;
	char stepbuf[32];
	const char *params[3];

	if (PQntuples(res) != 1) {
		api_unauthorized(r, "the account no longer exists");
		return;
	}
	confirmed =
	    !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	if (st->deleting && !confirmed) {
		http_respond_problem(r, 409, "TOTP is not enabled");
		return;
	}
	if (!st->deleting && PQgetisnull(res, 0, 0)) {
		http_respond_problem(r, 409,
		    "no TOTP enrolment is pending; start one with POST "
		    "/api/v1/me/totp");
		return;
	}
	if (!st->deleting && confirmed) {
		http_respond_problem(r, 409, "TOTP is already enabled");
		return;
	}
	if (!PQgetisnull(res, 0, 3)) {
		api_too_many(r, atol(PQgetvalue(res, 0, 3)));
		return;
	}
	if (totp_open(api_app(r)->totp_keys, api_principal(r)->user_id,
	        PQgetvalue(res, 0, 0), b32) != 0) {
		log_error("request %s: a TOTP secret does not open with the "
		          "configured keys (ISACD_TOTP_KEY)",
		    r->request_id);
		http_respond_problem(
		    r, 500, "the second factor cannot be read");
		return;
	}
	klen = codec_base32_decode(key, sizeof(key), b32, strlen(b32));
	OPENSSL_cleanse(b32, sizeof(b32));
	if (klen <= 0 ||
	    totp_check(key, (size_t)klen, st->code, clock_wall_s(),
	        atoll(PQgetvalue(res, 0, 1)), &st->step) != 0) {
		api_me_fail(r, "totp_failed", api_totp_wrong_code);
		return;
	}
	snprintf(stepbuf, sizeof(stepbuf), "%lld", (long long)st->step);
	params[0] = api_principal(r)->user_id;
	params[1] = stepbuf;
	params[2] = api_ip(r);
	api_query(r, st->deleting ? &store_totp_delete : &store_totp_confirm,
	    params, api_totp_done);
}

static void
api_totp_done(struct http_req *r, PGresult *res)
{
	struct me_state *st = r->state;

	if (PQntuples(res) != 1) {
		/* the same code was used by a concurrent request */
		api_totp_wrong_code(r, NULL);
		return;
	}
	if (st->deleting)
		http_respond_empty(r, 204);
	else
		api_respond_text(r, 200, "{\"totp_enabled\":true}");
}

static void
api_totp_wrong_code(struct http_req *r, PGresult *res)
{
	json_t *errors = json_array();

	(void)res;
	v_error(
	    errors, "code", "is not valid (wrong, expired or already used)");
	http_respond_problem_errors(r, 422, "the code is not valid", errors);
}
