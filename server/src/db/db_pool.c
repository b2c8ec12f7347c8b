/*
 * db_pool.c - the connection state machine and the wait queue.
 *
 *   DOWN --timer--> CONNECTING --PQconnectPoll OK--> IDLE
 *   IDLE --query--> [PREPARING] --> EXECUTING --result--> [ROLLBACK] --> IDLE
 *   any --socket error / CONNECTION_BAD--> DOWN (backoff 100 ms .. 5 s)
 *
 * A failure is logged once per outage, whichever connection meets it
 * first, and so is the return (db_outage.c): a database that is down for
 * all eight connections is one warning, not eight per retry round.
 *
 * Socket events are level-triggered and re-armed for exactly what libpq is
 * waiting for; PQsocket() is re-read after every PQconnectPoll because it may
 * change between attempts.  Idle connections are watched for reading, so a
 * server that goes away is noticed before a request needs the connection.
 *
 * No blocking calls: there is no PQcancel (libpq 15's is blocking); a
 * server-side statement_timeout bounds every statement instead, and a
 * connection left inside a transaction is rolled back asynchronously.
 */
#include "db/db.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

enum dc_state {
	DC_DOWN,
	DC_CONNECTING,
	DC_IDLE,
	DC_PREPARING,
	DC_EXECUTING,
	DC_ROLLBACK,
};

enum dq_state { DQ_QUEUED, DQ_RUNNING, DQ_DONE };

struct db_query {
	struct db_pool *pool;
	struct db_stmt *stmt;
	char **values;
	db_cb cb;
	void *arg;
	enum dq_state state;
	enum db_status final; /* for DQ_DONE */
	bool abandoned;
	int64_t enqueued_us;
	TAILQ_ENTRY(db_query) link;
};

TAILQ_HEAD(db_query_list, db_query);

struct db_conn {
	struct db_pool *pool;
	int index;
	PGconn *pg;
	enum dc_state state;
	struct event *io;
	int io_fd;
	struct event *timer;
	struct db_query *q;
	PGresult *first;
	unsigned char *prepared;
	size_t prepared_cap;
	int backoff_ms;
	bool flushing;
	bool failed_once; /* last connect attempt or connection failed */
	unsigned epoch;   /* the outage epoch its attempt began in */
};

struct db_pool {
	struct event_base *base;
	struct db_pool_options o;
	char *conninfo;
	char *settings;
	struct db_conn *conns;
	struct db_query_list queue;
	struct db_query_list done;
	int waiting;
	struct event *done_ev;
	struct event *queue_timer;
	unsigned long long queries;
	unsigned long long failed;
	bool freeing;
};

static void dc_connect(struct db_conn *dc);
static void dc_io_cb(evutil_socket_t fd, short what, void *arg);
static void dc_timer_cb(evutil_socket_t fd, short what, void *arg);
static void dc_watch(struct db_conn *dc, short what);
static void dc_broken(struct db_conn *dc, const char *why);
static void dc_start(struct db_conn *dc, struct db_query *q);
static void dc_send_flush(struct db_conn *dc);
static void dc_command_done(struct db_conn *dc);
static void dc_become_idle(struct db_conn *dc);
static void dq_finish(struct db_query *q, enum db_status st);
static void dq_deliver(struct db_query *q, PGresult *res);
static void dq_free(struct db_query *q);
static void pool_kick(struct db_pool *p);
static bool pool_down(const struct db_pool *p);
static void pool_fail_queue(struct db_pool *p, enum db_status st);
static void pool_done_cb(evutil_socket_t fd, short what, void *arg);
static void pool_queue_timer_cb(evutil_socket_t fd, short what, void *arg);

static atomic_uint db_stmt_next_id;

struct db_pool *
db_pool_new(struct event_base *base, const struct db_pool_options *o)
{
	struct db_pool *p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->o = *o;
	p->conninfo = xstrdup(o->conninfo);
	p->o.conninfo = p->conninfo;
	p->settings = o->settings ? xstrdup(o->settings) : NULL;
	p->o.settings = p->settings;
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->done);
	p->done_ev = event_new(base, -1, 0, pool_done_cb, p);
	p->queue_timer = evtimer_new(base, pool_queue_timer_cb, p);
	if (p->done_ev == NULL || p->queue_timer == NULL)
		fatal("event_new failed");
	p->conns = xcalloc((size_t)o->size, sizeof(*p->conns));
	for (int i = 0; i < o->size; i++) {
		struct db_conn *dc = &p->conns[i];

		dc->pool = p;
		dc->index = i;
		dc->io_fd = -1;
		dc->timer = evtimer_new(base, dc_timer_cb, dc);
		if (dc->timer == NULL)
			fatal("evtimer_new failed");
		dc_connect(dc);
	}
	return p;
}

