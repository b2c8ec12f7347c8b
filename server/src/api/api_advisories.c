/*
 * api_advisories.c - the agency's advisories: publish to many communities
 * at once, list and read, a new version everywhere, withdraw, and the
 * acknowledgements of organisations (their states per community for its
 * moderators, counts only for staff).
 *
 * One advisory with its targets, its copy in each target community an
 * ordinary post in the community's read-only advisories channel: the SQL
 * functions of schema/functions/80_advisories.sql do each change in one
 * transaction, and who may see or acknowledge what is the access layer's
 * (isacd_advisory_gate, 20_access.sql).  Here: validation (pure, fuzzed:
 * api_advisory_parse, api_ack_parse), Idempotency-Key, verdicts to
 * answers.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "domain/indicator.h"
#include "domain/validate.h"
#include "store/store.h"

#define ADVISORY_BODY_MAX    32768
#define ADVISORY_SUMMARY_MAX 2000
#define ADVISORY_CVES        100
#define ADVISORY_PRODUCTS    50
#define ADVISORY_ACTIONS     20
#define ADVISORY_TARGET_IDS  4000
#define ACK_NOTE_MAX         2000

static const char *const advisory_severities[] = {
    "info", "low", "medium", "high", "critical", NULL};
static const char *const advisory_tlps[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", NULL};
static const char *const advisory_kinds[] = {
    "sector", "regional", "thematic", NULL};
static const char *const ack_states[] = {
    "read", "applies", "does_not_apply", "mitigated", NULL};

static void api_advisory_made(struct http_req *r, PGresult *res);
static void api_advisory_answer(struct http_req *r, PGresult *res);
static void api_acks_made(struct http_req *r, PGresult *res);

/* ---- parsing: pure, fuzzed (tests/fuzz/fuzz_agency.c) ------------------ */

/* cves: CVE ids, normalised (domain/indicator.c), duplicates merged */
static void
api_advisory_cves(
    json_t *body, struct arena *a, struct advisory_input *in, json_t *errors)
{
	json_t *list = json_object_get(body, "cves"), *v;
	const char **vals;
	size_t n = 0, i;

	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list) || json_array_size(list) > ADVISORY_CVES) {
		v_error(
		    errors, "cves", "must be an array of at most 100 CVE ids");
		return;
	}
	vals = arena_alloc(a, (json_array_size(list) + 1) * sizeof(*vals));
	json_array_foreach(list, i, v)
	{
		char out[INDICATOR_VALUE_MAX + 1];
		const char *why;
		bool dup = false;

		if (!json_is_string(v) ||
		    indicator_normalise(IND_CVE, json_string_value(v),
		        json_string_length(v), out, sizeof(out), &why) != 0) {
			v_error(errors, "cves",
			    "each must be a CVE id such as CVE-2026-12345");
			return;
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(vals[k], out) == 0)
				dup = true;
		if (!dup)
			vals[n++] = arena_strdup(a, out);
	}
	in->cves = api_pg_array(a, vals, n);
}

