/*
 * http_server.c - the HTTP/1.1 connection state machine.
 *
 *   HEAD --head complete--> BODY --body complete--> BUSY --respond--> DONE
 *    ^                                                                 |
 *    +--------------------------- IDLE <---- resume (deferred) <-------+
 *
 * Deadlines use the connection's one timer and never reset on a trickled
 * byte: HEAD has header_timeout_s from its first byte (from accept for the
 * first request, so the TLS handshake counts too), BODY has body_timeout_s,
 * IDLE has idle_timeout_s.  Input is bounded by a read high-watermark while
 * a request is busy, so a pipelining client cannot grow our memory.
 * Output is bounded too: IDLE takes the next pipelined request only while
 * conn_output_full() is false, that is while what waits for the client, in
 * our buffer and unsent in the kernel, is under ISACD_SEND_LOWAT; so at
 * most about one response is rendered ahead of a slow reader, and
 * on_drained resumes when it reads.
 *
 * After a response the next request is taken from a deferred event, never
 * from inside http_respond(): the handler that answered is still on the
 * stack and pipelined requests must not recurse.
 *
 * An upgrade (http_req_upgrade) is a response too: the 101 is written like
 * any other (access log line, metrics), and the same deferred event, instead
 * of taking the next request, frees the request and this state and hands the
 * connection to the new protocol.  So the new protocol never starts inside
 * the handler's stack, and never sees a half-freed request.
 */
#include "http/http_server.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "core/clock.h"
#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/secret.h"
#include "net/conn.h"
#include "net/proxy.h"

enum http_conn_state { HC_IDLE, HC_HEAD, HC_BODY, HC_BUSY, HC_DONE };

struct http_server {
	struct http_server_options o;
	bool draining;
};

struct http_conn {
	struct conn *conn;
	struct http_server *srv;
	enum http_conn_state state;
	size_t scan_from;
	struct http_req *req;
	struct event *resume;
	bool keep_alive;
	bool fail_close; /* the current request's answer ends the connection */
	/* set by http_req_upgrade: who takes the connection after the 101 */
	void (*upgrade_attach)(struct conn *c, void *arg);
	void (*upgrade_abandon)(void *arg);
	void *upgrade_arg;
};

static void http_conn_read(struct conn *c);
static void http_conn_drained(struct conn *c);
static void http_conn_deadline(struct conn *c);
static void http_conn_close(struct conn *c);
static void http_conn_resume_cb(evutil_socket_t fd, short what, void *arg);
static void http_conn_upgrade(struct http_conn *hc);
static void http_conn_process(struct http_conn *hc);
static int http_conn_take_head(struct http_conn *hc);
static void http_conn_take_body(struct http_conn *hc);
static struct http_req *http_req_new(struct http_conn *hc);
static void http_req_free(struct http_req *r);
static void http_reject(struct http_conn *hc, int status, const char *why);
static int http_precheck(struct http_req *r, const char **why);
static void http_dispatch(struct http_req *r);
static bool http_ctype_json(const char *ctype);
static void http_respond_body(struct http_req *r, int status, const char *ctype,
    const void *body, size_t len, bool by_ref);
static void http_req_forwarded_for(
    struct http_req *r, const struct cidr_set *trusted);
static bool http_json_content_type(const char *v);
static const char *http_json_error(struct http_req *r, const json_error_t *e);
static const char *http_date_now(void);

static const struct conn_proto http_proto = {
    .on_read = http_conn_read,
    .on_drained = http_conn_drained,
    .on_deadline = http_conn_deadline,
    .on_close = http_conn_close,
};

struct http_server *
http_server_new(const struct http_server_options *o)
{
	struct http_server *s = xcalloc(1, sizeof(*s));

	s->o = *o;
	return s;
}

void
http_server_free(struct http_server *s)
{
	free(s);
}

