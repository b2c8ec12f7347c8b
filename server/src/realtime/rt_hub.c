/*
 * rt_hub.c - the sockets of this instance and what each subscribed to.
 *
 * A socket belongs to one user and one credential (session or API token).
 * It subscribes to channels: each request is answered by asking the access
 * definition whether the user may read each channel now (isacd_channel_gate,
 * the same verdicts as REST); with `since`, what it missed is replayed from
 * the events table before it goes live, and live events that come meanwhile
 * are held back, then sent if the replay did not already send them (a
 * socket never gets an event twice, and gets them in seq order).
 *
 * Two indexes find sockets fast when events come: by channel (who on this
 * instance listens to it: the users an event's audience is asked about)
 * and by user (the sockets of each user in an audience).  Both are small
 * chained hash tables keyed by the UUID's text.
 *
 * Ownership: a socket is freed when its WebSocket has closed and no query
 * issued for it is outstanding (refs); callbacks of such queries see
 * `gone` and do nothing else.  Frames are the WebSocket layer's
 * reference-counted buffers, encoded once per view and shared.
 */
#include "realtime/rt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "auth/auth.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "db/db.h"
#include "store/store.h"
#include "ws/ws.h"
#include "ws/ws_frame.h"

static void rt_on_text(struct ws *ws, const char *text, size_t len, void *arg);
static void rt_on_close(struct ws *ws, uint16_t code, void *arg);
static void rt_handle(struct rt_sock *s, struct rt_msg *m);
static void rt_next(struct rt_sock *s);
static void rt_rights_done(struct db_result *res, void *arg);
static void rt_replay_done(struct db_result *res, void *arg);
static void rt_go_live(struct rt_sock *s);
static void rt_unsubscribe(struct rt_sock *s, const char *channel);
static void rt_send(struct rt_sock *s, const char *text);
static void rt_send_error(
    struct rt_sock *s, const char *title, const char *channel);
static void rt_tick_cb(evutil_socket_t fd, short what, void *arg);
static void rt_touch_done(struct db_result *res, void *arg);
static void rt_index_add(
    struct rt_slot **table, const char *key, struct rt_sock *s);
static void rt_index_del(
    struct rt_slot **table, const char *key, struct rt_sock *s);
static void rt_sock_free(struct rt_sock *s);

static const struct ws_handler rt_ws_handler = {
    .on_text = rt_on_text,
    .on_close = rt_on_close,
};

/* A subscribe being answered: the message, then the rights of its
 * channels, then (with since) the replay. */
struct rt_job {
	struct rt_sock *s;
	struct rt_msg *m;
};

/* ---- the struct ------------------------------------------------------------
 */

struct rt *
rt_new(struct event_base *base, struct db_pool *db, const struct rt_options *o)
{
	struct rt *rt = xcalloc(1, sizeof(*rt));
	struct timeval second = {1, 0};

	rt->base = base;
	rt->db = db;
	rt->o = *o;
	rt->o.conninfo = xstrdup(o->conninfo);
	TAILQ_INIT(&rt->socks);
	rt->tick = event_new(base, -1, EV_PERSIST, rt_tick_cb, rt);
	if (rt->tick == NULL)
		fatal("event_new failed");
	event_add(rt->tick, &second);
	rt->feed = rt_feed_new(rt);
	return rt;
}

void
rt_shutdown(struct rt *rt)
{
	struct rt_sock *s;

	rt->stopping = true;
	for (s = TAILQ_FIRST(&rt->socks); s != NULL; s = TAILQ_NEXT(s, link))
		if (!s->gone)
			ws_close(s->ws, 1001, "the server is shutting down");
}

void
rt_free(struct rt *rt)
{
	struct rt_sock *s;

	if (rt == NULL)
		return;
	rt_feed_free(rt->feed);
	event_free(rt->tick);
	/* the connections are gone (net_free closed them): what is left are
	 * sockets that queries still held, which the pool has answered */
	while ((s = TAILQ_FIRST(&rt->socks)) != NULL) {
		s->gone = true;
		s->refs = 0;
		rt_sock_free(s);
	}
	for (size_t i = 0; i < RT_BUCKETS; i++) {
		struct rt_slot *slot, *next;

		for (slot = rt->by_channel[i]; slot; slot = next) {
			next = slot->next;
			free(slot->socks);
			free(slot);
		}
		for (slot = rt->by_user[i]; slot; slot = next) {
			next = slot->next;
			free(slot->socks);
			free(slot);
		}
	}
	free((char *)rt->o.conninfo);
	free(rt);
}

