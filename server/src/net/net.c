/*
 * net.c - listener, connection caps, accept back-off and the reaper.
 *
 * Past a cap (in all, or of the client's address) a new socket is answered
 * with a canned 503 (plain TCP only) and closed at once; nobody else is
 * disturbed.  The per-IP table is a chained hash keyed with a random seed,
 * since clients choose their addresses; a slot lives while its address has
 * connections.  A connection from a trusted proxy (ISACD_TRUSTED_PROXIES)
 * takes its slot only once its PROXY header, if any, has named the client
 * (net_proxy.c).  When accept fails for lack of descriptors (EMFILE/ENFILE)
 * the listener pauses for a second instead of spinning (OpenBSD httpd
 * accept_reserve).
 */
#include "net/net_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/util.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/proxy.h"

static void net_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void net_accept_error_cb(struct evconnlistener *l, void *arg);
static void net_accept_retry_cb(evutil_socket_t fd, short what, void *arg);
static void net_reaper_cb(evutil_socket_t fd, short what, void *arg);
static void net_notice_cb(evutil_socket_t fd, short what, void *arg);
static void net_notice_log(struct net *n, enum net_reason r);
static struct net_addr *net_addr_take(
    struct net *n, const uint8_t key[NET_ADDR_KEY]);
static size_t net_addr_bucket(const struct net *n, const uint8_t *key);

#define NET_ADDR_BUCKETS 4096

static const char *const net_busy_detail[] = {
    [NET_REFUSED_MAX_CONNS] = "too many connections",
    [NET_REFUSED_PER_IP] = "too many connections from your address",
};
static char net_busy_response[2][512];
static size_t net_busy_len[2];

