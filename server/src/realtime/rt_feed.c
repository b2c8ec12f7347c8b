/*
 * rt_feed.c - reading the events in order and delivering them.
 *
 *   poll: the events past the position, final now (store_rt_events)
 *     -> for content and member events with listeners here: what each of
 *        them receives (store_rt_deliveries), one frame per view
 *     -> for access events: may the listeners still read (store_rt_rights);
 *        those who may not are told (revoked) and unsubscribed
 *     -> credential.revoked: the credential's sockets close with 1008
 *   and the position moves on.
 *
 * One poll at a time, so events go out in seq order; a poll asked for while
 * one runs is coalesced into one more afterwards.  What asks for a poll: a
 * write on this instance (rt_written), a notification on the LISTEN
 * connection (another instance wrote), the reconnection of that connection,
 * and a timer every poll_ms -- the safety net, so that a lost hint costs at
 * most that delay.  The position lives in memory: at start-up it is the
 * horizon (nothing before it is for anyone connected now), and it only
 * moves past events that were read, so a database restart or a lost
 * listening connection loses nothing.
 *
 * The hint to the other instances is a NOTIFY sent after the write's
 * commit, in a statement of its own (never inside the write: a notifying
 * commit takes a database-wide lock through its flush), at most once per
 * loop pass.
 */
#include "realtime/rt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "db/db.h"
#include "store/store.h"
#include "ws/ws.h"
#include "ws/ws_frame.h"

#define RT_BATCH 1000 /* events read at once */

/* What a poll carries from one query to the next. */
struct rt_round {
	struct rt_feed *f;
	struct evbuffer *batch; /* the deliveries' JSON batch */
	size_t nbatch;
	long long *ages; /* per batch entry: ms since its transaction */
	size_t capages;
	struct evbuffer *rusers, *rchannels; /* access re-checks, in pairs */
	size_t nrecheck;
	bool more; /* the batch was full: read on */
	bool move; /* the position moves to `to` when the round ends */
	char to_xid[24];
	int to_ord;
};

struct rt_feed {
	struct rt *rt;
	struct db_listen *listen;
	char xid[24];
	int ord;
	bool started;
	bool starting;
	bool busy;
	bool again;
	struct event *timer;
	struct event *next;
	struct event *notify_ev;
	bool notify_busy;
	bool notify_again;
	bool recheck_all; /* a re-check was lost with the database: ask all */
};

static void rt_feed_start(struct rt_feed *f);
static void rt_horizon_done(struct db_result *res, void *arg);
static void rt_events_done(struct db_result *res, void *arg);
static void rt_deliveries_done(struct db_result *res, void *arg);
static void rt_recheck(struct rt_round *r);
static void rt_recheck_done(struct db_result *res, void *arg);
static void rt_round_end(struct rt_round *r);
static void rt_timer_cb(evutil_socket_t fd, short what, void *arg);
static void rt_next_cb(evutil_socket_t fd, short what, void *arg);
static void rt_notify_cb(evutil_socket_t fd, short what, void *arg);
static void rt_notify_done(struct db_result *res, void *arg);
static void rt_listen_notify(void *arg);
static void rt_listen_ready(void *arg);
static void rt_access(struct rt_round *r, PGresult *res, int i);
static void rt_credential(struct rt *rt, PGresult *res, int i);
static void rt_listeners(struct rt_round *r, PGresult *res, int i);
static void rt_recheck_add(struct rt_round *r, const char *community,
    const char *channel, const char *user);
static bool rt_db_lost(const struct db_result *res);

struct rt_feed *
rt_feed_new(struct rt *rt)
{
	struct rt_feed *f = xcalloc(1, sizeof(*f));
	struct timeval tv = {
	    rt->o.poll_ms / 1000, (rt->o.poll_ms % 1000) * 1000};

	f->rt = rt;
	f->timer = event_new(rt->base, -1, EV_PERSIST, rt_timer_cb, f);
	f->next = event_new(rt->base, -1, 0, rt_next_cb, f);
	f->notify_ev = event_new(rt->base, -1, 0, rt_notify_cb, f);
	if (f->timer == NULL || f->next == NULL || f->notify_ev == NULL)
		fatal("event_new failed");
	event_add(f->timer, &tv);
	f->listen = db_listen_new(rt->base, rt->o.conninfo, "isacd_events",
	    rt->o.connect_timeout_s, rt->o.outage, rt_listen_notify,
	    rt_listen_ready, f);
	rt_feed_start(f);
	return f;
}