void
http_server_accept(struct conn *c, void *server)
{
	struct http_server *s = server;
	struct http_conn *hc = xcalloc(1, sizeof(*hc));

	hc->conn = c;
	hc->srv = s;
	hc->state = HC_HEAD;
	hc->resume = event_new(
	    bufferevent_get_base(c->bev), -1, 0, http_conn_resume_cb, hc);
	if (hc->resume == NULL)
		fatal("event_new failed");
	conn_set_proto(c, &http_proto, hc);
	bufferevent_setwatermark(
	    c->bev, EV_READ, 0, s->o.max_header + s->o.max_body + 4096);
	conn_set_deadline(c, (int64_t)s->o.header_timeout_s * 1000);
}

void
http_server_drain(struct http_server *s, struct conn *c)
{
	struct http_conn *hc = c->proto_data;

	s->draining = true;
	if (c->proto != &http_proto || hc == NULL)
		return;
	if (hc->state == HC_IDLE ||
	    (hc->state == HC_HEAD && evbuffer_get_length(conn_input(c)) == 0))
		conn_close(c);
}

void
http_req_upgrade(struct http_req *r, void (*attach)(struct conn *c, void *arg),
    void (*abandon)(void *arg), void *arg)
{
	struct http_conn *hc = r->hc;

	if (r->responded) {
		log_error(
		    "request %s upgraded after its answer", r->request_id);
		abandon(arg);
		return;
	}
	hc->upgrade_attach = attach;
	hc->upgrade_abandon = abandon;
	hc->upgrade_arg = arg;
	http_respond(r, 101, NULL, NULL, 0);
}

/* ---- connection protocol ------------------------------------------------ */

static void
http_conn_read(struct conn *c)
{
	http_conn_process(c->proto_data);
}

static void
http_conn_drained(struct conn *c)
{
	struct http_conn *hc = c->proto_data;

	/* back-pressure: a response was waiting for the client to read */
	if (hc->state == HC_IDLE || hc->state == HC_HEAD)
		http_conn_process(hc);
}

static void
http_conn_deadline(struct conn *c)
{
	struct http_conn *hc = c->proto_data;

	switch (hc->state) {
	case HC_HEAD:
		if (evbuffer_get_length(conn_input(c)) == 0) {
			conn_close(c);
			return;
		}
		http_reject(hc, 408, "the request head took too long");
		return;
	case HC_BODY:
		http_reject(hc, 408, "the request body took too long");
		return;
	default:
		conn_close(c);
		return;
	}
}

static void
http_conn_close(struct conn *c)
{
	struct http_conn *hc = c->proto_data;

	if (hc == NULL)
		return;
	if (hc->req)
		http_req_free(hc->req);
	/* closed between the 101 and the hand-over */
	if (hc->upgrade_abandon)
		hc->upgrade_abandon(hc->upgrade_arg);
	event_free(hc->resume);
	free(hc);
}

static void
http_conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *hc = arg;
	struct conn *c = hc->conn;
	bool keep = hc->keep_alive && !hc->fail_close && !hc->srv->draining;

	(void)fd;
	(void)what;
	if (hc->upgrade_attach) {
		http_conn_upgrade(hc);
		return;
	}
	if (hc->req) {
		http_req_free(hc->req);
		hc->req = NULL;
	}
	if (!keep) {
		conn_close_after_write(c);
		return;
	}
	hc->state = HC_IDLE;
	hc->scan_from = 0;
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    hc->srv->o.max_header + hc->srv->o.max_body + 4096);
	conn_set_deadline(c, (int64_t)hc->srv->o.idle_timeout_s * 1000);
	http_conn_process(hc);
}

/*
 * The 101 is queued: free the request and the HTTP state, then hand the
 * connection over.  Input the client sent after the request stays buffered
 * for the new protocol.
 */
static void
http_conn_upgrade(struct http_conn *hc)
{
	struct conn *c = hc->conn;
	void (*attach)(struct conn *, void *) = hc->upgrade_attach;
	void (*abandon)(void *) = hc->upgrade_abandon;
	void *arg = hc->upgrade_arg;
	bool draining = hc->srv->draining;

	if (hc->req)
		http_req_free(hc->req);
	conn_set_proto(c, NULL, NULL);
	event_free(hc->resume);
	free(hc);
	conn_set_deadline(c, 0);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	if (draining) {
		/* the drain has passed this connection by: do not start more */
		abandon(arg);
		conn_close_after_write(c);
		return;
	}
	attach(c, arg);
}

