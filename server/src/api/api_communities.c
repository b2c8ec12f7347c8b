/*
 * api_communities.c - communities: onboarding by staff, the directory,
 * settings, the roster and its changes, organisation off-boarding, and the
 * audit trail.
 *
 * Each handler validates its input, runs one statement that both asks the
 * access layer and does the work, and answers from the statement's verdict
 * (api_verdict).  The rules themselves are SQL (schema/functions/
 * 20_access.sql, 40_membership.sql); nothing here decides who may do what.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/secret.h"
#include "domain/validate.h"
#include "store/store.h"

static const char *const comm_kinds[] = {
    "sector", "regional", "thematic", NULL};
static const char *const comm_join[] = {"invite", "request", NULL};
static const char *const comm_roster[] = {"members", "moderators", NULL};
static const char *const comm_statistics[] = {"none", "agency", NULL};
static const char *const member_roles[] = {
    "owner", "moderator", "member", NULL};
static const char *const member_status[] = {"active", "suspended", NULL};
static const char *const tlp_labels[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", NULL};

static void api_comm_created(struct http_req *r, PGresult *res);
static void api_comm_got(struct http_req *r, PGresult *res);
static void api_comm_updated(struct http_req *r, PGresult *res);
static void api_members_changed(struct http_req *r, PGresult *res);
static void api_members_removed(struct http_req *r, PGresult *res);
static void api_members_offboarded(struct http_req *r, PGresult *res);
static const char *api_bool_param(bool set, bool v);

/* ---- parsing: pure, fuzzed ----------------------------------------------- */

/* {"TLP:RED": 30, ...}: days per label, 1..max; compact JSON into out */
static void
api_parse_retention_by_tlp(
    json_t *v, long long max_days, struct community_input *in, json_t *errors)
{
	json_t *clean, *days;
	const char *label;
	char msg[96];

	if (!json_is_object(v)) {
		v_error(errors, "retention_by_tlp",
		    "must be an object of TLP labels to days");
		return;
	}
	clean = json_object();
	json_object_foreach(v, label, days)
	{
		bool known = false;

		for (size_t i = 0; tlp_labels[i]; i++)
			if (strcmp(label, tlp_labels[i]) == 0)
				known = true;
		if (!known) {
			v_error(errors, "retention_by_tlp",
			    strcmp(label, "TLP:WHITE") == 0
			        ? "TLP:WHITE is TLP 1.0: use TLP:CLEAR"
			        : "keys must be TLP 2.0 labels such as "
			          "TLP:AMBER");
			json_decref(clean);
			return;
		}
		if (!json_is_integer(days) || json_integer_value(days) < 1 ||
		    json_integer_value(days) > max_days) {
			snprintf(msg, sizeof(msg),
			    "days must be whole numbers from 1 to %lld",
			    max_days);
			v_error(errors, "retention_by_tlp", msg);
			json_decref(clean);
			return;
		}
		json_object_set(clean, label, days);
	}
	in->retention_by_tlp = json_dumps(clean, JSON_COMPACT);
	json_decref(clean);
}

void
api_comm_parse(json_t *body, bool patch, long long max_days,
    struct community_input *in, json_t *errors)
{
	static const char *const fields[] = {"name", "kind", "description",
	    "listed", "join_policy", "roster", "retention_days",
	    "retention_by_tlp", "require_totp", "erase_content_on_leave",
	    "statistics", "owner", NULL};
	static const char *const patch_fields[] = {"name", "kind",
	    "description", "listed", "join_policy", "roster", "retention_days",
	    "retention_by_tlp", "require_totp", "erase_content_on_leave",
	    "statistics", NULL};
	static const char *const owner_fields[] = {
	    "email", "organisation_id", NULL};
	unsigned req = patch ? 0 : V_REQUIRED;
	json_t *v;

