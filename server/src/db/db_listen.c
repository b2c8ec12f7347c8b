/*
 * db_listen.c - one connection outside the pool that LISTENs.
 *
 *   DOWN --timer--> CONNECTING --ok--> LISTENING (LISTEN sent) --result-->
 *   READY --notification--> on_notify ... ; any failure --> DOWN (backoff)
 *
 * The realtime layer keeps one per process: a notification is only a hint
 * that events were committed (the events table is the truth), so what this
 * connection must guarantee is that a hint lost while it was down costs
 * nothing: after each (re)connection, on_ready runs, and the reader reads
 * everything past its position.  Notifications are coalesced: however many
 * arrive in one read, on_notify runs once.
 *
 * Its failures share the pool's outage log (db_outage.c): the database
 * going away is one warning, whichever connection notices first.
 *
 * It never waits: connect with PQconnectStartParams/PQconnectPoll under a
 * timer, send with PQsendQuery and the PQflush loop, read with
 * PQconsumeInput and PQnotifies, all on level-triggered events, like the
 * pool (db_pool.c).  It is not in the pool because LISTEN belongs to a
 * session, and a pooled connection serves whoever comes next.
 */
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"

enum dl_state { DL_DOWN, DL_CONNECTING, DL_LISTENING, DL_READY };

struct db_listen {
	struct event_base *base;
	char *conninfo;
	char *channel;
	int connect_timeout_s;
	struct db_outage *outage;
	unsigned epoch; /* the outage epoch its attempt began in */
	void (*on_notify)(void *arg);
	void (*on_ready)(void *arg);
	void *arg;
	PGconn *pg;
	enum dl_state state;
	struct event *io;
	int io_fd;
	short io_what;
	struct event *timer;
	int backoff_ms;
	bool flushing;
	unsigned long long notifications;
	unsigned long long reconnects;
};

static void dl_connect(struct db_listen *l);
static void dl_watch(struct db_listen *l, short what);
static void dl_io_cb(evutil_socket_t fd, short what, void *arg);
static void dl_timer_cb(evutil_socket_t fd, short what, void *arg);
static void dl_broken(struct db_listen *l, const char *why);
static void dl_send_listen(struct db_listen *l);
static void dl_flush(struct db_listen *l);
static void dl_read(struct db_listen *l);

struct db_listen *
db_listen_new(struct event_base *base, const char *conninfo,
    const char *channel, int connect_timeout_s, struct db_outage *outage,
    void (*on_notify)(void *arg), void (*on_ready)(void *arg), void *arg)
{
	struct db_listen *l = xcalloc(1, sizeof(*l));

	l->base = base;
	l->conninfo = xstrdup(conninfo);
	l->channel = xstrdup(channel);
	l->connect_timeout_s = connect_timeout_s;
	l->outage = outage;
	l->on_notify = on_notify;
	l->on_ready = on_ready;
	l->arg = arg;
	l->io_fd = -1;
	l->timer = evtimer_new(base, dl_timer_cb, l);
	if (l->timer == NULL)
		fatal("evtimer_new failed");
	dl_connect(l);
	return l;
}

void
db_listen_free(struct db_listen *l)
{
	if (l == NULL)
		return;
	if (l->io)
		event_free(l->io);
	event_free(l->timer);
	if (l->pg)
		PQfinish(l->pg);
	free(l->conninfo);
	free(l->channel);
	free(l);
}

bool
db_listen_ready(const struct db_listen *l)
{
	return l->state == DL_READY;
}

void
db_listen_stats(const struct db_listen *l, unsigned long long *hints,
    unsigned long long *reconnects)
{
	*hints = l->notifications;
	*reconnects = l->reconnects;
}

static void
dl_connect(struct db_listen *l)
{
	const char *keys[8], *vals[8];
	char options[256];
	struct timeval tv = {l->connect_timeout_s, 0};

	/* a statement timeout would end the session's LISTEN: none here */
	db_connect_params(
	    l->conninfo, 0, keys, vals, 8, options, sizeof(options));
	l->epoch = db_outage_epoch(l->outage);
	l->pg = PQconnectStartParams(keys, vals, 1);
	if (l->pg == NULL || PQstatus(l->pg) == CONNECTION_BAD) {
		dl_broken(l, l->pg ? PQerrorMessage(l->pg) : "out of memory");
		return;
	}
	l->state = DL_CONNECTING;
	evtimer_add(l->timer, &tv);
	dl_watch(l, EV_WRITE);
}

/* Re-arm the socket event for `what`, following a changed socket. */
static void
dl_watch(struct db_listen *l, short what)
{
	int fd = PQsocket(l->pg);

	if (fd < 0) {
		dl_broken(l, "connection has no socket");
		return;
	}
	if (l->io && (l->io_fd != fd || l->io_what != what)) {
		event_free(l->io);
		l->io = NULL;
	}
	if (l->io == NULL) {
		l->io = event_new(l->base, fd, what, dl_io_cb, l);
		if (l->io == NULL)
			fatal("event_new failed");
		l->io_fd = fd;
		l->io_what = what;
	}
	event_add(l->io, NULL);
}

