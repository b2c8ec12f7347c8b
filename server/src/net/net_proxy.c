/*
 * net_proxy.c - a trusted peer's PROXY header, read from the socket before
 * anything else reads it.
 *
 * A connection from ISACD_TRUSTED_PROXIES waits here, without a bufferevent,
 * until its first bytes say whether a PROXY header comes (proxy_parse): a
 * header is taken off the socket and the connection starts as the client it
 * names; anything else starts it as it is.  Bytes are peeked (MSG_PEEK) and
 * only the header is consumed, so what follows it, an HTTP request or a TLS
 * ClientHello, stays in the kernel for the bufferevent made afterwards: that
 * is how the header comes before TLS.  Bytes that can only belong to an
 * unfinished header (one split over segments) are consumed into our buffer,
 * or the socket would stay readable and the loop spin; if they turn out to
 * begin HTTP after all (a lone "\r\n" looks like the start of the version 2
 * signature), they go back in front of the connection's input.  Under TLS
 * such bytes cannot begin a ClientHello, and the connection is closed.
 *
 * The header must be in ISACD_HEADER_TIMEOUT_S after accept; at shutdown a
 * connection that has sent nothing yet is closed at once, as idle HTTP
 * connections are.  A malformed
 * header closes the connection: its sender is a trusted proxy that is
 * misconfigured, so it is logged.
 *
 * The per-IP table: a connection takes the slot of the client its header
 * names, once the header is in, and past that address's cap it is refused,
 * counted and logged with the client's address, exactly as at accept.  A
 * LOCAL header (health checks) or no header at all leaves the proxy as the
 * client, and the proxy's own address takes the slot, cap included: the
 * connections of a proxy that speaks only HTTP share one address's cap.
 * While the header is awaited no slot is held: a burst of new clients
 * through one proxy would otherwise meet the proxy's cap before their own,
 * and ISACD_MAX_CONNS and the deadline bound what waits.
 */
#include "net/net_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/proxy.h"

struct net_wait {
	struct net *net;
	int fd;
	struct sockaddr_storage sa; /* the peer: a trusted proxy */
	struct event *ev;
	int64_t deadline_us;
	uint8_t *part; /* an unfinished header taken off the socket, or NULL */
	size_t have;   /* its length */
	TAILQ_ENTRY(net_wait) link;
};

static void net_proxy_read_cb(evutil_socket_t fd, short what, void *arg);
static void net_proxy_arm(struct net_wait *w);
static void net_proxy_done(struct net_wait *w, const struct proxy_header *h);
static void net_proxy_close(struct net_wait *w, const char *why);
static void net_proxy_unlink(struct net_wait *w);

void
net_proxy_wait(struct net *n, int fd, const struct sockaddr *sa)
{
	struct net_wait *w = xcalloc(1, sizeof(*w));

	w->net = n;
	w->fd = fd;
	memcpy(&w->sa, sa,
	    sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                              : sizeof(struct sockaddr_in));
	w->deadline_us =
	    clock_mono_us() + (int64_t)n->proxy_timeout_s * 1000000;
	w->ev = event_new(n->base, fd, EV_READ, net_proxy_read_cb, w);
	if (w->ev == NULL)
		fatal("event_new failed");
	TAILQ_INSERT_TAIL(&n->waiting, w, link);
	n->count++;
	net_proxy_arm(w);
}