void
rt_feed_free(struct rt_feed *f)
{
	if (f == NULL)
		return;
	db_listen_free(f->listen);
	event_free(f->timer);
	event_free(f->next);
	event_free(f->notify_ev);
	free(f);
}

void
rt_feed_stats(struct rt_feed *f, unsigned long long *hints,
    unsigned long long *reconnects, bool *listening)
{
	db_listen_stats(f->listen, hints, reconnects);
	*listening = db_listen_ready(f->listen);
}

/* ---- the position
 * ------------------------------------------------------------ */

static void
rt_feed_start(struct rt_feed *f)
{
	if (f->starting)
		return;
	f->starting = true;
	db_query(f->rt->db, &store_rt_horizon, NULL, rt_horizon_done, f);
}

static void
rt_horizon_done(struct db_result *res, void *arg)
{
	struct rt_feed *f = arg;

	f->starting = false;
	if (res->status != DB_OK || PQntuples(res->res) != 1)
		return; /* the timer tries again */
	snprintf(f->xid, sizeof(f->xid), "%s", PQgetvalue(res->res, 0, 0));
	f->ord = 0;
	f->started = true;
	if (f->again)
		rt_feed_poll(f);
}

/* ---- one poll
 * ----------------------------------------------------------------- */

void
rt_feed_poll(struct rt_feed *f)
{
	char ord[16];
	const char *params[3] = {f->xid, ord, NULL};
	struct rt_round *r;

	if (!f->started) {
		f->again = true;
		rt_feed_start(f);
		return;
	}
	if (f->busy) {
		f->again = true;
		return;
	}
	f->busy = true;
	f->again = false;
	snprintf(ord, sizeof(ord), "%d", f->ord);
	params[2] = "1000";
	r = xcalloc(1, sizeof(*r));
	r->f = f;
	r->batch = evbuffer_new();
	r->rusers = evbuffer_new();
	r->rchannels = evbuffer_new();
	db_query(f->rt->db, &store_rt_events, params, rt_events_done, r);
}

/* → xid, ord, seq, type, community, channel, user, credential, age ms,
 * horizon; one row of NULLs and the horizon when nothing is new */
static void
rt_events_done(struct db_result *res, void *arg)
{
	struct rt_round *r = arg;
	struct rt_feed *f = r->f;
	int rows;

	if (res->status != DB_OK) {
		rt_round_end(r);
		return;
	}
	rows = PQntuples(res->res);
	for (int i = 0; i < rows; i++) {
		const char *type;

		if (PQgetisnull(res->res, i, 0))
			continue;
		type = PQgetvalue(res->res, i, 3);
		if (strcmp(type, "credential.revoked") == 0)
			rt_credential(f->rt, res->res, i);
		else if (strcmp(type, "access") == 0)
			rt_access(r, res->res, i);
		else
			rt_listeners(r, res->res, i);
	}
	if (f->recheck_all)
		rt_recheck_add(r, NULL, NULL, NULL);
	/* the next position: the last event read when the batch was full,
	 * else everything before the horizon is read.  It is taken when the
	 * events are delivered (rt_round_end), so events whose delivery the
	 * database's going away cut short are read again. */
	if (rows == RT_BATCH && !PQgetisnull(res->res, rows - 1, 0)) {
		snprintf(r->to_xid, sizeof(r->to_xid), "%s",
		    PQgetvalue(res->res, rows - 1, 0));
		r->to_ord = atoi(PQgetvalue(res->res, rows - 1, 1));
		r->more = r->move = true;
	} else if (rows > 0) {
		snprintf(r->to_xid, sizeof(r->to_xid), "%s",
		    PQgetvalue(res->res, 0, 9));
		r->to_ord = 0;
		r->move = true;
	}
	if (r->nbatch > 0) {
		const char *params[1];

		evbuffer_add(r->batch, "]", 2);
		params[0] = (const char *)evbuffer_pullup(r->batch, -1);
		db_query(f->rt->db, &store_rt_deliveries, params,
		    rt_deliveries_done, r);
		return;
	}
	rt_recheck(r);
}