void
rt_attach(struct rt *rt, struct conn *c, const struct rt_peer *peer)
{
	struct rt_sock *s = xcalloc(1, sizeof(*s));

	s->rt = rt;
	s->peer = *peer;
	TAILQ_INSERT_TAIL(&rt->socks, s, link);
	rt->nsocks++;
	rt_index_add(rt->by_user, peer->user_id, s);
	s->ws = ws_attach(c, rt->o.ws, &rt_ws_handler, s);
	if (rt->stopping)
		ws_close(s->ws, 1001, "the server is shutting down");
}

void
rt_written(struct rt *rt)
{
	rt_feed_poll(rt->feed);
	rt_feed_hint(rt->feed);
}

/* ---- messages from the subscriber ------------------------------------------
 */

static void
rt_on_text(struct ws *ws, const char *text, size_t len, void *arg)
{
	struct rt_sock *s = arg;
	struct rt_msg *m = xmalloc(sizeof(*m));
	const char *why;

	(void)ws;
	if (rt_msg_parse(text, len, m, &why) != 0) {
		free(m);
		rt_send_error(s, why, NULL);
		return;
	}
	if (s->busy) {
		if (s->nqueued == RT_QUEUED_MAX) {
			free(m);
			rt_send_error(s,
			    "too many messages wait for an answer: wait for "
			    "\"subscribed\"",
			    NULL);
			return;
		}
		s->queued[s->nqueued++] = m;
		return;
	}
	rt_handle(s, m);
}

/* Take on m (owned from now on). */
static void
rt_handle(struct rt_sock *s, struct rt_msg *m)
{
	struct rt_job *j;
	char *users, *channels;
	const char *params[2];
	size_t cap;

	if (m->type == RT_MSG_UNSUBSCRIBE) {
		struct evbuffer *b = evbuffer_new();

		evbuffer_add_printf(
		    b, "{\"type\":\"unsubscribed\",\"channels\":[");
		for (size_t i = 0; i < m->nchannels; i++) {
			rt_unsubscribe(s, m->channels[i]);
			evbuffer_add_printf(
			    b, "%s\"%s\"", i ? "," : "", m->channels[i]);
		}
		evbuffer_add(b, "]}", 3);
		rt_send(s, (const char *)evbuffer_pullup(b, -1));
		evbuffer_free(b);
		free(m);
		rt_next(s);
		return;
	}
	/* subscribe: may the user read each channel now? */
	cap = m->nchannels * 40 + 3;
	users = xmalloc(cap);
	channels = xmalloc(cap);
	users[0] = channels[0] = '{';
	for (size_t i = 0, u = 1, c = 1; i < m->nchannels; i++) {
		u += (size_t)sprintf(
		    users + u, "%s%s", i ? "," : "", s->peer.user_id);
		c += (size_t)sprintf(
		    channels + c, "%s%s", i ? "," : "", m->channels[i]);
		users[u] = channels[c] = '}';
		users[u + 1] = channels[c + 1] = '\0';
	}
	params[0] = users;
	params[1] = channels;
	j = xcalloc(1, sizeof(*j));
	j->s = s;
	j->m = m;
	s->busy = true;
	s->refs++;
	db_query(s->rt->db, &store_rt_rights, params, rt_rights_done, j);
	free(users);
	free(channels);
}

/* The next message that waited, if any. */
static void
rt_next(struct rt_sock *s)
{
	struct rt_msg *m;

	s->busy = false;
	if (s->gone || s->nqueued == 0)
		return;
	m = s->queued[0];
	memmove(s->queued, s->queued + 1, --s->nqueued * sizeof(s->queued[0]));
	rt_handle(s, m);
}

static void
rt_job_end(struct rt_job *j)
{
	struct rt_sock *s = j->s;

	free(j->m);
	free(j);
	if (!s->gone)
		rt_next(s);
	rt_sock_release(s);
}

