/*
 * api_posts.c - threat posts: create in a channel, list, read, edit (the
 * author; every edit keeps a revision), delete, share (cross-post TLP:CLEAR
 * and TLP:GREEN), revisions, comments and sightings.
 *
 * TLP 2.0 is enforced as the audience, in SQL (schema/functions): a
 * TLP:RED post exists for its author and recipients only.  Anonymity is
 * masked in SQL too.  Here: validation (pure, fuzzed: api_post_parse),
 * Idempotency-Key, and the SQL functions' verdicts → answers (api_verdict).
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "domain/indicator.h"
#include "domain/stix.h"
#include "domain/validate.h"
#include "store/store.h"

#define POST_BODY_MAX     65536
#define COMMENT_BODY_MAX  16384
#define SIGHTING_NOTE_MAX 1024
#define POST_TAGS_MAX     20
#define POST_TAG_CHARS    40
#define POST_RECIPIENTS   200
#define POST_INDICATORS   500

static const char *const post_kinds[] = {"incident", "vulnerability",
    "advisory", "indicators", "question", "discussion", NULL};
static const char *const post_tlps[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", NULL};
static const char *const post_severities[] = {
    "info", "low", "medium", "high", "critical", NULL};

static void api_posts_created(struct http_req *r, PGresult *res);
static void api_post_read(struct http_req *r, struct db_stmt *st);
static void api_post_read_done(struct http_req *r, PGresult *res);
static void api_posts_updated(struct http_req *r, PGresult *res);
static void api_posts_deleted(struct http_req *r, PGresult *res);
static void api_post_made(struct http_req *r, PGresult *res);
static void api_comments_changed(struct http_req *r, PGresult *res);
static void api_posts_stix_got(struct http_req *r, PGresult *res);

/* ---- parsing: pure, fuzzed (tests/fuzz/fuzz_post.c) --------------------- */

/* A body member of up to max bytes of text (multi-line), min 1 character. */
static const char *
api_text(json_t *body, const char *key, unsigned flags, size_t max_bytes,
    json_t *errors)
{
	const char *s = v_string(body, key, flags, 1, max_bytes, errors);
	char msg[80];

	if (s != NULL && strlen(s) > max_bytes) {
		snprintf(
		    msg, sizeof(msg), "must be at most %zu bytes", max_bytes);
		v_error(errors, key, msg);
		return NULL;
	}
	return s;
}

static const char *
api_tlp(json_t *body, unsigned flags, json_t *errors)
{
	json_t *v = json_object_get(body, "tlp");

	if (json_is_string(v) &&
	    strcasecmp(json_string_value(v), "TLP:WHITE") == 0) {
		v_error(errors, "tlp",
		    "TLP:WHITE is TLP 1.0: TLP 2.0 calls it TLP:CLEAR");
		return NULL;
	}
	return v_enum(body, "tlp", flags, post_tlps, errors);
}

/* tags: ≤ 20, each 1..40 characters without blanks or control characters,
 * lower-cased (ASCII), duplicates merged, as a PostgreSQL array literal */
static void
api_tags(json_t *body, struct arena *a, struct post_input *in, json_t *errors)
{
	json_t *tags = json_object_get(body, "tags"), *t;
	const char *vals[POST_TAGS_MAX];
	size_t n = 0, i;

	if (tags == NULL || json_is_null(tags))
		return;
	if (!json_is_array(tags)) {
		v_error(errors, "tags", "must be an array of strings");
		return;
	}
	if (json_array_size(tags) > POST_TAGS_MAX) {
		v_error(errors, "tags", "must be at most 20 tags");
		return;
	}
	json_array_foreach(tags, i, t)
	{
		const char *s = json_string_value(t);
		size_t len = json_string_length(t);
		char *low;
		bool dup = false;

		if (s == NULL || len == 0 || !codec_utf8_valid(s, len) ||
		    codec_utf8_len(s, len) > POST_TAG_CHARS) {
			v_error(errors, "tags",
			    "each tag must be 1 to 40 characters of text");
			return;
		}
		low = arena_strndup(a, s, len);
		for (char *p = low; *p; p++) {
			unsigned char c = (unsigned char)*p;

			if (c <= 0x20 || c == 0x7f || c == ',') {
				v_error(errors, "tags",
				    "tags must not contain blanks, commas or "
				    "control characters");
				return;
			}
			if (c >= 'A' && c <= 'Z')
				*p = (char)(c - 'A' + 'a');
		}
		for (size_t k = 0; k < n; k++)
			if (strcmp(vals[k], low) == 0)
				dup = true;
		if (!dup)
			vals[n++] = low;
	}
	in->tags = api_pg_array(a, vals, n);
}

