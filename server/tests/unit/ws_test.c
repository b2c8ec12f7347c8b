/*
 * ws_test.c - the WebSocket layer as a client meets it.
 *
 * The handshake checks are pure and tested on parsed heads.  The frame path
 * runs over real loopback TCP: a struct net of the test's own (no isacd
 * process, no database) accepts the client's connection and attaches a
 * WebSocket to it, or an HTTP server that upgrades.  The client is a plain
 * socket that writes raw frames, masked or not, and reads what comes back:
 * the close code for each mistake, the close handshake both ways, pings
 * and the drop of a silent client, the message rate, the bound on a reader
 * that never reads while another keeps receiving, the broadcast frame held
 * by reference, and the wslay context that exists only while a message is
 * being read.  The file includes ws.c to look at that context.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "ws/ws.c" /* to see the lazy wslay context */

#include "core/config.h"
#include "core/log.h"
#include "http/http_server.h"
#include "net/net_internal.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"

#define MAXRECS 8

struct rec {
	struct ws *ws;
	int texts;
	char last[8192];
	size_t last_len;
	int closes;
	uint16_t code;
	bool echo;
	bool close_in_text; /* ws_close from inside on_text */
};

static struct event_base *base;
static struct net *net;
static struct http_server *http;
static struct ws_options opts;
static struct rec recs[MAXRECS];
static int nrecs;
static int attached, abandoned;
static int upgrade_then; /* 0: nothing; 1: the connection closes; 2: drain */
static struct event *closer; /* closes the connection from the loop */

static void on_text(struct ws *ws, const char *text, size_t len, void *arg);
static void on_close(struct ws *ws, uint16_t code, void *arg);

static const struct ws_handler handler = {
    .on_text = on_text,
    .on_close = on_close,
};

static int drained;

static void
on_drained(struct ws *ws, void *arg)
{
	(void)ws;
	(void)arg;
	drained++;
}

static const struct ws_handler pacing_handler = {
    .on_text = on_text,
    .on_drained = on_drained,
    .on_close = on_close,
};

static void
on_text(struct ws *ws, const char *text, size_t len, void *arg)
{
	struct rec *r = arg;

	r->texts++;
	r->last_len = len < sizeof(r->last) ? len : sizeof(r->last);
	memcpy(r->last, text, r->last_len);
	if (r->echo)
		ws_send_text(ws, text, len);
	if (r->close_in_text)
		ws_close(ws, WS_CLOSE_NORMAL, "done");
}

static void
on_close(struct ws *ws, uint16_t code, void *arg)
{
	struct rec *r = arg;

	assert_ptr_equal(ws, r->ws);
	r->closes++;
	r->code = code;
	r->ws = NULL;
}

static void
accept_ws(struct conn *c, void *arg)
{
	struct rec *r = &recs[nrecs++];

	(void)arg;
	memset(r, 0, sizeof(*r));
	r->ws = ws_attach(c, &opts, &handler, r);
}

/* ---- the loop and a raw client ----------------------------------------- */

static int64_t
now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* Run the loop for ms milliseconds. */
static void
pump(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
port_of(struct net *n)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal(getsockname(evconnlistener_get_fd(n->listener),
	                     (struct sockaddr *)&sin, &len),
	    0);
	return ntohs(sin.sin_port);
}

/* Connect; rcvbuf > 0 shrinks the client's receive buffer first. */
static int
client(int rcvbuf)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), before = nrecs + attached;
	int64_t end = now_ms() + 2000;

	assert_true(fd >= 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port_of(net));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	/* with an HTTP server the socket is attached after the upgrade */
	while (http == NULL && nrecs + attached == before && now_ms() < end)
		pump(2);
	return fd;
}

static void
csend(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			pump(1);
			continue;
		}
		assert_true(w > 0);
		b += w;
		n -= (size_t)w;
	}
}

/* A client frame: masked unless told otherwise. */
static size_t
frame(uint8_t *out, int fin, int rsv, int op, const void *payload, size_t n,
    bool mask)
{
	static const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
	const uint8_t *p = payload;
	size_t i = 0;
	uint8_t m = mask ? 0x80 : 0;

	out[i++] = (uint8_t)((fin ? 0x80 : 0) | (rsv << 4) | op);
	if (n < 126) {
		out[i++] = (uint8_t)(m | n);
	} else if (n < 65536) {
		out[i++] = m | 126;
		out[i++] = (uint8_t)(n >> 8);
		out[i++] = (uint8_t)n;
	} else {
		out[i++] = m | 127;
		for (int k = 7; k >= 0; k--)
			out[i++] = (uint8_t)((uint64_t)n >> (8 * k));
	}
	if (mask) {
		memcpy(out + i, key, 4);
		i += 4;
	}
	for (size_t j = 0; j < n; j++)
		out[i + j] = p[j] ^ (mask ? key[j % 4] : 0);
	return i + n;
}

static void
send_frame(int fd, int fin, int op, const void *payload, size_t n)
{
	static uint8_t buf[70000];

	csend(fd, buf, frame(buf, fin, 0, op, payload, n, true));
}

