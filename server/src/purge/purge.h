/*
 * purge.h - the purge inside `isacd serve`: what is past its retention
 * goes, on a timer, in bounded batches, without ever blocking the loop.
 *
 * What goes, and the rules, are SQL (schema/functions/25_retention.sql,
 * 80_privacy.sql); `isacd purge` (cli/cli_purge.c) runs the same
 * statements from the command line.  A run: take the purge's advisory
 * lock (one run at a time across every process on the database; when
 * another holds it, this run is skipped), sweep what has ended (sessions,
 * tokens, invitations, tickets, idempotency keys, login-failure records,
 * old events, old IP addresses), delete the posts past their retention a
 * batch at a time, wait the settle time so that subscribers hear of them,
 * forget their events, release the lock.  Every statement goes over a pool
 * of one connection of the purge's own, which holds the lock for the run:
 * the API's pool never waits for the purge.  The log and the metrics get
 * counts only, never a title or an id.
 */
#ifndef ISACD_PURGE_PURGE_H
#define ISACD_PURGE_PURGE_H

#include <stdbool.h>

#include <event2/event.h>

struct db_outage;

struct evbuffer;

/* what a run sweeps besides posts, in order (isacd_purge_sweep's kinds),
 * and their names for people */
#define PURGE_NSWEEPS 10
extern const char *const purge_sweep_kinds[PURGE_NSWEEPS];
extern const char *const purge_sweep_names[PURGE_NSWEEPS];
/* rows per sweep statement */
#define PURGE_SWEEP_LIMIT 1000
/* seconds between the last batch of a run and forgetting its events:
 * every instance reads events at least once a second
 * (ISACD_REALTIME_POLL_MS <= 1000) */
#define PURGE_SETTLE_S 5

struct purge_options {
	const char *conninfo;
	const char *settings; /* "-c isacd.max_retention_days=N" */
	int connect_timeout_s;
	int statement_timeout_ms;
	struct db_outage *outage; /* the server's; outlives the purge */
	long interval_s;          /* between runs; 0: no runs at all */
	long first_s;             /* until the first run */
	int batch;                /* posts per batch */
	int ip_days;              /* ISACD_IP_RETENTION_DAYS */
	int login_window_s;
	int settle_s;
	/* a batch was committed: its events are there to read (may be NULL) */
	void (*written)(void *arg);
	void *arg;
};

struct purge;

/** Start the timer of the first run (none when interval_s is 0). */
struct purge *purge_new(struct event_base *base, const struct purge_options *o);
/** Stop: a statement in flight is abandoned (its transaction rolls back). */
void purge_free(struct purge *p);
/** When the next run starts, in epoch seconds (now while one runs); 0 when
 * the purge is off. */
long long purge_next_run(const struct purge *p);
/** Append the purge's metrics (Prometheus text). */
void purge_metrics(const struct purge *p, struct evbuffer *out);

#endif
