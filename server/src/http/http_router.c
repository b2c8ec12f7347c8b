/*
 * http_router.c - segment-wise matching of paths against route patterns.
 *
 * The table is small (tens of routes) and matching a path costs a few string
 * compares per route, so a linear scan beats any trie in both speed and
 * clarity here.  For a 405 every route is visited to collect the Allow list.
 */
#include "http/http_router.h"

#include <stdbool.h>
#include <string.h>

static bool http_router_path_match(const char *pattern, const char *path,
    size_t path_len, struct http_param *params, size_t *nparams);
static void http_router_allow_add(char *allow, size_t cap, const char *m);

void
http_router_match(const struct http_route *routes, size_t n,
    enum http_method method, const char *path, size_t path_len,
    struct http_match *m)
{
	enum http_method want = method == HTTP_HEAD ? HTTP_GET : method;
	bool path_known = false;
	unsigned seen = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < n; i++) {
		struct http_param params[HTTP_MAX_PARAMS];
		size_t np = 0;

		if (!http_router_path_match(
		        routes[i].pattern, path, path_len, params, &np))
			continue;
		path_known = true;
		if (routes[i].method == want && method != HTTP_OTHER) {
			m->status = 0;
			m->route = i;
			memcpy(m->params, params, sizeof(params));
			m->nparams = np;
			return;
		}
		if (!(seen & (1u << routes[i].method))) {
			seen |= 1u << routes[i].method;
			http_router_allow_add(m->allow, sizeof(m->allow),
			    http_method_name(routes[i].method));
			if (routes[i].method == HTTP_GET)
				http_router_allow_add(
				    m->allow, sizeof(m->allow), "HEAD");
		}
	}
	if (method == HTTP_OTHER)
		m->status = 501;
	else
		m->status = path_known ? 405 : 404;
}

int
http_router_pattern_valid(const char *p)
{
	if (p[0] != '/')
		return 0;
	if (p[1] == '\0')
		return 1; /* the root: the web console */
	while (*p == '/') {
		const char *s = ++p;

		while (*p && *p != '/')
			p++;
		if (p == s)
			return 0;
		if (*s == '{' && p[-1] != '}')
			return 0;
	}
	return *p == '\0';
}

static bool
http_router_path_match(const char *pattern, const char *path, size_t path_len,
    struct http_param *params, size_t *nparams)
{
	const char *p = pattern, *s = path, *end = path + path_len;

	*nparams = 0;
	while (*p) {
		const char *pseg, *pend, *sseg;

		if (*p != '/' || s >= end || *s != '/')
			return false;
		pseg = ++p;
		while (*p && *p != '/')
			p++;
		pend = p;
		sseg = ++s;
		while (s < end && *s != '/')
			s++;
		if (*pseg == '{') {
			if (s == sseg || *nparams >= HTTP_MAX_PARAMS)
				return false;
			params[*nparams].name = pseg + 1;
			params[*nparams].name_len = (size_t)(pend - pseg - 2);
			params[*nparams].value = sseg;
			params[*nparams].value_len = (size_t)(s - sseg);
			(*nparams)++;
		} else if ((size_t)(pend - pseg) != (size_t)(s - sseg) ||
		    memcmp(pseg, sseg, (size_t)(s - sseg)) != 0) {
			return false;
		}
	}
	return s == end;
}

static void
http_router_allow_add(char *allow, size_t cap, const char *m)
{
	size_t len = strlen(allow);

	if (len + strlen(m) + 3 >= cap)
		return;
	if (len)
		strcat(allow, ", ");
	strcat(allow, m);
}