/* targets: {all?, kinds?, community_ids?}, naming at least one community */
static void
api_advisory_targets(
    json_t *body, struct arena *a, struct advisory_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "all", "kinds", "community_ids", NULL};
	json_t *t = json_object_get(body, "targets"), *sub, *list, *v;
	const char **vals;
	size_t n = 0, i;
	bool all = false;

	if (t == NULL || json_is_null(t))
		return;
	if (!json_is_object(t)) {
		v_error(errors, "targets",
		    "must be an object {all, kinds, community_ids}");
		return;
	}
	sub = json_array();
	v_only(t, fields, sub);
	if (v_bool(t, "all", 0, &all, sub) < 0)
		all = false;
	list = json_object_get(t, "kinds");
	if (list != NULL && !json_is_null(list)) {
		if (!json_is_array(list) || json_array_size(list) > 3) {
			v_error(sub, "kinds",
			    "must be an array of sector, regional, thematic");
		} else {
			vals = arena_alloc(a, 4 * sizeof(*vals));
			json_array_foreach(list, i, v)
			{
				const char *s = json_string_value(v);
				bool dup = false;

				if (s == NULL || !api_in(s, advisory_kinds)) {
					v_error(sub, "kinds",
					    "each must be sector, regional or "
					    "thematic");
					n = 0;
					break;
				}
				for (size_t k = 0; k < n; k++)
					if (strcmp(vals[k], s) == 0)
						dup = true;
				if (!dup)
					vals[n++] = s;
			}
			in->target_kinds = api_pg_array(a, vals, n);
		}
	}
	list = json_object_get(t, "community_ids");
	if (list != NULL && !json_is_null(list)) {
		if (!json_is_array(list) ||
		    json_array_size(list) > ADVISORY_TARGET_IDS) {
			v_error(sub, "community_ids",
			    "must be an array of at most 4,000 community ids");
		} else {
			vals = arena_alloc(
			    a, (json_array_size(list) + 1) * sizeof(*vals));
			n = 0;
			json_array_foreach(list, i, v)
			{
				const char *s = json_string_value(v);
				char *id;
				bool dup = false;

				if (s == NULL ||
				    !codec_uuid_valid(
				        s, json_string_length(v))) {
					v_error(sub, "community_ids",
					    "each must be a community id (UUID)");
					n = 0;
					break;
				}
				id = arena_strdup(a, s);
				for (char *p = id; *p; p++)
					if (*p >= 'A' && *p <= 'F')
						*p = (char)(*p - 'A' + 'a');
				for (size_t k = 0; k < n; k++)
					if (strcmp(vals[k], id) == 0)
						dup = true;
				if (!dup)
					vals[n++] = id;
			}
			in->target_ids = api_pg_array(a, vals, n);
		}
	}
	if (json_array_size(sub) == 0 && !all &&
	    (in->target_kinds == NULL || strcmp(in->target_kinds, "{}") == 0) &&
	    (in->target_ids == NULL || strcmp(in->target_ids, "{}") == 0))
		v_error(sub, "all",
		    "name the communities: all, kinds or community_ids");
	in->target_all = all;
	in->has_targets = json_array_size(sub) == 0;
	if (in->target_kinds == NULL)
		in->target_kinds = "{}";
	if (in->target_ids == NULL)
		in->target_ids = "{}";
	v_nest(errors, "targets", sub);
}

void
api_advisory_parse(json_t *body, bool patch, struct arena *a,
    struct advisory_input *in, json_t *errors)
{
	static const char *const fields[] = {"title", "summary", "body",
	    "severity", "tlp", "source", "cves", "products", "actions",
	    "targets", NULL};
	unsigned req = patch ? 0 : V_REQUIRED;
	json_t *tlp = json_object_get(body, "tlp");

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->title = v_name(body, "title", req, 1, 200, errors);
	in->summary =
	    v_string(body, "summary", req, 1, ADVISORY_SUMMARY_MAX, errors);
	in->body = api_text_bytes(body, "body", req, ADVISORY_BODY_MAX, errors);
	in->severity =
	    v_enum(body, "severity", req, advisory_severities, errors);
	if (json_is_string(tlp) &&
	    (strcmp(json_string_value(tlp), "TLP:AMBER+STRICT") == 0 ||
	        strcmp(json_string_value(tlp), "TLP:RED") == 0))
		v_error(errors, "tlp",
		    "an advisory goes to whole communities: TLP:CLEAR, "
		    "TLP:GREEN or TLP:AMBER");
	else
		in->tlp = v_enum(body, "tlp", req, advisory_tlps, errors);
	in->source = v_string(body, "source", V_SINGLELINE, 1, 200, errors);
	in->source_set = api_has(body, "source");
	api_advisory_cves(body, a, in, errors);
	in->products = api_string_list(
	    body, "products", ADVISORY_PRODUCTS, 200, a, errors);
	in->actions =
	    api_string_list(body, "actions", ADVISORY_ACTIONS, 500, a, errors);
	api_advisory_targets(body, a, in, errors);
	if (!patch) {
		json_t *t = json_object_get(body, "targets");

		if (t == NULL || json_is_null(t))
			v_error(errors, "targets", "is required");
		if (in->cves == NULL)
			in->cves = "{}";
		if (in->products == NULL)
			in->products = "{}";
		if (in->actions == NULL)
			in->actions = "{}";
	}
}

