/*
 * net.c - listener, connection cap, accept back-off and the reaper.
 *
 * Past the connection cap a new socket is answered with a canned 503 (plain
 * TCP only) and closed at once; nobody else is disturbed.  When accept fails
 * for lack of descriptors (EMFILE/ENFILE) the listener pauses for a second
 * instead of spinning (OpenBSD httpd accept_reserve).
 */
#include "net/net_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/util.h>

#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"

static void net_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void net_accept_error_cb(struct evconnlistener *l, void *arg);
static void net_accept_retry_cb(evutil_socket_t fd, short what, void *arg);
static void net_reaper_cb(evutil_socket_t fd, short what, void *arg);

#define NET_BUSY_BODY                                                          \
	"{\"type\":\"about:blank\",\"title\":\"Service Unavailable\","         \
	"\"status\":503,\"detail\":\"too many connections\"}"

static char net_busy_response[512];
static size_t net_busy_len;

struct net *
net_new(struct event_base *base, const struct net_options *o, char *err,
    size_t errlen)
{
	struct net *n = xcalloc(1, sizeof(*n));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char host[256];
	int port;

	if (net_busy_len == 0)
		net_busy_len = (size_t)snprintf(net_busy_response,
		    sizeof(net_busy_response),
		    "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Type: application/problem+json\r\n"
		    "Content-Length: %zu\r\nRetry-After: 1\r\n"
		    "Connection: close\r\n\r\n%s",
		    sizeof(NET_BUSY_BODY) - 1, NET_BUSY_BODY);
	n->base = base;
	n->tls = o->tls;
	n->max_conns = o->max_conns;
	n->write_timeout_s = o->write_timeout_s;
	n->on_accept = o->on_accept;
	n->arg = o->arg;
	TAILQ_INIT(&n->open);
	TAILQ_INIT(&n->dead);
	if (config_split_listen(o->listen, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "bad listen address '%s'", o->listen);
		goto fail;
	}
	{
		char hp[300];

		snprintf(hp, sizeof(hp),
		    strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
		memset(&ss, 0, sizeof(ss));
		if (evutil_parse_sockaddr_port(
		        hp, (struct sockaddr *)&ss, &sslen) != 0) {
			snprintf(err, errlen,
			    "listen address '%s' is not a numeric IP address",
			    o->listen);
			goto fail;
		}
	}
	n->listener = evconnlistener_new_bind(base, net_accept_cb, n,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, sslen);
	if (n->listener == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", o->listen,
		    strerror(errno));
		goto fail;
	}
	evconnlistener_set_error_cb(n->listener, net_accept_error_cb);
	n->accept_retry = evtimer_new(base, net_accept_retry_cb, n);
	n->reaper = event_new(base, -1, 0, net_reaper_cb, n);
	if (n->accept_retry == NULL || n->reaper == NULL)
		fatal("event_new failed");
	return n;
fail:
	free(n);
	return NULL;
}

void
net_stop_accepting(struct net *n)
{
	if (n->listener) {
		evconnlistener_free(n->listener);
		n->listener = NULL;
	}
	evtimer_del(n->accept_retry);
}

void
net_foreach(struct net *n, void (*fn)(struct conn *c, void *arg), void *arg)
{
	struct conn *c, *next;

	for (c = TAILQ_FIRST(&n->open); c != NULL; c = next) {
		next = TAILQ_NEXT(c, link);
		fn(c, arg);
	}
}

size_t
net_count(const struct net *n)
{
	return n->count;
}

unsigned long long
net_refused(const struct net *n)
{
	return n->refused;
}

void
net_on_empty(struct net *n, void (*fn)(void *arg), void *arg)
{
	n->on_empty = fn;
	n->on_empty_arg = arg;
}

void
net_free(struct net *n)
{
	struct conn *c;

	if (n == NULL)
		return;
	net_stop_accepting(n);
	n->on_empty = NULL;
	while ((c = TAILQ_FIRST(&n->open)) != NULL)
		conn_close(c);
	while ((c = TAILQ_FIRST(&n->dead)) != NULL) {
		TAILQ_REMOVE(&n->dead, c, link);
		conn_free(c);
	}
	event_free(n->accept_retry);
	event_free(n->reaper);
	free(n);
}

static void
net_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct net *n = arg;
	struct conn *c;

	(void)l;
	(void)salen;
	if (n->count >= n->max_conns) {
		n->refused++;
		if (!n->tls)
			(void)send(fd, net_busy_response, net_busy_len,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	c = conn_new(n, fd, sa);
	if (c != NULL)
		n->on_accept(c, n->arg);
}

static void
net_accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct net *n = arg;
	int e = EVUTIL_SOCKET_ERROR();
	struct timeval tv = {1, 0};

	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		log_warn(
		    "accept: %s; pausing new connections for 1 s", strerror(e));
		evconnlistener_disable(l);
		evtimer_add(n->accept_retry, &tv);
		return;
	}
	log_warn("accept: %s", strerror(e));
}

static void
net_accept_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;

	(void)fd;
	(void)what;
	if (n->listener)
		evconnlistener_enable(n->listener);
}

static void
net_reaper_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;
	struct conn *c;

	(void)fd;
	(void)what;
	while ((c = TAILQ_FIRST(&n->dead)) != NULL) {
		TAILQ_REMOVE(&n->dead, c, link);
		conn_free(c);
	}
}
