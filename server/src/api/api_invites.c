/*
 * api_invites.c - the ways into a community: invitations (single use, 7
 * days, bound to an e-mail address and an organisation; only their SHA-256
 * is kept) and join requests to listed communities.
 *
 * Accepting is public: with a bearer token of the invited address it adds
 * that account; without, it creates the account (the password hashed off
 * the loop) and signs it in.  Attempts are counted per client address like
 * logins, before the token is looked up, so a flood gets 429.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/secret.h"
#include "domain/validate.h"
#include "store/store.h"

static const char *const invite_roles[] = {"member", "moderator", NULL};
static const char *const join_status[] = {
    "pending", "approved", "denied", NULL};

struct accept_state {
	struct accept_input in;
	char hash[SECRET_SHA256_HEX];
	char session[SECRET_TOKEN_MAX];
};

static void api_invites_created(struct http_req *r, PGresult *res);
static void api_invites_revoked(struct http_req *r, PGresult *res);
static void api_accept_existing_done(struct http_req *r, PGresult *res);
static void api_accept_checked(struct http_req *r, PGresult *res);
static void api_accept_hashed(struct http_req *r, struct api_pw_job *j);
static void api_accept_new_done(struct http_req *r, PGresult *res);
static bool api_accept_outcome(struct http_req *r, PGresult *res);
static void api_join_created(struct http_req *r, PGresult *res);
static void api_join_got(struct http_req *r, PGresult *res);
static void api_join_decide(struct http_req *r, bool approve);
static void api_join_decided(struct http_req *r, PGresult *res);

/* ---- parsing: pure, fuzzed ----------------------------------------------- */

void
api_invite_parse(json_t *body, struct invite_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "email", "organisation_id", "role", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->email =
	    v_string(body, "email", V_REQUIRED | V_SINGLELINE, 3, 254, errors);
	if (in->email && !v_email_valid(in->email)) {
		v_error(errors, "email", "must be an e-mail address");
		in->email = NULL;
	}
	in->organisation_id =
	    v_uuid(body, "organisation_id", V_REQUIRED, in->org_buf, errors);
	in->role = v_enum(body, "role", 0, invite_roles, errors);
	if (api_has(body, "role") &&
	    json_is_null(json_object_get(body, "role")))
		in->role = NULL;
	if (in->role == NULL)
		in->role = "member";
}

void
api_accept_parse(json_t *body, struct accept_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "token", "display_name", "password", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->token =
	    v_string(body, "token", V_REQUIRED | V_SINGLELINE, 1, 128, errors);
	in->display_name = v_name(body, "display_name", 0, 1, 100, errors);
	in->password =
	    v_string(body, "password", 0, 1, PASSWORD_MAX_BYTES, errors);
	if (in->password) {
		in->password_len =
		    json_string_length(json_object_get(body, "password"));
		if (in->password_len > PASSWORD_MAX_BYTES) {
			v_error(
			    errors, "password", "must be at most 1024 bytes");
			in->password = NULL;
		}
	}
}

/* ---- invitations ----------------------------------------------------------
 */

void
api_invites_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct invite_input in;
	char *token;
	char hash[SECRET_SHA256_HEX];
	json_t *errors;
	const char *params[7];

	if (id == NULL)
		return;
	errors = json_array();
	api_invite_parse(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	token = arena_alloc(r->arena, SECRET_TOKEN_MAX);
	secret_token_new(TOKEN_PREFIX_INVITE, token);
	secret_sha256_hex(token, strlen(token), hash);
	r->state = token;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.email;
	params[3] = in.organisation_id;
	params[4] = in.role;
	params[5] = hash;
	params[6] = api_ip(r);
	api_query(r, &store_invite_create, params, api_invites_created);
}

/* → verdict, invite json */
static void
api_invites_created(struct http_req *r, PGresult *res)
{
	const char *token = r->state; /* base64url: nothing to escape */

	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_text(r, 201,
	    api_db_json_extend(r, PQgetvalue(res, 0, 1),
	        arena_printf(r->arena, "\"token\":\"%s\"", token)));
}

