/*
 * api_orgs.c - organisations: POST (staff), GET list and GET one (anyone
 * signed in).  Names are unique regardless of case (409).
 *
 * API.md also lets owners and moderators of any community create
 * organisations; communities do not exist yet, so today that is staff only.
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

void
api_orgs_parse_create(json_t *body, struct org_input *in, json_t *errors)
{
	static const char *const fields[] = {"name", "sector", "country", NULL};
	const char *c;

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->name =
	    v_string(body, "name", V_REQUIRED | V_SINGLELINE, 1, 200, errors);
	in->sector = v_string(body, "sector", V_SINGLELINE, 1, 100, errors);
	/* any string that is not two letters gets the same message */
	c = v_string(body, "country", V_SINGLELINE, 0, 200, errors);
	if (c != NULL) {
		if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) ||
		    !isalpha((unsigned char)c[1]) || c[2] != '\0') {
			v_error(errors, "country",
			    "must be an ISO 3166-1 alpha-2 code such as NL");
			return;
		}
		in->country[0] = (char)toupper((unsigned char)c[0]);
		in->country[1] = (char)toupper((unsigned char)c[1]);
		in->country[2] = '\0';
		in->has_country = true;
	}
	/* surrounding blanks would make "Acme" and "Acme " two names */
	if (in->name &&
	    (in->name[0] == ' ' || in->name[strlen(in->name) - 1] == ' ')) {
		v_error(errors, "name", "must not start or end with a space");
		in->name = NULL;
	}
}

void
api_orgs_create(struct http_req *r)
{
	json_t *errors = json_array();
	struct org_input in;
	struct principal *p = api_principal(r);
	const char *params[5];

	if (!p->staff) {
		json_decref(errors);
		http_respond_problem(
		    r, 403, "only platform staff may create organisations");
		return;
	}
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

static void
api_orgs_created(struct http_req *r, PGresult *res)
{
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
