/*
 * api_auth.c - POST /auth/login and POST /auth/logout.
 *
 * Login is a chain of continuations, none of which blocks the loop:
 *   lookup (throttle state, user, TOTP) → argon2id on a worker (against a
 *   dummy hash when the e-mail is unknown, so both cost the same) → TOTP
 *   check → one statement that creates the session, consumes the TOTP step,
 *   resets the account counter, upgrades a stale hash and audits.
 * Every failure records itself (account and IP counters, audit) and answers
 * the same 401 body, whatever was wrong.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "domain/totp.h"
#include "domain/validate.h"
#include "store/store.h"

#define LOGIN_FAILED "the e-mail address, password or code is not correct"

struct login_state {
	const char *email;
	const char *totp;
	const char *user_id;  /* NULL when the e-mail is unknown */
	bool org_suspended;   /* the account's organisation is cut off */
	bool totp_unreadable; /* its second factor does not open: no login */
	char token[SECRET_TOKEN_MAX];
};

static void api_auth_looked_up(struct http_req *r, PGresult *res);
static void api_auth_verified(struct http_req *r, struct api_pw_job *j);
static void api_auth_fail(struct http_req *r, const char *reason);
static void api_auth_failed(struct http_req *r, PGresult *res);
static void api_auth_ok(struct http_req *r, PGresult *res);
static void api_auth_logged_out(struct http_req *r, PGresult *res);

