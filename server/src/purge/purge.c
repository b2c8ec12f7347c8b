/*
 * purge.c - the purge inside `isacd serve`, a state machine on the loop.
 *
 * Each step is one statement on the purge's pool of one connection; its
 * callback starts the next.  The advisory lock is a session lock on that
 * connection, held from the first step to the last; if the connection
 * breaks, PostgreSQL releases it, the batch that notices (isacd_purge_batch
 * checks it holds the lock) fails, and the run ends there.  A failed step
 * ends the run (the lock released when the connection still has it); the
 * next run comes at its time.
 */
#include "purge/purge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "db/db.h"
#include "store/store.h"

enum purge_step {
	STEP_IDLE,
	STEP_LOCK,
	STEP_SWEEP,
	STEP_FORGET_OLD,
	STEP_BATCH,
	STEP_SETTLE,
	STEP_FORGET,
	STEP_UNLOCK,
};

struct purge {
	struct event_base *base;
	struct purge_options o;
	char *conninfo;
	char *settings;
	struct db_pool *db;
	struct event *timer;  /* the next run */
	struct event *settle; /* the settle time after the last batch */
	enum purge_step step;
	bool locked;
	bool failed;
	bool freeing;
	long long next_run;
	int sweep;
	char run[37];
	int64_t started_us;
	unsigned long long posts, comments, events;
	unsigned long long swept[PURGE_NSWEEPS];
	/* since start, for /metrics */
	unsigned long long runs, runs_failed, runs_skipped;
	unsigned long long posts_total, comments_total;
	long long last_success;
};

const char *const purge_sweep_kinds[PURGE_NSWEEPS] = {"sessions", "api_tokens",
    "realtime_tickets", "invites", "join_requests", "idempotency_keys",
    "auth_throttle", "events", "audit_ips", "session_ips"};
const char *const purge_sweep_names[PURGE_NSWEEPS] = {"ended sessions",
    "ended API tokens", "expired realtime tickets",
    "invitations no longer pending for 30 days",
    "join requests decided 30 days ago", "idempotency keys past 24 hours",
    "stale login-failure records", "events past the replay window",
    "old IP addresses in the audit trail", "old IP addresses of sessions"};

static void purge_timer_cb(evutil_socket_t fd, short what, void *arg);
static void purge_settle_cb(evutil_socket_t fd, short what, void *arg);
static void purge_query(
    struct purge *p, struct db_stmt *st, const char *const *params);
static void purge_done(struct db_result *res, void *arg);
static void purge_next(struct purge *p);
static void purge_end(struct purge *p);
static void purge_schedule(struct purge *p, long seconds);

struct purge *
purge_new(struct event_base *base, const struct purge_options *o)
{
	struct purge *p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->o = *o;
	p->conninfo = xstrdup(o->conninfo);
	p->settings = o->settings ? xstrdup(o->settings) : NULL;
	p->o.conninfo = p->conninfo;
	p->o.settings = p->settings;
	p->timer = evtimer_new(base, purge_timer_cb, p);
	p->settle = evtimer_new(base, purge_settle_cb, p);
	if (p->timer == NULL || p->settle == NULL)
		fatal("evtimer_new failed");
	if (o->interval_s > 0) {
		p->db = db_pool_new(base,
		    &(struct db_pool_options){
		        .conninfo = p->conninfo,
		        .size = 1,
		        .queue_max = 4,
		        .queue_timeout_ms = o->statement_timeout_ms,
		        .statement_timeout_ms = o->statement_timeout_ms,
		        .connect_timeout_s = o->connect_timeout_s,
		        .settings = p->settings,
		        .outage = o->outage,
		    });
		purge_schedule(p, o->first_s);
	}
	return p;
}

void
purge_free(struct purge *p)
{
	if (p == NULL)
		return;
	p->freeing = true;
	if (p->db)
		db_pool_free(p->db); /* a pending step is answered, ignored */
	event_free(p->timer);
	event_free(p->settle);
	free(p->conninfo);
	free(p->settings);
	free(p);
}