void
net_proxy_drain(struct net *n)
{
	struct net_wait *w, *next;
	uint8_t byte;

	for (w = TAILQ_FIRST(&n->waiting); w != NULL; w = next) {
		next = TAILQ_NEXT(w, link);
		if (w->have == 0 &&
		    recv(w->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			net_proxy_close(w, NULL);
	}
}

void
net_proxy_free_all(struct net *n)
{
	struct net_wait *w;

	while ((w = TAILQ_FIRST(&n->waiting)) != NULL)
		net_proxy_close(w, NULL);
}

static void
net_proxy_arm(struct net_wait *w)
{
	int64_t left = w->deadline_us - clock_mono_us();
	struct timeval tv;

	if (left < 1)
		left = 1;
	tv.tv_sec = (time_t)(left / 1000000);
	tv.tv_usec = (suseconds_t)(left % 1000000);
	event_add(w->ev, &tv);
}

static void
net_proxy_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net_wait *w = arg;
	struct proxy_header h;
	uint8_t buf[PROXY_MAX_LEN];
	ssize_t got;
	size_t need;

	if (what & EV_TIMEOUT) {
		net_proxy_close(w,
		    w->have ? "its PROXY header was not finished "
		              "within ISACD_HEADER_TIMEOUT_S"
		            : NULL);
		return;
	}
	if (w->have)
		memcpy(buf, w->part, w->have);
	got = recv(fd, buf + w->have, sizeof(buf) - w->have, MSG_PEEK);
	if (got < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		net_proxy_arm(w);
		return;
	}
	if (got <= 0) {
		net_proxy_close(w, NULL); /* gone, or reset */
		return;
	}
	switch (proxy_parse(buf, w->have + (size_t)got, &h)) {
	case PROXY_NEED_MORE:
		/* every byte so far is header: take them off the socket */
		if (recv(fd, buf + w->have, (size_t)got, 0) != got) {
			net_proxy_close(w, NULL);
			return;
		}
		w->have += (size_t)got;
		w->part = xrealloc(w->part, w->have);
		memcpy(w->part, buf, w->have);
		net_proxy_arm(w);
		return;
	case PROXY_NONE:
		net_proxy_done(w, NULL);
		return;
	case PROXY_BAD:
		net_proxy_close(w, "its PROXY header is malformed");
		return;
	case PROXY_OK:
		need = h.len - w->have; /* what was peeked, no more */
		if (h.len <= w->have ||
		    recv(fd, buf + w->have, need, 0) != (ssize_t)need) {
			net_proxy_close(w, NULL);
			return;
		}
		net_proxy_done(w, &h);
		return;
	}
}

/* The header, if any, is off the socket: start the connection as its client.
 */
static void
net_proxy_done(struct net_wait *w, const struct proxy_header *h)
{
	struct net *n = w->net;
	struct sockaddr_storage sa = w->sa;
	struct net_addr *slot;
	uint8_t prefix[16];
	size_t nprefix = 0;
	int fd = w->fd;
	struct conn *c;

	if (h == NULL && w->have > 0) {
		/* the start of the signature, then HTTP: give those bytes back
		 */
		if (n->tls || w->have > sizeof(prefix)) {
			net_proxy_close(w, "it sent part of a PROXY signature");
			return;
		}
		nprefix = w->have;
		memcpy(prefix, w->part, nprefix);
	}
	if (h != NULL && !h->local)
		sa = h->src;
	if (net_addr_admit(n, (struct sockaddr *)&sa, &slot) != 0) {
		char peer[PROXY_ADDR_TEXT];

		proxy_addr_text((struct sockaddr *)&sa, peer);
		w->fd = -1; /* net_refuse closes it */
		net_proxy_close(w, NULL);
		net_refuse(n, fd, NET_REFUSED_PER_IP, peer);
		return;
	}
	/* the connection takes over the fd, the slot and the count */
	net_proxy_unlink(w);
	n->count--;
	c = net_start(n, fd, (struct sockaddr *)&sa, slot,
	    cidr_set_has(&n->trusted, (struct sockaddr *)&sa));
	if (c != NULL && nprefix > 0)
		evbuffer_prepend(conn_input(c), prefix, nprefix);
}

/* Give up on a waiting connection; why, when set, is logged. */
static void
net_proxy_close(struct net_wait *w, const char *why)
{
	struct net *n = w->net;

	if (why != NULL) {
		char peer[PROXY_ADDR_TEXT];

		proxy_addr_text((struct sockaddr *)&w->sa, peer);
		log_warn(
		    "closed a connection from trusted proxy %s: %s", peer, why);
	}
	if (w->fd >= 0)
		close(w->fd);
	net_proxy_unlink(w);
	net_count_down(n);
}

/* Out of the waiting list and freed; the fd is not touched. */
static void
net_proxy_unlink(struct net_wait *w)
{
	TAILQ_REMOVE(&w->net->waiting, w, link);
	event_free(w->ev);
	free(w->part);
	free(w);
}