/* Take as many steps as the buffered input allows. */
static void
http_conn_process(struct http_conn *hc)
{
	struct conn *c = hc->conn;

	for (;;) {
		if (c->closing || c->close_when_drained)
			return;
		switch (hc->state) {
		case HC_IDLE:
			if (evbuffer_get_length(conn_input(c)) == 0)
				return;
			if (conn_output_full(c))
				return; /* resumes from on_drained */
			hc->state = HC_HEAD;
			conn_set_deadline(
			    c, (int64_t)hc->srv->o.header_timeout_s * 1000);
			break;
		case HC_HEAD:
			if (http_conn_take_head(hc) != 0)
				return;
			break;
		case HC_BODY:
			if (evbuffer_get_length(conn_input(c)) <
			    hc->req->body_len)
				return;
			http_conn_take_body(hc);
			break;
		case HC_BUSY:
		case HC_DONE:
			return;
		}
	}
}

/*
 * Returns 0 when the state advanced, -1 when more input is needed or the
 * connection is finished with.
 */
static int
http_conn_take_head(struct http_conn *hc)
{
	struct conn *c = hc->conn;
	struct http_server *s = hc->srv;
	struct evbuffer *in = conn_input(c);
	size_t len = evbuffer_get_length(in), avail, end, skip;
	struct http_limits lim = {s->o.max_header / 2, HTTP_MAX_HEADERS};
	struct http_req *r;
	const char *buf, *why;
	char *copy;
	int status;

	if (len == 0)
		return -1;
	avail = len < s->o.max_header ? len : s->o.max_header;
	buf = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
	skip = http_head_skip_empty(buf, avail);
	if (skip) {
		evbuffer_drain(in, skip);
		hc->scan_from = 0;
		return len == skip ? -1 : 0;
	}
	end = http_head_end(buf, avail, &hc->scan_from);
	if (end == 0) {
		if (len < s->o.max_header)
			return -1;
		if (memchr(buf, '\n', avail) == NULL)
			http_reject(hc, 414, "request line too long");
		else
			http_reject(hc, 431, "request head too large");
		return -1;
	}

	r = http_req_new(hc);
	copy = arena_strndup(r->arena, buf, end);
	evbuffer_drain(in, end);
	hc->scan_from = 0;
	status = http_parse_head(copy, end, &lim, &r->head, &why);
	if (status != 0) {
		http_reject(hc, status, why);
		return -1;
	}
	if (c->trusted)
		http_req_forwarded_for(r, c->trusted);
	hc->keep_alive = r->head.keep_alive;
	if (r->head.content_length > (long long)s->o.max_body) {
		http_reject(hc, 413, "request body too large");
		return -1;
	}
	r->body_len =
	    r->head.content_length > 0 ? (size_t)r->head.content_length : 0;
	status = http_precheck(r, &why);
	if (status != 0) {
		if (r->body_len > 0)
			hc->fail_close = true; /* the body stays unread */
		hc->state = HC_BUSY;
		conn_set_deadline(c, 0);
		if (status == 405) {
			http_req_add_header(r, "Allow", why);
			why = arena_printf(r->arena,
			    "this resource does not allow %.*s; it allows %s",
			    (int)r->head.method_len, r->head.method_str, why);
		}
		http_respond_problem(r, status, why);
		return -1;
	}
	if (r->body_len > 0) {
		if (r->head.expect_continue &&
		    evbuffer_get_length(in) < r->body_len)
			evbuffer_add(conn_output(c),
			    "HTTP/1.1 100 Continue\r\n\r\n", 25);
		hc->state = HC_BODY;
		conn_set_deadline(c, (int64_t)s->o.body_timeout_s * 1000);
	} else {
		http_conn_take_body(hc);
	}
	return 0;
}