long long
purge_next_run(const struct purge *p)
{
	if (p->o.interval_s <= 0)
		return 0;
	return p->step != STEP_IDLE ? (long long)clock_wall_s() : p->next_run;
}

void
purge_metrics(const struct purge *p, struct evbuffer *out)
{
	evbuffer_add_printf(out,
	    "# HELP isacd_purge_runs_total Purge runs of this instance, by "
	    "outcome (skipped: another process held the purge lock).\n"
	    "# TYPE isacd_purge_runs_total counter\n"
	    "isacd_purge_runs_total{outcome=\"done\"} %llu\n"
	    "isacd_purge_runs_total{outcome=\"failed\"} %llu\n"
	    "isacd_purge_runs_total{outcome=\"skipped\"} %llu\n"
	    "# HELP isacd_purge_posts_total Posts this instance deleted past "
	    "their retention.\n"
	    "# TYPE isacd_purge_posts_total counter\n"
	    "isacd_purge_posts_total %llu\n"
	    "# HELP isacd_purge_comments_total Comments deleted with them.\n"
	    "# TYPE isacd_purge_comments_total counter\n"
	    "isacd_purge_comments_total %llu\n"
	    "# HELP isacd_purge_last_success_timestamp_seconds When this "
	    "instance last finished a purge run (0: never).\n"
	    "# TYPE isacd_purge_last_success_timestamp_seconds gauge\n"
	    "isacd_purge_last_success_timestamp_seconds %lld\n",
	    p->runs, p->runs_failed, p->runs_skipped, p->posts_total,
	    p->comments_total, p->last_success);
}

static void
purge_schedule(struct purge *p, long seconds)
{
	struct timeval tv = {seconds, 0};

	p->next_run = (long long)clock_wall_s() + seconds;
	evtimer_add(p->timer, &tv);
}

static void
purge_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct purge *p = arg;
	uint8_t raw[16];

	(void)fd;
	(void)what;
	if (p->step != STEP_IDLE)
		return;
	secret_random(raw, sizeof(raw));
	raw[6] = (uint8_t)((raw[6] & 0x0f) | 0x40); /* a version 4 UUID */
	raw[8] = (uint8_t)((raw[8] & 0x3f) | 0x80);
	snprintf(p->run, sizeof(p->run),
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
	    raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14],
	    raw[15]);
	p->posts = p->comments = p->events = 0;
	memset(p->swept, 0, sizeof(p->swept));
	p->sweep = 0;
	p->failed = false;
	p->started_us = clock_mono_us();
	p->step = STEP_LOCK;
	purge_query(p, &store_purge_lock, NULL);
}

static void
purge_settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct purge *p = arg;

	(void)fd;
	(void)what;
	p->step = STEP_FORGET;
	purge_next(p);
}

static void
purge_query(struct purge *p, struct db_stmt *st, const char *const *params)
{
	db_query(p->db, st, params, purge_done, p);
}

/* Issue the statement of the current step. */
static void
purge_next(struct purge *p)
{
	char limit[24], ip[24], window[24], settle[24];
	const char *params[5];

	switch (p->step) {
	case STEP_SWEEP:
		snprintf(limit, sizeof(limit), "%d", PURGE_SWEEP_LIMIT);
		snprintf(ip, sizeof(ip), "%d", p->o.ip_days);
		snprintf(window, sizeof(window), "%d", p->o.login_window_s);
		params[0] = purge_sweep_kinds[p->sweep];
		params[1] = limit;
		params[2] = ip;
		params[3] = window;
		params[4] = "false";
		purge_query(p, &store_purge_sweep, params);
		return;
	case STEP_FORGET_OLD:
	case STEP_FORGET:
		snprintf(settle, sizeof(settle), "%d", p->o.settle_s);
		params[0] = settle;
		purge_query(p, &store_purge_forget, params);
		return;
	case STEP_BATCH:
		snprintf(limit, sizeof(limit), "%d", p->o.batch);
		params[0] = limit;
		params[1] = p->run;
		purge_query(p, &store_purge_batch, params);
		return;
	case STEP_UNLOCK:
		purge_query(p, &store_purge_unlock, NULL);
		return;
	case STEP_SETTLE: {
		struct timeval tv = {p->o.settle_s, 0};

		evtimer_add(p->settle, &tv);
		return;
	}
	case STEP_IDLE:
	case STEP_LOCK:
		break;
	}
	fatal("purge: no statement for step %d", (int)p->step);
}

