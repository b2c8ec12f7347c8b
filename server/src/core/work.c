/*
 * work.c - worker threads, a mutex-protected queue and an eventfd back.
 *
 * Only the loop thread reads `abandoned` and calls done/free_fn, so those
 * need no lock; the queue and the finished list are under the pool mutex.
 */
#include "core/work.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/queue.h>
#include <unistd.h>

#include "core/mem.h"

#define WORK_NICE 10

enum work_state { WORK_QUEUED, WORK_RUNNING, WORK_FINISHED };

struct work {
	struct work_pool *pool;
	void (*run)(void *);
	void (*done)(void *);
	void (*free_fn)(void *);
	void *arg;
	enum work_state state;
	bool abandoned;
	TAILQ_ENTRY(work) link;
};

TAILQ_HEAD(work_list, work);

struct work_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct work_list queue;
	struct work_list finished;
	int queued;
	int running;
	int queue_max;
	bool stop;
	int nthreads;
	pthread_t *threads;
	int efd;
	struct event *ev;
	unsigned long long rejected;
};

static void *work_thread(void *arg);
static void work_finished_cb(evutil_socket_t fd, short what, void *arg);

struct work_pool *
work_pool_new(struct event_base *base, int threads, int queue_max)
{
	struct work_pool *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	TAILQ_INIT(&p->queue);
	TAILQ_INIT(&p->finished);
	p->queue_max = queue_max;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		fatal("eventfd failed");
	p->ev =
	    event_new(base, p->efd, EV_READ | EV_PERSIST, work_finished_cb, p);
	if (p->ev == NULL || event_add(p->ev, NULL) != 0)
		fatal("event_new failed");
	p->threads = xcalloc((size_t)threads, sizeof(pthread_t));
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, work_thread, p) != 0)
			fatal("pthread_create failed");
		p->nthreads++;
	}
	return p;
}

void
work_pool_free(struct work_pool *p)
{
	struct work *w;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	while ((w = TAILQ_FIRST(&p->queue)) != NULL) {
		TAILQ_REMOVE(&p->queue, w, link);
		w->free_fn(w->arg);
		free(w);
	}
	while ((w = TAILQ_FIRST(&p->finished)) != NULL) {
		TAILQ_REMOVE(&p->finished, w, link);
		w->free_fn(w->arg);
		free(w);
	}
	event_free(p->ev);
	close(p->efd);
	free(p->threads);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct work *
work_submit(struct work_pool *p, void (*run)(void *), void (*done)(void *),
    void (*free_fn)(void *), void *arg)
{
	struct work *w;

	pthread_mutex_lock(&p->mu);
	if (p->queued >= p->queue_max) {
		p->rejected++;
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->pool = p;
	w->run = run;
	w->done = done;
	w->free_fn = free_fn;
	w->arg = arg;
	w->state = WORK_QUEUED;
	TAILQ_INSERT_TAIL(&p->queue, w, link);
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return w;
}

void
work_abandon(void *work)
{
	struct work *w = work;

	struct work_pool *p;

	if (w == NULL)
		return;
	p = w->pool;
	w->abandoned = true;
	pthread_mutex_lock(&p->mu);
	if (w->state == WORK_QUEUED) {
		/* not started: take it back so no worker spends time on it */
		TAILQ_REMOVE(&p->queue, w, link);
		p->queued--;
		pthread_mutex_unlock(&p->mu);
		w->free_fn(w->arg);
		free(w);
		return;
	}
	pthread_mutex_unlock(&p->mu);
}

void
work_pool_stats(struct work_pool *p, struct work_stats *s)
{
	pthread_mutex_lock(&p->mu);
	s->threads = p->nthreads;
	s->queued = p->queued;
	s->running = p->running;
	s->rejected = p->rejected;
	pthread_mutex_unlock(&p->mu);
}

static void *
work_thread(void *arg)
{
	struct work_pool *p = arg;

	/*
	 * Hashing is throughput work, the loop is latency work: on Linux nice
	 * is per thread, so these yield the CPU to the loop (and PostgreSQL)
	 * whenever both want it.  Failure only costs latency; ignore it.
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), WORK_NICE);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct work *w;
		uint64_t one = 1;

		while (TAILQ_EMPTY(&p->queue) && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		w = TAILQ_FIRST(&p->queue);
		TAILQ_REMOVE(&p->queue, w, link);
		p->queued--;
		p->running++;
		w->state = WORK_RUNNING;
		pthread_mutex_unlock(&p->mu);

		w->run(w->arg);

		pthread_mutex_lock(&p->mu);
		p->running--;
		w->state = WORK_FINISHED;
		TAILQ_INSERT_TAIL(&p->finished, w, link);
		while (write(p->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void
work_finished_cb(evutil_socket_t fd, short what, void *arg)
{
	struct work_pool *p = arg;
	struct work_list batch;
	struct work *w;
	uint64_t n;

	(void)what;
	while (read(fd, &n, sizeof(n)) < 0 && errno == EINTR)
		;
	TAILQ_INIT(&batch);
	pthread_mutex_lock(&p->mu);
	TAILQ_CONCAT(&batch, &p->finished, link);
	pthread_mutex_unlock(&p->mu);
	while ((w = TAILQ_FIRST(&batch)) != NULL) {
		TAILQ_REMOVE(&batch, w, link);
		if (!w->abandoned)
			w->done(w->arg);
		w->free_fn(w->arg);
		free(w);
	}
}