static void
http_conn_take_body(struct http_conn *hc)
{
	struct http_req *r = hc->req;
	char *body = arena_alloc(r->arena, r->body_len + 1);

	if (r->body_len)
		evbuffer_remove(conn_input(hc->conn), body, r->body_len);
	body[r->body_len] = '\0';
	r->body = body;
	hc->state = HC_BUSY;
	conn_set_deadline(hc->conn, 0);
	http_dispatch(r);
}

/*
 * Decide what can be decided before the body is read: the route (404, 405,
 * 501).  A failure answers without reading the body.  The content type is
 * checked later, after authentication (http_req_decode_body).
 */
static int
http_precheck(struct http_req *r, const char **why)
{
	struct http_server *s = r->srv;
	struct http_match m;

	http_router_match(s->o.routes, s->o.nroutes, r->head.method,
	    r->head.path, r->head.path_len, &m);
	if (m.status == 405) {
		*why = arena_strdup(r->arena, m.allow);
		return 405;
	}
	if (m.status == 404) {
		*why = "no such resource";
		return 404;
	}
	if (m.status == 501) {
		*why = "method not implemented";
		return 501;
	}
	r->route = &s->o.routes[m.route];
	r->route_index = m.route;
	memcpy(r->params, m.params, sizeof(m.params));
	r->nparams = m.nparams;
	return 0;
}

static void
http_dispatch(struct http_req *r)
{
	r->srv->o.dispatch(r);
}

int
http_req_decode_body(struct http_req *r)
{
	unsigned flags = r->route->flags;
	json_error_t err;
	const char *ct;

	if (!(flags & (ROUTE_JSON_BODY | ROUTE_JSON_OPT)))
		return 0;
	if (r->body_len == 0) {
		if (!(flags & ROUTE_JSON_BODY))
			return 0;
		http_respond_problem(r, 400, "a JSON object body is required");
		return -1;
	}
	ct = http_req_header(r, "content-type");
	if (ct == NULL || !http_json_content_type(ct)) {
		http_respond_problem(
		    r, 415, "the body must be application/json");
		return -1;
	}
	if (!codec_utf8_valid(r->body, r->body_len)) {
		http_respond_problem(r, 400, "the body is not valid UTF-8");
		return -1;
	}
	r->json =
	    json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (r->json == NULL) {
		http_respond_problem(r, 400, http_json_error(r, &err));
		return -1;
	}
	if (!json_is_object(r->json)) {
		http_respond_problem(r, 400, "the body must be a JSON object");
		return -1;
	}
	return 0;
}

/* A response for a request that cannot go on; the connection then closes. */
static void
http_reject(struct http_conn *hc, int status, const char *why)
{
	struct http_req *r = hc->req ? hc->req : http_req_new(hc);

	hc->fail_close = true;
	hc->state = HC_BUSY;
	conn_set_deadline(hc->conn, 0);
	if (r->responded)
		return;
	http_respond_problem(r, status, why);
}

/* ---- requests ---------------------------------------------------------- */

static struct http_req *
http_req_new(struct http_conn *hc)
{
	struct arena *a = arena_new(4096);
	struct http_req *r = arena_zalloc(a, sizeof(*r));

	r->arena = a;
	r->srv = hc->srv;
	r->hc = hc;
	r->app = hc->srv->o.app;
	r->route_index = hc->srv->o.nroutes;
	r->start_us = clock_mono_us();
	r->peer = hc->conn->peer;
	r->tls = hc->conn->tls;
	r->head.content_length = -1;
	secret_request_id(r->request_id);
	hc->req = r;
	hc->fail_close = false;
	return r;
}

/*
 * From a trusted proxy, the client is the rightmost X-Forwarded-For address
 * that is not itself a trusted proxy: a proxy appends the address it saw, so
 * entries left of it are whatever the client wrote and only the ones our
 * proxies added can be believed.  Several fields are one list, in order.
 */
