/*
 * conn.c - connection lifetime over a bufferevent.
 *
 * Callbacks are deferred (BEV_OPT_DEFER_CALLBACKS) so that none of them runs
 * in the middle of our own call into libevent.  A closed connection keeps its
 * memory until the reaper runs, so a callback chain that closed it can still
 * read c->closing safely on its way out.
 *
 * The minimum send rate: a callback on the output buffer counts the bytes
 * handed to the kernel and arms the send timer when output starts to wait.
 * What the client has taken is that count less what the kernel still holds
 * unacknowledged (SIOCOUTQ): a whole response can sit in a socket's send
 * buffer while the client reads it 32 bytes at a time, so our own buffer
 * alone says nothing.  At the end of each window, a connection with output
 * still waiting (ours or the kernel's) whose client took less than
 * min_send_rate * window bytes, and less than all that was offered to it
 * when the window began, is reset (SO_LINGER 0, so the kernel frees its
 * buffers at once): trickled reads cannot keep it alive.  A client that
 * took all it was offered is keeping up however little that was: a quiet
 * WebSocket that gets an event now and then has one waiting in our buffer
 * whenever the window ends during a broadcast, and must not be cut for it.
 *
 * What a slow reader makes us hold is bounded where it waits.  Every socket
 * has TCP_NOTSENT_LOWAT: the kernel takes more from us only while its unsent
 * bytes are under the mark (it finishes the segment it fills, at most half
 * the client's largest window), and reports the socket writable only once
 * they are under half of it.  Without it Linux grows a send buffer to 4 MiB
 * for a client that reads 32 bytes at a time.  Above the kernel,
 * conn_output_full() tells a protocol to render nothing more while our
 * buffer and the kernel's unsent bytes together reach the mark; when only
 * the kernel's part keeps it full, a one-shot write event on the socket
 * (which, with the mark set, fires below half of it) calls on_drained.
 */
#include "net/net_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>

#include "core/log.h"
#include "core/mem.h"

#define CONN_LINGER_MS    2000
#define CONN_LINGER_BYTES (4u << 20)

static void conn_read_cb(struct bufferevent *bev, void *arg);
static void conn_write_cb(struct bufferevent *bev, void *arg);
static void conn_event_cb(struct bufferevent *bev, short what, void *arg);
static void conn_timer_cb(evutil_socket_t fd, short what, void *arg);
static void conn_linger_start(struct conn *c);
static void conn_output_cb(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg);
static void conn_send_check_cb(evutil_socket_t fd, short what, void *arg);
static uint64_t conn_delivered(struct conn *c, bool *waiting);
static void conn_writable_cb(evutil_socket_t fd, short what, void *arg);

static size_t conn_lingered;
static bool conn_lowat_warned;

