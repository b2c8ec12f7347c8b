/*
 * fuzz_ws.c - libFuzzer target for the WebSocket handshake and frame path.
 *
 * The input is what a client sends on a new connection.  When it begins
 * with "GET ", the bytes up to the end of the head are a request: parsed,
 * then checked as an opening handshake and for its Origin, and the answers
 * checked for consistency.  What follows (or the whole input otherwise) is
 * fed as frames into a WebSocket attached to one end of a socketpair, in
 * slices of varying size, through the on_read the loop would call.  The
 * user of the layer echoes each message, sends a shared broadcast frame
 * every third one, and closes when a message begins with "close".  Small
 * limits make the message size, queue bound and rate reachable.
 *
 * Checked: a message handed up is valid UTF-8 and within the limit;
 * on_close runs exactly once; what the server wrote is a sequence of whole
 * server frames (final, unmasked, no reserved bits, known opcodes, control
 * frames of at most 125 bytes, a close payload of 0 or 2+ bytes with a
 * code a server may send) with nothing after the close.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "core/codec.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/http_parser.h"
#include "net/net_internal.h"
#include "ws/ws.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_state {
	struct ws *ws;
	struct ws_frame *shared;
	int texts;
	int closes;
	uint16_t code;
};

static void fuzz_on_text(
    struct ws *ws, const char *text, size_t len, void *arg);
static void fuzz_on_close(struct ws *ws, uint16_t code, void *arg);

static const struct ws_handler fuzz_handler = {
    .on_text = fuzz_on_text,
    .on_close = fuzz_on_close,
};

static const struct ws_options fuzz_opts = {
    .max_message = 1024,
    .max_queue = 4096,
    .ping_s = 1,
    .pong_timeout_s = 1,
    .msg_rate = 1,
    .msg_burst = 20,
};

static struct event_base *fuzz_base;
static struct net *fuzz_net;

/* Valid UTF-8, NUL bytes allowed (codec_utf8_valid refuses them). */
static bool
fuzz_utf8(const char *s, size_t n)
{
	while (n > 0) {
		const char *nul = memchr(s, '\0', n);
		size_t part = nul ? (size_t)(nul - s) : n;

		if (!codec_utf8_valid(s, part))
			return false;
		if (nul == NULL)
			break;
		s += part + 1;
		n -= part + 1;
	}
	return true;
}

static void
fuzz_on_text(struct ws *ws, const char *text, size_t len, void *arg)
{
	struct fuzz_state *st = arg;

	assert(ws == st->ws && text != NULL);
	assert(len <= fuzz_opts.max_message);
	assert(fuzz_utf8(text, len));
	st->texts++;
	ws_send_text(ws, text, len);
	if (st->texts % 3 == 0)
		ws_send_frame(ws, st->shared);
	if (len >= 5 && memcmp(text, "close", 5) == 0) {
		char reason[200];
		size_t n =
		    len - 5 < sizeof(reason) - 1 ? len - 5 : sizeof(reason) - 1;

		memcpy(reason, text + 5, n); /* cut anywhere: ws_close mends */
		reason[n] = '\0';
		ws_close(ws, WS_CLOSE_NORMAL, reason);
	}
}

static void
fuzz_on_close(struct ws *ws, uint16_t code, void *arg)
{
	struct fuzz_state *st = arg;

	assert(ws == st->ws);
	st->closes++;
	st->code = code;
}

static void
fuzz_reap(evutil_socket_t fd, short what, void *arg)
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

static void
fuzz_init(void)
{
	if (fuzz_base != NULL)
		return;
	log_set_level(LOGL_ERROR); /* a socketpair has no TCP options */
	fuzz_base = event_base_new();
	fuzz_net = xcalloc(1, sizeof(*fuzz_net));
	fuzz_net->base = fuzz_base;
	fuzz_net->max_conns = 16;
	fuzz_net->write_timeout_s = 30;
	fuzz_net->send_window_s = 10;
	fuzz_net->send_lowat = 16384;
	TAILQ_INIT(&fuzz_net->open);
	TAILQ_INIT(&fuzz_net->dead);
	fuzz_net->reaper = event_new(fuzz_base, -1, 0, fuzz_reap, fuzz_net);
}