/* → user, channel, verdict, community; per channel asked */
static void
rt_rights_done(struct db_result *res, void *arg)
{
	struct rt_job *j = arg;
	struct rt_sock *s = j->s;
	struct rt *rt = s->rt;
	struct evbuffer *b;
	char *uuids;
	size_t n = 0;
	int rows;

	if (s->gone) {
		rt_job_end(j);
		return;
	}
	if (res->status != DB_OK) {
		rt_send_error(s,
		    "the server could not answer now (the database is "
		    "unavailable): try again",
		    NULL);
		rt_job_end(j);
		return;
	}
	rows = PQntuples(res->res);
	b = evbuffer_new();
	evbuffer_add_printf(b, "{\"type\":\"subscribed\",\"channels\":[");
	uuids = xmalloc((size_t)rows * 40 + 3);
	uuids[0] = '{';
	uuids[1] = '\0';
	for (int i = 0; i < rows; i++) {
		const char *ch = PQgetvalue(res->res, i, 1);
		enum auth_verdict v =
		    auth_verdict_parse(PQgetvalue(res->res, i, 2));
		struct rt_sub *sub;

		if (v != AUTH_V_OK) {
			const struct auth_verdict_answer *a =
			    auth_verdict_answer(v);

			rt_send_error(s,
			    a ? a->detail : "you may not read this channel",
			    ch);
			continue;
		}
		evbuffer_add_printf(b, "%s\"%s\"", n ? "," : "", ch);
		sprintf(uuids + strlen(uuids), "%s%s", n ? "," : "", ch);
		n++;
		sub = rt_sock_sub(s, ch);
		if (sub == NULL) {
			if (s->nsubs == s->capsubs) {
				s->capsubs = s->capsubs ? s->capsubs * 2 : 2;
				s->subs = xrealloc(
				    s->subs, s->capsubs * sizeof(*s->subs));
			}
			sub = &s->subs[s->nsubs++];
			memset(sub, 0, sizeof(*sub));
			snprintf(sub->channel, sizeof(sub->channel), "%s", ch);
			snprintf(sub->community, sizeof(sub->community), "%s",
			    PQgetvalue(res->res, i, 3));
			rt_index_add(rt->by_channel, ch, s);
			rt->nsubs++;
		}
		/* with since, this channel replays first */
		sub->live = !j->m->has_since;
		if (j->m->has_since)
			sub->last_seq = j->m->since;
	}
	strcat(uuids, "}");
	evbuffer_add(b, "]}", 3);
	rt_send(s, (const char *)evbuffer_pullup(b, -1));
	evbuffer_free(b);
	if (j->m->has_since && n > 0) {
		char since[24];
		const char *params[3] = {s->peer.user_id, uuids, since};

		if (s->member_seq < j->m->since)
			s->member_seq = j->m->since;
		snprintf(since, sizeof(since), "%lld", (long long)j->m->since);
		db_query(rt->db, &store_rt_replay, params, rt_replay_done, j);
		free(uuids);
		return;
	}
	free(uuids);
	rt_job_end(j);
}

