/*
 * http_router.h - method + path-pattern routing with path parameters.
 *
 * A route table is a static array; patterns are literal segments and `{name}`
 * placeholders that match exactly one non-empty segment.  Matching is pure:
 * it answers a route, or why none fits (404, 405 with the allowed methods, or
 * 501 for a method we do not implement).  HEAD is served by GET routes.
 */
#ifndef ISACD_HTTP_ROUTER_H
#define ISACD_HTTP_ROUTER_H

#include <stddef.h>

#include "http/http_parser.h"

struct http_req;

typedef void (*http_handler_fn)(struct http_req *req);

/* route flags: what the HTTP layer checks of a body */
#define ROUTE_JSON_BODY 0x01u /* a JSON object body is required */
#define ROUTE_JSON_OPT  0x02u /* a JSON object body is optional */

struct http_route {
	enum http_method method;
	const char *pattern;
	http_handler_fn handler;
	unsigned flags;  /* ROUTE_* */
	unsigned policy; /* the application's: who may call (opaque here) */
};

#define HTTP_MAX_PARAMS 4

struct http_param {
	const char *name; /* points into the pattern */
	size_t name_len;
	const char *value; /* points into the matched path */
	size_t value_len;
};

struct http_match {
	int status;   /* 0 when a route matched, else 404, 405 or 501 */
	size_t route; /* index into the table when status == 0 */
	struct http_param params[HTTP_MAX_PARAMS];
	size_t nparams;
	char allow[64]; /* for 405: "GET, HEAD, POST" */
};

/**
 * Match method and path against routes[0..n); fills m.  The path must not
 * include the query.  Parameter values point into path.
 */
void http_router_match(const struct http_route *routes, size_t n,
    enum http_method method, const char *path, size_t path_len,
    struct http_match *m);

/** True when the pattern is well formed (used by a test over the table). */
int http_router_pattern_valid(const char *pattern);

#endif