void
api_invites_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_invite_list, lead, 2);
}

void
api_invites_revoke(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *iid = id ? api_uuid_param(r, "invite_id") : NULL;
	const char *params[4];

	if (iid == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = iid;
	params[3] = api_ip(r);
	api_query(r, &store_invite_revoke, params, api_invites_revoked);
}

/* → verdict */
static void
api_invites_revoked(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}

/* ---- accepting ------------------------------------------------------------
 */

/* isacd_inv_ and 43 base64url characters, as issued */
static bool
api_invite_token_valid(const char *t)
{
	size_t plen = strlen(TOKEN_PREFIX_INVITE);

	if (strncmp(t, TOKEN_PREFIX_INVITE, plen) != 0 ||
	    strlen(t) != plen + 43)
		return false;
	for (const char *p = t + plen; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		        (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

void
api_invites_accept(struct http_req *r)
{
	struct accept_state *st = arena_zalloc(r->arena, sizeof(*st));
	struct principal *p = api_principal(r);
	struct api_limits lim = api_limits(r);
	json_t *errors = json_array();
	const char *params[5];

	api_accept_parse(r->json, &st->in, errors);
	if (p == NULL && json_array_size(errors) == 0) {
		if (st->in.display_name == NULL)
			v_error(errors, "display_name",
			    "is required to create your account (or accept "
			    "with the bearer token of your account)");
		if (st->in.password == NULL)
			v_error(errors, "password",
			    "is required to create your account (or accept "
			    "with the bearer token of your account)");
	}
	if (p != NULL && (st->in.display_name || st->in.password))
		v_error(errors, st->in.password ? "password" : "display_name",
		    "is not used when accepting into an existing account");
	if (api_reject_errors(r, errors))
		return;
	/* unknown shapes cost no lookup, but count like unknown tokens */
	if (!api_invite_token_valid(st->in.token))
		secret_sha256_hex("-", 1, st->hash);
	else
		secret_sha256_hex(st->in.token, strlen(st->in.token), st->hash);
	r->state = st;
	if (p != NULL) {
		params[0] = st->hash;
		params[1] = p->user_id;
		params[2] = api_ip(r);
		params[3] = lim.ip;
		params[4] = lim.window;
		api_query(
		    r, &store_invite_accept, params, api_accept_existing_done);
		return;
	}
	params[0] = st->hash;
	params[1] = api_ip(r);
	params[2] = lim.ip;
	params[3] = lim.window;
	api_query(r, &store_invite_check, params, api_accept_checked);
}

/* The verdict of an accept step (a lockout answers 429 with the wait in
 * column 1); true to go on. */
static bool
api_accept_outcome(struct http_req *r, PGresult *res)
{
	if (api_verdict_at(res, 0) == AUTH_V_LOCKED) {
		api_too_many(r, atol(PQgetvalue(res, 0, 1)));
		return false;
	}
	return api_verdict_res(r, res, 0);
}

/* → outcome, wait, community id, user json */
static void
api_accept_existing_done(struct http_req *r, PGresult *res)
{
	if (!api_accept_outcome(r, res))
		return;
	api_respond_text(r, 201,
	    arena_printf(r->arena, "{\"user\":%s,\"community_id\":\"%s\"}",
	        api_db_json(r, PQgetvalue(res, 0, 3)), PQgetvalue(res, 0, 2)));
}

/* → outcome, wait, email: may an account be made?  Then hash off the loop. */
static void
api_accept_checked(struct http_req *r, PGresult *res)
{
	struct accept_state *st = r->state;
	const char *why;
	struct api_pw_job *j;

	if (!api_accept_outcome(r, res))
		return;
	if (password_policy_check(st->in.password, st->in.password_len,
	        PQgetvalue(res, 0, 2), st->in.display_name, &why) != 0) {
		json_t *errors = json_array();

		v_error(errors, "password", why);
		http_respond_problem_errors(
		    r, 400, "the password is not acceptable", errors);
		return;
	}
	j = api_pw_job_new(r);
	j->new_password = xstrndup(st->in.password, st->in.password_len);
	j->new_password_len = st->in.password_len;
	j->cont = api_accept_hashed;
	api_pw_submit(r, j);
}

static void
api_accept_hashed(struct http_req *r, struct api_pw_job *j)
{
	struct accept_state *st = r->state;
	char shash[SECRET_SHA256_HEX], life[32];
	const char *params[6];

	if (!j->have_new_hash) {
		http_respond_problem(r, 500, "hashing failed");
		return;
	}
	secret_token_new(TOKEN_PREFIX_SESSION, st->session);
	secret_sha256_hex(st->session, strlen(st->session), shash);
	snprintf(life, sizeof(life), "%ld", api_app(r)->cfg->session_max_s);
	params[0] = st->hash;
	params[1] = st->in.display_name;
	params[2] = j->new_hash;
	params[3] = shash;
	params[4] = life;
	params[5] = api_ip(r);
	api_query(r, &store_invite_accept_new, params, api_accept_new_done);
}

/* → outcome, community id, expires_at, user json */
static void
api_accept_new_done(struct http_req *r, PGresult *res)
{
	struct accept_state *st = r->state;
	if (!api_accept_outcome(r, res))
		return;
	api_respond_text(r, 201,
	    arena_printf(r->arena,
	        "{\"user\":%s,\"token\":\"%s\",\"expires_at\":\"%s\","
	        "\"community_id\":\"%s\"}",
	        api_db_json(r, PQgetvalue(res, 0, 3)), st->session,
	        PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1)));
}

/* ---- join requests --------------------------------------------------------
 */

void
api_join_create(struct http_req *r)
{
	static const char *const fields[] = {"message", NULL};
	const char *id = api_uuid_param(r, "id");
	const char *params[3] = {NULL, NULL, NULL};
	json_t *errors;

	if (id == NULL)
		return;
	if (r->json) {
		errors = json_array();
		v_only(r->json, fields, errors);
		params[2] = v_string(r->json, "message", 0, 1, 1000, errors);
		if (api_reject_errors(r, errors))
			return;
	}
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	api_query(r, &store_join_create, params, api_join_created);
}

/* → verdict, request json */
static void
api_join_created(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 201, PQgetvalue(res, 0, 1));
}

void
api_join_list(struct http_req *r)
{
	const char *lead[3] = {api_principal(r)->user_id, NULL, NULL};
	int rc;

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	rc = http_req_query(r, "status", &lead[2]);
	if (rc < 0 ||
	    (rc > 0 && strcmp(lead[2], join_status[0]) != 0 &&
	        strcmp(lead[2], join_status[1]) != 0 &&
	        strcmp(lead[2], join_status[2]) != 0)) {
		http_respond_problem(r, 400,
		    "status must be \"pending\", \"approved\" or \"denied\"");
		return;
	}
	api_list_query_gated(r, &store_join_list, lead, 3);
}

void
api_join_get(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *rid = id ? api_uuid_param(r, "rid") : NULL;
	const char *params[3];

	if (rid == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = rid;
	api_query(r, &store_join_get, params, api_join_got);
}

/* → verdict, request json (the requester's and the moderators': to
 * anyone else, no such request) */
static void
api_join_got(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_join_approve(struct http_req *r)
{
	api_join_decide(r, true);
}

void
api_join_deny(struct http_req *r)
{
	api_join_decide(r, false);
}

static void
api_join_decide(struct http_req *r, bool approve)
{
	const char *id = api_uuid_param(r, "id");
	const char *rid = id ? api_uuid_param(r, "rid") : NULL;
	const char *params[5];

	if (rid == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = rid;
	params[3] = approve ? "true" : "false";
	params[4] = api_ip(r);
	api_query(r, &store_join_decide, params, api_join_decided);
}

/* → outcome, request json */
static void
api_join_decided(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}
