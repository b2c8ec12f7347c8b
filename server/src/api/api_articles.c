/*
 * api_articles.c - knowledge articles: the agency's public content
 * (prevent, recognise, respond), in Dutch and English, each linked to the
 * basic principles it serves.
 *
 * Reading needs no account: the routes are public, and a bearer token,
 * when sent, is used (staff see drafts; isacd_article_visible in
 * schema/functions/20_access.sql decides).  Writing is staff's
 * (schema/functions/81_articles.sql: every change a new version).  Here:
 * validation (pure, fuzzed: api_article_parse, api_articles_check),
 * verdicts to answers.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "domain/validate.h"
#include "store/store.h"

#define ARTICLE_BODY_MAX    65536
#define ARTICLE_SUMMARY_MAX 1000
#define ARTICLE_Q_MAX       200

static const char *const article_langs[] = {"nl", "en", NULL};
static const char *const article_categories[] = {
    "prevent", "recognise", "respond", NULL};
static const char *const article_states[] = {"draft", "published", NULL};

static void api_article_made(struct http_req *r, PGresult *res);
static void api_article_answer(struct http_req *r, PGresult *res);
static void api_article_deleted(struct http_req *r, PGresult *res);
static const char *api_slug_param(struct http_req *r);

/* ---- parsing: pure, fuzzed (tests/fuzz/fuzz_agency.c) ------------------ */

bool
api_slug_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 100 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-' && s[i + 1] == '-')
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-'))
			return false;
	}
	return true;
}

/* principles: whole numbers 1..5, as a sorted array literal */
static void
api_article_principles(
    json_t *body, struct arena *a, struct article_input *in, json_t *errors)
{
	json_t *list = json_object_get(body, "principles"), *v;
	bool seen[6] = {false};
	char *out;
	size_t i, len = 0;

	if (list == NULL || json_is_null(list))
		return;
	if (!json_is_array(list) || json_array_size(list) > 5) {
		v_error(errors, "principles",
		    "must be an array of the principles 1 to 5");
		return;
	}
	json_array_foreach(list, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 5) {
			v_error(errors, "principles",
			    "each must be a principle from 1 to 5");
			return;
		}
		seen[json_integer_value(v)] = true;
	}
	out = arena_alloc(a, 16);
	out[len++] = '{';
	for (int p = 1; p <= 5; p++)
		if (seen[p]) {
			if (len > 1)
				out[len++] = ',';
			out[len++] = (char)('0' + p);
		}
	out[len++] = '}';
	out[len] = '\0';
	in->principles = out;
}

void
api_article_parse(json_t *body, bool patch, struct arena *a,
    struct article_input *in, json_t *errors)
{
	static const char *const fields[] = {"slug", "lang", "title", "summary",
	    "body", "category", "principles", "tags", "status", "translation",
	    NULL};
	static const char *const patch_fields[] = {"lang", "title", "summary",
	    "body", "category", "principles", "tags", "status", "translation",
	    NULL};
	unsigned req = patch ? 0 : V_REQUIRED;
	const char *t;