void
db_pool_free(struct db_pool *p)
{
	struct db_query *q;

	if (p == NULL)
		return;
	p->freeing = true;
	for (int i = 0; i < p->o.size; i++) {
		struct db_conn *dc = &p->conns[i];

		if (dc->q) {
			dq_finish(dc->q, DB_UNAVAILABLE);
			dc->q = NULL;
		}
		if (dc->first)
			PQclear(dc->first);
		if (dc->io)
			event_free(dc->io);
		event_free(dc->timer);
		if (dc->pg)
			PQfinish(dc->pg);
		free(dc->prepared);
	}
	pool_fail_queue(p, DB_UNAVAILABLE);
	/* run the callbacks of what was pending so requesters can answer */
	while ((q = TAILQ_FIRST(&p->done)) != NULL) {
		TAILQ_REMOVE(&p->done, q, link);
		if (!q->abandoned) {
			struct db_result r = {q->final, NULL, NULL, NULL, NULL};

			q->cb(&r, q->arg);
		}
		dq_free(q);
	}
	event_free(p->done_ev);
	event_free(p->queue_timer);
	free(p->conns);
	free(p->conninfo);
	free(p->settings);
	free(p);
}

struct db_query *
db_query(struct db_pool *p, struct db_stmt *stmt, const char *const *params,
    db_cb cb, void *arg)
{
	struct db_query *q = xcalloc(1, sizeof(*q));
	unsigned id = atomic_load(&stmt->id);

	if (id == 0) {
		unsigned fresh = atomic_fetch_add(&db_stmt_next_id, 1) + 1;

		if (atomic_compare_exchange_strong(&stmt->id, &id, fresh))
			id = fresh;
	}
	q->pool = p;
	q->stmt = stmt;
	q->cb = cb;
	q->arg = arg;
	q->values = xcalloc((size_t)stmt->nparams + 1, sizeof(char *));
	for (int i = 0; i < stmt->nparams; i++)
		q->values[i] = params[i] ? xstrdup(params[i]) : NULL;
	p->queries++;

	if (p->freeing || pool_down(p)) {
		dq_finish(q, DB_UNAVAILABLE);
		return q;
	}
	for (int i = 0; i < p->o.size; i++) {
		if (p->conns[i].state == DC_IDLE) {
			dc_start(&p->conns[i], q);
			return q;
		}
	}
	if (p->waiting >= p->o.queue_max) {
		dq_finish(q, DB_BUSY);
		return q;
	}
	q->state = DQ_QUEUED;
	q->enqueued_us = clock_mono_us();
	TAILQ_INSERT_TAIL(&p->queue, q, link);
	p->waiting++;
	if (!evtimer_pending(p->queue_timer, NULL)) {
		struct timeval tv = {0, 50000};

		evtimer_add(p->queue_timer, &tv);
	}
	return q;
}

void
db_query_abandon(void *query)
{
	struct db_query *q = query;

	if (q == NULL || q->abandoned)
		return;
	q->abandoned = true;
	if (q->state == DQ_QUEUED) {
		TAILQ_REMOVE(&q->pool->queue, q, link);
		q->pool->waiting--;
		dq_free(q);
	}
	/* DQ_RUNNING: the connection frees it; DQ_DONE: pool_done_cb does */
}

void
db_pool_stats(const struct db_pool *p, struct db_pool_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->size = p->o.size;
	for (int i = 0; i < p->o.size; i++) {
		enum dc_state st = p->conns[i].state;

		if (st >= DC_IDLE)
			s->connected++;
		if (st > DC_IDLE)
			s->busy++;
	}
	s->waiting = p->waiting;
	s->queries = p->queries;
	s->failed = p->failed;
}

