/*
 * app.h - what the API handlers share: one struct per event loop, built by
 * cli/serve and reached from a request as r->app.  Nothing in it is global.
 */
#ifndef ISACD_API_APP_H
#define ISACD_API_APP_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "core/config.h"
#include "domain/password.h"
#include "http/http_router.h"

struct conn;
struct db_pool;
struct evbuffer;
struct http_req;
struct metrics;
struct net;
struct seal_ring;
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
	/*
	 * The realtime layer, wired by cli/serve (api/ and realtime/ never
	 * call each other): take over an upgraded connection for a user; a
	 * write was committed (read the events, tell the other instances);
	 * append its metrics.  All NULL when realtime is off.
	 */
	void (*rt_attach)(void *rt, struct conn *c, const char *user_id,
	    const char *credential_id, bool token, long long expires_at);
	void (*rt_written)(void *rt);
	void (*rt_metrics)(void *rt, struct evbuffer *out);
	void *rt;
	/* the keys that seal TOTP secrets at rest (core/seal.h) */
	const struct seal_ring *totp_keys;
	/*
	 * The purge inside serve, wired like the realtime layer: when its
	 * next run starts (epoch seconds; 0: the purge is off), its metrics.
	 * NULL when there is none.
	 */
	long long (*purge_next_run)(void *purge);
	void (*purge_metrics)(void *purge, struct evbuffer *out);
	void *purge;
};

/** The route table of isacd (static storage) and its length. */
const struct http_route *api_routes(size_t *n);
/** http_server dispatch: authenticates per route flags, then handles. */
void api_dispatch(struct http_req *r);

#endif