	memset(in, 0, sizeof(*in));
	v_only(body, patch ? patch_fields : fields, errors);
	if (!patch) {
		in->slug = v_string(body, "slug", V_REQUIRED, 1, 100, errors);
		if (in->slug != NULL && !api_slug_valid(in->slug)) {
			v_error(errors, "slug",
			    "must be lower-case letters and digits in words "
			    "joined by single dashes, at most 100");
			in->slug = NULL;
		}
	}
	in->lang = v_enum(body, "lang", req, article_langs, errors);
	in->title = v_name(body, "title", req, 1, 200, errors);
	in->summary =
	    v_string(body, "summary", req, 1, ARTICLE_SUMMARY_MAX, errors);
	in->body = api_text_bytes(body, "body", req, ARTICLE_BODY_MAX, errors);
	in->category =
	    v_enum(body, "category", req, article_categories, errors);
	in->status = v_enum(body, "status", 0, article_states, errors);
	api_article_principles(body, a, in, errors);
	in->tags = api_string_list(body, "tags", 20, 40, a, errors);
	if (in->tags != NULL) /* ASCII lower case: quotes stay quotes */
		for (char *p = (char *)in->tags; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	in->translation_set = api_has(body, "translation");
	t = v_string(body, "translation", 0, 1, 100, errors);
	if (t != NULL && !api_slug_valid(t))
		v_error(errors, "translation", "must be an article's slug");
	else
		in->translation = t;
	if (!patch) {
		if (in->status == NULL)
			in->status = "draft";
		if (in->principles == NULL)
			in->principles = "{}";
		if (in->tags == NULL)
			in->tags = "{}";
	}
}

/*
 * The filters of GET /articles: NULL, or the 400 detail.  principle
 * comes back as the digit.
 */
const char *
api_articles_check(const char *category, const char *principle, const char *q,
    const char *lang)
{
	if (category != NULL && !api_in(category, article_categories))
		return "category must be prevent, recognise or respond";
	if (principle != NULL &&
	    (strlen(principle) != 1 || principle[0] < '1' ||
	        principle[0] > '5'))
		return "principle must be 1, 2, 3, 4 or 5";
	if (q != NULL &&
	    (q[0] == '\0' || !codec_utf8_valid(q, strlen(q)) ||
	        codec_utf8_len(q, strlen(q)) > ARTICLE_Q_MAX))
		return "q must be 1 to 200 characters of text";
	if (lang != NULL && !api_in(lang, article_langs))
		return "lang must be nl or en";
	return NULL;
}

/* ---- reading: public --------------------------------------------------- */

/* the caller's id when a token was sent, else NULL (anyone) */
static const char *
api_reader(struct http_req *r)
{
	return api_principal(r) ? api_principal(r)->user_id : NULL;
}

/* {slug} of the path: a slug, or 404 (answered) and NULL */
static const char *
api_slug_param(struct http_req *r)
{
	const char *s = http_req_param(r, "slug");

	if (s == NULL || !api_slug_valid(s)) {
		http_respond_problem(r, 404, "no such article");
		return NULL;
	}
	return s;
}

void
api_articles_list(struct http_req *r)
{
	const char *lead[5] = {api_reader(r), NULL, NULL, NULL, NULL};
	const char *bad;

	if (http_req_query(r, "category", &lead[1]) < 0 ||
	    http_req_query(r, "principle", &lead[2]) < 0 ||
	    http_req_query(r, "q", &lead[3]) < 0 ||
	    http_req_query(r, "lang", &lead[4]) < 0) {
		http_respond_problem(r, 400, "a query parameter is not valid");
		return;
	}
	bad = api_articles_check(lead[1], lead[2], lead[3], lead[4]);
	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return;
	}
	api_list_query(r, &store_article_list, lead, 5);
}

void
api_articles_get(struct http_req *r)
{
	const char *params[2] = {api_reader(r), NULL};

	params[1] = api_slug_param(r);
	if (params[1] == NULL)
		return;
	api_query(r, &store_article_get, params, api_article_answer);
}

/* → verdict, json */
static void
api_article_answer(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

/* ---- writing: staff ---------------------------------------------------- */

void
api_articles_create(struct http_req *r)
{
	struct article_input in;
	struct api_idem idem;
	json_t *errors;
	const char *params[14];

	if (api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	api_article_parse(r->json, false, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = in.slug;
	params[2] = in.lang;
	params[3] = in.title;
	params[4] = in.summary;
	params[5] = in.body;
	params[6] = in.category;
	params[7] = in.principles;
	params[8] = in.tags;
	params[9] = in.status;
	params[10] = in.translation;
	params[11] = idem.key;
	params[12] = idem.key ? idem.hash : NULL;
	params[13] = api_ip(r);
	api_query(r, &store_article_create, params, api_article_made);
}

/* → verdict, status, location, json */
static void
api_article_made(struct http_req *r, PGresult *res)
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
api_articles_patch(struct http_req *r)
{
	const char *slug = api_slug_param(r);
	struct article_input in;
	json_t *errors;
	const char *params[13];

	if (slug == NULL)
		return;
	errors = json_array();
	api_article_parse(r->json, true, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = slug;
	params[2] = in.lang;
	params[3] = in.title;
	params[4] = in.summary;
	params[5] = in.body;
	params[6] = in.category;
	params[7] = in.principles;
	params[8] = in.tags;
	params[9] = in.status;
	params[10] = in.translation_set ? "true" : "false";
	params[11] = in.translation;
	params[12] = api_ip(r);
	api_query(r, &store_article_update, params, api_article_answer);
}

void
api_articles_delete(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};

	params[1] = api_slug_param(r);
	if (params[1] == NULL)
		return;
	params[2] = api_ip(r);
	api_query(r, &store_article_delete, params, api_article_deleted);
}

static void
api_article_deleted(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	http_respond_empty(r, 204);
}