/* → channel, resync, seq, event, community, data: in seq order */
static void
rt_replay_done(struct db_result *res, void *arg)
{
	struct rt_job *j = arg;
	struct rt_sock *s = j->s;
	struct rt *rt = s->rt;
	int rows;

	if (s->gone) {
		rt_job_end(j);
		return;
	}
	if (res->status != DB_OK) {
		/* what it missed cannot be told now: start again from now */
		for (size_t i = 0; i < j->m->nchannels; i++) {
			char msg[96];

			if (rt_sock_sub(s, j->m->channels[i]) == NULL)
				continue;
			snprintf(msg, sizeof(msg),
			    "{\"type\":\"resync\",\"channel_id\":\"%s\"}",
			    j->m->channels[i]);
			rt_send(s, msg);
		}
		rt_go_live(s);
		rt_job_end(j);
		return;
	}
	rows = PQntuples(res->res);
	for (int i = 0; i < rows && !s->gone; i++) {
		PGresult *r = res->res;
		const char *ch =
		    PQgetisnull(r, i, 0) ? "" : PQgetvalue(r, i, 0);
		struct ws_frame *f;
		struct evbuffer *b;
		const char *data;
		char *compact;
		size_t dlen;

		if (strcmp(PQgetvalue(r, i, 1), "t") == 0) {
			char msg[96];

			snprintf(msg, sizeof(msg),
			    "{\"type\":\"resync\",\"channel_id\":\"%s\"}", ch);
			rt_send(s, msg);
			continue;
		}
		data = PQgetvalue(r, i, 5);
		dlen = (size_t)PQgetlength(r, i, 5);
		compact = xmalloc(dlen + 1);
		compact[codec_json_compact(compact, data, dlen)] = '\0';
		b = evbuffer_new();
		evbuffer_add_printf(b,
		    "{\"type\":\"event\",\"seq\":%s,\"event\":\"%s\","
		    "\"channel_id\":",
		    PQgetvalue(r, i, 2), PQgetvalue(r, i, 3));
		if (ch[0])
			evbuffer_add_printf(b, "\"%s\"", ch);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add_printf(b, ",\"community_id\":\"%s\",\"data\":%s}",
		    PQgetvalue(r, i, 4), compact);
		free(compact);
		f = ws_frame_text((const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
		evbuffer_free(b);
		/* the replay goes out before the channel is live: send it */
		{
			int64_t seq = strtoll(PQgetvalue(r, i, 2), NULL, 10);
			struct rt_sub *sub = ch[0] ? rt_sock_sub(s, ch) : NULL;

			if (ch[0] == '\0' ? seq > s->member_seq
			                  : sub && seq > sub->last_seq) {
				if (ch[0] == '\0')
					s->member_seq = seq;
				else
					sub->last_seq = seq;
				if (ws_send_frame(s->ws, f) == 0)
					rt->replayed++;
			}
		}
		ws_frame_unref(f);
	}
	if (!s->gone)
		rt_go_live(s);
	rt_job_end(j);
}

/* Every subscription is live: send what was held back, in order, unless
 * the replay sent it already. */
static void
rt_go_live(struct rt_sock *s)
{
	for (size_t i = 0; i < s->nsubs; i++)
		s->subs[i].live = true;
	for (size_t i = 0; i < s->nheld; i++) {
		struct rt_held *h = &s->held[i];

		if (!s->gone)
			rt_sock_deliver(s, h->channel, "", h->seq, h->frame);
		ws_frame_unref(h->frame);
	}
	s->nheld = 0;
	if (s->held_overflow && !s->gone) {
		for (size_t i = 0; i < s->nsubs; i++) {
			char msg[96];

			snprintf(msg, sizeof(msg),
			    "{\"type\":\"resync\",\"channel_id\":\"%s\"}",
			    s->subs[i].channel);
			rt_send(s, msg);
		}
	}
	s->held_overflow = false;
}

static void
rt_unsubscribe(struct rt_sock *s, const char *channel)
{
	struct rt_sub *sub = rt_sock_sub(s, channel);

	if (sub == NULL)
		return;
	rt_index_del(s->rt->by_channel, channel, s);
	s->rt->nsubs--;
	*sub = s->subs[--s->nsubs];
}

/* ---- sending ------------------------------------------------------------- */

static void
rt_send(struct rt_sock *s, const char *text)
{
	if (!s->gone)
		ws_send_text(s->ws, text, strlen(text));
}

static void
rt_send_error(struct rt_sock *s, const char *title, const char *channel)
{
	json_t *m = json_pack("{s:s, s:s}", "type", "error", "title", title);
	char *text;

	if (channel)
		json_object_set_new(m, "channel_id", json_string(channel));
	text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (text == NULL)
		fatal("json_dumps failed");
	rt_send(s, text);
	free(text);
}

struct rt_sub *
rt_sock_sub(struct rt_sock *s, const char *channel)
{
	for (size_t i = 0; i < s->nsubs; i++)
		if (strcmp(s->subs[i].channel, channel) == 0)
			return &s->subs[i];
	return NULL;
}

void
rt_sock_deliver(struct rt_sock *s, const char *channel, const char *community,
    int64_t seq, struct ws_frame *frame)
{
	struct rt_sub *sub = NULL;
	bool live = true, mine = false;

	if (s->gone)
		return;
	if (channel[0]) {
		sub = rt_sock_sub(s, channel);
		if (sub == NULL || seq <= sub->last_seq)
			return;
		live = sub->live;
	} else {
		/* a member event: once per socket, if it listens to the
		 * community at all */
		for (size_t i = 0; i < s->nsubs; i++) {
			if (strcmp(s->subs[i].community, community) != 0 &&
			    community[0])
				continue;
			mine = true;
			live = live && s->subs[i].live;
		}
		if (!mine || seq <= s->member_seq)
			return;
	}
	if (!live) {
		if (s->nheld == RT_HELD_MAX) {
			s->held_overflow = true;
			return;
		}
		if (s->held == NULL)
			s->held = xcalloc(RT_HELD_MAX, sizeof(*s->held));
		ws_frame_ref(frame);
		s->held[s->nheld].frame = frame;
		snprintf(s->held[s->nheld].channel,
		    sizeof(s->held[s->nheld].channel), "%s", channel);
		s->held[s->nheld].seq = seq;
		s->nheld++;
		return;
	}
	if (sub)
		sub->last_seq = seq;
	else
		s->member_seq = seq;
	if (ws_send_frame(s->ws, frame) == 0)
		s->rt->sent++;
}

void
rt_sock_revoke(struct rt_sock *s, const char *channel)
{
	char msg[96];

	if (s->gone || rt_sock_sub(s, channel) == NULL)
		return;
	rt_unsubscribe(s, channel);
	snprintf(msg, sizeof(msg),
	    "{\"type\":\"revoked\",\"channel_id\":\"%s\"}", channel);
	rt_send(s, msg);
	s->rt->revoked++;
}

void
rt_sock_close(struct rt_sock *s, unsigned code, const char *reason)
{
	if (!s->gone)
		ws_close(s->ws, (uint16_t)code, reason);
}

/* ---- the end of a socket
 * -------------------------------------------------------- */

static void
rt_on_close(struct ws *ws, uint16_t code, void *arg)
{
	struct rt_sock *s = arg;
	struct rt *rt = s->rt;

	(void)ws;
	if (code == 1013)
		rt->slow_closed++;
	s->gone = true;
	s->ws = NULL;
	while (s->nsubs > 0)
		rt_unsubscribe(s, s->subs[0].channel);
	rt_index_del(rt->by_user, s->peer.user_id, s);
	for (size_t i = 0; i < s->nheld; i++)
		ws_frame_unref(s->held[i].frame);
	s->nheld = 0;
	for (size_t i = 0; i < s->nqueued; i++)
		free(s->queued[i]);
	s->nqueued = 0;
	if (s->refs == 0)
		rt_sock_free(s);
}

void
rt_sock_release(struct rt_sock *s)
{
	if (--s->refs == 0 && s->gone)
		rt_sock_free(s);
}

static void
rt_sock_free(struct rt_sock *s)
{
	struct rt *rt = s->rt;

	TAILQ_REMOVE(&rt->socks, s, link);
	rt->nsocks--;
	free(s->subs);
	free(s->held);
	free(s);
}

/* ---- each second: credentials that ended; each minute: sessions in use ----
 */

static void
rt_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct rt *rt = arg;
	time_t now = time(NULL);
	struct rt_sock *s;
	bool touch = ++rt->ticks % 60 == 0;
	struct evbuffer *ids = touch ? evbuffer_new() : NULL;
	size_t n = 0;

	(void)fd;
	(void)what;
	for (s = TAILQ_FIRST(&rt->socks); s != NULL; s = TAILQ_NEXT(s, link)) {
		if (s->gone)
			continue;
		if (s->peer.expires_at > 0 && s->peer.expires_at <= now) {
			ws_close(s->ws, 1008,
			    s->peer.token ? "the API token expired"
			                  : "the session ended");
			continue;
		}
		if (touch && !s->peer.token) {
			evbuffer_add_printf(ids, "%s%s", n++ ? "," : "{",
			    s->peer.credential_id);
		}
	}
	if (touch && n > 0) {
		const char *params[1];

		evbuffer_add(ids, "}", 2);
		params[0] = (const char *)evbuffer_pullup(ids, -1);
		db_query(rt->db, &store_rt_touch, params, rt_touch_done, NULL);
	}
	if (ids)
		evbuffer_free(ids);
}

static void
rt_touch_done(struct db_result *res, void *arg)
{
	(void)arg;
	if (res->status != DB_OK)
		log_debug("realtime: keeping sessions in use failed");
}

/* ---- the indexes ------------------------------------------------------------
 */

static size_t
rt_hash(const char *key)
{
	size_t h = 5381;

	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % RT_BUCKETS;
}

struct rt_slot *
rt_index_get(struct rt_slot **table, const char *key)
{
	for (struct rt_slot *slot = table[rt_hash(key)]; slot;
	     slot = slot->next)
		if (strcmp(slot->key, key) == 0)
			return slot;
	return NULL;
}

static void
rt_index_add(struct rt_slot **table, const char *key, struct rt_sock *s)
{
	struct rt_slot *slot = rt_index_get(table, key);

	if (slot == NULL) {
		size_t h = rt_hash(key);

		slot = xcalloc(1, sizeof(*slot));
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->next = table[h];
		table[h] = slot;
	}
	if (slot->n == slot->cap) {
		slot->cap = slot->cap ? slot->cap * 2 : 2;
		slot->socks = xrealloc(slot->socks, slot->cap * sizeof(s));
	}
	slot->socks[slot->n++] = s;
}

static void
rt_index_del(struct rt_slot **table, const char *key, struct rt_sock *s)
{
	size_t h = rt_hash(key);
	struct rt_slot **pp = &table[h], *slot;

	while ((slot = *pp) != NULL && strcmp(slot->key, key) != 0)
		pp = &slot->next;
	if (slot == NULL)
		return;
	for (size_t i = 0; i < slot->n; i++) {
		if (slot->socks[i] == s) {
			slot->socks[i] = slot->socks[--slot->n];
			break;
		}
	}
	if (slot->n == 0) {
		*pp = slot->next;
		free(slot->socks);
		free(slot);
	}
}

/* ---- metrics
 * -------------------------------------------------------------------- */

static const int rt_latency_ms[] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};

