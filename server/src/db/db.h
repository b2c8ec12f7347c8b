/*
 * db.h - an asynchronous PostgreSQL pool on the event loop.
 *
 * libpq runs in non-blocking mode with its socket watched by libevent: connect
 * with PQconnectStartParams/PQconnectPoll under our own timer, send with
 * PQsendPrepare/PQsendQueryPrepared and the PQflush loop, receive with
 * PQconsumeInput/PQisBusy/PQgetResult.  Nothing here ever waits.
 *
 * A statement is a static struct db_stmt; each pool connection prepares it on
 * first use.  Queries wait in a bounded FIFO when every connection is busy;
 * a full queue, a wait past the queue timeout, or a database that is down
 * fail at once with a status the API layer turns into 503.
 *
 * Every outcome reaches the callback, never synchronously from db_query().
 * A query whose requester has gone is abandoned: its callback never runs, and
 * the connection drains its result and rolls back before taking more work.
 */
#ifndef ISACD_DB_H
#define ISACD_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>
#include <libpq-fe.h>

struct db_stmt {
	const char *name; /* unique, for logs */
	const char *sql;
	int nparams;
	_Atomic unsigned id; /* assigned on first use; 0 = not yet */
};

#define DB_STMT(var, n, text) static struct db_stmt var = {#var, text, n, 0}

enum db_status {
	DB_OK,          /* res holds the statement's result */
	DB_ERROR,       /* SQL error: sqlstate and message are set */
	DB_UNAVAILABLE, /* no usable connection, or it broke mid-query */
	DB_BUSY,        /* the wait queue is full */
	DB_TIMEOUT,     /* waited too long for a connection */
};

struct db_result {
	enum db_status status;
	PGresult *res;          /* DB_OK; valid during the callback only */
	const char *sqlstate;   /* DB_ERROR */
	const char *message;    /* DB_ERROR, for logs, never for clients */
	const char *constraint; /* DB_ERROR: the violated constraint, if any */
};

typedef void (*db_cb)(struct db_result *r, void *arg);

/*
 * Whether the database is away, shared by every connection of a process
 * (db_outage.c), so that an outage is logged once, not once per connection.
 */
struct db_outage {
	bool down;
	unsigned epoch; /* outages ended so far */
};

/** The epoch a connection attempt begins in (pass it to begin). */
unsigned db_outage_epoch(const struct db_outage *o);
/**
 * An attempt begun in epoch failed: true when this begins an outage (log it
 * then); false while one is going on, or when the attempt is older than
 * the database's last return.
 */
bool db_outage_begin(struct db_outage *o, unsigned epoch);
/** A connection works: true when this ends an outage (log that once). */
bool db_outage_end(struct db_outage *o);

struct db_pool_options {
	const char *conninfo;
	int size;
	int queue_max;
	int queue_timeout_ms;
	int statement_timeout_ms;
	int connect_timeout_s;
	/* more settings for every connection, as "-c name=value ...": the
	 * configuration the SQL functions read (isacd.max_retention_days);
	 * NULL for none */
	const char *settings;
	struct db_outage *outage; /* shared; outlives the pool */
};

struct db_pool;
struct db_query;

struct db_pool_stats {
	int size;
	int connected;
	int busy;
	int waiting;
	unsigned long long queries;
	unsigned long long failed; /* unavailable, busy or timeout */
};

/** Start a pool; connections open in the background. */
struct db_pool *db_pool_new(
    struct event_base *base, const struct db_pool_options *o);
/** Close every connection; pending callbacks get DB_UNAVAILABLE first. */
void db_pool_free(struct db_pool *p);
/**
 * Run stmt with params[0..stmt->nparams) (text values, NULL = SQL NULL; all
 * copied).  cb(result, arg) runs later on the loop, exactly once, unless the
 * query is abandoned first.  The handle is valid until cb runs or abandon.
 */
struct db_query *db_query(struct db_pool *p, struct db_stmt *stmt,
    const char *const *params, db_cb cb, void *arg);
/** The requester is gone: never call back; free once libpq is done with it. */
void db_query_abandon(void *query);
/** Current counters for /metrics and /readyz. */
void db_pool_stats(const struct db_pool *p, struct db_pool_stats *s);
/** The libpq conninfo keywords isacd adds (statement timeout, UTC, name). */
int db_connect_params(const char *conninfo, int statement_timeout_ms,
    const char **keys, const char **vals, size_t cap, char *options,
    size_t optcap);

/*
 * A dedicated connection, outside the pool, that LISTENs on one channel
 * (db_listen.c): the realtime layer's wake-up.  It reconnects by itself with
 * backoff.
 */
struct db_listen;

/**
 * Connect in the background and LISTEN on channel; on_notify(arg) runs once
 * per read that brought notifications, on_ready(arg) after every
 * (re)connection once the LISTEN is in place (anything committed while it
 * was down must be read then).  Its failures are logged through outage
 * (shared with the pool; it outlives the connection).
 */
struct db_listen *db_listen_new(struct event_base *base, const char *conninfo,
    const char *channel, int connect_timeout_s, struct db_outage *outage,
    void (*on_notify)(void *arg), void (*on_ready)(void *arg), void *arg);
void db_listen_free(struct db_listen *l);
/** Whether the LISTEN is in place now. */
bool db_listen_ready(const struct db_listen *l);
/** Notifications received, and reconnections after a loss, so far. */
void db_listen_stats(const struct db_listen *l, unsigned long long *hints,
    unsigned long long *reconnects);

#endif