static void
api_recipients(
    json_t *body, struct arena *a, struct post_input *in, json_t *errors)
{
	json_t *rc = json_object_get(body, "recipients"), *v;
	const char **vals;
	size_t n = 0, i;

	if (rc == NULL || json_is_null(rc))
		return;
	if (!json_is_array(rc) || json_array_size(rc) > POST_RECIPIENTS) {
		v_error(errors, "recipients",
		    "must be an array of at most 200 user ids");
		return;
	}
	vals = arena_alloc(a, (json_array_size(rc) + 1) * sizeof(*vals));
	json_array_foreach(rc, i, v)
	{
		const char *s = json_string_value(v);
		char *id;
		bool dup = false;

		if (s == NULL || !codec_uuid_valid(s, json_string_length(v))) {
			v_error(
			    errors, "recipients", "must be user ids (UUIDs)");
			return;
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
	in->recipients = api_pg_array(a, vals, n);
}

static void
api_indicators(
    json_t *body, struct arena *a, struct post_input *in, json_t *errors)
{
	static const char *const fields[] = {"type", "value", NULL};
	json_t *ind = json_object_get(body, "indicators"), *v;
	const char **types, **vals;
	size_t n = 0, i;

	if (ind == NULL || json_is_null(ind))
		return;
	if (!json_is_array(ind) || json_array_size(ind) > POST_INDICATORS) {
		v_error(errors, "indicators",
		    "must be an array of at most 500 {type, value} objects");
		return;
	}
	types = arena_alloc(a, (json_array_size(ind) + 1) * sizeof(*types));
	vals = arena_alloc(a, (json_array_size(ind) + 1) * sizeof(*vals));
	json_array_foreach(ind, i, v)
	{
		enum indicator_type t;
		const char *ts, *vs, *why;
		char field[48], *out;
		json_t *sub;
		bool dup = false;

		snprintf(field, sizeof(field), "indicators[%zu]", i);
		if (!json_is_object(v)) {
			v_error(
			    errors, field, "must be an object {type, value}");
			continue;
		}
		sub = json_array();
		v_only(v, fields, sub);
		ts = v_string(v, "type", V_REQUIRED | V_SINGLELINE, 1, 16, sub);
		vs = v_string(
		    v, "value", V_REQUIRED, 1, INDICATOR_VALUE_MAX, sub);
		if (ts != NULL && indicator_type_parse(ts, &t) != 0) {
			v_error(sub, "type",
			    "must be one of ipv4, ipv6, cidr, domain, url, "
			    "email, md5, sha1, sha256, cve");
			ts = NULL;
		}
		if (ts != NULL && vs != NULL) {
			out = arena_alloc(a, INDICATOR_VALUE_MAX + 1);
			if (indicator_normalise(t, vs,
			        json_string_length(json_object_get(v, "value")),
			        out, INDICATOR_VALUE_MAX + 1, &why) != 0) {
				char msg[200];

				/* name the value (cut, escaped as JSON) */
				snprintf(msg, sizeof(msg),
				    "'%.80s%s' is not a valid %s: %s", vs,
				    strlen(vs) > 80 ? "..." : "", ts, why);
				v_error(sub, "value", msg);
			} else {
				for (size_t k = 0; k < n; k++)
					if (strcmp(types[k], ts) == 0 &&
					    strcmp(vals[k], out) == 0)
						dup = true;
				if (!dup) {
					types[n] = indicator_type_name(t);
					vals[n++] = out;
				}
			}
		}
		v_nest(errors, field, sub);
	}
	in->ind_types = api_pg_array(a, types, n);
	in->ind_values = api_pg_array(a, vals, n);
}

void
api_post_parse(json_t *body, bool patch, struct arena *a, struct post_input *in,
    json_t *errors)
{
	static const char *const fields[] = {"kind", "title", "body", "tlp",
	    "severity", "tags", "indicators", "anonymous", "recipients", NULL};
	unsigned req = patch ? 0 : V_REQUIRED;
	bool anon;

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	in->kind = v_enum(body, "kind", req, post_kinds, errors);
	in->title = v_name(body, "title", req, 1, 200, errors);
	in->body = api_text(body, "body", req, POST_BODY_MAX, errors);
	in->tlp = api_tlp(body, req, errors);
	in->severity = v_enum(body, "severity", 0, post_severities, errors);
	in->severity_set = api_has(body, "severity");
	api_tags(body, a, in, errors);
	api_recipients(body, a, in, errors);
	api_indicators(body, a, in, errors);
	if (v_bool(body, "anonymous", 0, &anon, errors) > 0) {
		if (patch)
			v_error(errors, "anonymous",
			    "cannot be changed once the post is published");
		in->anonymous = anon;
	}
	if (!patch) {
		if (in->tags == NULL)
			in->tags = "{}";
		if (in->recipients == NULL)
			in->recipients = "{}";
		if (in->ind_types == NULL) {
			in->ind_types = "{}";
			in->ind_values = "{}";
		}
	}
}

/* An answer that was made (or is replayed) with its status and Location:
 * columns status, location, body at col, col + 1, col + 2. */
static void
api_respond_made(struct http_req *r, PGresult *res, int col)
{
	int status = atoi(PQgetvalue(res, 0, col));

	if (!PQgetisnull(res, 0, col + 1))
		http_req_add_header(r, "Location", PQgetvalue(res, 0, col + 1));
	api_respond_db(r, status ? status : 201, PQgetvalue(res, 0, col + 2));
}

/* ---- posts ------------------------------------------------------------- */

void
api_posts_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct post_input in;
	struct api_idem idem;
	json_t *errors;
	const char *params[14];

	if (id == NULL || api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	api_post_parse(r->json, false, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.kind;
	params[3] = in.title;
	params[4] = in.body;
	params[5] = in.tlp;
	params[6] = in.severity;
	params[7] = in.tags;
	params[8] = in.anonymous ? "true" : "false";
	params[9] = in.recipients;
	params[10] = in.ind_types;
	params[11] = in.ind_values;
	params[12] = idem.key;
	params[13] = idem.key ? idem.hash : NULL;
	api_query(r, &store_post_create, params, api_posts_created);
}

/* → verdict, status, location, post json */
static void
api_posts_created(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_made(r, res, 1);
}

void
api_posts_list(struct http_req *r)
{
	const char *lead[5] = {
	    api_principal(r)->user_id, NULL, NULL, NULL, NULL};
	const char *bad = NULL;
	int rc;

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	if (http_req_query(r, "kind", &lead[2]) < 0 ||
	    (lead[2] && !api_in(lead[2], post_kinds)))
		bad = "kind must be incident, vulnerability, advisory, "
		      "indicators, question or discussion";
	else if (http_req_query(r, "tlp", &lead[3]) < 0 ||
	    (lead[3] && !api_in(lead[3], post_tlps)))
		bad = "tlp must be a TLP 2.0 label such as TLP:AMBER";
	else if ((rc = http_req_query(r, "tag", &lead[4])) < 0 ||
	    (rc > 0 && (strlen(lead[4]) == 0 || strlen(lead[4]) > 160)))
		bad = "tag must be 1 to 40 characters";
	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return;
	}
	if (lead[4] != NULL) { /* tags are stored lower-case */
		char *t = arena_strdup(r->arena, lead[4]);

		for (char *p = t; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		lead[4] = t;
	}
	api_list_query_gated(r, &store_post_list, lead, 5);
}

/*
 * A GET of a post or of what hangs off it, whose statement takes (user,
 * post) and returns (verdict, json): 200 with the json when the verdict
 * is 'ok', else its answer (404 hidden, 403 suspended or TOTP).
 */
static void
api_post_read(struct http_req *r, struct db_stmt *st)
{
	const char *params[2] = {api_principal(r)->user_id, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	api_query(r, st, params, api_post_read_done);
}

/* → verdict, json */
static void
api_post_read_done(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_posts_get(struct http_req *r)
{
	api_post_read(r, &store_post_get);
}

void
api_posts_patch(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct post_input in;
	json_t *errors;
	const char *params[12];

	if (id == NULL)
		return;
	if (api_has(r->json, "legal_hold") || api_has(r->json, "reason")) {
		api_hold_patch(r, "post", id);
		return;
	}
	errors = json_array();
	api_post_parse(r->json, true, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.kind;
	params[3] = in.title;
	params[4] = in.body;
	params[5] = in.tlp;
	params[6] = in.severity_set ? "true" : "false";
	params[7] = in.severity;
	params[8] = in.tags;
	params[9] = in.recipients;
	params[10] = in.ind_types;
	params[11] = in.ind_values;
	api_query(r, &store_post_update, params, api_posts_updated);
}

/* → verdict, post json */
static void
api_posts_updated(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_posts_delete(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	params[2] = api_ip(r);
	api_query(r, &store_post_delete, params, api_posts_deleted);
}

static void
api_posts_deleted(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}

void
api_posts_share(struct http_req *r)
{
	static const char *const fields[] = {"channel_id", NULL};
	const char *id = api_uuid_param(r, "id");
	char *target = arena_alloc(r->arena, 37);
	struct api_idem idem;
	json_t *errors;
	const char *params[6];

	if (id == NULL || api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	v_only(r->json, fields, errors);
	params[2] = v_uuid(r->json, "channel_id", V_REQUIRED, target, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[3] = idem.key;
	params[4] = idem.key ? idem.hash : NULL;
	params[5] = api_ip(r);
	api_query(r, &store_post_share, params, api_post_made);
}

/* → verdict, status, location, the json of what was made (a shared post, a
 * comment, a sighting) */
static void
api_post_made(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_made(r, res, 1);
}

void
api_revisions_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_kind(r, &store_revision_list, lead, 2, true, CURSOR_ID);
}

/* ---- comments ---------------------------------------------------------- */

void
api_comments_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_comment_list, lead, 2);
}

static const char *
api_comment_parse(struct http_req *r, json_t *errors)
{
	static const char *const fields[] = {"body", NULL};

	v_only(r->json, fields, errors);
	return api_text(r->json, "body", V_REQUIRED, COMMENT_BODY_MAX, errors);
}

void
api_comments_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct api_idem idem;
	json_t *errors;
	const char *params[5];

	if (id == NULL || api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	params[2] = api_comment_parse(r, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[3] = idem.key;
	params[4] = idem.key ? idem.hash : NULL;
	api_query(r, &store_comment_create, params, api_post_made);
}

static void
api_comments_change(struct http_req *r, bool deleting)
{
	const char *id = api_uuid_param(r, "id");
	const char *cid = id ? api_uuid_param(r, "comment_id") : NULL;
	const char *params[5] = {NULL, NULL, NULL, NULL, NULL};

	if (cid == NULL)
		return;
	if (!deleting) {
		json_t *errors = json_array();

		params[3] = api_comment_parse(r, errors);
		if (api_reject_errors(r, errors))
			return;
	}
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = cid;
	params[4] = api_ip(r);
	r->state = deleting ? "delete" : NULL;
	api_query(r, &store_comment_change, params, api_comments_changed);
}

void
api_comments_patch(struct http_req *r)
{
	api_comments_change(r, false);
}

void
api_comments_delete(struct http_req *r)
{
	api_comments_change(r, true);
}

/* → verdict, comment json */
static void
api_comments_changed(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	if (r->state != NULL)
		http_respond_empty(r, 204);
	else
		api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

/* ---- sightings ----------------------------------------------------------- */

void
api_sightings_list(struct http_req *r)
{
	api_post_read(r, &store_sighting_list);
}

void
api_sightings_create(struct http_req *r)
{
	static const char *const fields[] = {"note", NULL};
	const char *id = api_uuid_param(r, "id");
	struct api_idem idem;
	const char *params[5] = {NULL, NULL, NULL, NULL, NULL};

	if (id == NULL || api_idempotency(r, &idem) != 0)
		return;
	if (r->json) {
		json_t *errors = json_array();

		v_only(r->json, fields, errors);
		params[2] =
		    api_text(r->json, "note", 0, SIGHTING_NOTE_MAX, errors);
		if (api_reject_errors(r, errors))
			return;
	}
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[3] = idem.key;
	params[4] = idem.key ? idem.hash : NULL;
	api_query(r, &store_sighting_create, params, api_post_made);
}

/* ---- STIX 2.1 export ------------------------------------------------------
 */

/*
 * GET /posts/{id}/stix: the post as a STIX 2.1 bundle (domain/stix.c).  Who
 * may have it is who may read the post (TLP:RED its author and recipients,
 * TLP:AMBER and AMBER+STRICT the readers of its channel): the export never
 * reaches further than the post.
 */
void
api_posts_stix(struct http_req *r)
{
	const char *params[2] = {api_principal(r)->user_id, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	api_query(r, &store_post_stix, params, api_posts_stix_got);
}

/* → verdict, post json, created ms, modified ms, org id, name, created ms */
static void
api_posts_stix_got(struct http_req *r, PGresult *res)
{
	struct stix_org org;
	json_t *post;
	char *bundle = NULL;
	const char *why;
	int rc;

	if (!api_verdict_res(r, res, 0))
		return;
	post = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
	if (post == NULL)
		fatal("the database returned invalid JSON");
	org.id = PQgetvalue(res, 0, 4);
	org.name = PQgetvalue(res, 0, 5);
	org.created = PQgetvalue(res, 0, 6);
	rc = stix_bundle(post, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
	    PQgetisnull(res, 0, 4) ? NULL : &org, &bundle, &why);
	json_decref(post);
	if (rc != 0) {
		log_error(
		    "request %s: STIX export failed: %s", r->request_id, why);
		http_respond_problem(r, 500, "the export failed");
		return;
	}
	http_respond(r, 200, "application/stix+json;version=2.1", bundle,
	    strlen(bundle));
	free(bundle);
}