/* Read exactly n bytes while the loop runs: 0, -1 on EOF, -2 on timeout. */
static int
cread(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	size_t got = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, 0);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0 || errno != EAGAIN)
			return -1;
		if (now_ms() > end)
			return -2;
		pump(2);
	}
	return 0;
}

struct sframe {
	int fin;
	int op;
	size_t len;
	uint8_t data[70000];
};

static struct sframe sf;

/* Read one server frame into sf; server frames are never masked. */
static int
read_frame(int fd, int timeout_ms)
{
	uint8_t h[8];
	int rc;

	if ((rc = cread(fd, h, 2, timeout_ms)) != 0)
		return rc;
	sf.fin = h[0] >> 7;
	sf.op = h[0] & 0x0f;
	assert_int_equal(h[0] & 0x70, 0);
	assert_int_equal(h[1] & 0x80, 0); /* unmasked */
	sf.len = h[1] & 0x7f;
	if (sf.len == 126) {
		assert_int_equal(cread(fd, h, 2, timeout_ms), 0);
		sf.len = (size_t)h[0] << 8 | h[1];
	} else if (sf.len == 127) {
		assert_int_equal(cread(fd, h, 8, timeout_ms), 0);
		sf.len = 0;
		for (int i = 0; i < 8; i++)
			sf.len = sf.len << 8 | h[i];
	}
	assert_true(sf.len <= sizeof(sf.data));
	return cread(fd, sf.data, sf.len, timeout_ms);
}

static void
expect_eof(int fd, int timeout_ms)
{
	uint8_t b;

	assert_int_equal(cread(fd, &b, 1, timeout_ms), -1);
}

/* The next frame is a close with this code, and then the TCP closes. */
static void
expect_close(int fd, uint16_t code)
{
	assert_int_equal(read_frame(fd, 3000), 0);
	assert_int_equal(sf.op, WS_OP_CLOSE);
	assert_true(sf.len >= 2);
	assert_int_equal((sf.data[0] << 8) | sf.data[1], code);
	expect_eof(fd, 3000);
}

/* Run the loop until the socket's on_close ran. */
static void
wait_closed(struct rec *r, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	while (r->closes == 0 && now_ms() < end)
		pump(5);
	assert_int_equal(r->closes, 1);
}

/* ---- fixtures ------------------------------------------------------------ */

/* A port nobody listens on (libevent's address parser refuses port 0). */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static struct net *
net_up(void (*on_accept)(struct conn *, void *), void *arg)
{
	struct net_options no;
	char err[256], listen[64];
	struct net *n;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", free_port());
	memset(&no, 0, sizeof(no));
	no.listen = listen;
	no.max_conns = 100;
	no.max_conns_per_ip = 100;
	no.write_timeout_s = 30;
	no.min_send_rate = 0;
	no.send_window_s = 10;
	no.send_lowat = 16384;
	no.on_accept = on_accept;
	no.arg = arg;
	n = net_new(base, &no, err, sizeof(err));
	if (n == NULL)
		fail_msg("%s", err);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	log_set_level(LOGL_WARN);
	base = event_base_new();
	net = net_up(accept_ws, NULL);
	http = NULL;
	memset(recs, 0, sizeof(recs));
	nrecs = attached = abandoned = upgrade_then = 0;
	opts.max_message = 4096;
	opts.max_queue = 65536;
	opts.ping_s = 30;
	opts.pong_timeout_s = 1;
	opts.msg_rate = 1000;
	opts.msg_burst = 1000;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	net_free(net);
	pump(1);
	if (http != NULL)
		http_server_free(http);
	event_base_free(base);
	return 0;
}

/* ---- the handshake ------------------------------------------------------- */

static char head_buf[4096];

static int
parse_head(const char *text, struct http_head *h)
{
	static const struct http_limits lim = {2048, HTTP_MAX_HEADERS};
	const char *why;

	snprintf(head_buf, sizeof(head_buf), "%s", text);
	return http_parse_head(head_buf, strlen(head_buf), &lim, h, &why);
}

/* The status ws_handshake_check answers to a request with these headers. */
static int
check(const char *request_line, const char *headers, struct ws_handshake *hs)
{
	char text[2048];
	struct http_head h;

	snprintf(text, sizeof(text), "%s\r\nHost: isac.example\r\n%s\r\n",
	    request_line, headers);
	assert_int_equal(parse_head(text, &h), 0);
	return ws_handshake_check(&h, hs);
}

#define GOOD_UPGRADE "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define GOOD_KEY     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define GOOD_VERSION "Sec-WebSocket-Version: 13\r\n"
#define GET          "GET /api/v1/realtime HTTP/1.1"

