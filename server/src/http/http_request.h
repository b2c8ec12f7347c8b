/*
 * http_request.h - one HTTP request as handlers see it, and how they answer.
 *
 * A request owns an arena: every string a handler takes from it (path
 * parameters, query values, headers) and every string it puts into it lives
 * until the request ends, and is freed at once then.
 *
 * Handlers are continuations: they may start asynchronous work (a query, a
 * password hash) and return; the completion answers.  Exactly one http_respond*
 * call ends a request; after it the handler must not touch req again.  If the
 * client leaves first, the pending work registered with http_req_set_pending()
 * is abandoned (its callback never runs) and the request is freed.
 */
#ifndef ISACD_HTTP_REQUEST_H
#define ISACD_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/http_parser.h"
#include "http/http_router.h"

struct arena;
struct http_conn;
struct http_server;

struct http_out_header {
	const char *name;
	const char *value;
	struct http_out_header *next;
};

struct http_req {
	struct http_server *srv;
	struct http_conn *hc;
	struct arena *arena;
	struct http_head head;          /* points into arena */
	const struct http_route *route; /* NULL when unmatched */
	size_t route_index;
	struct http_param params[HTTP_MAX_PARAMS];
	size_t nparams;
	const char *body; /* NUL-terminated copy, body_len bytes */
	size_t body_len;
	json_t *json; /* parsed body object for JSON routes, else NULL */
	char request_id[65];
	int64_t start_us;
	const char *peer; /* client IP address */
	bool tls;
	int status;
	bool responded;
	struct http_out_header *out_headers;
	void *pending;
	void (*pending_abandon)(void *pending);
	void *app;            /* the application's context */
	void *auth;           /* the authenticated principal, set by the app */
	void *state;          /* a handler's state across its continuations */
	const char *log_user; /* user id for the access log, or NULL */
};

/**
 * Check and decode the body as the route's flags ask (content type, UTF-8,
 * a JSON object into r->json).  0 when the handler may go on; -1 after
 * answering 415 or 400.  The application calls it once the caller is
 * authenticated, so an anonymous client learns nothing from body errors.
 */
int http_req_decode_body(struct http_req *r);
/** Path parameter `name` as a NUL-terminated arena string, or NULL. */
const char *http_req_param(struct http_req *r, const char *name);
/** First header `name` as a NUL-terminated arena string, or NULL. */
const char *http_req_header(struct http_req *r, const char *name);
/**
 * Query parameter `name`, percent-decoded into the arena.  Returns 1 when
 * present, 0 when absent, -1 when its encoding is invalid (bad escape,
 * invalid UTF-8 or NUL).
 */
int http_req_query(struct http_req *r, const char *name, const char **value);
/** Add a response header; name and value are copied. */
void http_req_add_header(
    struct http_req *r, const char *name, const char *value);
/** Register the one piece of pending async work and how to abandon it. */
void http_req_set_pending(
    struct http_req *r, void *pending, void (*abandon)(void *));
/** The pending work completed: forget it. */
void http_req_clear_pending(struct http_req *r);

/**
 * Answer with a body of `len` bytes (copied) and a Content-Type; a JSON body
 * (application/json or application/...+json) is sent with a final newline.
 */
void http_respond(struct http_req *r, int status, const char *ctype,
    const char *body, size_t len);
/**
 * Answer with a body that outlives the process's every connection (a file
 * compiled into the binary): sent by reference, never copied.  A
 * Cache-Control header added by the handler replaces the default no-store.
 */
void http_respond_static(struct http_req *r, int status, const char *ctype,
    const void *body, size_t len);
/** Answer with JSON; takes the reference to `body`. */
void http_respond_json(struct http_req *r, int status, json_t *body);
/** Answer with no body (204 and the like). */
void http_respond_empty(struct http_req *r, int status);
/** Answer with an RFC 9457 problem; detail may be NULL. */
void http_respond_problem(struct http_req *r, int status, const char *detail);
/**
 * Answer with a problem carrying "errors": [{field, message}]; takes the
 * reference to errors (may be NULL).
 */
void http_respond_problem_errors(
    struct http_req *r, int status, const char *detail, json_t *errors);

/** Answer with a problem of a given type (a URI reference; NULL is
 * about:blank). */
void http_respond_problem_type(
    struct http_req *r, int status, const char *type, const char *detail);

/**
 * Render a problem document: {"type","title","status","detail"[,"errors"]}.
 * Takes the reference to errors; the caller frees the result with free().
 */
char *http_problem_render(int status, const char *type, const char *detail,
    json_t *errors, size_t *len);

#endif
