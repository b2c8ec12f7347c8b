/*
 * api_orgs.c - organisations: POST (staff, or an active moderator or owner
 * of any community, so that they can invite a company that is not on the
 * platform yet), GET list and GET one (anyone signed in), PATCH (staff:
 * suspending one cuts all its people off at once).  Names are unique
 * regardless of case (409).
 */
#include "api/api_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "domain/validate.h"
#include "store/store.h"

static void api_orgs_created(struct http_req *r, PGresult *res);
static void api_orgs_got(struct http_req *r, PGresult *res);
static void api_orgs_patched(struct http_req *r, PGresult *res);

/* name, sector and country, as creating and changing share them */
static void
api_orgs_parse_fields(json_t *body, unsigned name_flags,
    const char *const *fields, struct org_input *in, json_t *errors)
{
	const char *c;

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	/* surrounding blanks would make "Acme" and "Acme " two names */
	in->name = v_name(body, "name", name_flags, 1, 200, errors);
	in->sector = v_string(body, "sector", V_SINGLELINE, 1, 100, errors);
	/* any string that is not two letters gets the same message */
	c = v_string(body, "country", V_SINGLELINE, 0, 200, errors);
	if (c != NULL) {
		if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) ||
		    !isalpha((unsigned char)c[1])) {
			v_error(errors, "country",
			    "must be an ISO 3166-1 alpha-2 code such as NL");
			return;
		}
		in->country[0] = (char)toupper((unsigned char)c[0]);
		in->country[1] = (char)toupper((unsigned char)c[1]);
		in->country[2] = '\0';
		in->has_country = true;
	}
}

void
api_orgs_parse_create(json_t *body, struct org_input *in, json_t *errors)
{
	static const char *const fields[] = {"name", "sector", "country", NULL};

	api_orgs_parse_fields(body, V_REQUIRED, fields, in, errors);
}

void
api_orgs_create(struct http_req *r)
{
	json_t *errors = json_array();
	struct org_input in;
	struct principal *p = api_principal(r);
	const char *params[5];

	api_orgs_parse_create(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = in.name;
	params[1] = in.sector;
	params[2] = in.has_country ? arena_strdup(r->arena, in.country) : NULL;
	params[3] = p->user_id;
	params[4] = api_ip(r);
	api_query(r, &store_org_create, params, api_orgs_created);
}

/* → organisation json, id; no row: the caller may not create one */
static void
api_orgs_created(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		http_respond_problem(r, 403,
		    "only platform staff and the moderators and owners of a "
		    "community may create organisations");
		return;
	}
	http_req_add_header(r, "Location",
	    arena_printf(
	        r->arena, "/api/v1/organisations/%s", PQgetvalue(res, 0, 1)));
	api_respond_db(r, 201, PQgetvalue(res, 0, 0));
}

void
api_orgs_list(struct http_req *r)
{
	api_list_query(r, &store_org_list, NULL, 0);
}

void
api_orgs_get(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *params[1];

	if (id == NULL)
		return;
	params[0] = id;
	api_query(r, &store_org_get, params, api_orgs_got);
}

static void
api_orgs_got(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		http_respond_problem(r, 404, "no such organisation");
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}

void
api_orgs_parse_patch(json_t *body, struct org_patch_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "name", "sector", "country", "status", NULL};
	static const char *const statuses[] = {"active", "suspended", NULL};

	api_orgs_parse_fields(body, 0, fields, &in->fields, errors);
	in->has_sector = api_has(body, "sector");
	in->has_country = api_has(body, "country");
	in->status = v_enum(body, "status", 0, statuses, errors);
}

void
api_orgs_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct org_patch_input in;
	json_t *errors;
	const char *params[9];

	if (id == NULL)
		return;
	errors = json_array();
	api_orgs_parse_patch(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.fields.name;
	params[3] = in.has_sector ? "true" : "false";
	params[4] = in.fields.sector;
	params[5] = in.has_country ? "true" : "false";
	params[6] = in.fields.has_country
	    ? arena_strdup(r->arena, in.fields.country)
	    : NULL;
	params[7] = in.status;
	params[8] = api_ip(r);
	api_query(r, &store_org_update, params, api_orgs_patched);
}

/* → verdict, organisation json, sessions ended, tokens revoked */
static void
api_orgs_patched(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}
