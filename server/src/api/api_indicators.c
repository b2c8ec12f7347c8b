/*
 * api_indicators.c - "has anyone seen this?": correlation of one indicator
 * (GET /indicators), the bulk lookup a SIEM or a firewall log sends (POST
 * /indicators/lookup, up to 1,000 values in one indexed query), and full-
 * text search (GET /search).
 *
 * Values are normalised first (domain/indicator.c), so that every spelling
 * of an indicator meets on one row.  An IPv4 address also matches its
 * IPv4-mapped IPv6 form (and the other way round) and the CIDR indicators
 * that contain it.  Every statement filters by isacd_post_rights: nothing a
 * caller may not read is counted, named or quoted.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <string.h>

#include "core/codec.h"
#include "core/mem.h"
#include "domain/indicator.h"
#include "domain/validate.h"
#include "store/store.h"

#define LOOKUP_MAX   1000
#define SEARCH_Q_MAX 500

static const char *const search_kinds[] = {"incident", "vulnerability",
    "advisory", "indicators", "question", "discussion", NULL};
static const char *const search_tlps[] = {
    "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED", NULL};

/* The other spelling of an address, and the address CIDRs are matched
 * against: an IPv4 and its IPv4-mapped IPv6 form, either way. */
struct ind_forms {
	const char *alt_type, *alt_value, *ip;
};

static void api_lookup_done(struct http_req *r, PGresult *res);

static void
api_ind_forms(
    struct arena *a, enum indicator_type t, const char *v, struct ind_forms *f)
{
	char v4[16];

	memset(f, 0, sizeof(*f));
	if (t == IND_IPV4) {
		f->alt_type = "ipv6";
		f->alt_value = arena_printf(a, "::ffff:%s", v);
		f->ip = v;
	} else if (t == IND_IPV6) {
		if (indicator_ipv4_of_mapped(v, v4, sizeof(v4)) == 0) {
			f->alt_type = "ipv4";
			f->alt_value = arena_strdup(a, v4);
			f->ip = f->alt_value;
		} else {
			f->ip = v;
		}
	}
}

/* Normalise (type, value); the canonical value in arena memory, or NULL
 * with *why set. */
static const char *
api_ind_normalise(struct arena *a, const char *type, const char *value,
    size_t len, enum indicator_type *t, const char **why)
{
	char *out;

	if (indicator_type_parse(type, t) != 0) {
		*why = "the type must be one of ipv4, ipv6, cidr, domain, url, "
		       "email, md5, sha1, sha256, cve";
		return NULL;
	}
	out = arena_alloc(a, INDICATOR_VALUE_MAX + 1);
	if (indicator_normalise(
	        *t, value, len, out, INDICATOR_VALUE_MAX + 1, why) != 0)
		return NULL;
	return out;
}

void
api_indicators_get(struct http_req *r)
{
	const char *lead[6] = {api_principal(r)->user_id};
	const char *type, *value, *why, *canon;
	enum indicator_type t;
	struct ind_forms f;

	if (http_req_query(r, "type", &type) <= 0 ||
	    http_req_query(r, "value", &value) <= 0) {
		http_respond_problem(
		    r, 400, "give the indicator as ?type=...&value=...");
		return;
	}
	canon =
	    api_ind_normalise(r->arena, type, value, strlen(value), &t, &why);
	if (canon == NULL) {
		json_t *errors = json_array();

		v_error(errors,
		    indicator_type_parse(type, &t) ? "type" : "value", why);
		http_respond_problem_errors(
		    r, 400, "the indicator is not valid", errors);
		return;
	}
	api_ind_forms(r->arena, t, canon, &f);
	lead[1] = indicator_type_name(t);
	lead[2] = canon;
	lead[3] = f.alt_type;
	lead[4] = f.alt_value;
	lead[5] = f.ip;
	api_list_query(r, &store_indicator_posts, lead, 6);
}

struct lookup_state {
	const char *errors; /* compact JSON array, in request memory */
};