static void
test_handshake_rfc_sample(void **state)
{
	struct ws_handshake hs;

	(void)state;
	assert_int_equal(
	    check(GET, GOOD_UPGRADE GOOD_KEY GOOD_VERSION, &hs), 0);
	/* RFC 6455 §1.3 */
	assert_string_equal(hs.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* tokens in lists, any case */
	assert_int_equal(
	    check(GET,
	        "Upgrade: WebSocket\r\n"
	        "Connection: keep-alive, upgrade\r\n" GOOD_KEY GOOD_VERSION,
	        &hs),
	    0);
}

static void
test_handshake_refusals(void **state)
{
	struct ws_handshake hs;

	(void)state;
	/* the version: 426, which carries Sec-WebSocket-Version: 13 */
	assert_int_equal(
	    check(GET, GOOD_UPGRADE GOOD_KEY "Sec-WebSocket-Version: 12\r\n",
	        &hs),
	    426);
	assert_non_null(hs.why);
	assert_int_equal(check(GET, GOOD_UPGRADE GOOD_KEY, &hs), 426);
	assert_int_equal(
	    check(GET,
	        GOOD_UPGRADE GOOD_KEY "Sec-WebSocket-Version: 13\r\n"
	                              "Sec-WebSocket-Version: 13\r\n",
	        &hs),
	    400);
	/* not an upgrade to WebSocket: 426 as well */
	assert_int_equal(check(GET, GOOD_KEY GOOD_VERSION, &hs), 426);
	assert_int_equal(
	    check(GET,
	        "Upgrade: h2c\r\nConnection: Upgrade\r\n" GOOD_KEY GOOD_VERSION,
	        &hs),
	    426);
	assert_int_equal(
	    check(GET,
	        "Upgrade: websocket\r\nConnection: keep-alive\r\n" GOOD_KEY
	            GOOD_VERSION,
	        &hs),
	    400);
	/* the key: present, once, the canonical base64 of 16 bytes */
	assert_int_equal(check(GET, GOOD_UPGRADE GOOD_VERSION, &hs), 400);
	assert_int_equal(
	    check(GET, GOOD_UPGRADE GOOD_KEY GOOD_KEY GOOD_VERSION, &hs), 400);
	assert_int_equal(
	    check(GET,
	        GOOD_UPGRADE "Sec-WebSocket-Key: "
	                     "AAAAAAAAAAAAAAAAAAAA\r\n" GOOD_VERSION,
	        &hs),
	    400); /* 15 bytes */
	assert_int_equal(
	    check(GET,
	        GOOD_UPGRADE "Sec-WebSocket-Key: "
	                     "dGhlIHNhbXBsZSBub25jZR==\r\n" GOOD_VERSION,
	        &hs),
	    400); /* bits a 16-byte value cannot have */
	assert_int_equal(
	    check(GET,
	        GOOD_UPGRADE "Sec-WebSocket-Key: "
	                     "dGhlIHNhbXBsZSBub25j*Q==\r\n" GOOD_VERSION,
	        &hs),
	    400);
	/* GET on HTTP/1.1, without a body */
	assert_int_equal(check("POST /api/v1/realtime HTTP/1.1",
	                     GOOD_UPGRADE GOOD_KEY GOOD_VERSION, &hs),
	    400);
	assert_int_equal(check("GET /api/v1/realtime HTTP/1.0",
	                     GOOD_UPGRADE GOOD_KEY GOOD_VERSION, &hs),
	    400);
	assert_int_equal(
	    check(GET,
	        GOOD_UPGRADE GOOD_KEY GOOD_VERSION "Content-Length: 3\r\n",
	        &hs),
	    400);
}

static bool
origin_ok(const char *headers, bool tls, const char *allowed)
{
	char text[1024];
	struct http_head h;

	snprintf(text, sizeof(text),
	    "GET / HTTP/1.1\r\nHost: isac.example:8443\r\n%s\r\n", headers);
	assert_int_equal(parse_head(text, &h), 0);
	return ws_origin_allowed(&h, tls, allowed);
}

static void
test_origin(void **state)
{
	const char *list = "https://console.example, http://127.0.0.1:9000";

	(void)state;
	/* no Origin: not a browser */
	assert_true(origin_ok("", true, ""));
	/* isacd's own origin, by scheme and Host */
	assert_true(
	    origin_ok("Origin: https://isac.example:8443\r\n", true, ""));
	assert_false(
	    origin_ok("Origin: http://isac.example:8443\r\n", true, ""));
	assert_true(
	    origin_ok("Origin: http://isac.example:8443\r\n", false, ""));
	/* listed ones, whole and in any case */
	assert_true(
	    origin_ok("Origin: https://console.example\r\n", true, list));
	assert_true(
	    origin_ok("Origin: HTTPS://Console.Example\r\n", true, list));
	assert_true(origin_ok("Origin: http://127.0.0.1:9000\r\n", true, list));
	assert_false(
	    origin_ok("Origin: https://console.example.evil\r\n", true, list));
	assert_false(origin_ok("Origin: https://evil.example\r\n", true, list));
	assert_false(origin_ok("Origin: null\r\n", true, list));
	assert_false(origin_ok("Origin: https://console.example\r\n"
	                       "Origin: https://console.example\r\n",
	    true, list));
}

static const char *origins_value;

static const char *
origins_env(const char *name)
{
	return strcmp(name, "ISACD_ALLOWED_ORIGINS") == 0 ? origins_value
	                                                  : NULL;
}

static void
test_origins_setting(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	origins_value = "https://console.example, http://[::1]:8080";
	assert_int_equal(config_load(&c, origins_env, err, sizeof(err)), 0);
	assert_string_equal(c.allowed_origins, origins_value);
	assert_int_equal(c.ws_max_message, 65536);
	assert_int_equal(c.ws_max_queue, 262144);
	config_free(&c);
	origins_value = "console.example";
	assert_int_equal(config_load(&c, origins_env, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ISACD_ALLOWED_ORIGINS"));
	origins_value = "https://console.example/app";
	assert_int_equal(config_load(&c, origins_env, err, sizeof(err)), -1);
}

/* ---- messages ------------------------------------------------------------ */

static void
test_text_whole_and_context_released(void **state)
{
	int fd;
	struct rec *r;

	(void)state;
	fd = client(0);
	r = &recs[0];
	r->echo = true;
	assert_null(r->ws->ctx); /* idle: no wslay context */
	/* three fragments with a ping between them */
	send_frame(fd, 0, WS_OP_TEXT, "{\"type\":", 8);
	send_frame(fd, 1, WS_OP_PING, "are you there", 13);
	send_frame(fd, 0, WS_OP_CONTINUATION, "\"subscr", 7);
	send_frame(fd, 1, WS_OP_CONTINUATION, "ibe\"}", 5);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_PONG);
	assert_int_equal(sf.len, 13);
	assert_memory_equal(sf.data, "are you there", 13);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_TEXT);
	assert_int_equal(sf.fin, 1);
	assert_int_equal(sf.len, 20);
	assert_memory_equal(sf.data, "{\"type\":\"subscribe\"}", 20);
	assert_int_equal(r->texts, 1);
	assert_int_equal(r->last_len, 20);
	/* the message is whole: the context is gone again */
	assert_null(r->ws->ctx);
	/* half a frame keeps it; the rest releases it */
	{
		uint8_t buf[64];
		size_t n = frame(buf, 1, 0, WS_OP_TEXT, "hello", 5, true);

		csend(fd, buf, 3);
		pump(20);
		assert_non_null(r->ws->ctx);
		csend(fd, buf + 3, n - 3);
		assert_int_equal(read_frame(fd, 2000), 0);
		assert_int_equal(r->texts, 2);
		assert_null(r->ws->ctx);
	}
	/* UTF-8 split inside a code point across fragments is fine */
	send_frame(fd, 0, WS_OP_TEXT, "caf\xc3", 4);
	send_frame(fd, 1, WS_OP_CONTINUATION, "\xa9", 1);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.len, 5);
	assert_memory_equal(sf.data, "caf\xc3\xa9", 5);
	/* an empty text message is a message */
	send_frame(fd, 1, WS_OP_TEXT, "", 0);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.len, 0);
	assert_int_equal(r->texts, 4);
	/* the largest message allowed, in one frame */
	{
		static char big[4096];

		memset(big, 'x', sizeof(big));
		send_frame(fd, 1, WS_OP_TEXT, big, sizeof(big));
		assert_int_equal(read_frame(fd, 2000), 0);
		assert_int_equal(sf.len, sizeof(big));
	}
	close(fd);
	wait_closed(r, 2000);
	assert_int_equal(r->code, WS_CLOSE_ABNORMAL);
}

