/*
 * http_server.h - HTTP/1.1 on top of net/ connections.
 *
 * The server is the protocol installed on every new connection.  It reads
 * heads and bodies under limits and deadlines, routes, checks and decodes
 * JSON bodies, and hands a complete request to the application's dispatch
 * function.  Pipelined requests are taken one at a time, so responses leave
 * in order.
 */
#ifndef ISACD_HTTP_SERVER_H
#define ISACD_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "http/http_request.h"
#include "http/http_router.h"

struct conn;
struct metrics;

struct http_server_options {
	const struct http_route *routes;
	size_t nroutes;
	size_t max_header;
	size_t max_body;
	int header_timeout_s;
	int body_timeout_s;
	int idle_timeout_s;
	bool tls;
	struct metrics *metrics;
	/**
	 * Called for every routed request with its body read (not decoded:
	 * see http_req_decode_body).
	 */
	void (*dispatch)(struct http_req *r);
	void *app;
};

struct http_server;

/** A server over the given routes; options are copied. */
struct http_server *http_server_new(const struct http_server_options *o);
void http_server_free(struct http_server *s);
/** net on_accept callback: installs HTTP on a new connection. */
void http_server_accept(struct conn *c, void *server);
/**
 * Begin a graceful stop: idle connections close now, busy ones after their
 * current response; no connection is kept alive.
 */
void http_server_drain(struct http_server *s, struct conn *c);
/** Upgrade hook: detach HTTP from c after a 101 so another protocol can own it.
 */
void http_server_detach(struct conn *c);

#endif
