/*
 * api_tokens.c - personal API tokens: GET/POST /me/tokens, GET and DELETE
 * /me/tokens/{id}.  The secret is returned once, at creation; afterwards
 * only its SHA-256 exists.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/secret.h"
#include "domain/validate.h"
#include "store/store.h"

#define TOKEN_DEFAULT_DAYS 90

static void api_tokens_created(struct http_req *r, PGresult *res);
static void api_tokens_got(struct http_req *r, PGresult *res);
static void api_tokens_deleted(struct http_req *r, PGresult *res);

void
api_tokens_parse_create(
    json_t *body, long long max_days, struct token_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "name", "scopes", "expires_in_days", NULL};
	json_t *scopes = json_object_get(body, "scopes");
	bool read = false, write = false, bad = false;
	size_t i;
	json_t *s;

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->name =
	    v_string(body, "name", V_REQUIRED | V_SINGLELINE, 1, 100, errors);
	in->days =
	    max_days < TOKEN_DEFAULT_DAYS ? max_days : TOKEN_DEFAULT_DAYS;
	v_int(body, "expires_in_days", 0, 1, max_days, &in->days, errors);
	if (scopes == NULL || json_is_null(scopes)) {
		v_error(errors, "scopes", "is required");
		return;
	}
	if (!json_is_array(scopes) || json_array_size(scopes) == 0 ||
	    json_array_size(scopes) > 2) {
		v_error(errors, "scopes",
		    "must be [\"read\"] or [\"read\", \"write\"]");
		return;
	}
	json_array_foreach(scopes, i, s)
	{
		const char *v = json_string_value(s);

		if (v && strcmp(v, "read") == 0 && !read)
			read = true;
		else if (v && strcmp(v, "write") == 0 && !write)
			write = true;
		else
			bad = true;
	}
	if (bad || !read) {
		v_error(errors, "scopes",
		    "must be [\"read\"] or [\"read\", \"write\"]");
		return;
	}
	in->scopes = write ? "{read,write}" : "{read}";
}

void
api_tokens_list(struct http_req *r)
{
	const char *lead[1] = {api_principal(r)->user_id};

	api_list_query(r, &store_token_list, lead, 1);
}

void
api_tokens_create(struct http_req *r)
{
	json_t *errors = json_array();
	struct token_input in;
	char *token = arena_alloc(r->arena, SECRET_TOKEN_MAX);
	char hash[SECRET_SHA256_HEX], days[16];
	const char *params[6];

	api_tokens_parse_create(
	    r->json, api_app(r)->cfg->token_max_days, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	secret_token_new(TOKEN_PREFIX_PAT, token);
	secret_sha256_hex(token, strlen(token), hash);
	snprintf(days, sizeof(days), "%lld", in.days);
	r->state = token;
	params[0] = api_principal(r)->user_id;
	params[1] = in.name;
	params[2] = hash;
	params[3] = in.scopes;
	params[4] = days;
	params[5] = api_ip(r);
	api_query(r, &store_token_create, params, api_tokens_created);
}

static void
api_tokens_created(struct http_req *r, PGresult *res)
{
	const char *token = r->state; /* base64url: nothing to escape */

	if (PQntuples(res) != 1) {
		http_respond_problem(
		    r, 409, "you have 100 live tokens; revoke one first");
		return;
	}
	http_req_add_header(r, "Location",
	    arena_printf(
	        r->arena, "/api/v1/me/tokens/%s", PQgetvalue(res, 0, 1)));
	api_respond_text(r, 201,
	    api_db_json_extend(r, PQgetvalue(res, 0, 0),
	        arena_printf(r->arena, "\"token\":\"%s\"", token)));
}

void
api_tokens_get(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *params[2];

	if (id == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	api_query(r, &store_token_get, params, api_tokens_got);
}

static void
api_tokens_got(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		http_respond_problem(r, 404, "no such token");
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}

void
api_tokens_delete(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *params[3];

	if (id == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = api_ip(r);
	api_query(r, &store_token_revoke, params, api_tokens_deleted);
}

static void
api_tokens_deleted(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		http_respond_problem(r, 404, "no such token");
		return;
	}
	http_respond_empty(r, 204);
}
