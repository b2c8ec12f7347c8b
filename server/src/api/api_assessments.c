/*
 * api_assessments.c - the self-assessment on the five basic principles:
 * the questionnaire (data, versioned; staff publish new versions), an
 * organisation's assessments (its own users' alone), a community's
 * anonymous benchmark and the agency's insights by sector or country.
 *
 * Aggregates describe at least five organisations or are suppressed, in
 * SQL (schema/functions/82_assessments.sql, isacd_k_min in 20_access.sql).
 * Here: validation of the questionnaire and of answers (pure, fuzzed:
 * api_questionnaire_parse, api_answers_parse), verdicts to answers.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "domain/validate.h"
#include "store/store.h"

#define Q_QUESTIONS  20  /* per principle */
#define Q_OPTIONS    10  /* per question */
#define Q_ANSWERS    100 /* 5 x Q_QUESTIONS */
#define Q_ID_CHARS   64
#define Q_TEXT_CHARS 500

static const char *const answer_langs[] = {"nl", "en", NULL};
static const char *const insight_groups[] = {"sector", "country", NULL};

static void api_answer_json(struct http_req *r, PGresult *res);
static void api_answer_verdict(struct http_req *r, PGresult *res);
static void api_assessment_made(struct http_req *r, PGresult *res);

/* ---- parsing: pure, fuzzed (tests/fuzz/fuzz_agency.c) ------------------ */

/* an id of a question or option: 1..64 of [a-z0-9_-] */
static bool
api_q_id_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > Q_ID_CHARS)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		        s[i] == '_'))
			return false;
	return true;
}

/* {"nl": text, "en": text}: a copy, or NULL with the errors under key */
static json_t *
api_q_text(json_t *obj, const char *key, size_t max, json_t *errors)
{
	static const char *const langs[] = {"nl", "en", NULL};
	json_t *v = json_object_get(obj, key), *sub, *out = NULL;
	const char *nl, *en;

	if (v == NULL || json_is_null(v)) {
		v_error(errors, key, "is required");
		return NULL;
	}
	if (!json_is_object(v)) {
		v_error(errors, key, "must be an object {\"nl\", \"en\"}");
		return NULL;
	}
	sub = json_array();
	v_only(v, langs, sub);
	nl = v_string(v, "nl", V_REQUIRED, 1, max, sub);
	en = v_string(v, "en", V_REQUIRED, 1, max, sub);
	if (json_array_size(sub) == 0)
		out = json_pack("{s:s,s:s}", "nl", nl, "en", en);
	v_nest(errors, key, sub);
	return out;
}

/* one question: a copy, or NULL with its errors; ids collects every
 * question id so far (for uniqueness) */
static json_t *
api_q_question(json_t *q, json_t *ids, json_t *errors)
{
	static const char *const fields[] = {"id", "text", "options", NULL};
	static const char *const ofields[] = {"id", "text", "score", NULL};
	json_t *opts = json_object_get(q, "options"), *o, *out_opts, *text;
	const char *id;
	size_t i;
	char field[40];

	v_only(q, fields, errors);
	id = v_string(q, "id", V_REQUIRED, 1, Q_ID_CHARS, errors);
	if (id != NULL && !api_q_id_valid(id)) {
		v_error(errors, "id", "must be 1 to 64 of a-z, 0-9, - and _");
		id = NULL;
	}
	if (id != NULL && json_object_get(ids, id) != NULL) {
		v_error(errors, "id", "is the id of another question");
		id = NULL;
	}
	if (id != NULL)
		json_object_set_new(ids, id, json_true());
	text = api_q_text(q, "text", Q_TEXT_CHARS, errors);
	out_opts = json_array();
	if (!json_is_array(opts) || json_array_size(opts) < 2 ||
	    json_array_size(opts) > Q_OPTIONS) {
		v_error(errors, "options",
		    "must be an array of 2 to 10 options {id, text, score}");
	} else {
		json_t *seen = json_object();

		json_array_foreach(opts, i, o)
		{
			json_t *sub = json_array(), *otext;
			const char *oid;
			long long score = 0;

			snprintf(field, sizeof(field), "options[%zu]", i);
			if (!json_is_object(o)) {
				v_error(errors, field,
				    "must be an object {id, text, score}");
				json_decref(sub);
				continue;
			}
			v_only(o, ofields, sub);
			oid = v_string(o, "id", V_REQUIRED, 1, Q_ID_CHARS, sub);
			if (oid != NULL && !api_q_id_valid(oid)) {
				v_error(sub, "id",
				    "must be 1 to 64 of a-z, 0-9, - and _");
				oid = NULL;
			}
			if (oid != NULL && json_object_get(seen, oid) != NULL) {
				v_error(sub, "id",
				    "is the id of another option of the "
				    "question");
				oid = NULL;
			}
			if (oid != NULL)
				json_object_set_new(seen, oid, json_true());
			otext = api_q_text(o, "text", Q_TEXT_CHARS, sub);
			v_int(o, "score", V_REQUIRED, 0, 100, &score, sub);
			if (json_array_size(sub) == 0)
				json_array_append_new(out_opts,
				    json_pack("{s:s,s:O,s:I}", "id", oid,
				        "text", otext, "score",
				        (json_int_t)score));
			json_decref(otext);
			v_nest(errors, field, sub);
		}
		json_decref(seen);
	}
	if (json_array_size(errors) > 0 || id == NULL || text == NULL) {
		json_decref(text);
		json_decref(out_opts);
		return NULL;
	}
	return json_pack(
	    "{s:s,s:o,s:o}", "id", id, "text", text, "options", out_opts);
}