struct violation {
	const char *what;
	uint8_t bytes[200];
	size_t len;
	uint16_t code;
};

static void
add_frame(struct violation *v, int fin, int rsv, int op, const char *p,
    size_t n, bool mask)
{
	v->len += frame(v->bytes + v->len, fin, rsv, op, p, n, mask);
}

static void
test_violations(void **state)
{
	static struct violation v[24];
	char ping126[126], big[200];
	size_t nv = 0;

	(void)state;
	memset(ping126, 'p', sizeof(ping126));
	memset(big, 'b', sizeof(big));
	v[nv].what = "unmasked frame";
	add_frame(&v[nv], 1, 0, WS_OP_TEXT, "hi", 2, false);
	v[nv++].code = 1002;
	v[nv].what = "reserved opcode 3";
	add_frame(&v[nv], 1, 0, 3, "hi", 2, true);
	v[nv++].code = 1002;
	v[nv].what = "reserved control opcode 0xB";
	add_frame(&v[nv], 1, 0, 0xb, "", 0, true);
	v[nv++].code = 1002;
	v[nv].what = "RSV1";
	add_frame(&v[nv], 1, 4, WS_OP_TEXT, "hi", 2, true);
	v[nv++].code = 1002;
	v[nv].what = "RSV3";
	add_frame(&v[nv], 1, 1, WS_OP_TEXT, "hi", 2, true);
	v[nv++].code = 1002;
	v[nv].what = "fragmented ping";
	add_frame(&v[nv], 0, 0, WS_OP_PING, "a", 1, true);
	v[nv++].code = 1002;
	v[nv].what = "ping of 126 bytes";
	add_frame(&v[nv], 1, 0, WS_OP_PING, ping126, 126, true);
	v[nv++].code = 1002;
	v[nv].what = "continuation without a start";
	add_frame(&v[nv], 1, 0, WS_OP_CONTINUATION, "x", 1, true);
	v[nv++].code = 1002;
	v[nv].what = "a new text inside a fragmented one";
	add_frame(&v[nv], 0, 0, WS_OP_TEXT, "a", 1, true);
	add_frame(&v[nv], 1, 0, WS_OP_TEXT, "b", 1, true);
	v[nv++].code = 1002;
	v[nv].what = "a length not in its shortest form";
	v[nv].bytes[0] = 0x81;
	v[nv].bytes[1] = 0x80 | 126;
	v[nv].bytes[2] = 0;
	v[nv].bytes[3] = 5;
	memcpy(v[nv].bytes + 4, "\0\0\0\0hello", 9);
	v[nv].len = 13;
	v[nv++].code = 1002;
	v[nv].what = "a close payload of one byte";
	add_frame(&v[nv], 1, 0, WS_OP_CLOSE, "\x03", 1, true);
	v[nv++].code = 1002;
	v[nv].what = "close code 999";
	add_frame(&v[nv], 1, 0, WS_OP_CLOSE, "\x03\xe7", 2, true);
	v[nv++].code = 1002;
	v[nv].what = "close code 1005";
	add_frame(&v[nv], 1, 0, WS_OP_CLOSE, "\x03\xed", 2, true);
	v[nv++].code = 1002;
	v[nv].what = "invalid UTF-8";
	add_frame(&v[nv], 1, 0, WS_OP_TEXT, "ab\xc0\xaf", 4, true);
	v[nv++].code = 1007;
	v[nv].what = "a surrogate in UTF-8";
	add_frame(&v[nv], 1, 0, WS_OP_TEXT, "\xed\xa0\x80", 3, true);
	v[nv++].code = 1007;
	v[nv].what = "invalid UTF-8 in a later fragment";
	add_frame(&v[nv], 0, 0, WS_OP_TEXT, "ok", 2, true);
	add_frame(&v[nv], 1, 0, WS_OP_CONTINUATION, "\xff", 1, true);
	v[nv++].code = 1007;
	v[nv].what = "a message ending inside a code point";
	add_frame(&v[nv], 1, 0, WS_OP_TEXT, "caf\xc3", 4, true);
	v[nv++].code = 1007;
	v[nv].what = "a close reason that is not UTF-8";
	add_frame(&v[nv], 1, 0, WS_OP_CLOSE, "\x03\xe8\xff", 3, true);
	v[nv++].code = 1007;
	v[nv].what = "binary";
	add_frame(&v[nv], 1, 0, WS_OP_BINARY, "\x01\x02", 2, true);
	v[nv++].code = 1003;
	for (size_t i = 0; i < nv; i++) {
		int fd = client(0);
		struct rec *r = &recs[nrecs - 1];

		print_message("%s\n", v[i].what);
		csend(fd, v[i].bytes, v[i].len);
		expect_close(fd, v[i].code);
		close(fd); /* else the server lingers 2 s for our end */
		wait_closed(r, 2000);
		assert_int_equal(r->code, v[i].code);
		assert_int_equal(r->texts, 0);
		nrecs = 0; /* reuse the records */
	}
}

