/*
 * conn.h - one client connection, plain or TLS, with a swappable protocol.
 *
 * A connection owns its bufferevent and one timer.  The protocol on top (HTTP
 * now, WebSocket after an upgrade) is a handler table plus a state pointer,
 * swapped with conn_set_proto(), so an upgrade is a callback swap on the same
 * bufferevent, TLS or not (Kore net_recv_reset, OpenBSD httpd bev->readcb).
 *
 * Lifetime: conn_close() runs the protocol's on_close at once, silences the
 * bufferevent and queues the struct for the reaper, which frees it from the
 * loop outside any of its callbacks (Redis freeClientAsync).
 *
 * Output: what a protocol renders for a client waits in our output buffer,
 * then in the kernel's send queue.  The kernel holds about send_lowat bytes
 * unsent at most (TCP_NOTSENT_LOWAT); a protocol renders nothing more while
 * conn_output_full() says so, so a slow reader cannot make isacd render
 * ahead of it, and on_drained says when to go on.
 */
#ifndef ISACD_NET_CONN_H
#define ISACD_NET_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/event.h>

struct cidr_set;
struct conn;
struct net;

struct conn_proto {
	/** Bytes arrived in conn_input(). */
	void (*on_read)(struct conn *c);
	/**
	 * The output buffer drained completely, or, after conn_output_full()
	 * said true, the kernel's unsent bytes fell below half the low-water
	 * mark.  Ask conn_output_full() again: it may still be true.
	 */
	void (*on_drained)(struct conn *c);
	/** The deadline set with conn_set_deadline() passed. */
	void (*on_deadline)(struct conn *c);
	/** The connection is closing: release the protocol state. */
	void (*on_close)(struct conn *c);
};

struct net_addr;

struct conn {
	struct net *net;
	struct net_addr *addr; /* its client address in the per-IP table */
	struct bufferevent *bev;
	struct event *timer;
	struct event
	    *send_timer;        /* the minimum send rate, while output waits */
	struct event *writable; /* the socket's unsent bytes fell: on_drained */
	uint64_t written;       /* bytes handed to the kernel, in all */
	uint64_t window_mark;   /* bytes delivered when the window began */
	uint64_t window_owed;   /* bytes offered (sent or queued) by then */
	const struct conn_proto *proto;
	void *proto_data;
	char peer[48]; /* client IP address, text (from a PROXY header too) */
	/*
	 * ISACD_TRUSTED_PROXIES when the peer (after any PROXY header) is in
	 * it: its requests may name their client in X-Forwarded-For; NULL
	 * otherwise.
	 */
	const struct cidr_set *trusted;
	bool tls;
	bool closing;
	bool close_when_drained;
	bool lingering;
	bool kernel_bounded; /* TCP_NOTSENT_LOWAT is set on the socket */
	TAILQ_ENTRY(conn) link;
};

/** Install a protocol; takes effect for the next event. */
void conn_set_proto(struct conn *c, const struct conn_proto *p, void *data);
/** Arm the connection's single timer `ms` from now; ms <= 0 disarms it. */
void conn_set_deadline(struct conn *c, int64_t ms);
/** Close now: on_close runs before this returns, the struct is freed later. */
void conn_close(struct conn *c);
/**
 * Close once the output buffer has been written; reading stops at once.  A
 * plain-TCP connection then half-closes and discards input for a short time
 * so that the client reads the response instead of a reset.
 */
void conn_close_after_write(struct conn *c);
/**
 * Bytes rendered for this client that have not left this host: what waits
 * in our output buffer (plaintext, under TLS) plus what the kernel has not
 * yet sent (SIOCOUTQNSD).  Bytes in flight are not counted: the client's
 * receive window bounds them.
 */
size_t conn_unsent(struct conn *c);
/**
 * True when conn_unsent() has reached the send low-water mark
 * (ISACD_SEND_LOWAT): render nothing more for this client now; on_drained
 * fires when that may have changed.
 */
bool conn_output_full(struct conn *c);
/** The input and output buffers. */
struct evbuffer *conn_input(struct conn *c);
struct evbuffer *conn_output(struct conn *c);

#endif
