/*
 * net.h - the listener of one event loop and the connections it owns.
 *
 * One struct net per event_base: listening socket, optional TLS context, the
 * connection list, the connection cap, and the reaper.  New connections are
 * handed to `on_accept`, which installs the first protocol.
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
	int write_timeout_s;
	void (*on_accept)(struct conn *c, void *arg);
	void *arg;
};

struct net;

/** Bind and listen; NULL with a message in err when the address is unusable. */
struct net *net_new(struct event_base *base, const struct net_options *o,
    char *err, size_t errlen);
/** Stop accepting new connections (shutdown); existing ones continue. */
void net_stop_accepting(struct net *n);
/** Call fn on every open connection (fn may close it). */
void net_foreach(
    struct net *n, void (*fn)(struct conn *c, void *arg), void *arg);
/** Number of open connections. */
size_t net_count(const struct net *n);
/** Connections refused because of the cap, since start. */
unsigned long long net_refused(const struct net *n);
/** Called whenever the count drops to zero (for graceful shutdown). */
void net_on_empty(struct net *n, void (*fn)(void *arg), void *arg);
/** Close every connection and free the listener. */
void net_free(struct net *n);

#endif