static void
purge_done(struct db_result *res, void *arg)
{
	struct purge *p = arg;
	PGresult *r = res->res;

	if (p->freeing)
		return;
	if (res->status != DB_OK) {
		log_warn("purge: step %d failed: %s", (int)p->step,
		    res->status == DB_ERROR ? res->message
		                            : "the database is unavailable");
		p->failed = true;
		if (p->locked && p->step != STEP_UNLOCK) {
			p->step = STEP_UNLOCK;
			purge_next(p);
			return;
		}
		purge_end(p);
		return;
	}
	switch (p->step) {
	case STEP_LOCK:
		if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
			log_info("purge: another process holds the purge lock; "
			         "this run is skipped");
			p->runs_skipped++;
			p->step = STEP_IDLE;
			purge_schedule(p, p->o.interval_s);
			return;
		}
		p->locked = true;
		p->step = STEP_SWEEP;
		break;
	case STEP_SWEEP: {
		unsigned long long n = strtoull(PQgetvalue(r, 0, 0), NULL, 10);

		p->swept[p->sweep] += n;
		if (n < PURGE_SWEEP_LIMIT && ++p->sweep == PURGE_NSWEEPS)
			p->step = STEP_FORGET_OLD;
		break;
	}
	case STEP_FORGET_OLD:
		p->events += strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		p->step = STEP_BATCH;
		break;
	case STEP_BATCH:
		for (int i = 0; i < PQntuples(r); i++) {
			p->posts += strtoull(PQgetvalue(r, i, 2), NULL, 10);
			p->comments += strtoull(PQgetvalue(r, i, 3), NULL, 10);
		}
		if (PQntuples(r) > 0) {
			if (p->o.written)
				p->o.written(p->o.arg);
			break;
		}
		p->step = p->posts > 0 ? STEP_SETTLE : STEP_UNLOCK;
		break;
	case STEP_FORGET:
		p->events += strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		p->step = STEP_UNLOCK;
		break;
	case STEP_UNLOCK:
		p->locked = false;
		purge_end(p);
		return;
	case STEP_IDLE:
	case STEP_SETTLE:
		return;
	}
	purge_next(p);
}

/* The run is over: log its counts, count it, schedule the next. */
static void
purge_end(struct purge *p)
{
	char swept[1024];
	size_t len = 0;

	p->locked = false;
	swept[0] = '\0';
	for (int i = 0; i < PURGE_NSWEEPS; i++)
		len += (size_t)snprintf(swept + len,
		    len < sizeof(swept) ? sizeof(swept) - len : 0, "%s%s %llu",
		    i ? ", " : "", purge_sweep_names[i], p->swept[i]);
	if (p->failed) {
		p->runs_failed++;
		log_warn("purge: the run stopped early after %llu posts and "
		         "%llu comments",
		    p->posts, p->comments);
	} else {
		p->runs++;
		p->last_success = (long long)clock_wall_s();
		log_info("purge: %llu posts and %llu comments past their "
		         "retention deleted, %llu of their events forgotten; "
		         "%s (%.1f s)",
		    p->posts, p->comments, p->events, swept,
		    (double)(clock_mono_us() - p->started_us) / 1e6);
	}
	p->posts_total += p->posts;
	p->comments_total += p->comments;
	p->step = STEP_IDLE;
	purge_schedule(p, p->o.interval_s);
}