const char *
api_questionnaire_parse(json_t *body, struct arena *a, json_t *errors)
{
	static const char *const fields[] = {"principles", NULL};
	static const char *const pfields[] = {
	    "principle", "title", "questions", NULL};
	json_t *ps = json_object_get(body, "principles"), *p, *out, *ids;
	bool seen[6] = {false};
	const char *res = NULL;
	size_t i, k;
	char field[64];
	char *text;

	v_only(body, fields, errors);
	if (!json_is_array(ps) || json_array_size(ps) != 5) {
		v_error(errors, "principles",
		    "must be an array of the five principles, each once");
		return NULL;
	}
	out = json_array();
	ids = json_object();
	json_array_foreach(ps, i, p)
	{
		json_t *sub = json_array(), *qs, *q, *title, *out_qs;
		long long n = 0;

		snprintf(field, sizeof(field), "principles[%zu]", i);
		if (!json_is_object(p)) {
			v_error(errors, field,
			    "must be an object {principle, title, questions}");
			json_decref(sub);
			continue;
		}
		v_only(p, pfields, sub);
		if (v_int(p, "principle", V_REQUIRED, 1, 5, &n, sub) > 0) {
			if (seen[n])
				v_error(sub, "principle", "appears twice");
			seen[n] = true;
		}
		title = api_q_text(p, "title", 200, sub);
		qs = json_object_get(p, "questions");
		out_qs = json_array();
		if (!json_is_array(qs) || json_array_size(qs) < 1 ||
		    json_array_size(qs) > Q_QUESTIONS) {
			v_error(sub, "questions",
			    "must be an array of 1 to 20 questions");
		} else {
			json_array_foreach(qs, k, q)
			{
				json_t *qerr = json_array(), *made;
				char qfield[32];

				snprintf(qfield, sizeof(qfield),
				    "questions[%zu]", k);
				if (!json_is_object(q)) {
					v_error(sub, qfield,
					    "must be an object {id, text, "
					    "options}");
					json_decref(qerr);
					continue;
				}
				made = api_q_question(q, ids, qerr);
				if (made != NULL)
					json_array_append_new(out_qs, made);
				v_nest(sub, qfield, qerr);
			}
		}
		if (json_array_size(sub) == 0)
			json_array_append_new(out,
			    json_pack("{s:I,s:O,s:O}", "principle",
			        (json_int_t)n, "title", title, "questions",
			        out_qs));
		json_decref(title);
		json_decref(out_qs);
		v_nest(errors, field, sub);
	}
	if (json_array_size(errors) == 0) {
		json_t *doc = json_pack("{s:O}", "principles", out);

		text = json_dumps(doc, JSON_COMPACT);
		res = arena_strdup(a, text);
		free(text);
		json_decref(doc);
	}
	json_decref(ids);
	json_decref(out);
	return res;
}