static void
test_too_big(void **state)
{
	static char big[8192];
	int fd;

	(void)state;
	memset(big, 'y', sizeof(big));
	/* one frame over ISACD_WS_MAX_MESSAGE (4096 here) */
	fd = client(0);
	send_frame(fd, 1, WS_OP_TEXT, big, 4097);
	expect_close(fd, WS_CLOSE_TOO_BIG);
	close(fd);
	/* a frame that only announces 2^62 bytes: refused before any */
	fd = client(0);
	{
		uint8_t h[14] = {0x81, 0x80 | 127, 0x40, 0, 0, 0, 0, 0, 0, 0};

		csend(fd, h, 14);
		csend(fd, "xxxx", 4);
		expect_close(fd, WS_CLOSE_TOO_BIG);
	}
	close(fd);
	/* fragments that together pass it */
	fd = client(0);
	send_frame(fd, 0, WS_OP_TEXT, big, 3000);
	send_frame(fd, 1, WS_OP_CONTINUATION, big, 1097);
	expect_close(fd, WS_CLOSE_TOO_BIG);
	close(fd);
	/* too many fragments, however small */
	fd = client(0);
	send_frame(fd, 0, WS_OP_TEXT, "a", 1);
	for (int i = 0; i < WS_MAX_FRAGMENTS + 1; i++)
		send_frame(fd, 0, WS_OP_CONTINUATION, "", 0);
	expect_close(fd, WS_CLOSE_TOO_BIG);
	close(fd);
	assert_int_equal(recs[3].texts, 0);
}

/* ---- closing ------------------------------------------------------------- */