void
api_auth_parse_login(json_t *body, struct login_input *in, json_t *errors)
{
	static const char *const fields[] = {"email", "password", "totp", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->email =
	    v_string(body, "email", V_REQUIRED | V_SINGLELINE, 1, 254, errors);
	in->password = v_string(
	    body, "password", V_REQUIRED, 1, PASSWORD_MAX_BYTES, errors);
	if (in->password) {
		in->password_len =
		    json_string_length(json_object_get(body, "password"));
		if (in->password_len > PASSWORD_MAX_BYTES) {
			v_error(
			    errors, "password", "must be at most 1024 bytes");
			in->password = NULL;
		}
	}
	in->totp = v_string(body, "totp", V_SINGLELINE, 1, 16, errors);
}

void
api_auth_login(struct http_req *r)
{
	json_t *errors = json_array();
	struct login_input in;
	struct login_state *st;
	struct api_limits lim = api_limits(r);
	const char *params[5];

	api_auth_parse_login(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	st = arena_zalloc(r->arena, sizeof(*st));
	st->email = in.email;
	st->totp = in.totp;
	r->state = st;
	params[0] = in.email;
	params[1] = api_ip(r);
	params[2] = lim.ip;
	params[3] = lim.account;
	params[4] = lim.window;
	api_query(r, &store_login_lookup, params, api_auth_looked_up);
}

/* → account wait, ip wait, user id, hash, totp secret, totp last step,
 * organisation suspended */
static void
api_auth_looked_up(struct http_req *r, PGresult *res)
{
	struct login_state *st = r->state;
	struct api_pw_job *j;
	json_t *pw = json_object_get(r->json, "password");
	long wait_a = 0, wait_i = 0;

	if (!PQgetisnull(res, 0, 0))
		wait_a = atol(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		wait_i = atol(PQgetvalue(res, 0, 1));
	if (wait_a > 0 || wait_i > 0) {
		api_too_many(r, wait_a > wait_i ? wait_a : wait_i);
		return;
	}
	j = api_pw_job_new(r);
	j->password_len = json_string_length(pw);
	j->password = xstrndup(json_string_value(pw), j->password_len);
	if (!PQgetisnull(res, 0, 2)) {
		st->user_id = arena_strdup(r->arena, PQgetvalue(res, 0, 2));
		st->org_suspended = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
		snprintf(j->hash, sizeof(j->hash), "%s", PQgetvalue(res, 0, 3));
		j->rehash_if_needed = true;
		if (!PQgetisnull(res, 0, 4)) {
			/* opened here (one AES-GCM on 52 bytes), so that the
			 * job carries the plain secret, wiped with the job */
			if (totp_open(api_app(r)->totp_keys, st->user_id,
			        PQgetvalue(res, 0, 4), j->totp_secret) != 0) {
				log_error("request %s: a TOTP secret does not "
				          "open with the configured keys "
				          "(ISACD_TOTP_KEY)",
				    r->request_id);
				j->totp_secret[0] = '\0';
				st->totp_unreadable = true;
			}
			j->totp_last_step = atoll(PQgetvalue(res, 0, 5));
		}
	} else {
		snprintf(
		    j->hash, sizeof(j->hash), "%s", api_app(r)->dummy_hash);
	}
	j->cont = api_auth_verified;
	api_pw_submit(r, j);
}

static void
api_auth_verified(struct http_req *r, struct api_pw_job *j)
{
	struct login_state *st = r->state;
	struct app *app = api_app(r);
	char hash[SECRET_SHA256_HEX], life[32], stepbuf[32];
	const char *params[7];
	int64_t step = -1;

	if (st->user_id == NULL || j->verified != 1) {
		api_auth_fail(r, st->user_id ? "password" : "unknown");
		return;
	}
	/* the same answer as a wrong password: a suspended supplier's
	 * credentials confirm nothing to whoever holds them */
	if (st->org_suspended) {
		api_auth_fail(r, "organisation_suspended");
		return;
	}
	if (st->totp_unreadable) {
		http_respond_problem(
		    r, 500, "the second factor cannot be read");
		return;
	}
	if (j->totp_secret[0]) {
		uint8_t key[32];
		long klen = codec_base32_decode(
		    key, sizeof(key), j->totp_secret, strlen(j->totp_secret));

		if (klen <= 0 || st->totp == NULL ||
		    totp_check(key, (size_t)klen, st->totp, clock_wall_s(),
		        j->totp_last_step, &step) != 0) {
			api_auth_fail(r, "totp");
			return;
		}
	}
	secret_token_new(TOKEN_PREFIX_SESSION, st->token);
	secret_sha256_hex(st->token, strlen(st->token), hash);
	snprintf(life, sizeof(life), "%ld", app->cfg->session_max_s);
	snprintf(stepbuf, sizeof(stepbuf), "%lld", (long long)step);
	params[0] = st->user_id;
	params[1] = hash;
	params[2] = life;
	params[3] = api_ip(r);
	params[4] = step >= 0 ? stepbuf : NULL;
	params[5] = j->have_new_hash ? j->new_hash : NULL;
	params[6] = st->email;
	api_query(r, &store_login_ok, params, api_auth_ok);
}

/* → expires_at, user json; no row when the TOTP step was used meanwhile */
static void
api_auth_ok(struct http_req *r, PGresult *res)
{
	struct login_state *st = r->state;

	if (PQntuples(res) != 1) {
		api_auth_fail(r, "totp_replay");
		return;
	}
	r->log_user = st->user_id;
	/* token (base64url) and expires_at (isacd_ts) need no escaping */
	api_respond_text(r, 200,
	    arena_printf(r->arena,
	        "{\"token\":\"%s\",\"expires_at\":\"%s\",\"user\":%s}",
	        st->token, PQgetvalue(res, 0, 0),
	        api_db_json(r, PQgetvalue(res, 0, 1))));
}

static void
api_auth_fail(struct http_req *r, const char *reason)
{
	struct login_state *st = r->state;
	struct api_limits lim = api_limits(r);
	const char *params[7];

	params[0] = st->email;
	params[1] = api_ip(r);
	params[2] = lim.account;
	params[3] = lim.ip;
	params[4] = lim.window;
	params[5] = st->user_id;
	params[6] = reason;
	api_query(r, &store_login_fail, params, api_auth_failed);
}

static void
api_auth_failed(struct http_req *r, PGresult *res)
{
	(void)res;
	api_unauthorized(r, LOGIN_FAILED);
}

void
api_auth_logout(struct http_req *r)
{
	struct principal *p = api_principal(r);
	const char *params[2] = {p->credential_id, api_ip(r)};

	api_query(r, p->token ? &store_logout_token : &store_logout_session,
	    params, api_auth_logged_out);
}

static void
api_auth_logged_out(struct http_req *r, PGresult *res)
{
	(void)res;
	http_respond_empty(r, 204);
}
