/*
 * fuzz_http_head.c - libFuzzer target for the request-head parser.
 *
 * Feeds the bytes through the same two steps the server takes (find the end
 * of the head, then parse it) and checks that whatever the parser returns
 * points inside the input and is consistent.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_parser.h"
#include "http/http_router.h"
#include "api/app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *buf, size_t len, const char *p, size_t n)
{
	assert(p >= buf && p + n <= buf + len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim = {8192, HTTP_MAX_HEADERS};
	struct http_head h;
	struct http_match m;
	const struct http_route *routes;
	size_t from = 0, end, skip, nroutes;
	const char *why = NULL;
	char *buf;
	int status;

	if (size > 65536)
		return 0;
	buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	skip = http_head_skip_empty(buf, size);
	/* scanning in two parts must find the same end as in one */
	end = http_head_end(buf + skip, (size - skip) / 2, &from);
	if (end == 0)
		end = http_head_end(buf + skip, size - skip, &from);
	if (end == 0) {
		free(buf);
		return 0;
	}
	assert(end <= size - skip);
	status = http_parse_head(buf + skip, end, &lim, &h, &why);
	if (status == 0) {
		const char *b = buf + skip;

		inside(b, end, h.method_str, h.method_len);
		inside(b, end, h.target, h.target_len);
		inside(b, end, h.path, h.path_len);
		assert(h.path_len > 0 && h.path[0] == '/');
		if (h.query)
			inside(b, end, h.query, h.query_len);
		assert(h.nheaders <= HTTP_MAX_HEADERS);
		for (size_t i = 0; i < h.nheaders; i++) {
			inside(
			    b, end, h.headers[i].name, h.headers[i].name_len);
			inside(
			    b, end, h.headers[i].value, h.headers[i].value_len);
		}
		assert(h.minor == 0 || h.minor == 1);
		routes = api_routes(&nroutes);
		http_router_match(
		    routes, nroutes, h.method, h.path, h.path_len, &m);
		assert(m.status == 0 || m.status == 404 || m.status == 405 ||
		    m.status == 501);
		for (size_t i = 0; i < m.nparams; i++)
			inside(
			    b, end, m.params[i].value, m.params[i].value_len);
	} else {
		assert(status >= 400 && status <= 505);
		assert(why != NULL);
	}
	free(buf);
	return 0;
}
