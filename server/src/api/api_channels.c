/*
 * api_channels.c - channels of a community and the explicit readers of
 * restricted ones.
 *
 * A channel the caller may not read (restricted and not its reader, or in a
 * community the caller is not in) is 404 everywhere, and is absent from
 * every list: isacd_channel_rights decides, in SQL, on every request, so a
 * channel made restricted is gone at once for those who lose it.
 */
#include "api/api_internal.h"

#include <string.h>

#include "core/mem.h"
#include "domain/validate.h"
#include "store/store.h"

static const char *const ch_visibility[] = {"community", "restricted", NULL};
static const char *const ch_posting[] = {"members", "moderators", NULL};

static void api_channels_created(struct http_req *r, PGresult *res);
static void api_channels_got(struct http_req *r, PGresult *res);
static void api_channels_updated(struct http_req *r, PGresult *res);
static void api_channels_deleted(struct http_req *r, PGresult *res);
static void api_readers_added(struct http_req *r, PGresult *res);
static void api_readers_removed(struct http_req *r, PGresult *res);

void
api_channel_parse(json_t *body, bool patch, long long max_days,
    struct channel_input *in, json_t *errors)
{
	static const char *const fields[] = {"name", "description",
	    "visibility", "posting", "retention_days", NULL};
	unsigned req = patch ? 0 : V_REQUIRED;

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->name = v_name(body, "name", req, 1, 100, errors);
	in->description = v_string(body, "description", 0, 0, 2000, errors);
	in->has_description = api_has(body, "description");
	in->visibility = v_enum(body, "visibility", req, ch_visibility, errors);
	in->posting = v_enum(body, "posting", req, ch_posting, errors);
	in->has_retention = api_has(body, "retention_days");
	if (v_int(body, "retention_days", 0, 1, max_days, &in->retention_days,
	        errors) <= 0)
		in->retention_days = 0;
}

void
api_channels_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct channel_input in;
	json_t *errors;
	const char *params[8];

	if (id == NULL)
		return;
	errors = json_array();
	api_channel_parse(
	    r->json, false, api_app(r)->cfg->max_retention_days, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.name;
	params[3] = in.description;
	params[4] = in.visibility;
	params[5] = in.posting;
	params[6] = in.retention_days
	    ? arena_printf(r->arena, "%lld", in.retention_days)
	    : NULL;
	params[7] = api_ip(r);
	api_query(r, &store_channel_create, params, api_channels_created);
}

/* → verdict, channel json, channel id */
static void
api_channels_created(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_req_add_header(r, "Location",
	    arena_printf(
	        r->arena, "/api/v1/channels/%s", PQgetvalue(res, 0, 2)));
	api_respond_db(r, 201, PQgetvalue(res, 0, 1));
}

void
api_channels_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_channel_list, lead, 2);
}

void
api_channels_get(struct http_req *r)
{
	const char *params[2] = {api_principal(r)->user_id, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	api_query(r, &store_channel_get, params, api_channels_got);
}

/* → verdict, channel json */
static void
api_channels_got(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_channels_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct channel_input in;
	json_t *errors;
	const char *params[11];

	if (id == NULL)
		return;
	if (api_has(r->json, "legal_hold") || api_has(r->json, "reason")) {
		api_hold_patch(r, "channel", id);
		return;
	}
	errors = json_array();
	api_channel_parse(
	    r->json, true, api_app(r)->cfg->max_retention_days, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.name;
	params[3] = in.has_description ? "true" : "false";
	params[4] = in.description;
	params[5] = in.visibility;
	params[6] = in.posting;
	params[7] = in.has_retention ? "true" : "false";
	params[8] = in.retention_days
	    ? arena_printf(r->arena, "%lld", in.retention_days)
	    : NULL;
	params[9] = api_ip(r);
	params[10] =
	    in.name || in.has_description || in.visibility || in.posting
	    ? "true"
	    : "false";
	/* a change of retention answers what the next purge will delete */
	r->state = in.has_retention ? (void *)id : NULL;
	api_query(r, &store_channel_update, params, api_channels_updated);
}

/* → verdict, channel json */
static void
api_channels_updated(struct http_req *r, PGresult *res)
{
	const char *id = r->state;

	if (!api_verdict_res(r, res, 0))
		return;
	if (id != NULL) {
		api_respond_with_due(r, PQgetvalue(res, 0, 1), NULL, id);
		return;
	}
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_channels_delete(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	params[2] = api_ip(r);
	api_query(r, &store_channel_delete, params, api_channels_deleted);
}

/* → verdict */
static void
api_channels_deleted(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}

/* ---- explicit readers ---------------------------------------------------- */

void
api_readers_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_reader_list, lead, 2);
}

void
api_readers_add(struct http_req *r)
{
	static const char *const fields[] = {"user_id", NULL};
	const char *id = api_uuid_param(r, "id");
	char *uid = arena_alloc(r->arena, 37);
	json_t *errors;
	const char *params[4];

	if (id == NULL)
		return;
	errors = json_array();
	v_only(r->json, fields, errors);
	params[2] = v_uuid(r->json, "user_id", V_REQUIRED, uid, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[3] = api_ip(r);
	api_query(r, &store_reader_add, params, api_readers_added);
}

/* → verdict, reader json */
static void
api_readers_added(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 201, PQgetvalue(res, 0, 1));
}

void
api_readers_remove(struct http_req *r)
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
	api_query(r, &store_reader_remove, params, api_readers_removed);
}

/* → verdict */
static void
api_readers_removed(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}
