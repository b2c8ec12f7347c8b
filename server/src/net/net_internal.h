/*
 * net_internal.h - what conn.c and net.c share; nobody else includes it.
 */
#ifndef ISACD_NET_INTERNAL_H
#define ISACD_NET_INTERNAL_H

#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <event2/listener.h>

#include "core/cidr.h"
#include "net/conn.h"
#include "net/net.h"

TAILQ_HEAD(conn_list, conn);
TAILQ_HEAD(net_wait_list, net_wait);

#define NET_ADDR_KEY 17 /* family byte + 16 address bytes */

/** Connections from one client address (group), in the per-IP table. */
struct net_addr {
	uint8_t key[NET_ADDR_KEY];
	size_t conns;
	struct net_addr *next;
};

/** Rate-limited notice of one reason: a log line per second at most. */
struct net_notice {
	unsigned long long unlogged; /* events since the last line */
	int64_t logged_at; /* clock_mono_us() of the last line; 0: none yet */
	char last_peer[48];
};

struct net {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *accept_retry; /* re-enables accept after EMFILE */
	struct event *reaper;
	SSL_CTX *tls;
	struct conn_list open;
	struct conn_list dead;        /* closed, waiting for the reaper */
	struct net_wait_list waiting; /* trusted peers, before their header */
	size_t count; /* open connections, waiting ones included */
	size_t max_conns;
	size_t max_per_ip;
	int write_timeout_s;
	long min_send_rate;
	int send_window_s;
	size_t send_lowat;       /* TCP_NOTSENT_LOWAT, and conn_output_full() */
	struct net_addr **addrs; /* per-IP table, NET_ADDR_BUCKETS chains */
	uint64_t addr_seed;      /* keys the hash: sources choose addresses */
	struct cidr_set trusted; /* ISACD_TRUSTED_PROXIES */
	int proxy_timeout_s;     /* for a trusted peer's PROXY header */
	unsigned long long reasons[NET_NREASONS];
	struct net_notice notices[NET_NREASONS];
	struct event *notice_timer;
	void (*on_accept)(struct conn *c, void *arg);
	void *arg;
	void (*on_empty)(void *arg);
	void *on_empty_arg;
};

/** Create the connection for an accepted fd (takes ownership of fd). */
struct conn *conn_new(struct net *n, int fd, const struct sockaddr *sa);
/** Free a reaped connection (called by the reaper only). */
void conn_free(struct conn *c);
/**
 * The per-IP key of a client address: IPv4 (also when IPv4-mapped) whole,
 * IPv6 by its /64, so one host cannot dodge the cap by rotating addresses
 * inside its own prefix.  Returns 0, or -1 for another address family.
 */
int net_addr_group(const struct sockaddr *sa, uint8_t key[NET_ADDR_KEY]);
/**
 * Count a connection of client sa in the per-IP table: 0 with its slot in
 * *slot (NULL for a family without one), or -1 when that address is at
 * ISACD_MAX_CONNS_PER_IP.
 */
int net_addr_admit(
    struct net *n, const struct sockaddr *sa, struct net_addr **slot);
/** A connection closed: give its slot in the per-IP table back. */
void net_addr_release(struct net *n, struct net_addr *slot);
/** Refuse an accepted fd: a canned 503 (plain TCP only), close, count. */
void net_refuse(struct net *n, int fd, enum net_reason r, const char *peer);
/**
 * Make the connection of an accepted fd as client sa, holding slot (taken
 * over), and install the first protocol; trusted when sa is a trusted
 * proxy.  NULL when it could not be made (fd and slot are given back).
 */
struct conn *net_start(struct net *n, int fd, const struct sockaddr *sa,
    struct net_addr *slot, bool trusted);
/** The connection count dropped: tell on_empty when it reached zero. */
void net_count_down(struct net *n);
/**
 * A trusted peer's fd (net_proxy.c): read its PROXY header, if it sends one,
 * before anything else reads the socket (TLS included), then admit and
 * net_start() it as the client the header names.  Takes ownership of fd;
 * counted in n->count meanwhile.
 */
void net_proxy_wait(struct net *n, int fd, const struct sockaddr *sa);
/** Shutdown: close the waiting connections that have sent nothing yet. */
void net_proxy_drain(struct net *n);
/** Close every connection still waiting for its header (net_free). */
void net_proxy_free_all(struct net *n);
/** Count one refusal or cut and log it (at most a line per second each). */
void net_notice(struct net *n, enum net_reason r, const char *peer);

#endif
