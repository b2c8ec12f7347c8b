/*
 * api_access.c - verdicts to HTTP answers.
 *
 * Every statement that touches a community, a channel or a post asks the
 * SQL access functions (schema/functions/20_access.sql) and returns their
 * verdict, or the verdict of the write built on them, as one word beside
 * its result; auth/ parses the word into enum auth_verdict and holds the
 * one table of what each verdict answers (auth_verdict_answer), and this
 * file renders that answer as a problem.  A verdict missing from the table
 * -- a word SQL returned that C does not know -- is a bug: it is logged
 * with the request id and answered 500, the same way on every route.
 */
#include "api/api_internal.h"

#include <string.h>

#include "core/log.h"

enum auth_verdict
api_verdict_at(PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, col))
		return AUTH_V_UNKNOWN;
	return auth_verdict_parse(PQgetvalue(res, 0, col));
}

bool
api_verdict(struct http_req *r, enum auth_verdict v)
{
	const struct auth_verdict_answer *a = auth_verdict_answer(v);

	if (auth_verdict_ok(v))
		return true;
	if (a != NULL) {
		if (a->field != NULL) {
			json_t *errors = json_array();

			json_array_append_new(errors,
			    json_pack("{s:s,s:s}", "field", a->field, "message",
			        a->field_message));
			http_respond_problem_errors(
			    r, a->status, a->detail, errors);
		} else {
			http_respond_problem_type(
			    r, a->status, a->type, a->detail);
		}
		return false;
	}
	log_error("request %s: no answer for the verdict %s", r->request_id,
	    auth_verdict_word(v));
	http_respond_problem(r, 500, "internal error");
	return false;
}

bool
api_verdict_res(struct http_req *r, PGresult *res, int col)
{
	enum auth_verdict v = api_verdict_at(res, col);

	if (v == AUTH_V_UNKNOWN && PQntuples(res) >= 1 &&
	    !PQgetisnull(res, 0, col))
		log_error("request %s: unknown verdict word '%s'",
		    r->request_id, PQgetvalue(res, 0, col));
	return api_verdict(r, v);
}