	memset(in, 0, sizeof(*in));
	in->listed = in->require_totp = in->erase = -1;
	v_only(body, patch ? patch_fields : fields, errors);
	in->name = v_name(body, "name", req, 1, 200, errors);
	in->kind = v_enum(body, "kind", req, comm_kinds, errors);
	in->description = v_string(body, "description", 0, 0, 2000, errors);
	in->has_description = api_has(body, "description");
	in->join_policy = v_enum(body, "join_policy", 0, comm_join, errors);
	in->roster = v_enum(body, "roster", 0, comm_roster, errors);
	in->statistics = v_enum(body, "statistics", 0, comm_statistics, errors);
	{
		bool b;

		if (v_bool(body, "listed", 0, &b, errors) > 0)
			in->listed = b;
		if (v_bool(body, "require_totp", 0, &b, errors) > 0)
			in->require_totp = b;
		if (v_bool(body, "erase_content_on_leave", 0, &b, errors) > 0)
			in->erase = b;
	}
	in->has_retention = api_has(body, "retention_days");
	if (v_int(body, "retention_days", 0, 1, max_days, &in->retention_days,
	        errors) <= 0)
		in->retention_days = 0; /* absent, null (keep) or refused */
	in->has_retention_by_tlp = api_has(body, "retention_by_tlp");
	v = json_object_get(body, "retention_by_tlp");
	if (v != NULL && !json_is_null(v))
		api_parse_retention_by_tlp(v, max_days, in, errors);
	if (patch)
		return;
	v = json_object_get(body, "owner");
	if (v == NULL || json_is_null(v)) {
		v_error(errors, "owner", "is required");
	} else if (!json_is_object(v)) {
		v_error(errors, "owner",
		    "must be an object {\"email\", \"organisation_id\"}");
	} else {
		json_t *sub = json_array();

		v_only(v, owner_fields, sub);
		in->owner_email = v_string(
		    v, "email", V_REQUIRED | V_SINGLELINE, 3, 254, sub);
		if (in->owner_email && !v_email_valid(in->owner_email)) {
			v_error(sub, "email", "must be an e-mail address");
			in->owner_email = NULL;
		}
		in->owner_org = v_uuid(
		    v, "organisation_id", V_REQUIRED, in->owner_org_buf, sub);
		v_nest(errors, "owner", sub);
	}
}

void
api_member_parse(json_t *body, struct member_input *in, json_t *errors)
{
	static const char *const fields[] = {"role", "status", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->role = v_enum(body, "role", 0, member_roles, errors);
	in->status = v_enum(body, "status", 0, member_status, errors);
	if (json_array_size(errors) == 0 && in->role == NULL &&
	    in->status == NULL)
		v_error(errors, "role", "give a role or a status to change");
}

/* ---- onboarding, the directory, settings --------------------------------- */

struct comm_create_state {
	char token[SECRET_TOKEN_MAX];
	char *tlp; /* malloc'd by jansson, freed here */
};

void
api_comm_create(struct http_req *r)
{
	struct community_input in;
	struct comm_create_state *st = arena_zalloc(r->arena, sizeof(*st));
	json_t *errors = json_array();
	char hash[SECRET_SHA256_HEX];
	const char *params[16];

	api_comm_parse(
	    r->json, false, api_app(r)->cfg->max_retention_days, &in, errors);
	if (api_reject_errors(r, errors)) {
		free(in.retention_by_tlp);
		return;
	}
	secret_token_new(TOKEN_PREFIX_INVITE, st->token);
	secret_sha256_hex(st->token, strlen(st->token), hash);
	r->state = st;
	params[0] = api_principal(r)->user_id;
	params[1] = in.name;
	params[2] = in.kind;
	params[3] = in.description;
	params[4] = api_bool_param(in.listed >= 0, in.listed == 1);
	params[5] = in.join_policy;
	params[6] = in.roster;
	params[7] = in.retention_days
	    ? arena_printf(r->arena, "%lld", in.retention_days)
	    : NULL;
	params[8] = in.retention_by_tlp
	    ? arena_strdup(r->arena, in.retention_by_tlp)
	    : NULL;
	params[9] = api_bool_param(in.require_totp >= 0, in.require_totp == 1);
	params[10] = api_bool_param(in.erase >= 0, in.erase == 1);
	params[11] = in.owner_email;
	params[12] = in.owner_org;
	params[13] = hash;
	params[14] = api_ip(r);
	params[15] = in.statistics;
	free(in.retention_by_tlp);
	api_query(r, &store_comm_create, params, api_comm_created);
}

/* → verdict, community json, invite id, invite expires_at, community id */
static void
api_comm_created(struct http_req *r, PGresult *res)
{
	struct comm_create_state *st = r->state;
	const char *comm;

	if (!api_verdict_res(r, res, 0))
		return;
	comm = api_db_json(r, PQgetvalue(res, 0, 1));
	http_req_add_header(r, "Location",
	    arena_printf(
	        r->arena, "/api/v1/communities/%s", PQgetvalue(res, 0, 4)));
	/* the token (base64url) and the ids and time need no escaping */
	api_respond_text(r, 201,
	    arena_printf(r->arena,
	        "{\"community\":%s,\"owner_invite\":{\"id\":\"%s\","
	        "\"token\":\"%s\",\"expires_at\":\"%s\"}}",
	        comm, PQgetvalue(res, 0, 2), st->token, PQgetvalue(res, 0, 3)));
}

void
api_comm_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};
	int rc = http_req_query(r, "kind", &lead[1]);

	if (rc < 0 ||
	    (rc > 0 && strcmp(lead[1], "sector") != 0 &&
	        strcmp(lead[1], "regional") != 0 &&
	        strcmp(lead[1], "thematic") != 0)) {
		http_respond_problem(r, 400,
		    "kind must be \"sector\", \"regional\" or \"thematic\"");
		return;
	}
	api_list_query(r, &store_comm_list, lead, 2);
}