/* A content or member event: who listens here?  Their users go into the
 * batch the deliveries statement renders. */
static void
rt_listeners(struct rt_round *r, PGresult *res, int i)
{
	struct rt *rt = r->f->rt;
	const char *channel = PQgetvalue(res, i, 5);
	const char *community = PQgetvalue(res, i, 4);
	struct evbuffer *users = evbuffer_new();
	size_t n = 0;

	if (!PQgetisnull(res, i, 5)) {
		struct rt_slot *slot = rt_index_get(rt->by_channel, channel);

		for (size_t k = 0; slot && k < slot->n; k++) {
			/* a user with two sockets is asked about once */
			bool seen = false;

			for (size_t q = 0; q < k && !seen; q++)
				seen = strcmp(slot->socks[q]->peer.user_id,
				           slot->socks[k]->peer.user_id) == 0;
			if (!seen)
				evbuffer_add_printf(users, "%s\"%s\"",
				    n++ ? "," : "",
				    slot->socks[k]->peer.user_id);
		}
	} else {
		struct rt_sock *s;

		/* a member event: the sockets listening to its community */
		for (s = TAILQ_FIRST(&rt->socks); s != NULL;
		     s = TAILQ_NEXT(s, link)) {
			bool listens = false;

			if (s->gone)
				continue;
			for (size_t k = 0; k < s->nsubs && !listens; k++)
				listens = strcmp(s->subs[k].community,
				              community) == 0;
			if (listens)
				evbuffer_add_printf(users, "%s\"%s\"",
				    n++ ? "," : "", s->peer.user_id);
		}
	}
	if (n > 0) {
		evbuffer_add_printf(r->batch,
		    "%s{\"xid\":\"%s\",\"ord\":%s,\"users\":[",
		    r->nbatch ? "," : "[", PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1));
		evbuffer_add_buffer(r->batch, users);
		evbuffer_add(r->batch, "]}", 2);
		if (r->nbatch == r->capages) {
			r->capages = r->capages ? r->capages * 2 : 16;
			r->ages =
			    xrealloc(r->ages, r->capages * sizeof(*r->ages));
		}
		r->ages[r->nbatch++] = PQgetisnull(res, i, 8)
		    ? 0
		    : strtoll(PQgetvalue(res, i, 8), NULL, 10);
	}
	evbuffer_free(users);
}

/* A session or API token ended: its sockets close. */
static void
rt_credential(struct rt *rt, PGresult *res, int i)
{
	struct rt_slot *slot = rt_index_get(rt->by_user, PQgetvalue(res, i, 6));
	const char *cred = PQgetvalue(res, i, 7);
	struct rt_sock *socks[64];
	size_t n = 0;

	for (size_t k = 0; slot && k < slot->n; k++) {
		struct rt_sock *s = slot->socks[k];

		if (strcmp(s->peer.credential_id, cred) == 0 && n < 64) {
			s->refs++;
			socks[n++] = s;
		}
	}
	for (size_t k = 0; k < n; k++) {
		rt_sock_close(socks[k], 1008,
		    socks[k]->peer.token ? "the API token was revoked"
		                         : "the session ended");
		rt_sock_release(socks[k]);
	}
}

/* Someone's access may have changed: which (user, channel) subscriptions
 * here must be asked again. */
static void
rt_access(struct rt_round *r, PGresult *res, int i)
{
	rt_recheck_add(r, PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4),
	    PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
	    PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6));
}

/* The subscriptions here of user (NULL: anyone) to channel (NULL: any of
 * community's; both NULL: any) go into the round's re-check. */