static void
test_client_close_is_echoed(void **state)
{
	int fd;

	(void)state;
	fd = client(0);
	send_frame(fd, 1, WS_OP_CLOSE,
	    "\x03\xe8"
	    "bye",
	    5);
	expect_close(fd, WS_CLOSE_NORMAL);
	assert_int_equal(sf.len, 5); /* the echo carries the reason back */
	close(fd);
	wait_closed(&recs[0], 2000);
	assert_int_equal(recs[0].code, WS_CLOSE_NORMAL);
	/* a close without a code is answered with one without a code */
	fd = client(0);
	send_frame(fd, 1, WS_OP_CLOSE, "", 0);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_CLOSE);
	assert_int_equal(sf.len, 0);
	expect_eof(fd, 2000);
	close(fd);
	wait_closed(&recs[1], 2000);
	assert_int_equal(recs[1].code, WS_CLOSE_NO_STATUS);
	/* data after the client's close is not delivered */
	fd = client(0);
	{
		uint8_t buf[64];
		size_t n = frame(buf, 1, 0, WS_OP_CLOSE, "\x03\xe9", 2, true);

		n += frame(buf + n, 1, 0, WS_OP_TEXT, "late", 4, true);
		csend(fd, buf, n);
	}
	expect_close(fd, WS_CLOSE_GOING_AWAY);
	close(fd);
	wait_closed(&recs[2], 2000);
	assert_int_equal(recs[2].texts, 0);
}

static void
test_server_close_handshake(void **state)
{
	int fd;
	int64_t t0;

	(void)state;
	fd = client(0);
	ws_close(recs[0].ws, WS_CLOSE_GOING_AWAY, "shutting down");
	assert_int_equal(ws_send_text(recs[0].ws, "x", 1), -1);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_CLOSE);
	assert_int_equal((sf.data[0] << 8) | sf.data[1], 1001);
	assert_memory_equal(sf.data + 2, "shutting down", 13);
	/* a message still on its way is not delivered; the reply ends it */
	send_frame(fd, 1, WS_OP_TEXT, "late", 4);
	send_frame(fd, 1, WS_OP_CLOSE, "\x03\xe9", 2);
	expect_eof(fd, 2000);
	close(fd);
	wait_closed(&recs[0], 2000);
	assert_int_equal(recs[0].code, WS_CLOSE_GOING_AWAY);
	assert_int_equal(recs[0].texts, 0);
	/* a client that never answers is dropped after pong_timeout_s */
	fd = client(0);
	t0 = now_ms();
	ws_close(recs[1].ws, WS_CLOSE_POLICY, "session ended");
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_CLOSE);
	expect_eof(fd, 3000);
	assert_true(now_ms() - t0 >= 900);
	close(fd);
	wait_closed(&recs[1], 2000);
	assert_int_equal(recs[1].code, WS_CLOSE_POLICY);
	/* closing from inside on_text, then the client's answer */
	fd = client(0);
	recs[2].close_in_text = true;
	send_frame(fd, 1, WS_OP_TEXT, "bye", 3);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_CLOSE);
	assert_int_equal((sf.data[0] << 8) | sf.data[1], 1000);
	send_frame(fd, 1, WS_OP_CLOSE, "\x03\xe8", 2);
	expect_eof(fd, 2000);
	close(fd);
	wait_closed(&recs[2], 2000);
	assert_int_equal(recs[2].code, WS_CLOSE_NORMAL);
}

/* ---- time and rate ------------------------------------------------------- */

static void
test_ping_then_drop(void **state)
{
	int fd, quiet;
	int64_t t0;

	(void)state;
	opts.ping_s = 1;
	opts.pong_timeout_s = 1;
	/* a client that answers stays */
	fd = client(0);
	t0 = now_ms();
	for (int i = 0; i < 2; i++) {
		assert_int_equal(read_frame(fd, 3000), 0);
		assert_int_equal(sf.op, WS_OP_PING);
		send_frame(fd, 1, WS_OP_PONG, sf.data, sf.len);
	}
	assert_true(now_ms() - t0 >= 1900);
	assert_int_equal(recs[0].closes, 0);
	/* a silent one is pinged, then dropped without a close frame */
	quiet = client(0);
	t0 = now_ms();
	assert_int_equal(read_frame(quiet, 3000), 0);
	assert_int_equal(sf.op, WS_OP_PING);
	expect_eof(quiet, 3000);
	assert_true(now_ms() - t0 >= 1900);
	wait_closed(&recs[1], 1000);
	assert_int_equal(recs[1].code, WS_CLOSE_ABNORMAL);
	close(quiet);
	/* a message begun and never finished: 1008 */
	quiet = client(0);
	csend(quiet, "\x81\x85\x00\x00\x00\x00he", 8);
	expect_close(quiet, WS_CLOSE_POLICY);
	close(quiet);
	close(fd);
	wait_closed(&recs[0], 1000);
}

static void
test_message_rate(void **state)
{
	int fd;

	(void)state;
	opts.msg_rate = 1;
	opts.msg_burst = 3;
	fd = client(0);
	for (int i = 0; i < 5; i++)
		send_frame(fd, 1, WS_OP_TEXT, "{}", 2);
	expect_close(fd, WS_CLOSE_POLICY);
	assert_int_equal(recs[0].texts, 3);
	close(fd);
	/* within the rate: a message a second after the burst is fine */
	fd = client(0);
	for (int i = 0; i < 3; i++)
		send_frame(fd, 1, WS_OP_TEXT, "{}", 2);
	pump(1100);
	send_frame(fd, 1, WS_OP_TEXT, "{}", 2);
	pump(50);
	assert_int_equal(recs[1].texts, 4);
	assert_int_equal(recs[1].closes, 0);
	close(fd);
}