void
api_indicators_lookup(struct http_req *r)
{
	static const char *const fields[] = {"indicators", NULL};
	static const char *const item_fields[] = {"type", "value", NULL};
	json_t *list = json_object_get(r->json, "indicators"), *e;
	json_t *errors = json_array(), *bad;
	const char **idx, **types, **vals, **alt_t, **alt_v, **ips;
	struct lookup_state *st;
	const char *params[7];
	size_t n = 0, i, total;

	v_only(r->json, fields, errors);
	if (list == NULL || !json_is_array(list))
		v_error(errors, "indicators",
		    "is required: an array of {type, value}");
	else if (json_array_size(list) > LOOKUP_MAX)
		v_error(errors, "indicators", "must be at most 1000 values");
	if (api_reject_errors(r, errors))
		return;
	total = json_array_size(list);
	idx = arena_alloc(r->arena, (total + 1) * sizeof(*idx));
	types = arena_alloc(r->arena, (total + 1) * sizeof(*types));
	vals = arena_alloc(r->arena, (total + 1) * sizeof(*vals));
	alt_t = arena_alloc(r->arena, (total + 1) * sizeof(*alt_t));
	alt_v = arena_alloc(r->arena, (total + 1) * sizeof(*alt_v));
	ips = arena_alloc(r->arena, (total + 1) * sizeof(*ips));
	bad = json_array();
	json_array_foreach(list, i, e)
	{
		json_t *tv = json_object_get(e, "type");
		json_t *vv = json_object_get(e, "value");
		json_t *sub;
		const char *why = NULL, *canon = NULL;
		enum indicator_type t;
		struct ind_forms f;

		if (!json_is_object(e)) {
			why = "must be an object {type, value}";
		} else {
			sub = json_array();
			v_only(e, item_fields, sub);
			if (json_array_size(sub) > 0)
				why = "has a member other than type and value";
			json_decref(sub);
		}
		if (why == NULL && (!json_is_string(tv) || !json_is_string(vv)))
			why = "type and value must be strings";
		if (why == NULL)
			canon = api_ind_normalise(r->arena,
			    json_string_value(tv), json_string_value(vv),
			    json_string_length(vv), &t, &why);
		if (canon == NULL) {
			json_t *err = json_pack("{s:I, s:s}", "index",
			    (json_int_t)i, "message", why);

			/* echo what was sent, so a caller can match it up */
			if (json_is_string(tv) &&
			    codec_utf8_valid(
			        json_string_value(tv), json_string_length(tv)))
				json_object_set(err, "type", tv);
			if (json_is_string(vv) &&
			    codec_utf8_valid(json_string_value(vv),
			        json_string_length(vv)) &&
			    json_string_length(vv) <= INDICATOR_VALUE_MAX)
				json_object_set(err, "value", vv);
			json_array_append_new(bad, err);
			continue;
		}
		api_ind_forms(r->arena, t, canon, &f);
		idx[n] = arena_printf(r->arena, "%zu", i);
		types[n] = indicator_type_name(t);
		vals[n] = canon;
		alt_t[n] = f.alt_type ? f.alt_type : "";
		alt_v[n] = f.alt_value ? f.alt_value : "";
		ips[n] = f.ip ? f.ip : "";
		n++;
	}
	st = arena_zalloc(r->arena, sizeof(*st));
	{
		/* into request memory at once: the query may fail or the client
		 * leave, and the request's arena is freed either way */
		char *text = json_dumps(bad, JSON_COMPACT);

		json_decref(bad);
		if (text == NULL)
			fatal("json_dumps failed");
		st->errors = arena_strdup(r->arena, text ? text : "[]");
		free(text);
	}
	r->state = st;
	params[0] = api_principal(r)->user_id;
	params[1] = api_pg_array(r->arena, idx, n);
	params[2] = api_pg_array(r->arena, types, n);
	params[3] = api_pg_array(r->arena, vals, n);
	/* '' for none: NULLIF in the statement would cost a cast per row, so
	 * the empty strings simply match nothing */
	params[4] = api_pg_array(r->arena, alt_t, n);
	params[5] = api_pg_array(r->arena, alt_v, n);
	params[6] = api_pg_array_nulls(r->arena, ips, n);
	api_query(r, &store_indicator_lookup, params, api_lookup_done);
}