struct conn *
conn_new(struct net *n, int fd, const struct sockaddr *sa)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct timeval wto = {n->write_timeout_s, 0};
	int one = 1, lowat = (int)n->send_lowat;

	c->net = n;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    c->peer, sizeof(c->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, c->peer,
		    sizeof(c->peer));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (setsockopt(
	        fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)) == 0)
		c->kernel_bounded = true;
	else if (!conn_lowat_warned) {
		/* Linux has it since 3.12: only our own buffer is bounded */
		log_warn("TCP_NOTSENT_LOWAT: %s; ISACD_SEND_LOWAT bounds "
		         "isacd's buffers only",
		    strerror(errno));
		conn_lowat_warned = true;
	}
	if (n->tls) {
		SSL *ssl = SSL_new(n->tls);

		if (ssl == NULL) {
			close(fd);
			free(c);
			return NULL;
		}
		c->bev = bufferevent_openssl_socket_new(n->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		c->tls = true;
	} else {
		c->bev = bufferevent_socket_new(n->base, fd,
		    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	}
	if (c->bev == NULL) {
		close(fd);
		free(c);
		return NULL;
	}
	c->timer = evtimer_new(n->base, conn_timer_cb, c);
	c->send_timer = evtimer_new(n->base, conn_send_check_cb, c);
	c->writable = event_new(n->base, fd, EV_WRITE, conn_writable_cb, c);
	if (c->timer == NULL || c->send_timer == NULL || c->writable == NULL)
		fatal("evtimer_new failed");
	if (n->min_send_rate > 0)
		evbuffer_add_cb(conn_output(c), conn_output_cb, c);
	bufferevent_setcb(
	    c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	bufferevent_set_timeouts(c->bev, NULL, &wto);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&n->open, c, link);
	n->count++;
	return c;
}

void
conn_set_proto(struct conn *c, const struct conn_proto *p, void *data)
{
	c->proto = p;
	c->proto_data = data;
}

void
conn_set_deadline(struct conn *c, int64_t ms)
{
	struct timeval tv;

	if (c->closing)
		return;
	if (ms <= 0) {
		evtimer_del(c->timer);
		return;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
}

size_t
conn_unsent(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int unsent = 0;

	if (fd < 0 || ioctl(fd, SIOCOUTQNSD, &unsent) != 0 || unsent < 0)
		unsent = 0;
	return evbuffer_get_length(conn_output(c)) + (size_t)unsent;
}

bool
conn_output_full(struct conn *c)
{
	size_t ours = evbuffer_get_length(conn_output(c));

	if (!c->kernel_bounded) /* nothing would wake us for the kernel's */
		return ours >= c->net->send_lowat;
	if (conn_unsent(c) < c->net->send_lowat)
		return false;
	/*
	 * Our buffer's drain calls on_drained through conn_write_cb; the
	 * kernel's needs the write event, which fires below half the mark.
	 */
	if (ours == 0 && !c->closing)
		event_add(c->writable, NULL);
	return true;
}

struct evbuffer *
conn_input(struct conn *c)
{
	return bufferevent_get_input(c->bev);
}

struct evbuffer *
conn_output(struct conn *c)
{
	return bufferevent_get_output(c->bev);
}

void
conn_close(struct conn *c)
{
	struct net *n = c->net;

	if (c->closing)
		return;
	c->closing = true;
	if (c->proto && c->proto->on_close)
		c->proto->on_close(c);
	c->proto = NULL;
	c->proto_data = NULL;
	if (c->lingering)
		conn_lingered--;
	if (c->addr) {
		net_addr_release(n, c->addr);
		c->addr = NULL;
	}
	evtimer_del(c->timer);
	evtimer_del(c->send_timer);
	event_del(c->writable);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	TAILQ_REMOVE(&n->open, c, link);
	TAILQ_INSERT_TAIL(&n->dead, c, link);
	event_active(n->reaper, EV_TIMEOUT, 0);
	net_count_down(n);
}

void
conn_close_after_write(struct conn *c)
{
	if (c->closing || c->close_when_drained)
		return;
	c->close_when_drained = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(conn_output(c)) == 0)
		conn_linger_start(c);
}

void
conn_free(struct conn *c)
{
	event_free(c->timer);
	event_free(c->send_timer);
	event_free(c->writable);
	bufferevent_free(c->bev);
	free(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->lingering) {
		struct evbuffer *in = conn_input(c);

		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->proto && c->proto->on_read && !c->close_when_drained)
		c->proto->on_read(c);
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if (c->close_when_drained) {
		if (!c->lingering)
			conn_linger_start(c);
		return;
	}
	if (c->proto && c->proto->on_drained)
		c->proto->on_drained(c);
}

/* The kernel's unsent bytes fell below half the mark (TCP_NOTSENT_LOWAT). */
static void
conn_writable_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->closing || c->close_when_drained || c->lingering)
		return;
	if (c->proto && c->proto->on_drained)
		c->proto->on_drained(c);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	/* a TLS handshake that completed: the connection is now usable */
	if ((what & BEV_EVENT_CONNECTED) &&
	    !(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	/* EOF, error or write timeout: nothing more can be exchanged */
	conn_close(c);
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	(void)what;
	if (c->lingering || c->close_when_drained) {
		conn_close(c);
		return;
	}
	if (c->proto && c->proto->on_deadline)
		c->proto->on_deadline(c);
	else
		conn_close(c);
}

static void
conn_output_cb(
    struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = {c->net->send_window_s, 0};
	bool waiting;

	(void)buf;
	c->written += info->n_deleted;
	if (info->n_added > 0 && !c->closing &&
	    !evtimer_pending(c->send_timer, NULL)) {
		c->window_mark = conn_delivered(c, &waiting);
		c->window_owed =
		    c->written + evbuffer_get_length(conn_output(c));
		evtimer_add(c->send_timer, &tv);
	}
}

/* Bytes the client has acknowledged; *waiting when any output is pending. */
static uint64_t
conn_delivered(struct conn *c, bool *waiting)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int queued = 0;

	if (fd < 0 || ioctl(fd, SIOCOUTQ, &queued) != 0 || queued < 0)
		queued = 0;
	*waiting = queued > 0 || evbuffer_get_length(conn_output(c)) > 0;
	/* TLS: the kernel holds ciphertext, a little more than we counted */
	return (uint64_t)queued < c->written ? c->written - (uint64_t)queued
	                                     : 0;
}

static void
conn_send_check_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = {c->net->send_window_s, 0};
	struct linger abort_close = {1, 0};
	evutil_socket_t sock;
	uint64_t delivered, took;
	bool waiting;

	(void)fd;
	(void)what;
	if (c->closing)
		return;
	delivered = conn_delivered(c, &waiting);
	if (!waiting)
		return; /* re-armed when output waits again */
	took = delivered > c->window_mark ? delivered - c->window_mark : 0;
	if (took >= (uint64_t)c->net->min_send_rate * (uint64_t)tv.tv_sec ||
	    delivered >= c->window_owed) {
		c->window_mark = delivered;
		c->window_owed =
		    c->written + evbuffer_get_length(conn_output(c));
		evtimer_add(c->send_timer, &tv);
		return;
	}
	net_notice(c->net, NET_CUT_SLOW_READER, c->peer);
	sock = bufferevent_getfd(c->bev);
	if (sock >= 0)
		setsockopt(sock, SOL_SOCKET, SO_LINGER, &abort_close,
		    sizeof(abort_close));
	conn_close(c);
}

/*
 * Lingering close (as nginx does): closing a socket whose receive queue holds
 * unread bytes sends a RST, which can destroy the response before the client
 * reads it (a 413 sent while the body is still arriving).  Half-close instead
 * and discard what comes, for a bounded time, while not too many connections
 * do the same.  TLS connections simply close.
 */
static void
conn_linger_start(struct conn *c)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	if (c->tls || fd < 0 || conn_lingered > 1024) {
		conn_close(c);
		return;
	}
	c->lingering = true;
	conn_lingered++;
	shutdown(fd, SHUT_WR);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_LINGER_BYTES);
	bufferevent_enable(c->bev, EV_READ);
	evtimer_del(c->timer);
	{
		struct timeval tv = {
		    CONN_LINGER_MS / 1000, (CONN_LINGER_MS % 1000) * 1000};

		evtimer_add(c->timer, &tv);
	}
}