static void
http_req_forwarded_for(struct http_req *r, const struct cidr_set *trusted)
{
	char client[PROXY_ADDR_TEXT];

	for (size_t i = r->head.nheaders; i-- > 0;) {
		const struct http_header *h = &r->head.headers[i];

		if (h->name_len != 15 ||
		    strncasecmp(h->name, "x-forwarded-for", 15) != 0)
			continue;
		switch (proxy_forwarded_for(
		    h->value, h->value_len, trusted, client)) {
		case PROXY_XFF_CLIENT:
			r->peer = arena_strdup(r->arena, client);
			return;
		case PROXY_XFF_INVALID:
			return;
		case PROXY_XFF_TRUSTED:
			break;
		}
	}
}

static void
http_req_free(struct http_req *r)
{
	if (r->pending_abandon)
		r->pending_abandon(r->pending);
	if (r->json)
		json_decref(r->json);
	if (r->hc && r->hc->req == r)
		r->hc->req = NULL;
	arena_free(r->arena);
}

const char *
http_req_param(struct http_req *r, const char *name)
{
	size_t nlen = strlen(name);

	for (size_t i = 0; i < r->nparams; i++)
		if (r->params[i].name_len == nlen &&
		    memcmp(r->params[i].name, name, nlen) == 0)
			return arena_strndup(r->arena, r->params[i].value,
			    r->params[i].value_len);
	return NULL;
}

const char *
http_req_header(struct http_req *r, const char *name)
{
	const struct http_header *h = http_head_get(&r->head, name);

	return h ? arena_strndup(r->arena, h->value, h->value_len) : NULL;
}

static int
http_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) ('+' is a space) into arena memory. */
static char *
http_unescape(struct arena *a, const char *s, size_t n, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1);
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return NULL;
			hi = http_hexval(s[i + 1]);
			lo = http_hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int
http_req_query(struct http_req *r, const char *name, const char **value)
{
	const char *q = r->head.query, *end;
	size_t nlen = strlen(name);

	*value = NULL;
	if (q == NULL)
		return 0;
	end = q + r->head.query_len;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		const char *pe = amp ? amp : end;
		const char *eq = memchr(q, '=', (size_t)(pe - q));
		const char *ke = eq ? eq : pe;
		size_t klen, vlen;
		char *k, *v;

		k = http_unescape(r->arena, q, (size_t)(ke - q), &klen);
		if (k != NULL && klen == nlen && memcmp(k, name, nlen) == 0) {
			v = eq ? http_unescape(r->arena, eq + 1,
			             (size_t)(pe - eq - 1), &vlen)
			       : arena_strdup(r->arena, "");
			if (v == NULL || (eq && !codec_utf8_valid(v, vlen)))
				return -1;
			*value = v;
			return 1;
		}
		q = amp ? amp + 1 : end;
	}
	return 0;
}

void
http_req_add_header(struct http_req *r, const char *name, const char *value)
{
	struct http_out_header *h = arena_alloc(r->arena, sizeof(*h));

	h->name = arena_strdup(r->arena, name);
	h->value = arena_strdup(r->arena, value);
	h->next = r->out_headers;
	r->out_headers = h;
}

void
http_req_set_pending(struct http_req *r, void *pending, void (*abandon)(void *))
{
	r->pending = pending;
	r->pending_abandon = abandon;
}

void
http_req_clear_pending(struct http_req *r)
{
	r->pending = NULL;
	r->pending_abandon = NULL;
}

/* ---- responses --------------------------------------------------------- */

void
http_respond(struct http_req *r, int status, const char *ctype,
    const char *body, size_t len)
{
	http_respond_body(r, status, ctype, body, len, false);
}

void
http_respond_static(struct http_req *r, int status, const char *ctype,
    const void *body, size_t len)
{
	http_respond_body(r, status, ctype, body, len, true);
}