void
api_ack_parse(json_t *body, struct ack_input *in, json_t *errors)
{
	static const char *const fields[] = {"status", "note", NULL};

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->status = v_enum(body, "status", V_REQUIRED, ack_states, errors);
	in->note = v_string(body, "note", 0, 1, ACK_NOTE_MAX, errors);
}

/* ---- advisories ---------------------------------------------------------- */

void
api_advisories_create(struct http_req *r)
{
	struct advisory_input in;
	struct api_idem idem;
	json_t *errors;
	const char *params[16];

	if (api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	api_advisory_parse(r->json, false, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = in.title;
	params[2] = in.summary;
	params[3] = in.body;
	params[4] = in.severity;
	params[5] = in.tlp;
	params[6] = in.source;
	params[7] = in.cves;
	params[8] = in.products;
	params[9] = in.actions;
	params[10] = in.target_all ? "true" : "false";
	params[11] = in.target_kinds;
	params[12] = in.target_ids;
	params[13] = idem.key;
	params[14] = idem.key ? idem.hash : NULL;
	params[15] = api_ip(r);
	api_query(r, &store_advisory_publish, params, api_advisory_made);
}

/* → verdict, status, location, advisory json */
static void
api_advisory_made(struct http_req *r, PGresult *res)
{
	int status;

	if (!api_verdict_res(r, res, 0))
		return;
	status = atoi(PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
		http_req_add_header(r, "Location", PQgetvalue(res, 0, 2));
	api_respond_db(r, status ? status : 201, PQgetvalue(res, 0, 3));
}

void
api_advisories_list(struct http_req *r)
{
	const char *lead[1] = {api_principal(r)->user_id};

	api_list_query(r, &store_advisory_list, lead, 1);
}

void
api_advisories_get(struct http_req *r)
{
	const char *params[2] = {api_principal(r)->user_id, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	api_query(r, &store_advisory_get, params, api_advisory_answer);
}

/* → verdict, json: 200 with the json when the verdict lets it through */
static void
api_advisory_answer(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_advisories_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct advisory_input in;
	json_t *errors;
	const char *params[17];

	if (id == NULL)
		return;
	errors = json_array();
	api_advisory_parse(r->json, true, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.title;
	params[3] = in.summary;
	params[4] = in.body;
	params[5] = in.severity;
	params[6] = in.tlp;
	params[7] = in.source_set ? "true" : "false";
	params[8] = in.source;
	params[9] = in.cves;
	params[10] = in.products;
	params[11] = in.actions;
	params[12] = in.has_targets ? "true" : "false";
	params[13] = in.target_all ? "true" : "false";
	params[14] = in.target_kinds;
	params[15] = in.target_ids;
	params[16] = api_ip(r);
	api_query(r, &store_advisory_update, params, api_advisory_answer);
}

void
api_advisories_withdraw(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	params[2] = api_ip(r);
	api_query(r, &store_advisory_withdraw, params, api_advisory_answer);
}

/* ---- acknowledgements ---------------------------------------------------- */

void
api_acks_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct ack_input in;
	json_t *errors;
	const char *params[4];

	if (id == NULL)
		return;
	errors = json_array();
	api_ack_parse(r->json, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.status;
	params[3] = in.note;
	api_query(r, &store_ack_create, params, api_acks_made);
}

/* → verdict, status (201 the organisation's first, 200 a new state), json */
static void
api_acks_made(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, atoi(PQgetvalue(res, 0, 1)), PQgetvalue(res, 0, 2));
}

/*
 * GET /advisories/{id}/acks: with ?community_id= the states and notes of
 * that community's organisations (its moderators and owners); without,
 * the agency's counts per community and state (staff).
 */
void
api_acks_list(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};
	const char *c = NULL;
	int rc;

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	rc = http_req_query(r, "community_id", &c);
	if (rc < 0 || (rc > 0 && !codec_uuid_valid(c, strlen(c)))) {
		http_respond_problem(r, 400, "community_id must be a UUID");
		return;
	}
	if (rc == 0) {
		api_query(r, &store_acks_counts, params, api_advisory_answer);
		return;
	}
	params[2] = c;
	api_query(r, &store_acks_community, params, api_advisory_answer);
}