static void
rt_recheck_add(struct rt_round *r, const char *community, const char *channel,
    const char *user)
{
	struct rt *rt = r->f->rt;
	struct rt_sock *s;

	for (s = TAILQ_FIRST(&rt->socks); s != NULL; s = TAILQ_NEXT(s, link)) {
		if (s->gone || (user && strcmp(s->peer.user_id, user) != 0))
			continue;
		for (size_t k = 0; k < s->nsubs; k++) {
			struct rt_sub *sub = &s->subs[k];

			if (channel && strcmp(sub->channel, channel) != 0)
				continue;
			if (!channel && community &&
			    strcmp(sub->community, community) != 0)
				continue;
			evbuffer_add_printf(r->rusers, "%s%s",
			    r->nrecheck ? "," : "{", s->peer.user_id);
			evbuffer_add_printf(r->rchannels, "%s%s",
			    r->nrecheck ? "," : "{", sub->channel);
			r->nrecheck++;
		}
	}
}

/* The database went away (or is going), as opposed to refusing the
 * statement: what was asked must be asked again. */
static bool
rt_db_lost(const struct db_result *res)
{
	return res->status != DB_ERROR ||
	    (res->sqlstate != NULL &&
	        (strncmp(res->sqlstate, "08", 2) == 0 ||    /* connection */
	            strncmp(res->sqlstate, "57", 2) == 0 || /* shutdown */
	            strncmp(res->sqlstate, "53", 2) == 0)); /* resources */
}

