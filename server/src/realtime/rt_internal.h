/*
 * rt_internal.h - what rt_hub.c (sockets and subscriptions) and rt_feed.c
 * (reading the events and delivering them) share; nobody else includes it.
 */
#ifndef ISACD_REALTIME_RT_INTERNAL_H
#define ISACD_REALTIME_RT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "realtime/rt.h"
#include "realtime/rt_msg.h"

struct ws;
struct ws_frame;

/* One channel a socket subscribed to. */
struct rt_sub {
	char channel[37];
	char community[37];
	int64_t last_seq; /* the highest seq sent on it */
	bool live;        /* false while its replay runs */
};

/* An event that arrived for a socket while a replay ran. */
struct rt_held {
	struct ws_frame *frame;
	char channel[37]; /* "" for a community's member event */
	int64_t seq;
};

#define RT_HELD_MAX   256 /* events held back during one replay */
#define RT_QUEUED_MAX 8   /* client messages waiting for the one in hand */

struct rt_sock {
	struct rt *rt;
	struct ws *ws;
	struct rt_peer peer;
	struct rt_sub *subs;
	size_t nsubs, capsubs;
	int64_t member_seq; /* the highest member event sent */
	struct rt_held *held;
	size_t nheld;
	bool held_overflow;
	bool busy; /* a subscribe is being answered */
	struct rt_msg *queued[RT_QUEUED_MAX];
	size_t nqueued;
	bool gone; /* the socket closed; freed when no query holds it */
	int refs;  /* queries in flight that will come back to it */
	TAILQ_ENTRY(rt_sock) link;
};
TAILQ_HEAD(rt_sock_list, rt_sock);

/* An index entry: the sockets of one key (a channel, or a user). */
struct rt_slot {
	char key[37];
	struct rt_sock **socks;
	size_t n, cap;
	struct rt_slot *next;
};

#define RT_BUCKETS 4096

struct rt_feed;

struct rt {
	struct event_base *base;
	struct db_pool *db;
	struct rt_options o;
	struct rt_sock_list socks;
	size_t nsocks;
	size_t nsubs;
	struct rt_slot *by_channel[RT_BUCKETS];
	struct rt_slot *by_user[RT_BUCKETS];
	struct rt_feed *feed;
	struct event *tick; /* each second: expiries; each minute: sessions */
	unsigned ticks;
	bool stopping;
	/* metrics */
	unsigned long long sent, replayed, slow_closed, revoked, hints,
	    delivery_rounds;
	unsigned long long latency_buckets[13]; /* commit to write, ms */
	unsigned long long latency_count;
	double latency_sum_ms;
};

/* ---- rt_hub.c ---- */

/** The index slot of key (a channel or user id), or NULL. */
struct rt_slot *rt_index_get(struct rt_slot **table, const char *key);
/** The subscription of s to channel, or NULL. */
struct rt_sub *rt_sock_sub(struct rt_sock *s, const char *channel);
/**
 * Send frame (a whole event message) to s for its subscription to channel
 * ("" and community for a member event) unless s saw seq already; held
 * back while the subscription's replay runs.  Takes no reference of its
 * own beyond what it keeps.
 */
void rt_sock_deliver(struct rt_sock *s, const char *channel,
    const char *community, int64_t seq, struct ws_frame *frame);
/** s lost its subscription to channel: tell it (revoked) and drop it. */
void rt_sock_revoke(struct rt_sock *s, const char *channel);
/** Close s with code (1008: its credential ended). */
void rt_sock_close(struct rt_sock *s, unsigned code, const char *reason);
/** A query on behalf of s came back: release it (frees a gone socket). */
void rt_sock_release(struct rt_sock *s);
/** Count one commit-to-write latency. */
void rt_observe_latency(struct rt *rt, long long ms);

/* ---- rt_feed.c ---- */

struct rt_feed *rt_feed_new(struct rt *rt);
void rt_feed_free(struct rt_feed *f);
/** Read the events past the position now (coalesced while busy). */
void rt_feed_poll(struct rt_feed *f);
/** Tell the other instances, once per loop pass at most. */
void rt_feed_hint(struct rt_feed *f);
/** The LISTEN connection's counters. */
void rt_feed_stats(struct rt_feed *f, unsigned long long *hints,
    unsigned long long *reconnects, bool *listening);

#endif