void
api_answers_parse(
    json_t *body, struct arena *a, struct answers_input *in, json_t *errors)
{
	static const char *const fields[] = {
	    "answers", "version", "lang", NULL};
	static const char *const afields[] = {"question_id", "option_id", NULL};
	json_t *list = json_object_get(body, "answers"), *v;
	const char **qs, **os;
	size_t n = 0, i;
	char field[32];

	memset(in, 0, sizeof(*in));
	v_only(body, fields, errors);
	if (v_int(body, "version", 0, 1, 1000000, &in->version, errors) <= 0)
		in->version = 0;
	in->lang = v_enum(body, "lang", 0, answer_langs, errors);
	if (in->lang == NULL)
		in->lang = "nl";
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > Q_ANSWERS) {
		v_error(errors, "answers",
		    "must be an array of 1 to 100 {question_id, option_id}");
		return;
	}
	qs = arena_alloc(a, json_array_size(list) * sizeof(*qs));
	os = arena_alloc(a, json_array_size(list) * sizeof(*os));
	json_array_foreach(list, i, v)
	{
		json_t *sub = json_array();
		const char *q, *o;

		snprintf(field, sizeof(field), "answers[%zu]", i);
		if (!json_is_object(v)) {
			v_error(errors, field,
			    "must be an object {question_id, option_id}");
			json_decref(sub);
			continue;
		}
		v_only(v, afields, sub);
		q = v_string(v, "question_id", V_REQUIRED, 1, Q_ID_CHARS, sub);
		o = v_string(v, "option_id", V_REQUIRED, 1, Q_ID_CHARS, sub);
		if (q != NULL && !api_q_id_valid(q))
			v_error(sub, "question_id", "is not a question id");
		else if (o != NULL && !api_q_id_valid(o))
			v_error(sub, "option_id", "is not an option id");
		else if (q != NULL)
			for (size_t k = 0; k < n; k++)
				if (strcmp(qs[k], q) == 0) {
					v_error(sub, "question_id",
					    "is answered twice");
					break;
				}
		if (json_array_size(sub) == 0) {
			qs[n] = q;
			os[n++] = o;
		}
		v_nest(errors, field, sub);
	}
	in->questions = api_pg_array(a, qs, n);
	in->options = api_pg_array(a, os, n);
}

/* ---- the questionnaire --------------------------------------------------- */

void
api_questionnaire_get(struct http_req *r)
{
	api_query(r, &store_questionnaire_get, NULL, api_answer_json);
}

/* → json of the one row */
static void
api_answer_json(struct http_req *r, PGresult *res)
{
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}

void
api_questionnaire_publish(struct http_req *r)
{
	json_t *errors = json_array();
	const char *params[3];

	params[1] = api_questionnaire_parse(r->json, r->arena, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[2] = api_ip(r);
	api_query(r, &store_questionnaire_publish, params, api_assessment_made);
}

/* ---- an organisation's assessments --------------------------------------- */

void
api_assessments_create(struct http_req *r)
{
	const char *id = api_uuid_param(r, "id");
	struct answers_input in;
	struct api_idem idem;
	json_t *errors;
	const char *params[8];

	if (id == NULL || api_idempotency(r, &idem) != 0)
		return;
	errors = json_array();
	api_answers_parse(r->json, r->arena, &in, errors);
	if (api_reject_errors(r, errors))
		return;
	params[0] = api_principal(r)->user_id;
	params[1] = id;
	params[2] = in.questions;
	params[3] = in.options;
	params[4] =
	    in.version ? arena_printf(r->arena, "%lld", in.version) : NULL;
	params[5] = in.lang;
	params[6] = idem.key;
	params[7] = idem.key ? idem.hash : NULL;
	api_query(r, &store_assessment_create, params, api_assessment_made);
}

/* → verdict, status, location, json (status 201 unless given) */
static void
api_assessment_made(struct http_req *r, PGresult *res)
{
	int status;

	if (!api_verdict_res(r, res, 0))
		return;
	if (PQnfields(res) < 4) { /* publish: verdict, json */
		api_respond_db(r, 201, PQgetvalue(res, 0, 1));
		return;
	}
	status = atoi(PQgetvalue(res, 0, 1));
	if (!PQgetisnull(res, 0, 2))
		http_req_add_header(r, "Location", PQgetvalue(res, 0, 2));
	api_respond_db(r, status ? status : 201, PQgetvalue(res, 0, 3));
}

void
api_assessments_list(struct http_req *r)
{
	const char *lead[2] = {api_principal(r)->user_id, NULL};

	lead[1] = api_uuid_param(r, "id");
	if (lead[1] == NULL)
		return;
	api_list_query_gated(r, &store_assessment_list, lead, 2);
}

/* ---- aggregates -----------------------------------------------------------
 */

void
api_benchmark_get(struct http_req *r)
{
	const char *params[2] = {api_principal(r)->user_id, NULL};

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL)
		return;
	api_query(r, &store_benchmark_get, params, api_answer_verdict);
}

/* → verdict, json */
static void
api_answer_verdict(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_insights_assessments(struct http_req *r)
{
	const char *params[1] = {NULL};
	const char *g = NULL, *bad;
	int weeks;

	if (http_req_query(r, "group_by", &g) < 0) {
		http_respond_problem(
		    r, 400, "group_by must be sector or country");
		return;
	}
	bad = api_aggregate_check(NULL, g, insight_groups,
	    "group_by must be sector or country", &weeks, &params[0]);
	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return;
	}
	api_query(r, &store_insights_assessments, params, api_answer_json);
}