void
rt_observe_latency(struct rt *rt, long long ms)
{
	size_t i = 0;

	while (i < sizeof(rt_latency_ms) / sizeof(rt_latency_ms[0]) &&
	    ms > rt_latency_ms[i])
		i++;
	rt->latency_buckets[i]++;
	rt->latency_count++;
	rt->latency_sum_ms += (double)ms;
}

void
rt_metrics(struct rt *rt, struct evbuffer *out)
{
	unsigned long long hints, reconnects, cum = 0;
	bool listening;

	rt_feed_stats(rt->feed, &hints, &reconnects, &listening);
	evbuffer_add_printf(out,
	    "# HELP isacd_ws_sockets WebSocket subscribers connected now.\n"
	    "# TYPE isacd_ws_sockets gauge\n"
	    "isacd_ws_sockets %zu\n"
	    "# HELP isacd_ws_subscriptions Channel subscriptions now.\n"
	    "# TYPE isacd_ws_subscriptions gauge\n"
	    "isacd_ws_subscriptions %zu\n"
	    "# HELP isacd_ws_events_sent_total Events sent live.\n"
	    "# TYPE isacd_ws_events_sent_total counter\n"
	    "isacd_ws_events_sent_total %llu\n"
	    "# HELP isacd_ws_events_replayed_total Events sent by a replay "
	    "(since).\n"
	    "# TYPE isacd_ws_events_replayed_total counter\n"
	    "isacd_ws_events_replayed_total %llu\n"
	    "# HELP isacd_ws_slow_consumer_closes_total Sockets closed with "
	    "1013: they read too slowly.\n"
	    "# TYPE isacd_ws_slow_consumer_closes_total counter\n"
	    "isacd_ws_slow_consumer_closes_total %llu\n"
	    "# HELP isacd_ws_revoked_total Subscriptions ended because access "
	    "was lost.\n"
	    "# TYPE isacd_ws_revoked_total counter\n"
	    "isacd_ws_revoked_total %llu\n"
	    "# HELP isacd_events_hints_total Notifications received on the "
	    "listening connection.\n"
	    "# TYPE isacd_events_hints_total counter\n"
	    "isacd_events_hints_total %llu\n"
	    "# HELP isacd_events_listen_reconnects_total Times the listening "
	    "connection was lost and made again.\n"
	    "# TYPE isacd_events_listen_reconnects_total counter\n"
	    "isacd_events_listen_reconnects_total %llu\n"
	    "# HELP isacd_events_listening Whether the listening connection is "
	    "up.\n"
	    "# TYPE isacd_events_listening gauge\n"
	    "isacd_events_listening %d\n"
	    "# HELP isacd_ws_delivery_seconds From an event's transaction to its "
	    "write to the subscribers' sockets.\n"
	    "# TYPE isacd_ws_delivery_seconds histogram\n",
	    rt->nsocks, rt->nsubs, rt->sent, rt->replayed, rt->slow_closed,
	    rt->revoked, hints, reconnects, listening ? 1 : 0);
	for (size_t i = 0; i < sizeof(rt_latency_ms) / sizeof(rt_latency_ms[0]);
	     i++) {
		cum += rt->latency_buckets[i];
		evbuffer_add_printf(out,
		    "isacd_ws_delivery_seconds_bucket{le=\"%g\"} %llu\n",
		    rt_latency_ms[i] / 1000.0, cum);
	}
	evbuffer_add_printf(out,
	    "isacd_ws_delivery_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "isacd_ws_delivery_seconds_sum %.6f\n"
	    "isacd_ws_delivery_seconds_count %llu\n",
	    rt->latency_count, rt->latency_sum_ms / 1000.0, rt->latency_count);
}
