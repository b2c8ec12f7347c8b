/*
 * api_threat.c - the threat picture: counts without content.  A member
 * gets, for their community, the counts per ISO week, kind and severity
 * of the posts they may read; staff get the same across the communities
 * that opted in (statistics "agency"), of TLP:CLEAR, GREEN and AMBER
 * posts, without any cell fewer than five organisations contributed to.
 *
 * What is counted, and for whom, is SQL (schema/functions/
 * 83_threat_picture.sql on the access definition of 20_access.sql); here:
 * the query parameters (pure, fuzzed: api_aggregate_check) and the
 * verdicts.
 */
#include "api/api_internal.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

static const char *const threat_groups[] = {"community_kind", "sector", NULL};

static void api_threat_answer(struct http_req *r, PGresult *res);
static void api_threat_json(struct http_req *r, PGresult *res);

const char *
api_aggregate_check(const char *weeks_s, const char *group_s,
    const char *const *groups, const char *group_detail, int *weeks,
    const char **group)
{
	size_t n;

	*weeks = 12;
	*group = groups[0];
	if (weeks_s != NULL) {
		int w = 0;

		n = strlen(weeks_s);
		if (n < 1 || n > 2)
			return "weeks must be a whole number from 1 to 52";
		for (size_t i = 0; i < n; i++) {
			if (weeks_s[i] < '0' || weeks_s[i] > '9')
				return "weeks must be a whole number from 1 to "
				       "52";
			w = w * 10 + (weeks_s[i] - '0');
		}
		if (w < 1 || w > 52)
			return "weeks must be a whole number from 1 to 52";
		*weeks = w;
	}
	if (group_s != NULL) {
		for (size_t i = 0; groups[i]; i++)
			if (strcmp(group_s, groups[i]) == 0) {
				*group = groups[i];
				return NULL;
			}
		return group_detail;
	}
	return NULL;
}

/* ?weeks= and ?group_by= of the request: 0, or -1 after answering 400 */
static int
api_threat_params(struct http_req *r, const char *const *groups, int *weeks,
    const char **group)
{
	const char *w = NULL, *g = NULL, *bad;

	if (http_req_query(r, "weeks", &w) < 0 ||
	    http_req_query(r, "group_by", &g) < 0) {
		http_respond_problem(r, 400, "a query parameter is not valid");
		return -1;
	}
	bad = api_aggregate_check(w, g, groups,
	    "group_by must be community_kind or sector", weeks, group);
	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return -1;
	}
	return 0;
}

void
api_threat_community(struct http_req *r)
{
	const char *params[3] = {api_principal(r)->user_id, NULL, NULL};
	const char *group;
	int weeks;

	params[1] = api_uuid_param(r, "id");
	if (params[1] == NULL ||
	    api_threat_params(r, threat_groups, &weeks, &group) != 0)
		return;
	params[2] = arena_printf(r->arena, "%d", weeks);
	api_query(r, &store_threat_community, params, api_threat_answer);
}

/* → verdict, json */
static void
api_threat_answer(struct http_req *r, PGresult *res)
{
	if (!api_verdict_res(r, res, 0))
		return;
	api_respond_db(r, 200, PQgetvalue(res, 0, 1));
}

void
api_threat_agency(struct http_req *r)
{
	const char *params[2];
	const char *group;
	int weeks;

	if (api_threat_params(r, threat_groups, &weeks, &group) != 0)
		return;
	params[0] = arena_printf(r->arena, "%d", weeks);
	params[1] = group;
	api_query(r, &store_threat_agency, params, api_threat_json);
}

/* → json */
static void
api_threat_json(struct http_req *r, PGresult *res)
{
	api_respond_db(r, 200, PQgetvalue(res, 0, 0));
}