/* → index, seq, event, community, channel, users, data: one frame each */
static void
rt_deliveries_done(struct db_result *res, void *arg)
{
	struct rt_round *r = arg;
	struct rt *rt = r->f->rt;
	int rows, last = -1;

	if (res->status != DB_OK && rt_db_lost(res)) {
		/* nothing was sent: the position stays, and the next poll
		 * (the timer's, or the listening connection's return) reads
		 * these events again */
		log_warn(
		    "realtime: delivering %zu events failed (%s); they are "
		    "read again",
		    r->nbatch, res->sqlstate ? res->sqlstate : "unavailable");
		r->move = r->more = false;
		rt_round_end(r);
		return;
	}
	if (res->status != DB_OK) {
		/* the statement itself failed: retrying would stall every
		 * later event behind these; say so, rather than pretend */
		log_error("realtime: delivering %zu events failed (%s: %s); "
		          "subscribers here missed them",
		    r->nbatch, res->sqlstate, res->message);
		rt_recheck(r);
		return;
	}
	rows = PQntuples(res->res);
	for (int i = 0; i < rows; i++) {
		PGresult *q = res->res;
		int idx = atoi(PQgetvalue(q, i, 0));
		const char *channel =
		    PQgetisnull(q, i, 4) ? "" : PQgetvalue(q, i, 4);
		const char *community = PQgetvalue(q, i, 3);
		int64_t seq = strtoll(PQgetvalue(q, i, 1), NULL, 10);
		size_t dlen = (size_t)PQgetlength(q, i, 6);
		char *data = xmalloc(dlen + 1), *users, *tok, *save = NULL;
		struct evbuffer *b = evbuffer_new();
		struct ws_frame *frame;

		data[codec_json_compact(data, PQgetvalue(q, i, 6), dlen)] =
		    '\0';
		evbuffer_add_printf(b,
		    "{\"type\":\"event\",\"seq\":%lld,\"event\":\"%s\","
		    "\"channel_id\":",
		    (long long)seq, PQgetvalue(q, i, 2));
		if (channel[0])
			evbuffer_add_printf(b, "\"%s\"", channel);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add_printf(b, ",\"community_id\":\"%s\",\"data\":%s}",
		    community, data);
		free(data);
		frame = ws_frame_text((const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
		evbuffer_free(b);
		users = xstrdup(PQgetvalue(q, i, 5));
		for (tok = strtok_r(users, "{},", &save); tok;
		     tok = strtok_r(NULL, "{},", &save)) {
			struct rt_slot *slot = rt_index_get(rt->by_user, tok);
			struct rt_sock **socks;
			size_t n = slot ? slot->n : 0;

			if (n == 0)
				continue;
			/* a delivery may close a socket (too slow): work on a
			 * copy of the list, each socket held */
			socks = xmalloc(n * sizeof(*socks));
			memcpy(socks, slot->socks, n * sizeof(*socks));
			for (size_t k = 0; k < n; k++)
				socks[k]->refs++;
			for (size_t k = 0; k < n; k++) {
				rt_sock_deliver(
				    socks[k], channel, community, seq, frame);
				rt_sock_release(socks[k]);
			}
			free(socks);
		}
		free(users);
		ws_frame_unref(frame);
		if (idx != last && idx >= 1 && (size_t)idx <= r->nbatch) {
			rt_observe_latency(rt, r->ages[idx - 1]);
			last = idx;
		}
	}
	rt->delivery_rounds++;
	rt_recheck(r);
}

static void
rt_recheck(struct rt_round *r)
{
	const char *params[2];

	if (r->nrecheck == 0) {
		if (r->move)
			r->f->recheck_all = false; /* nobody to ask */
		rt_round_end(r);
		return;
	}
	evbuffer_add(r->rusers, "}", 2);
	evbuffer_add(r->rchannels, "}", 2);
	params[0] = (const char *)evbuffer_pullup(r->rusers, -1);
	params[1] = (const char *)evbuffer_pullup(r->rchannels, -1);
	db_query(r->f->rt->db, &store_rt_rights, params, rt_recheck_done, r);
}

/* → user, channel, verdict, community: who may no longer read loses it */
static void
rt_recheck_done(struct db_result *res, void *arg)
{
	struct rt_round *r = arg;
	struct rt *rt = r->f->rt;

	if (res->status == DB_OK) {
		for (int i = 0; i < PQntuples(res->res); i++) {
			struct rt_slot *slot;
			struct rt_sock **socks;
			size_t n;

			if (strcmp(PQgetvalue(res->res, i, 2), "ok") == 0)
				continue;
			slot = rt_index_get(
			    rt->by_user, PQgetvalue(res->res, i, 0));
			n = slot ? slot->n : 0;
			if (n == 0)
				continue;
			socks = xmalloc(n * sizeof(*socks));
			memcpy(socks, slot->socks, n * sizeof(*socks));
			for (size_t k = 0; k < n; k++)
				socks[k]->refs++;
			for (size_t k = 0; k < n; k++) {
				rt_sock_revoke(
				    socks[k], PQgetvalue(res->res, i, 1));
				rt_sock_release(socks[k]);
			}
			free(socks);
		}
		r->f->recheck_all = false;
	} else {
		/* every subscription here is asked again with the next poll
		 * (the timer's at the latest) */
		log_warn("realtime: asking access again failed (%s); every "
		         "subscription is asked again",
		    res->sqlstate ? res->sqlstate : "unavailable");
		r->f->recheck_all = true;
	}
	rt_round_end(r);
}

static void
rt_round_end(struct rt_round *r)
{
	struct rt_feed *f = r->f;
	bool more = r->more;

	if (r->move) {
		snprintf(f->xid, sizeof(f->xid), "%s", r->to_xid);
		f->ord = r->to_ord;
	}
	evbuffer_free(r->batch);
	evbuffer_free(r->rusers);
	evbuffer_free(r->rchannels);
	free(r->ages);
	free(r);
	f->busy = false;
	if (more || f->again)
		event_active(f->next, EV_TIMEOUT, 0);
}

static void
rt_next_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rt_feed_poll(arg);
}

static void
rt_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	rt_feed_poll(arg);
}

/* ---- hints
 * --------------------------------------------------------------------- */

static void
rt_listen_notify(void *arg)
{
	struct rt_feed *f = arg;

	f->rt->hints++;
	rt_feed_poll(f);
}

static void
rt_listen_ready(void *arg)
{
	/* whatever was committed while it was down */
	rt_feed_poll(arg);
}

void
rt_feed_hint(struct rt_feed *f)
{
	if (f->notify_busy) {
		f->notify_again = true;
		return;
	}
	event_active(f->notify_ev, EV_TIMEOUT, 0);
}

static void
rt_notify_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rt_feed *f = arg;

	(void)fd;
	(void)what;
	if (f->notify_busy)
		return;
	f->notify_busy = true;
	f->notify_again = false;
	db_query(f->rt->db, &store_rt_notify, NULL, rt_notify_done, f);
}

static void
rt_notify_done(struct db_result *res, void *arg)
{
	struct rt_feed *f = arg;

	(void)res; /* a lost hint costs the other instances one timer */
	f->notify_busy = false;
	if (f->notify_again)
		event_active(f->notify_ev, EV_TIMEOUT, 0);
}
