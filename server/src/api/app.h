/*
 * app.h - what the API handlers share: one struct per event loop, built by
 * cli/serve and reached from a request as r->app.  Nothing in it is global.
 */
#ifndef ISACD_API_APP_H
#define ISACD_API_APP_H

#include <stdint.h>

#include <event2/event.h>

#include "core/config.h"
#include "domain/password.h"
#include "http/http_router.h"

struct db_pool;
struct http_req;
struct metrics;
struct net;
struct work_pool;

struct app {
	const struct config *cfg;
	struct event_base *base;
	struct db_pool *db;
	struct work_pool *work;
	struct metrics *metrics;
	struct net *net;
	int schema_version; /* what this binary needs */
	struct password_params pw;
	char dummy_hash[PASSWORD_HASH_MAX]; /* verified for unknown e-mails */
	int64_t started_us;
};

/** The route table of isacd (static storage) and its length. */
const struct http_route *api_routes(size_t *n);
/** http_server dispatch: authenticates per route flags, then handles. */
void api_dispatch(struct http_req *r);

#endif