struct net *
net_new(struct event_base *base, const struct net_options *o, char *err,
    size_t errlen)
{
	struct net *n = xcalloc(1, sizeof(*n));
	struct sockaddr_storage ss;
	int sslen = sizeof(ss);
	char host[256];
	int port;

	for (int i = 0; i < 2 && net_busy_len[i] == 0; i++) {
		char body[256];
		int blen = snprintf(body, sizeof(body),
		    "{\"type\":\"about:blank\",\"title\":\"Service "
		    "Unavailable\",\"status\":503,\"detail\":\"%s\"}\n",
		    net_busy_detail[i]);

		net_busy_len[i] = (size_t)snprintf(net_busy_response[i],
		    sizeof(net_busy_response[i]),
		    "HTTP/1.1 503 Service Unavailable\r\n"
		    "Content-Type: application/problem+json\r\n"
		    "Content-Length: %d\r\nRetry-After: 1\r\n"
		    "Connection: close\r\n\r\n%s",
		    blen, body);
	}
	n->base = base;
	n->tls = o->tls;
	n->max_conns = o->max_conns;
	n->max_per_ip = o->max_conns_per_ip;
	n->write_timeout_s = o->write_timeout_s;
	n->min_send_rate = o->min_send_rate;
	n->send_window_s = o->send_window_s;
	n->send_lowat = o->send_lowat;
	n->proxy_timeout_s = o->proxy_timeout_s;
	n->addrs = xcalloc(NET_ADDR_BUCKETS, sizeof(*n->addrs));
	if (getrandom(&n->addr_seed, sizeof(n->addr_seed), 0) !=
	    sizeof(n->addr_seed))
		fatal("getrandom failed");
	n->on_accept = o->on_accept;
	n->arg = o->arg;
	TAILQ_INIT(&n->open);
	TAILQ_INIT(&n->dead);
	TAILQ_INIT(&n->waiting);
	if (cidr_set_parse(o->trusted_proxies ? o->trusted_proxies : "",
	        &n->trusted, err, errlen) != 0)
		goto fail;
	if (n->trusted.n > 0)
		log_info("PROXY headers and X-Forwarded-For are believed from "
		         "%zu trusted address range%s",
		    n->trusted.n, n->trusted.n == 1 ? "" : "s");
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
	n->notice_timer = evtimer_new(base, net_notice_cb, n);
	if (n->accept_retry == NULL || n->reaper == NULL ||
	    n->notice_timer == NULL)
		fatal("event_new failed");
	return n;
fail:
	cidr_set_free(&n->trusted);
	free(n->addrs);
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
	net_proxy_drain(n);
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

const char *
net_reason_name(enum net_reason r)
{
	static const char *const names[NET_NREASONS] = {
	    [NET_REFUSED_MAX_CONNS] = "max_conns",
	    [NET_REFUSED_PER_IP] = "per_ip",
	    [NET_CUT_SLOW_READER] = "slow_reader",
	};

	return r < NET_NREASONS ? names[r] : "unknown";
}

unsigned long long
net_reason_count(const struct net *n, enum net_reason r)
{
	return r < NET_NREASONS ? n->reasons[r] : 0;
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
	net_proxy_free_all(n);
	while ((c = TAILQ_FIRST(&n->open)) != NULL)
		conn_close(c);
	while ((c = TAILQ_FIRST(&n->dead)) != NULL) {
		TAILQ_REMOVE(&n->dead, c, link);
		conn_free(c);
	}
	for (int r = 0; r < NET_NREASONS; r++)
		net_notice_log(n, (enum net_reason)r);
	event_free(n->accept_retry);
	event_free(n->reaper);
	event_free(n->notice_timer);
	free(n->addrs); /* empty: every connection gave its slot back */
	cidr_set_free(&n->trusted);
	free(n);
}

static void
net_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct net *n = arg;
	struct net_addr *slot;

	(void)l;
	(void)salen;
	if (n->count >= n->max_conns) {
		net_refuse(n, fd, NET_REFUSED_MAX_CONNS, NULL);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	/*
	 * Only a trusted peer's bytes are ever looked at for a PROXY header;
	 * its connection takes the slot of the client it names, afterwards.
	 */
	if (cidr_set_has(&n->trusted, sa)) {
		net_proxy_wait(n, fd, sa);
		return;
	}
	if (net_addr_admit(n, sa, &slot) != 0) {
		char peer[PROXY_ADDR_TEXT];

		proxy_addr_text(sa, peer);
		net_refuse(n, fd, NET_REFUSED_PER_IP, peer);
		return;
	}
	(void)net_start(n, fd, sa, slot, false);
}

struct conn *
net_start(struct net *n, int fd, const struct sockaddr *sa,
    struct net_addr *slot, bool trusted)
{
	struct conn *c = conn_new(n, fd, sa);

	if (c == NULL) {
		if (slot)
			net_addr_release(n, slot);
		if (n->count == 0 && n->on_empty)
			n->on_empty(n->on_empty_arg);
		return NULL;
	}
	c->addr = slot;
	c->trusted = trusted ? &n->trusted : NULL;
	n->on_accept(c, n->arg);
	return c;
}

void
net_count_down(struct net *n)
{
	n->count--;
	if (n->count == 0 && n->on_empty)
		n->on_empty(n->on_empty_arg);
}

void
net_refuse(struct net *n, int fd, enum net_reason r, const char *peer)
{
	if (!n->tls)
		(void)send(fd, net_busy_response[r], net_busy_len[r],
		    MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	net_notice(n, r, peer);
}

/* ---- the per-IP table ---------------------------------------------------- */

int
net_addr_group(const struct sockaddr *sa, uint8_t key[NET_ADDR_KEY])
{
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(key, 0, NET_ADDR_KEY);
	if (sa->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a =
		    ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			key[0] = 4;
			memcpy(key + 1, a + 12, 4);
		} else {
			key[0] = 6;
			memcpy(key + 1, a, 8); /* the /64 */
		}
		return 0;
	}
	return -1;
}

/* FNV-1a over the seed and the key, then a final mix (splitmix64). */
static size_t
net_addr_bucket(const struct net *n, const uint8_t *key)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n->addr_seed;

	for (size_t i = 0; i < NET_ADDR_KEY; i++) {
		h ^= key[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return (size_t)(h % NET_ADDR_BUCKETS);
}

int
net_addr_admit(struct net *n, const struct sockaddr *sa, struct net_addr **slot)
{
	uint8_t key[NET_ADDR_KEY];
	struct net_addr *a;

	*slot = NULL;
	if (net_addr_group(sa, key) != 0)
		return 0;
	a = net_addr_take(n, key);
	if (a->conns >= n->max_per_ip)
		return -1; /* a is not new: it has connections */
	a->conns++;
	*slot = a;
	return 0;
}

/* The slot of key, created with no connections when it is new. */
static struct net_addr *
net_addr_take(struct net *n, const uint8_t key[NET_ADDR_KEY])
{
	size_t b = net_addr_bucket(n, key);
	struct net_addr *a;

	for (a = n->addrs[b]; a != NULL; a = a->next)
		if (memcmp(a->key, key, NET_ADDR_KEY) == 0)
			return a;
	a = xcalloc(1, sizeof(*a));
	memcpy(a->key, key, NET_ADDR_KEY);
	a->next = n->addrs[b];
	n->addrs[b] = a;
	return a;
}

void
net_addr_release(struct net *n, struct net_addr *slot)
{
	struct net_addr **pp;

	if (slot->conns > 0)
		slot->conns--;
	if (slot->conns > 0)
		return;
	for (pp = &n->addrs[net_addr_bucket(n, slot->key)]; *pp != NULL;
	     pp = &(*pp)->next)
		if (*pp == slot) {
			*pp = slot->next;
			free(slot);
			return;
		}
}

/* ---- notices: counted always, logged at most once a second per reason --- */

void
net_notice(struct net *n, enum net_reason r, const char *peer)
{
	struct net_notice *nt = &n->notices[r];
	struct timeval tv = {1, 0};
	int64_t now = clock_mono_us();

	n->reasons[r]++;
	nt->unlogged++;
	if (peer)
		snprintf(nt->last_peer, sizeof(nt->last_peer), "%s", peer);
	/* a second since the last line (not a new second of the wall clock,
	 * which a burst may straddle): now; else the timer gathers the rest */
	if (nt->logged_at == 0 || now - nt->logged_at >= 1000000) {
		net_notice_log(n, r);
		nt->logged_at = now;
	} else if (!evtimer_pending(n->notice_timer, NULL)) {
		evtimer_add(n->notice_timer, &tv);
	}
}

static void
net_notice_log(struct net *n, enum net_reason r)
{
	static const char *const what[NET_NREASONS] = {
	    [NET_REFUSED_MAX_CONNS] = "refused: ISACD_MAX_CONNS reached",
	    [NET_REFUSED_PER_IP] =
	        "refused: ISACD_MAX_CONNS_PER_IP reached, last from",
	    [NET_CUT_SLOW_READER] =
	        "cut off: read below ISACD_MIN_SEND_RATE, last",
	};
	struct net_notice *nt = &n->notices[r];

	if (nt->unlogged == 0)
		return;
	log_warn("%llu connection%s %s%s%s (%llu since start)", nt->unlogged,
	    nt->unlogged == 1 ? "" : "s", what[r], nt->last_peer[0] ? " " : "",
	    nt->last_peer, n->reasons[r]);
	nt->unlogged = 0;
	nt->last_peer[0] = '\0';
}

static void
net_notice_cb(evutil_socket_t fd, short what, void *arg)
{
	struct net *n = arg;

	(void)fd;
	(void)what;
	for (int r = 0; r < NET_NREASONS; r++) {
		if (n->notices[r].unlogged == 0)
			continue;
		net_notice_log(n, (enum net_reason)r);
		n->notices[r].logged_at = clock_mono_us();
	}
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