int
db_connect_params(const char *conninfo, int statement_timeout_ms,
    const char **keys, const char **vals, size_t cap, char *options,
    size_t optcap)
{
	size_t n = 0;

	if (cap < 6)
		return -1;
	/* jit=off: every statement here is short and the planner's estimate
	 * for a search over a large table can cross jit_above_cost, where
	 * compiling costs more (tens of ms) than the query itself */
	snprintf(options, optcap,
	    "-c statement_timeout=%d -c idle_in_transaction_session_timeout="
	    "%d -c TimeZone=UTC -c lock_timeout=%d -c synchronous_commit=on"
	    " -c jit=off",
	    statement_timeout_ms, statement_timeout_ms * 2,
	    statement_timeout_ms);
	keys[n] = "dbname";
	vals[n++] = conninfo;
	keys[n] = "application_name";
	vals[n++] = "isacd";
	keys[n] = "client_encoding";
	vals[n++] = "UTF8";
	keys[n] = "options";
	vals[n++] = options;
	keys[n] = NULL;
	vals[n] = NULL;
	return 0;
}

/* ---- connections -------------------------------------------------------- */

static void
dc_connect(struct db_conn *dc)
{
	struct db_pool *p = dc->pool;
	const char *keys[8], *vals[8];
	char options[512];
	struct timeval tv = {p->o.connect_timeout_s, 0};

	db_connect_params(p->conninfo, p->o.statement_timeout_ms, keys, vals, 8,
	    options, sizeof(options));
	if (p->settings) {
		size_t len = strlen(options);

		snprintf(
		    options + len, sizeof(options) - len, " %s", p->settings);
	}
	dc->epoch = db_outage_epoch(p->o.outage);
	dc->pg = PQconnectStartParams(keys, vals, 1);
	if (dc->pg == NULL || PQstatus(dc->pg) == CONNECTION_BAD) {
		dc_broken(
		    dc, dc->pg ? PQerrorMessage(dc->pg) : "out of memory");
		return;
	}
	dc->state = DC_CONNECTING;
	evtimer_add(dc->timer, &tv);
	/* "behave as if it last returned PGRES_POLLING_WRITING" */
	dc_watch(dc, EV_WRITE);
}

/* Re-arm the socket event for `what`, following a changed socket. */
static void
dc_watch(struct db_conn *dc, short what)
{
	int fd = PQsocket(dc->pg);

	if (fd < 0) {
		dc_broken(dc, "connection has no socket");
		return;
	}
	if (dc->io && (dc->io_fd != fd || event_get_events(dc->io) != what)) {
		event_free(dc->io);
		dc->io = NULL;
	}
	if (dc->io == NULL) {
		dc->io = event_new(dc->pool->base, fd, what, dc_io_cb, dc);
		if (dc->io == NULL)
			fatal("event_new failed");
		dc->io_fd = fd;
	}
	event_add(dc->io, NULL);
}