/*
 * A body that lives as long as the process (a file compiled into the binary)
 * is added to the output by reference: a large page sent to many clients at
 * once costs no copy per client.
 *
 * Every JSON body we render (a document, a problem, a STIX bundle) ends
 * with a newline, here and only here: `curl` output then ends its line
 * instead of running into the prompt, and Content-Length counts it.  Files
 * sent by reference go out exactly as they were built.
 */
static void
http_respond_body(struct http_req *r, int status, const char *ctype,
    const void *body, size_t len, bool by_ref)
{
	struct http_conn *hc = r->hc;
	struct http_server *s = r->srv;
	struct evbuffer *out;
	struct log_request lr;
	bool keep, head_only = r->head.method == HTTP_HEAD, cache_set = false;
	bool upgrade = status == 101 && hc->upgrade_attach != NULL;
	bool newline = !by_ref && len > 0 && http_ctype_json(ctype) &&
	    ((const char *)body)[len - 1] != '\n';
	int64_t us;

	if (r->responded) {
		log_error(
		    "request %s answered twice (%d)", r->request_id, status);
		return;
	}
	r->responded = true;
	r->status = status;
	http_req_clear_pending(r);
	us = clock_mono_us() - r->start_us;
	lr.request_id = r->request_id;
	lr.method = r->head.method_str
	    ? arena_strndup(r->arena, r->head.method_str, r->head.method_len)
	    : "-";
	lr.route = r->route ? r->route->pattern : "-";
	lr.status = status;
	lr.us = us;
	lr.user_id = r->log_user;
	log_request(&lr);
	if (s->o.metrics)
		metrics_observe(s->o.metrics, r->route_index, status, us);

	keep = upgrade || (hc->keep_alive && !hc->fail_close && !s->draining);
	out = conn_output(hc->conn);
	/* no-store unless the handler chose a policy (embedded files) */
	for (struct http_out_header *h = r->out_headers; h; h = h->next)
		cache_set |= strcasecmp(h->name, "Cache-Control") == 0;
	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\nDate: %s\r\nX-Request-Id: %s\r\n%s"
	    "X-Content-Type-Options: nosniff\r\n",
	    status, http_status_reason(status), http_date_now(), r->request_id,
	    cache_set ? "" : "Cache-Control: no-store\r\n");
	if (r->tls)
		evbuffer_add_printf(out,
		    "Strict-Transport-Security: "
		    "max-age=63072000\r\n");
	for (struct http_out_header *h = r->out_headers; h; h = h->next)
		evbuffer_add_printf(out, "%s: %s\r\n", h->name, h->value);
	/* a 101 carries the handler's Connection: Upgrade, and no length */
	if (!keep)
		evbuffer_add_printf(out, "Connection: close\r\n");
	else if (r->head.minor == 0 && !upgrade)
		evbuffer_add_printf(out, "Connection: keep-alive\r\n");
	if (!upgrade && status != 204 && status != 304) {
		if (ctype != NULL && len > 0)
			evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
		evbuffer_add_printf(
		    out, "Content-Length: %zu\r\n", len + (newline ? 1 : 0));
	}
	evbuffer_add(out, "\r\n", 2);
	if (!head_only && len > 0 && status != 204 && status != 304) {
		if (by_ref)
			evbuffer_add_reference(out, body, len, NULL, NULL);
		else
			evbuffer_add(out, body, len);
		if (newline)
			evbuffer_add(out, "\n", 1);
	}
	if (!keep)
		hc->fail_close = true;
	hc->state = HC_DONE;
	event_active(hc->resume, EV_TIMEOUT, 0);
}

/* application/json, application/problem+json, application/stix+json... */
static bool
http_ctype_json(const char *ctype)
{
	size_t n;

	if (ctype == NULL)
		return false;
	n = strcspn(ctype, "; ");
	return (n == 16 && strncasecmp(ctype, "application/json", 16) == 0) ||
	    (n > 17 && strncasecmp(ctype, "application/", 12) == 0 &&
	        strncasecmp(ctype + n - 5, "+json", 5) == 0);
}