void
api_comm_get(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *params[2];

	if (id == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	api_query(r, &store_comm_get, params, api_comm_got);
}

/* → verdict, community json */
static void
api_comm_got(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_comm_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct community_input in;
	json_t *errors;
	const char *params[17];

	if (id == NULL)
		return;
	if (api_has(r->json, "legal_hold") || api_has(r->json, "reason")) {
		api_hold_patch(r, "community", id);
		return;
	}
	errors = json_array();
	api_comm_parse(
	    r->json, true, api_app(r)->cfg->max_retention_days, &in, errors);
	if (api_reject_errors(r, errors)) {
		free(in.retention_by_tlp);
		return;
	}
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.name;
	params[3] = in.kind;
	params[4] = in.has_description ? "true" : "false";
	params[5] = in.description;
	params[6] = api_bool_param(in.listed >= 0, in.listed == 1);
	params[7] = in.join_policy;
	params[8] = in.roster;
	params[9] = in.has_retention ? "true" : "false";
	params[10] = in.retention_days
	    ? arena_printf(r->arena, "%lld", in.retention_days)
	    : NULL;
	params[11] = in.has_retention_by_tlp ? "true" : "false";
	params[12] = in.retention_by_tlp
	    ? arena_strdup(r->arena, in.retention_by_tlp)
	    : NULL;
	params[13] = api_bool_param(in.require_totp >= 0, in.require_totp == 1);
	params[14] = api_bool_param(in.erase >= 0, in.erase == 1);
	params[15] = api_ip(r);
	params[16] = in.statistics;
	free(in.retention_by_tlp);
	/* a change of retention answers what the next purge will delete */
	r->state =
	    in.has_retention || in.has_retention_by_tlp ? (void *)id : NULL;
	api_query(r, &store_comm_update, params, api_comm_updated);
}

/* → verdict, community json */
static void
api_comm_updated(struct http_req *r, PGresult *res)
{
	const char *id = r->state;

	if (!api_verdict_res(r, res, 0))
		return;
	if (id != NULL) {
		api_respond_with_due(r, PQgetvalue(res, 0, 1), id, NULL);
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_comm_audit(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_kind(r, &store_comm_audit, lead, 2, true, CURSOR_ID);
}

/* ---- the roster ---------------------------------------------------------- */

void
api_members_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_member_list, lead, 2);
}

void
api_members_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *uid = id ? api_uuid_param(r, "user_id") : NULL;
	struct member_input in;
	json_t *errors;
	const char *params[6];

	if (uid == NULL)
		return;
	errors = json_array();
	api_member_parse(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = uid;
	params[3] = in.role;
	params[4] = in.status;
	params[5] = api_ip(r);
	api_query(r, &store_member_change, params, api_members_changed);
}

/* → verdict, member json */
static void
api_members_changed(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_members_delete(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *uid = id ? api_uuid_param(r, "user_id") : NULL;
	const char *params[4];

	if (uid == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = uid;
	params[3] = api_ip(r);
	api_query(r, &store_member_remove, params, api_members_removed);
}

static void
api_members_removed(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}

void
api_members_offboard(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	const char *org = id ? api_uuid_param(r, "org_id") : NULL;
	const char *params[4];

	if (org == NULL)
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = org;
	params[3] = api_ip(r);
	api_query(r, &store_org_offboard, params, api_members_offboarded);
}

/* → verdict, removed, invites revoked */
static void
api_members_offboarded(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_text(r, 200,
	    arena_printf(r->arena, "{\"removed\":%s,\"invites_revoked\":%s}",
	        PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2)));
}

/* "true"/"false" for a boolean parameter that was given, NULL otherwise */
static const char *
api_bool_param(bool set, bool v)
{
	return set ? (v ? "true" : "false") : NULL;
}