static void
dc_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *dc = arg;

	(void)fd;
	switch (dc->state) {
	case DC_DOWN:
		return;
	case DC_CONNECTING:
		switch (PQconnectPoll(dc->pg)) {
		case PGRES_POLLING_READING:
			dc_watch(dc, EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			dc_watch(dc, EV_WRITE);
			return;
		case PGRES_POLLING_OK:
			evtimer_del(dc->timer);
			if (PQsetnonblocking(dc->pg, 1) != 0) {
				dc_broken(dc, "cannot set non-blocking mode");
				return;
			}
			if (db_outage_end(dc->pool->o.outage))
				log_info("db: the database answers again "
				         "(connection %d)",
				    dc->index);
			dc->epoch = db_outage_epoch(dc->pool->o.outage);
			dc->failed_once = false;
			dc->backoff_ms = 0;
			if (dc->prepared) /* a new session: nothing prepared */
				memset(dc->prepared, 0, dc->prepared_cap);
			dc_become_idle(dc);
			return;
		default:
			dc_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
	case DC_IDLE:
		/* nothing expected: a notice, or the server went away */
		if (!PQconsumeInput(dc->pg) ||
		    PQstatus(dc->pg) != CONNECTION_OK) {
			dc_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
		dc_watch(dc, EV_READ);
		return;
	case DC_PREPARING:
	case DC_EXECUTING:
	case DC_ROLLBACK:
		break;
	}

	if (what & EV_READ) {
		if (!PQconsumeInput(dc->pg)) {
			dc_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
	}
	if (dc->flushing) {
		dc_send_flush(dc);
		return;
	}
	while (!PQisBusy(dc->pg)) {
		PGresult *res = PQgetResult(dc->pg);

		if (res == NULL) {
			dc_command_done(dc);
			return;
		}
		if (dc->first == NULL)
			dc->first = res;
		else
			PQclear(res);
	}
	if (PQstatus(dc->pg) != CONNECTION_OK) {
		dc_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	dc_watch(dc, EV_READ);
}

static void
dc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_conn *dc = arg;

	(void)fd;
	(void)what;
	if (dc->state == DC_DOWN)
		dc_connect(dc);
	else if (dc->state == DC_CONNECTING)
		dc_broken(dc, "connect timed out");
}

static void
dc_broken(struct db_conn *dc, const char *why)
{
	struct db_pool *p = dc->pool;
	struct timeval tv;
	bool was_up = dc->state >= DC_IDLE;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", why ? why : "unknown error");
	msg[strcspn(msg, "\n")] = '\0';
	if (db_outage_begin(p->o.outage, dc->epoch))
		log_warn("db: connection %d %s: %s (isacd's connections "
		         "retry quietly until the database answers again)",
		    dc->index, was_up ? "lost" : "failed", msg);
	dc->failed_once = true;
	if (dc->q) {
		struct db_query *q = dc->q;

		dc->q = NULL;
		dq_finish(q, DB_UNAVAILABLE);
	}
	if (dc->first) {
		PQclear(dc->first);
		dc->first = NULL;
	}
	if (dc->io) {
		event_free(dc->io);
		dc->io = NULL;
	}
	if (dc->pg) {
		PQfinish(dc->pg);
		dc->pg = NULL;
	}
	dc->flushing = false;
	dc->state = DC_DOWN;
	dc->backoff_ms = dc->backoff_ms ? dc->backoff_ms * 2 : 100;
	if (dc->backoff_ms > 5000)
		dc->backoff_ms = 5000;
	tv.tv_sec = dc->backoff_ms / 1000;
	tv.tv_usec = (dc->backoff_ms % 1000) * 1000;
	evtimer_del(dc->timer);
	evtimer_add(dc->timer, &tv);
	if (pool_down(p))
		pool_fail_queue(p, DB_UNAVAILABLE);
}

static void
dc_start(struct db_conn *dc, struct db_query *q)
{
	unsigned id = q->stmt->id;
	size_t byte = id / 8;
	char name[16];
	int ok;

	dc->q = q;
	q->state = DQ_RUNNING;
	snprintf(name, sizeof(name), "s%u", id);
	if (byte >= dc->prepared_cap) {
		size_t cap = byte + 16;

		dc->prepared = xrealloc(dc->prepared, cap);
		memset(
		    dc->prepared + dc->prepared_cap, 0, cap - dc->prepared_cap);
		dc->prepared_cap = cap;
	}
	if (!(dc->prepared[byte] & (1u << (id % 8)))) {
		ok = PQsendPrepare(
		    dc->pg, name, q->stmt->sql, q->stmt->nparams, NULL);
		dc->state = DC_PREPARING;
	} else {
		ok = PQsendQueryPrepared(dc->pg, name, q->stmt->nparams,
		    (const char *const *)q->values, NULL, NULL, 0);
		dc->state = DC_EXECUTING;
	}
	if (!ok) {
		dc_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	dc_send_flush(dc);
}

/* The PQflush loop: wait for write *or* read until everything is sent. */
static void
dc_send_flush(struct db_conn *dc)
{
	int r = PQflush(dc->pg);

	if (r < 0) {
		dc_broken(dc, PQerrorMessage(dc->pg));
		return;
	}
	dc->flushing = r == 1;
	dc_watch(dc, dc->flushing ? EV_READ | EV_WRITE : EV_READ);
}

static void
dc_command_done(struct db_conn *dc)
{
	struct db_query *q = dc->q;
	PGresult *res = dc->first;

	dc->first = NULL;
	switch (dc->state) {
	case DC_PREPARING:
		if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
			unsigned id = q->stmt->id;
			char name[16];

			PQclear(res);
			dc->prepared[id / 8] |= (unsigned char)(1u << (id % 8));
			snprintf(name, sizeof(name), "s%u", id);
			if (!PQsendQueryPrepared(dc->pg, name, q->stmt->nparams,
			        (const char *const *)q->values, NULL, NULL,
			        0)) {
				dc_broken(dc, PQerrorMessage(dc->pg));
				return;
			}
			dc->state = DC_EXECUTING;
			dc_send_flush(dc);
			return;
		}
		/* a failed prepare is delivered as the result */
		__attribute__((fallthrough));
	case DC_EXECUTING:
		dc->q = NULL;
		dq_deliver(q, res);
		if (res)
			PQclear(res);
		if (PQstatus(dc->pg) != CONNECTION_OK) {
			dc_broken(dc, PQerrorMessage(dc->pg));
			return;
		}
		if (PQtransactionStatus(dc->pg) != PQTRANS_IDLE) {
			if (!PQsendQuery(dc->pg, "ROLLBACK")) {
				dc_broken(dc, PQerrorMessage(dc->pg));
				return;
			}
			dc->state = DC_ROLLBACK;
			dc_send_flush(dc);
			return;
		}
		dc_become_idle(dc);
		return;
	case DC_ROLLBACK:
		if (res)
			PQclear(res);
		dc_become_idle(dc);
		return;
	default:
		if (res)
			PQclear(res);
		return;
	}
}

static void
dc_become_idle(struct db_conn *dc)
{
	dc->state = DC_IDLE;
	dc_watch(dc, EV_READ);
	if (dc->state == DC_IDLE)
		pool_kick(dc->pool);
}

/* ---- queries ------------------------------------------------------------ */

static void
dq_deliver(struct db_query *q, PGresult *res)
{
	struct db_result r = {DB_OK, res, NULL, NULL, NULL};
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;

	if (q->abandoned) {
		dq_free(q);
		return;
	}
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		r.status = DB_ERROR;
		r.sqlstate =
		    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		r.message = res ? PQresultErrorMessage(res) : "no result";
		r.constraint = res
		    ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME)
		    : NULL;
		if (r.sqlstate == NULL)
			r.sqlstate = "XX000";
		/* 57P0x: the server is shutting down; 08xxx: connection */
		if (strncmp(r.sqlstate, "57P", 3) == 0 ||
		    strncmp(r.sqlstate, "08", 2) == 0)
			r.status = DB_UNAVAILABLE;
	}
	q->state = DQ_DONE;
	q->cb(&r, q->arg);
	dq_free(q);
}

/* Deliver a failure later, from the loop. */
static void
dq_finish(struct db_query *q, enum db_status st)
{
	struct db_pool *p = q->pool;

	q->state = DQ_DONE;
	q->final = st;
	p->failed++;
	TAILQ_INSERT_TAIL(&p->done, q, link);
	event_active(p->done_ev, EV_TIMEOUT, 0);
}

static void
dq_free(struct db_query *q)
{
	for (int i = 0; i < q->stmt->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q);
}

/* ---- pool --------------------------------------------------------------- */

static void
pool_kick(struct db_pool *p)
{
	for (int i = 0; i < p->o.size && !TAILQ_EMPTY(&p->queue); i++) {
		struct db_conn *dc = &p->conns[i];
		struct db_query *q;

		if (dc->state != DC_IDLE)
			continue;
		q = TAILQ_FIRST(&p->queue);
		TAILQ_REMOVE(&p->queue, q, link);
		p->waiting--;
		dc_start(dc, q);
	}
}

/* Down: no connection is usable and at least one attempt has failed. */
static bool
pool_down(const struct db_pool *p)
{
	bool failed = false;

	for (int i = 0; i < p->o.size; i++) {
		if (p->conns[i].state >= DC_IDLE)
			return false;
		if (p->conns[i].failed_once)
			failed = true;
	}
	return failed;
}

static void
pool_fail_queue(struct db_pool *p, enum db_status st)
{
	struct db_query *q;

	while ((q = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, q, link);
		p->waiting--;
		dq_finish(q, st);
	}
}

static void
pool_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *p = arg;
	struct db_query_list batch;
	struct db_query *q;

	(void)fd;
	(void)what;
	/* callbacks may add more: take this batch only */
	TAILQ_INIT(&batch);
	TAILQ_CONCAT(&batch, &p->done, link);
	while ((q = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, q, link);
		if (!q->abandoned) {
			struct db_result r = {q->final, NULL, NULL, NULL, NULL};

			q->cb(&r, q->arg);
		}
		dq_free(q);
	}
}

static void
pool_queue_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_pool *p = arg;
	int64_t limit = clock_mono_us() - (int64_t)p->o.queue_timeout_ms * 1000;
	struct db_query *q;
	struct timeval tv = {0, 50000};

	(void)fd;
	(void)what;
	while ((q = TAILQ_FIRST(&p->queue)) != NULL && q->enqueued_us < limit) {
		TAILQ_REMOVE(&p->queue, q, link);
		p->waiting--;
		dq_finish(q, DB_TIMEOUT);
	}
	if (!TAILQ_EMPTY(&p->queue))
		evtimer_add(p->queue_timer, &tv);
}