void
http_respond_json(struct http_req *r, int status, json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (s == NULL) {
		http_respond_problem(r, 500, "response rendering failed");
		return;
	}
	http_respond(
	    r, status, "application/json; charset=utf-8", s, strlen(s));
	free(s);
}

void
http_respond_empty(struct http_req *r, int status)
{
	http_respond(r, status, NULL, NULL, 0);
}

void
http_respond_problem(struct http_req *r, int status, const char *detail)
{
	http_respond_problem_errors(r, status, detail, NULL);
}

void
http_respond_problem_errors(
    struct http_req *r, int status, const char *detail, json_t *errors)
{
	size_t len;
	char *s = http_problem_render(status, NULL, detail, errors, &len);

	http_respond(r, status, "application/problem+json", s, len);
	free(s);
}

void
http_respond_problem_type(
    struct http_req *r, int status, const char *type, const char *detail)
{
	size_t len;
	char *s = http_problem_render(status, type, detail, NULL, &len);

	http_respond(r, status, "application/problem+json", s, len);
	free(s);
}

char *
http_problem_render(int status, const char *type, const char *detail,
    json_t *errors, size_t *len)
{
	json_t *p = json_object();
	char *s;

	json_object_set_new(
	    p, "type", json_string(type ? type : "about:blank"));
	json_object_set_new(
	    p, "title", json_string(http_status_reason(status)));
	json_object_set_new(p, "status", json_integer(status));
	if (detail != NULL) {
		json_t *d = json_string(detail);

		/* a detail that is not valid UTF-8 must not lose the answer */
		json_object_set_new(
		    p, "detail", d ? d : json_string("(unprintable detail)"));
	}
	if (errors != NULL)
		json_object_set_new(p, "errors", errors);
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (s == NULL) /* only on exhaustion: answer anyway */
		s = xstrdup("{\"type\":\"about:blank\",\"title\":"
		            "\"Internal Server Error\",\"status\":500}");
	*len = strlen(s);
	return s;
}

/*
 * What was wrong with a body jansson refused, for people: a duplicate key is
 * named (its message ends "near '<the key token>'"), anything else placed.
 */
static const char *
http_json_error(struct http_req *r, const json_error_t *e)
{
	if (json_error_code(e) == json_error_duplicate_key) {
		const char *near = strstr(e->text, "near '\"");
		size_t n;

		if (near != NULL) {
			near += 7;
			n = strlen(near);
			if (n >= 2 && near[n - 2] == '"' && near[n - 1] == '\'')
				return arena_printf(r->arena,
				    "duplicate key '%.*s' at line %d column %d",
				    (int)(n - 2), near, e->line, e->column);
		}
		return arena_printf(r->arena,
		    "duplicate key at line %d column %d", e->line, e->column);
	}
	return arena_printf(r->arena, "malformed JSON at line %d column %d",
	    e->line, e->column);
}

static bool
http_json_content_type(const char *v)
{
	size_t n = strcspn(v, ";");
	const char *params = v + n;

	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n != 16 || strncasecmp(v, "application/json", 16) != 0)
		return false;
	/* a charset, when given, must be UTF-8 */
	while (*params == ';') {
		const char *p = params + 1;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "charset=", 8) == 0) {
			const char *cs = p + 8;
			size_t cl = strcspn(cs, "; \t");

			if (cs[0] == '"' && cl >= 2 && cs[cl - 1] == '"') {
				cs++;
				cl -= 2;
			}
			if (!((cl == 5 && strncasecmp(cs, "utf-8", 5) == 0) ||
			        (cl == 4 && strncasecmp(cs, "utf8", 4) == 0)))
				return false;
		}
		params = strchr(p, ';');
		if (params == NULL)
			break;
	}
	return true;
}

static const char *
http_date_now(void)
{
	static _Thread_local char cached[40];
	static _Thread_local time_t cached_at;
	time_t now = time(NULL);

	if (now != cached_at) {
		clock_http_date(now, cached, sizeof(cached));
		cached_at = now;
	}
	return cached;
}
