/*
 * work.h - a small thread pool for CPU-bound work the loop must not do.
 *
 * argon2id is slow on purpose; run on the loop it would stall every other
 * connection.  Jobs go to a bounded queue served by a few threads; results
 * come back to the loop through an eventfd, where `done` runs (Kore tasks,
 * Redis bio.c).  A full queue refuses new work at once instead of letting
 * the wait grow without bound.
 */
#ifndef ISACD_CORE_WORK_H
#define ISACD_CORE_WORK_H

#include <event2/event.h>

struct work_pool;
struct work;

struct work_stats {
	int threads;
	int queued;
	int running;
	unsigned long long rejected;
};

/** Start `threads` workers with room for `queue_max` waiting jobs. */
struct work_pool *work_pool_new(
    struct event_base *base, int threads, int queue_max);
/** Stop the workers (joining them); waiting jobs are dropped (free_fn runs). */
void work_pool_free(struct work_pool *p);
/**
 * Queue run(arg) for a worker thread; then done(arg) runs on the loop, and
 * then free_fn(arg) (always, even when abandoned).  Returns NULL when the
 * queue is full (nothing is called then; arg stays the caller's).
 */
struct work *work_submit(struct work_pool *p, void (*run)(void *),
    void (*done)(void *), void (*free_fn)(void *), void *arg);
/** The requester is gone: done will not run; free_fn still will. */
void work_abandon(void *work);
/** Counters for /metrics. */
void work_pool_stats(struct work_pool *p, struct work_stats *s);

#endif