/* → one JSON text per valid value, in order: {"results": [...], "errors"} */
static void
api_lookup_done(struct http_req *r, PGresult *res)
{
	struct lookup_state *st = r->state;
	int rows = PQntuples(res);
	size_t cap = 32 + strlen(st->errors), len = 0;
	char *buf;

	for (int i = 0; i < rows; i++)
		cap += (size_t)PQgetlength(res, i, 0) + 1;
	buf = arena_alloc(r->arena, cap);
	len += (size_t)snprintf(buf, cap, "{\"results\":[");
	for (int i = 0; i < rows; i++) {
		if (i > 0)
			buf[len++] = ',';
		len += codec_json_compact(buf + len, PQgetvalue(res, i, 0),
		    (size_t)PQgetlength(res, i, 0));
	}
	len += (size_t)snprintf(
	    buf + len, cap - len, "],\"errors\":%s}", st->errors);
	http_respond(r, 200, "application/json; charset=utf-8", buf, len);
}

/* ---- search ---------------------------------------------------------------
 */

bool
api_rfc3339(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9')
		                    : s[i] != shape[i])
			return false;
	if (s[i] == '.') {
		i++;
		if (!(s[i] >= '0' && s[i] <= '9'))
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (s[i] == 'Z' && s[i + 1] == '\0')
		return true;
	return (s[i] == '+' || s[i] == '-') && s[i + 1] >= '0' &&
	    s[i + 1] <= '9' && s[i + 2] >= '0' && s[i + 2] <= '9' &&
	    s[i + 3] == ':' && s[i + 4] >= '0' && s[i + 4] <= '9' &&
	    s[i + 5] >= '0' && s[i + 5] <= '9' && s[i + 6] == '\0';
}

const char *
api_search_check(struct http_req *r, const char *lead[6])
{
	char *community;
	size_t qlen;

	if (http_req_query(r, "q", &lead[1]) <= 0 ||
	    (qlen = codec_utf8_len(lead[1], strlen(lead[1]))) == 0 ||
	    qlen > SEARCH_Q_MAX)
		return "q must be 1 to 500 characters: words, \"a phrase\", "
		       "-excluded";
	for (const char *p = lead[1]; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return "q must not contain control characters";
	if (http_req_query(r, "community_id", &lead[2]) < 0 ||
	    (lead[2] && !codec_uuid_valid(lead[2], strlen(lead[2]))))
		return "community_id must be a UUID";
	if (http_req_query(r, "kind", &lead[3]) < 0 ||
	    (lead[3] && !api_in(lead[3], search_kinds)))
		return "kind must be incident, vulnerability, advisory, "
		       "indicators, question or discussion";
	if (http_req_query(r, "tlp", &lead[4]) < 0 ||
	    (lead[4] && !api_in(lead[4], search_tlps)))
		return "tlp must be a TLP 2.0 label such as TLP:AMBER";
	if (http_req_query(r, "since", &lead[5]) < 0 ||
	    (lead[5] && !api_rfc3339(lead[5])))
		return "since must be an RFC 3339 time such as "
		       "2026-11-28T14:00:00Z";
	if (lead[2] != NULL) {
		community = arena_alloc(r->arena, 37);
		for (int i = 0; i < 36; i++)
			community[i] = (lead[2][i] >= 'A' && lead[2][i] <= 'F')
			    ? (char)(lead[2][i] - 'A' + 'a')
			    : lead[2][i];
		community[36] = '\0';
		lead[2] = community;
	}
	return NULL;
}

void
api_search(struct http_req *r)
{
	const char *lead[6] = {api_principal(r)->user_id};
	const char *bad = api_search_check(r, lead);

	if (bad != NULL) {
		http_respond_problem(r, 400, bad);
		return;
	}
	api_list_query_kind(r, &store_search, lead, 6, false, CURSOR_RANK);
}
