/*
 * rt.h - realtime: subscribers over WebSocket, and the events they receive.
 *
 * One struct rt per event loop, made by cli/serve.  The API's upgrade
 * route authenticates the caller, checks the handshake and answers 101;
 * the connection then comes here through rt_attach, which cli/serve hands
 * to the API as a function pointer (api/ and realtime/ never call each
 * other).  What a subscriber receives is decided by the database: the
 * events table is the truth, written by triggers in the transaction of
 * each change; the access definition says who receives each event and
 * what they see of it (schema/functions/70_events.sql).  Here: who is
 * subscribed to what on this instance, reading the events in order, and
 * sending them.
 */
#ifndef ISACD_REALTIME_RT_H
#define ISACD_REALTIME_RT_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct conn;
struct db_pool;
struct evbuffer;
struct ws_options;

struct rt_options {
	const char *conninfo; /* for the LISTEN connection */
	int connect_timeout_s;
	struct db_outage *outage; /* the pool's, for the LISTEN connection */
	int poll_ms; /* the safety net: read the events at least this often */
	long session_idle_s;
	const struct ws_options *ws;
};

/** Who a new socket belongs to (copied by rt_attach). */
struct rt_peer {
	char user_id[37];
	char credential_id[37]; /* session or API token */
	bool token;             /* an API token, not a session */
	long long expires_at;   /* the credential's end, epoch seconds */
};

struct rt;

/** Start: the LISTEN connection, the reader's position, the timers. */
struct rt *rt_new(
    struct event_base *base, struct db_pool *db, const struct rt_options *o);
/** Close every socket with 1001 (going away); they close as they drain. */
void rt_shutdown(struct rt *rt);
void rt_free(struct rt *rt);
/** Take over an upgraded connection (the 101 is written) for peer. */
void rt_attach(struct rt *rt, struct conn *c, const struct rt_peer *peer);
/**
 * Something was committed that may have written events: read them now,
 * and tell the other instances (a coalesced NOTIFY, sent after the commit).
 */
void rt_written(struct rt *rt);
/** Append the realtime metrics (Prometheus text). */
void rt_metrics(struct rt *rt, struct evbuffer *out);

#endif
