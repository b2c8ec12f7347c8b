/*
 * http_server.h - HTTP/1.1 on top of net/ connections.
 *
 * The server is the protocol installed on every new connection.  It reads
 * heads and bodies under limits and deadlines, routes, checks and decodes
 * JSON bodies, and hands a complete request to the application's dispatch
 * function.  Pipelined requests are taken one at a time, so responses leave
 * in order.  A handler may instead answer 101 and hand the connection to
 * another protocol (http_req_upgrade, in the shape of h2o's
 * h2o_http1_upgrade): the HTTP state goes, the connection stays.
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
 * current response; no connection is kept alive.  A connection that is no
 * longer HTTP (upgraded) is not touched: its protocol drains it.
 */
void http_server_drain(struct http_server *s, struct conn *c);
/**
 * Answer r with 101 Switching Protocols (with the headers the handler added
 * to r, such as Upgrade, Connection and Sec-WebSocket-Accept) and hand its
 * connection to another protocol: once the 101 is queued, from the loop and
 * never inside the caller's stack, the request and the HTTP state are freed
 * and attach(c, arg) runs with the same connection (same bufferevent, TLS or
 * not, no deadline set, no protocol installed: attach installs its own).
 * Bytes the client sent after the request stay in conn_input(c).  If the
 * connection closes first, or the server began draining, abandon(arg) runs
 * instead (and a draining server closes the connection once the 101 is
 * written).  Exactly one of attach and abandon runs.  Like http_respond, it
 * ends the request: the handler must not touch r again.
 */
void http_req_upgrade(struct http_req *r,
    void (*attach)(struct conn *c, void *arg), void (*abandon)(void *arg),
    void *arg);

#endif