/* ---- output -------------------------------------------------------------- */

static void
test_slow_reader_cut_others_keep_receiving(void **state)
{
	static char payload[4096];
	struct ws_frame *f;
	int slow, fast, sent_fast = 0, got_fast = 0, refused_at = -1;

	(void)state;
	memset(payload, 'e', sizeof(payload));
	slow = client(4096); /* never reads */
	fast = client(0);
	f = ws_frame_text(payload, sizeof(payload));
	for (int i = 0; i < 200; i++) {
		struct conn *c = recs[0].ws ? recs[0].ws->conn : NULL;

		if (recs[0].ws != NULL && refused_at < 0) {
			/* what waits for the slow one never passes the bound */
			assert_true(evbuffer_get_length(conn_output(c)) <=
			    opts.max_queue);
			if (ws_send_frame(recs[0].ws, f) != 0)
				refused_at = i;
			else /* the output holds the frame, not a copy */
				assert_true(ws_frame_refs(f) >= 2);
		}
		assert_int_equal(ws_send_frame(recs[1].ws, f), 0);
		sent_fast++;
		while (got_fast < sent_fast) {
			assert_int_equal(read_frame(fast, 2000), 0);
			assert_int_equal(sf.len, sizeof(payload));
			got_fast++;
		}
	}
	/* cut at about max_queue, well before the 200th */
	assert_true(refused_at > 0 && refused_at < 40);
	assert_int_equal(got_fast, 200);
	/* it never reads: dropped pong_timeout_s later, its code is 1013 */
	wait_closed(&recs[0], 3000);
	assert_int_equal(recs[0].code, WS_CLOSE_TRY_LATER);
	assert_int_equal(recs[1].closes, 0);
	pump(10); /* the reaper frees the slow one's buffers */
	assert_int_equal(ws_frame_refs(f), 1);
	ws_frame_unref(f);
	assert_int_equal(ws_send_text(recs[1].ws, "still here", 10), 0);
	assert_int_equal(read_frame(fast, 2000), 0);
	assert_memory_equal(sf.data, "still here", 10);
	close(slow);
	close(fast);
}

static void
test_output_full_then_drained(void **state)
{
	static char payload[4096];
	int fd, sent = 0, got = 0;
	struct ws *ws;

	(void)state;
	memset(payload, 'r', sizeof(payload));
	fd = client(4096);
	ws = recs[0].ws;
	ws->h = &pacing_handler; /* a replay paces itself */
	drained = 0;
	/* a replay sends while the output is not full */
	while (!ws_output_full(ws)) {
		assert_int_equal(ws_send_text(ws, payload, sizeof(payload)), 0);
		sent++;
		pump(5);
		assert_true(sent < 15); /* ISACD_SEND_LOWAT is 16 KiB */
	}
	assert_true(sent >= 2);
	/* the client reads: on_drained says when to go on */
	while (got < sent) {
		assert_int_equal(read_frame(fd, 2000), 0);
		assert_int_equal(sf.len, sizeof(payload));
		got++;
	}
	pump(20);
	assert_true(drained >= 1);
	assert_false(ws_output_full(ws));
	assert_int_equal(recs[0].closes, 0);
	close(fd);
	wait_closed(&recs[0], 2000);
}

/* ---- the upgrade --------------------------------------------------------- */

static void
attach_cb(struct conn *c, void *arg)
{
	struct rec *r = arg;

	attached++;
	r->echo = true;
	r->ws = ws_attach(c, &opts, &handler, r);
}

static void
abandon_cb(void *arg)
{
	(void)arg;
	abandoned++;
}

static void
upgrade_handler(struct http_req *r)
{
	struct ws_handshake hs;
	int status = ws_handshake_check(&r->head, &hs);

	if (status != 0) {
		if (status == 426)
			http_req_add_header(r, "Sec-WebSocket-Version", "13");
		http_respond_problem(r, status, hs.why);
		return;
	}
	http_req_add_header(r, "Upgrade", "websocket");
	http_req_add_header(r, "Connection", "Upgrade");
	http_req_add_header(r, "Sec-WebSocket-Accept", hs.accept);
	/* queued ahead of the hand-over, which is queued by the upgrade */
	if (upgrade_then == 1)
		event_active(closer, EV_TIMEOUT, 0);
	http_req_upgrade(r, attach_cb, abandon_cb, &recs[nrecs++]);
	if (upgrade_then == 2)
		http_server_drain(http, TAILQ_FIRST(&net->open));
}

static void
closer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	conn_close(TAILQ_FIRST(&net->open));
}

static void
dispatch(struct http_req *r)
{
	r->route->handler(r);
}

static const struct http_route routes[] = {
    {HTTP_GET, "/ws", upgrade_handler, 0, 0},
};

