/*
 * net_internal.h - what conn.c and net.c share; nobody else includes it.
 */
#ifndef ISACD_NET_INTERNAL_H
#define ISACD_NET_INTERNAL_H

#include <sys/queue.h>

#include <event2/listener.h>

#include "net/conn.h"
#include "net/net.h"

TAILQ_HEAD(conn_list, conn);

struct net {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *accept_retry; /* re-enables accept after EMFILE */
	struct event *reaper;
	SSL_CTX *tls;
	struct conn_list open;
	struct conn_list dead; /* closed, waiting for the reaper */
	size_t count;
	size_t max_conns;
	unsigned long long refused;
	int write_timeout_s;
	void (*on_accept)(struct conn *c, void *arg);
	void *arg;
	void (*on_empty)(void *arg);
	void *on_empty_arg;
};

/** Create the connection for an accepted fd (takes ownership of fd). */
struct conn *conn_new(struct net *n, int fd, const struct sockaddr *sa);
/** Free a reaped connection (called by the reaper only). */
void conn_free(struct conn *c);

#endif