static void
fuzz_handshake(const char *buf, size_t len)
{
	static const struct http_limits lim = {8192, HTTP_MAX_HEADERS};
	struct ws_handshake hs;
	struct http_head h;
	const char *why;
	int status;

	if (http_parse_head(buf, len, &lim, &h, &why) != 0)
		return;
	status = ws_handshake_check(&h, &hs);
	if (status == 0) {
		const struct http_header *key =
		    http_head_get(&h, "sec-websocket-key");
		char again[WS_ACCEPT_SIZE];

		assert(h.method == HTTP_GET && key != NULL &&
		    key->value_len == 24);
		assert(strlen(hs.accept) == WS_ACCEPT_SIZE - 1);
		ws_handshake_accept(key->value, key->value_len, again);
		assert(strcmp(again, hs.accept) == 0);
	} else {
		assert(status == 400 || status == 426);
		assert(hs.why != NULL);
	}
	if (http_head_get(&h, "origin") == NULL)
		assert(ws_origin_allowed(&h, false, "https://a.example"));
	else
		ws_origin_allowed(
		    &h, h.minor == 1, "https://a.example, http://b:8080");
}

/* What the server wrote: whole server frames, nothing after a close. */
static void
fuzz_check_output(struct evbuffer *out)
{
	size_t n = evbuffer_get_length(out), i = 0;
	const uint8_t *b = evbuffer_pullup(out, -1);
	bool closed = false;

	while (i < n) {
		uint64_t len;
		unsigned op;

		assert(!closed);
		assert(i + 2 <= n);
		op = b[i] & 0x0f;
		assert((b[i] & 0xf0) == 0x80);  /* final, no reserved bits */
		assert((b[i + 1] & 0x80) == 0); /* unmasked */
		len = b[i + 1] & 0x7f;
		i += 2;
		if (len == 126) {
			assert(i + 2 <= n);
			len = (uint64_t)b[i] << 8 | b[i + 1];
			i += 2;
		} else if (len == 127) {
			assert(i + 8 <= n);
			len = 0;
			for (int k = 0; k < 8; k++)
				len = len << 8 | b[i + k];
			i += 8;
		}
		assert(len <= n - i);
		switch (op) {
		case WS_OP_TEXT:
			assert(fuzz_utf8((const char *)b + i, len));
			break;
		case WS_OP_CLOSE:
			assert(len == 0 || len >= 2);
			if (len >= 2) {
				unsigned code = (unsigned)b[i] << 8 | b[i + 1];

				assert((code >= 1000 && code <= 1013 &&
				           code != 1004 && code != 1005 &&
				           code != 1006) ||
				    (code >= 3000 && code <= 4999));
				assert(fuzz_utf8(
				    (const char *)b + i + 2, len - 2));
			}
			closed = true;
			/* fall through */
		case WS_OP_PING:
		case WS_OP_PONG:
			assert(len <= 125);
			break;
		default:
			assert(0 && "an opcode a server never sends");
		}
		i += (size_t)len;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage sa;
	struct fuzz_state st;
	struct conn *c;
	size_t off = 0, from = 0;
	uint32_t seed = (uint32_t)size * 2654435761u;
	int sv[2];

	if (size > 1 << 18)
		return 0;
	fuzz_init();
	if (size >= 4 && memcmp(data, "GET ", 4) == 0) {
		off = http_head_end((const char *)data, size, &from);
		if (off > 0)
			fuzz_handshake((const char *)data, off);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.ss_family = AF_UNIX;
	c = conn_new(fuzz_net, sv[0], (struct sockaddr *)&sa);
	assert(c != NULL);
	memset(&st, 0, sizeof(st));
	st.shared = ws_frame_text("{\"type\":\"event\",\"seq\":1}", 25);
	st.ws = ws_attach(c, &fuzz_opts, &fuzz_handler, &st);
	while (off < size && !c->closing && !c->close_when_drained) {
		size_t slice;

		seed = seed * 1103515245u + 12345u;
		slice = 1 + (seed >> 16) % 700;
		if (slice > size - off)
			slice = size - off;
		evbuffer_add(conn_input(c), data + off, slice);
		off += slice;
		c->proto->on_read(c);
	}
	if (!c->closing && !c->close_when_drained)
		c->proto->on_deadline(c); /* whichever deadline applies */
	fuzz_check_output(conn_output(c));
	conn_close(c); /* a no-op when a deadline closed it */
	assert(st.closes == 1);
	assert(st.code >= 1000 && st.code <= 4999);
	ws_frame_unref(st.shared);
	close(sv[1]);
	event_base_loop(fuzz_base, EVLOOP_NONBLOCK); /* the reaper */
	return 0;
}
