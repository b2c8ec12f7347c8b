/*
 * net.h - the listener of one event loop and the connections it owns.
 *
 * One struct net per event_base: listening socket, optional TLS context, the
 * connection list, the caps (in all, and per client address), the minimum
 * send rate, and the reaper.  New connections are handed to `on_accept`,
 * which installs the first protocol.
 *
 * Fairness: one source must not be able to take every connection, so the
 * client address (IPv4, or the /64 of an IPv6 address) has its own cap; and
 * a client that reads its response more slowly than min_send_rate bytes/s,
 * measured over each send_window_s while output waits, is cut off however
 * it trickles (the write timeout alone resets on every byte read).  Each
 * refusal and cut is counted by reason and logged at most once a second
 * per reason, with the count.
 *
 * Behind a load balancer (ISACD_TRUSTED_PROXIES) the client address is the
 * one its PROXY protocol header names (net_proxy.c): that address, not the
 * balancer's, takes the per-IP slot and becomes conn->peer.
 *
 * Output is bounded where it waits: every accepted socket has
 * TCP_NOTSENT_LOWAT = send_lowat, so the kernel takes no more than about
 * that much unsent data from us, and a protocol asks conn_output_full()
 * before it renders more for a client (see conn.h).
 */
#ifndef ISACD_NET_NET_H
#define ISACD_NET_NET_H

#include <stddef.h>

#include <event2/event.h>
#include <openssl/ssl.h>

struct conn;

struct net_options {
	const char *listen; /* host:port */
	SSL_CTX *tls;       /* NULL for plain TCP; not owned */
	size_t max_conns;
	size_t max_conns_per_ip;
	int write_timeout_s;
	long min_send_rate; /* bytes/s; 0 = no minimum */
	int send_window_s;
	size_t send_lowat; /* bytes unsent per client: kernel and ours */
	/*
	 * ISACD_TRUSTED_PROXIES: addresses and CIDRs whose connections may
	 * start with a PROXY header and whose requests' X-Forwarded-For is
	 * believed; "" trusts nobody.
	 */
	const char *trusted_proxies;
	int proxy_timeout_s; /* a trusted peer's PROXY header must be in by */
	void (*on_accept)(struct conn *c, void *arg);
	void *arg;
};

struct net;

/** Bind and listen; NULL with a message in err when the address is unusable. */
struct net *net_new(struct event_base *base, const struct net_options *o,
    char *err, size_t errlen);
/**
 * Stop accepting new connections (shutdown); existing ones continue, but
 * those from trusted proxies that have sent nothing yet are closed.
 */
void net_stop_accepting(struct net *n);
/** Call fn on every open connection (fn may close it). */
void net_foreach(
    struct net *n, void (*fn)(struct conn *c, void *arg), void *arg);
/** Number of open connections. */
size_t net_count(const struct net *n);
/** Why connections were refused at accept or cut off later. */
enum net_reason {
	NET_REFUSED_MAX_CONNS, /* the cap in all */
	NET_REFUSED_PER_IP,    /* the cap of one client address */
	NET_CUT_SLOW_READER,   /* read less than the minimum send rate */
	NET_NREASONS
};
/** The metrics label of a reason ("max_conns", "per_ip", "slow_reader"). */
const char *net_reason_name(enum net_reason r);
/** How many times each reason happened since start. */
unsigned long long net_reason_count(const struct net *n, enum net_reason r);
/** Called whenever the count drops to zero (for graceful shutdown). */
void net_on_empty(struct net *n, void (*fn)(void *arg), void *arg);
/** Close every connection and free the listener. */
void net_free(struct net *n);

#endif