static void
dl_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_listen *l = arg;

	(void)fd;
	switch (l->state) {
	case DL_DOWN:
		return;
	case DL_CONNECTING:
		switch (PQconnectPoll(l->pg)) {
		case PGRES_POLLING_READING:
			dl_watch(l, EV_READ);
			return;
		case PGRES_POLLING_WRITING:
			dl_watch(l, EV_WRITE);
			return;
		case PGRES_POLLING_OK:
			evtimer_del(l->timer);
			if (PQsetnonblocking(l->pg, 1) != 0) {
				dl_broken(l, "cannot set non-blocking mode");
				return;
			}
			dl_send_listen(l);
			return;
		default:
			dl_broken(l, PQerrorMessage(l->pg));
			return;
		}
	case DL_LISTENING:
	case DL_READY:
		if (l->flushing && (what & EV_WRITE)) {
			dl_flush(l);
			if (l->state == DL_DOWN)
				return;
		}
		if (what & EV_READ)
			dl_read(l);
		/* the event is one-shot: wait for the next notification (or
		 * for the end of the connection, which is how a lost one is
		 * noticed) */
		if (l->state != DL_DOWN)
			dl_watch(l, l->flushing ? EV_READ | EV_WRITE : EV_READ);
		return;
	}
}

static void
dl_send_listen(struct db_listen *l)
{
	char *ident = PQescapeIdentifier(l->pg, l->channel, strlen(l->channel));
	char sql[160];

	if (ident == NULL) {
		dl_broken(l, PQerrorMessage(l->pg));
		return;
	}
	snprintf(sql, sizeof(sql), "LISTEN %s", ident);
	PQfreemem(ident);
	if (!PQsendQuery(l->pg, sql)) {
		dl_broken(l, PQerrorMessage(l->pg));
		return;
	}
	l->state = DL_LISTENING;
	dl_flush(l);
}

/* The PQflush loop: wait for write and read until everything is sent. */
static void
dl_flush(struct db_listen *l)
{
	int r = PQflush(l->pg);

	if (r < 0) {
		dl_broken(l, PQerrorMessage(l->pg));
		return;
	}
	l->flushing = r == 1;
	dl_watch(l, l->flushing ? EV_READ | EV_WRITE : EV_READ);
}

static void
dl_read(struct db_listen *l)
{
	PGnotify *n;
	bool any = false;

	if (!PQconsumeInput(l->pg)) {
		dl_broken(l, PQerrorMessage(l->pg));
		return;
	}
	if (l->state == DL_LISTENING) {
		while (!PQisBusy(l->pg)) {
			PGresult *res = PQgetResult(l->pg);

			if (res == NULL) {
				l->state = DL_READY;
				if (db_outage_end(l->outage))
					log_info("db: the database answers "
					         "again (the listening "
					         "connection)");
				l->epoch = db_outage_epoch(l->outage);
				l->backoff_ms = 0;
				/* whatever was committed meanwhile: read it */
				l->on_ready(l->arg);
				break;
			}
			if (PQresultStatus(res) != PGRES_COMMAND_OK) {
				char why[200];

				snprintf(why, sizeof(why), "LISTEN failed: %s",
				    PQresultErrorMessage(res));
				PQclear(res);
				dl_broken(l, why);
				return;
			}
			PQclear(res);
		}
	}
	while ((n = PQnotifies(l->pg)) != NULL) {
		any = true;
		l->notifications++;
		PQfreemem(n);
	}
	if (PQstatus(l->pg) != CONNECTION_OK) {
		dl_broken(l, PQerrorMessage(l->pg));
		return;
	}
	if (any && l->state == DL_READY)
		l->on_notify(l->arg);
}

static void
dl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct db_listen *l = arg;

	(void)fd;
	(void)what;
	if (l->state == DL_DOWN)
		dl_connect(l);
	else if (l->state == DL_CONNECTING)
		dl_broken(l, "connect timed out");
}

static void
dl_broken(struct db_listen *l, const char *why)
{
	struct timeval tv;
	bool was_up = l->state == DL_READY;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", why ? why : "unknown error");
	msg[strcspn(msg, "\n")] = '\0';
	if (db_outage_begin(l->outage, l->epoch))
		log_warn("db: the listening connection %s: %s (isacd's "
		         "connections retry quietly until the database "
		         "answers again)",
		    was_up ? "was lost" : "failed", msg);
	if (was_up)
		l->reconnects++;
	if (l->io) {
		event_free(l->io);
		l->io = NULL;
	}
	if (l->pg) {
		PQfinish(l->pg);
		l->pg = NULL;
	}
	l->flushing = false;
	l->state = DL_DOWN;
	l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : 100;
	if (l->backoff_ms > 5000)
		l->backoff_ms = 5000;
	tv.tv_sec = l->backoff_ms / 1000;
	tv.tv_usec = (l->backoff_ms % 1000) * 1000;
	evtimer_del(l->timer);
	evtimer_add(l->timer, &tv);
}