static void
http_up(void)
{
	struct http_server_options ho;

	memset(&ho, 0, sizeof(ho));
	ho.routes = routes;
	ho.nroutes = 1;
	ho.max_header = 8192;
	ho.max_body = 1024;
	ho.header_timeout_s = 5;
	ho.body_timeout_s = 5;
	ho.idle_timeout_s = 5;
	ho.dispatch = dispatch;
	http = http_server_new(&ho);
	net_free(net);
	net = net_up(http_server_accept, http);
}

#define UPGRADE_REQUEST                                                        \
	"GET /ws HTTP/1.1\r\nHost: x\r\n" GOOD_UPGRADE GOOD_KEY GOOD_VERSION   \
	"\r\n"

/* Read a response head; returns its length, the text in head. */
static size_t
read_head(int fd, char *head, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		if (cread(fd, (uint8_t *)head + n, 1, 2000) != 0)
			break;
		n++;
		head[n] = '\0';
		if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
			return n;
	}
	head[n] = '\0';
	return 0;
}

static void
test_upgrade_hands_the_connection_over(void **state)
{
	char head[2048];
	uint8_t buf[4096];
	size_t n;
	int fd;

	(void)state;
	http_up();
	fd = client(0);
	/* a frame sent right behind the request waits for the new protocol */
	n = strlen(UPGRADE_REQUEST);
	memcpy(buf, UPGRADE_REQUEST, n);
	n += frame(buf + n, 1, 0, WS_OP_TEXT, "early", 5, true);
	csend(fd, buf, n);
	assert_true(read_head(fd, head, sizeof(head)) > 0);
	assert_non_null(strstr(head, "HTTP/1.1 101 Switching Protocols\r\n"));
	assert_non_null(
	    strstr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
	assert_non_null(strstr(head, "Upgrade: websocket\r\n"));
	assert_non_null(strstr(head, "Connection: Upgrade\r\n"));
	assert_null(strstr(head, "Content-Length"));
	assert_null(strstr(head, "Connection: close"));
	/* the early frame, echoed by the WebSocket */
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_int_equal(sf.op, WS_OP_TEXT);
	assert_memory_equal(sf.data, "early", 5);
	assert_int_equal(attached, 1);
	assert_int_equal(abandoned, 0);
	assert_non_null(ws_of(TAILQ_FIRST(&net->open)));
	/* a graceful stop of the HTTP server leaves the socket alone */
	http_server_drain(http, TAILQ_FIRST(&net->open));
	send_frame(fd, 1, WS_OP_TEXT, "after", 5);
	assert_int_equal(read_frame(fd, 2000), 0);
	assert_memory_equal(sf.data, "after", 5);
	send_frame(fd, 1, WS_OP_CLOSE, "\x03\xe8", 2);
	expect_close(fd, WS_CLOSE_NORMAL);
	close(fd);
	wait_closed(&recs[0], 2000);
	assert_int_equal(recs[0].code, WS_CLOSE_NORMAL);
}

static void
test_upgrade_refused_stays_http(void **state)
{
	char head[2048];
	int fd;
	const char *req =
	    "GET /ws HTTP/1.1\r\nHost: x\r\n" GOOD_UPGRADE GOOD_KEY
	    "Sec-WebSocket-Version: 8\r\n\r\n";

	(void)state;
	http_up();
	fd = client(0);
	csend(fd, req, strlen(req));
	assert_true(read_head(fd, head, sizeof(head)) > 0);
	assert_non_null(strstr(head, "HTTP/1.1 426 "));
	assert_non_null(strstr(head, "Sec-WebSocket-Version: 13\r\n"));
	assert_int_equal(attached + abandoned, 0);
	close(fd);
}

static void
test_upgrade_abandoned(void **state)
{
	char head[2048];
	int fd;

	(void)state;
	http_up();
	/* the connection closes between the 101 and the hand-over */
	closer = event_new(base, -1, 0, closer_cb, NULL);
	upgrade_then = 1;
	fd = client(0);
	csend(fd, UPGRADE_REQUEST, strlen(UPGRADE_REQUEST));
	pump(50);
	assert_int_equal(abandoned, 1);
	assert_int_equal(attached, 0);
	event_free(closer);
	close(fd);
	/* the server began draining: the 101 goes out, then the end */
	upgrade_then = 2;
	fd = client(0);
	csend(fd, UPGRADE_REQUEST, strlen(UPGRADE_REQUEST));
	assert_true(read_head(fd, head, sizeof(head)) > 0);
	assert_non_null(strstr(head, "HTTP/1.1 101 "));
	expect_eof(fd, 2000);
	assert_int_equal(abandoned, 2);
	assert_int_equal(attached, 0);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_rfc_sample),
	    cmocka_unit_test(test_handshake_refusals),
	    cmocka_unit_test(test_origin),
	    cmocka_unit_test(test_origins_setting),
	    cmocka_unit_test_setup_teardown(
	        test_text_whole_and_context_released, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_violations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_big, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_client_close_is_echoed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_server_close_handshake, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ping_then_drop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_message_rate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_slow_reader_cut_others_keep_receiving, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_output_full_then_drained, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_upgrade_hands_the_connection_over, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_upgrade_refused_stays_http, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_upgrade_abandoned, setup, teardown),
	};

	return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
