/*
 * ws.c - one WebSocket per upgraded connection, over libwslay's event API.
 *
 *   OPEN --our close--> CLOSE_SENT --client's close--> ENDING --written--> gone
 *     |                     |                            ^
 *     +--client's close, or a violation (close sent)-----+
 *
 * Reading.  wslay's recv callback takes bytes from the connection's input
 * buffer until it is empty (WSLAY_ERR_WOULDBLOCK), so input never piles up
 * in libevent.  wslay checks masking, opcodes, reserved bits, control-frame
 * rules, fragment order, UTF-8 (incrementally, so a bad byte fails at once)
 * and the message size, and queues the close frame with the right code.
 * What it leaves to us we check when a frame starts: binary (1003), the rate
 * (1008), the number of fragments (1009) and a one-byte close payload
 * (1002).  wslay answers pings and echoes the client's close itself.  Its
 * frame layer reports some violations (a fragmented or oversized control
 * frame, a length not in its shortest form) as an error with an empty close
 * queued; we replace that close with a 1002 of our own.
 *
 * Writing.  Every close we send ourselves (a violation we found, ws_close,
 * 1013) is written directly and wslay's writing is shut down, so nothing of
 * wslay's can follow our close; data frames are written directly too,
 * whole.  wslay's own frames (pongs, its closes) are flushed by
 * wslay_event_send() right after each wslay_event_recv(), whose send
 * callback appends them to the output buffer whole and never blocks: so
 * outside those two calls wslay holds nothing unsent, and a data frame can
 * never land inside a control frame.  Data frames are held to max_queue
 * (ws_admit); pongs are not: the message rate bounds them, and the
 * connection's write timeout and minimum send rate cut a client that takes
 * nothing.
 *
 * The lazy context.  A wslay event context holds a frame context with a
 * 4 KiB input buffer and a 4 KiB output buffer: about 8.6 KiB, five times
 * what an idle connection costs.  So a socket has one only while it reads:
 * it is made when input arrives and freed when nothing is partial, that is
 * when no frame is open, no fragmented message is in progress, and every
 * byte handed to wslay belongs to a frame it began (`fed` == `framed`: a
 * frame's size on the wire follows from its payload length, since client
 * frames are masked and wslay refuses lengths not in their shortest form).
 * A fresh context is then in exactly the state the old one was.
 *
 * Freeing.  conn_close() runs our on_close at once; when that happens inside
 * wslay_event_recv (a user callback that closed the connection), the socket
 * is only marked gone, and freed when wslay returns.
 *
 * Time.  The connection's one timer carries whichever deadline applies: the
 * next ping (ping_s after the last input), the drop (pong_timeout_s after
 * the ping), a message begun and not finished (pong_timeout_s), the
 * client's answer to our close (pong_timeout_s), or our last frame being
 * taken (pong_timeout_s).  It is set from the state after each input and
 * at each deadline, which looks at when input last came.
 */
#include "ws/ws.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <wslay/wslay.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "net/conn.h"
#include "ws/ws_frame.h"

/*
 * Fragments one message may come in.  wslay keeps each fragment as its own
 * allocation (about 100 bytes of bookkeeping), so a message of 1-byte
 * fragments would cost a hundred times its size; with this cap the
 * bookkeeping of a message stays under 26 KiB.  Clients fragment rarely
 * (browsers never do); a message split into more pieces is closed with 1009.
 */
#define WS_MAX_FRAGMENTS 256

enum ws_state {
	WS_OPEN,       /* messages flow both ways */
	WS_CLOSE_SENT, /* our close is written; waiting for the client's */
	WS_ENDING,     /* no more frames: the connection closes once written */
};

struct ws {
	struct conn *conn;
	const struct ws_options *o;
	const struct ws_handler *h;
	void *arg;
	wslay_event_context_ptr ctx; /* NULL while nothing is being read */
	int64_t last_rx_ms;          /* when the client last sent a byte */
	int64_t since_ms; /* the ping, our close, or a message began */
	int64_t tokens_ms;
	double tokens;   /* the message rate's token bucket */
	uint32_t fed;    /* bytes handed to wslay, modulo 2^32 */
	uint32_t framed; /* bytes of the frames wslay began, modulo 2^32 */
	uint16_t code;   /* why the socket ends; 0 until decided */
	uint16_t fragments;
	uint8_t state;   /* enum ws_state */
	bool ping_out;   /* pinged, no input since */
	bool frame_open; /* wslay began a frame and has not ended it */
	bool in_message; /* a fragmented text message is in progress */
	bool in_wslay;   /* inside wslay_event_recv */
	bool gone;       /* the connection closed inside wslay */
};

static void ws_conn_read(struct conn *c);
static void ws_conn_drained(struct conn *c);
static void ws_conn_deadline(struct conn *c);
static void ws_conn_close(struct conn *c);
static void ws_ctx_new(struct ws *ws);
static void ws_ctx_free(struct ws *ws);
static void ws_flush(struct ws *ws);
static void ws_release_if_idle(struct ws *ws);
static int ws_admit(struct ws *ws, size_t n);
static void ws_fail(struct ws *ws, uint16_t code, const char *reason);
static void ws_end(struct ws *ws);
static void ws_arm(struct ws *ws);
static void ws_set_code(struct ws *ws, uint16_t code);
static void ws_write_close(struct ws *ws, uint16_t code, const char *reason);
static bool ws_take_token(struct ws *ws, int64_t now);
static int64_t ws_now_ms(void);
static ssize_t ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    int flags, void *user);
static ssize_t ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data,
    size_t len, int flags, void *user);
static void ws_on_frame_start(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user);
static void ws_on_frame_end(wslay_event_context_ptr ctx, void *user);
static void ws_on_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user);

static const struct conn_proto ws_proto = {
    .on_read = ws_conn_read,
    .on_drained = ws_conn_drained,
    .on_deadline = ws_conn_deadline,
    .on_close = ws_conn_close,
};

static const struct wslay_event_callbacks ws_wslay_callbacks = {
    .recv_callback = ws_recv_cb,
    .send_callback = ws_send_cb,
    .on_frame_recv_start_callback = ws_on_frame_start,
    .on_frame_recv_end_callback = ws_on_frame_end,
    .on_msg_recv_callback = ws_on_msg,
};

struct ws *
ws_attach(struct conn *c, const struct ws_options *o,
    const struct ws_handler *h, void *arg)
{
	struct ws *ws = xcalloc(1, sizeof(*ws));
	int64_t now = ws_now_ms();

	ws->conn = c;
	ws->o = o;
	ws->h = h;
	ws->arg = arg;
	ws->last_rx_ms = now;
	ws->tokens = o->msg_burst;
	ws->tokens_ms = now;
	ws->state = WS_OPEN;
	conn_set_proto(c, &ws_proto, ws);
	ws_arm(ws);
	/* frames the client sent right after its request: read them soon */
	if (evbuffer_get_length(conn_input(c)) > 0)
		bufferevent_trigger(c->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	return ws;
}

int
ws_send_text(struct ws *ws, const char *text, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_header(hdr, WS_OP_TEXT, len);
	struct evbuffer *out;

	if (ws_admit(ws, hl + len) != 0)
		return -1;
	out = conn_output(ws->conn);
	evbuffer_add(out, hdr, hl);
	evbuffer_add(out, text, len);
	return 0;
}

int
ws_send_frame(struct ws *ws, struct ws_frame *f)
{
	if (ws_admit(ws, ws_frame_size(f)) != 0)
		return -1;
	ws_frame_add(f, conn_output(ws->conn));
	return 0;
}

bool
ws_output_full(struct ws *ws)
{
	return ws->state != WS_OPEN || conn_output_full(ws->conn);
}

void
ws_close(struct ws *ws, uint16_t code, const char *reason)
{
	if (ws->state != WS_OPEN || ws->gone)
		return;
	ws_set_code(ws, code);
	ws_write_close(ws, code, reason);
	ws->state = WS_CLOSE_SENT;
	ws->since_ms = ws_now_ms();
	if (ws->ctx != NULL)
		wslay_event_shutdown_write(ws->ctx);
	if (!ws->in_wslay)
		ws_arm(ws);
}

struct ws *
ws_of(struct conn *c)
{
	return c->proto == &ws_proto ? c->proto_data : NULL;
}

const char *
ws_peer(const struct ws *ws)
{
	return ws->conn->peer;
}

/* ---- the connection's protocol ------------------------------------------ */

static void
ws_conn_read(struct conn *c)
{
	struct ws *ws = c->proto_data;
	struct evbuffer *in = conn_input(c);
	int rv;

	if (evbuffer_get_length(in) == 0)
		return;
	ws->last_rx_ms = ws_now_ms();
	ws->ping_out = false;
	if (ws->state == WS_ENDING) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (ws->ctx == NULL) {
		ws_ctx_new(ws);
		ws->since_ms = ws->last_rx_ms;
	}
	ws->in_wslay = true;
	rv = wslay_event_recv(ws->ctx);
	ws->in_wslay = false;
	if (ws->gone) {
		ws_ctx_free(ws);
		free(ws);
		return;
	}
	if (rv == WSLAY_ERR_NOMEM)
		fatal("wslay: out of memory");
	if (rv != 0) /* the frame layer refused a frame: see the top */
		ws_fail(ws, WS_CLOSE_PROTOCOL, "malformed frame");
	ws_flush(ws);
}

static void
ws_conn_drained(struct conn *c)
{
	struct ws *ws = c->proto_data;

	if (ws->state == WS_OPEN && ws->h->on_drained != NULL)
		ws->h->on_drained(ws, ws->arg);
}

static void
ws_conn_deadline(struct conn *c)
{
	struct ws *ws = c->proto_data;
	int64_t now = ws_now_ms(), silent = now - ws->last_rx_ms;
	int64_t ping_ms = (int64_t)ws->o->ping_s * 1000;
	int64_t pong_ms = (int64_t)ws->o->pong_timeout_s * 1000;

	switch (ws->state) {
	case WS_ENDING: /* the client does not take our last frame */
		conn_close(c);
		return;
	case WS_CLOSE_SENT:
		if (now - ws->since_ms >= pong_ms) {
			conn_close(c); /* no answer to our close */
			return;
		}
		break;
	default:
		if (ws->ctx != NULL) {
			if (now - ws->since_ms >= pong_ms) {
				ws_fail(ws, WS_CLOSE_POLICY,
				    "message not finished in time");
				return;
			}
		} else if (silent >= ping_ms + pong_ms) {
			log_debug("ws %s: silent for %lld ms, dropped", c->peer,
			    (long long)silent);
			conn_close(c);
			return;
		} else if (silent >= ping_ms && !ws->ping_out) {
			uint8_t ping[2] = {0x80u | WS_OP_PING, 0};

			evbuffer_add(conn_output(c), ping, sizeof(ping));
			ws->ping_out = true;
		}
		break;
	}
	ws_arm(ws);
}

static void
ws_conn_close(struct conn *c)
{
	struct ws *ws = c->proto_data;

	if (ws == NULL)
		return;
	ws->h->on_close(ws, ws->code ? ws->code : WS_CLOSE_ABNORMAL, ws->arg);
	if (ws->in_wslay) {
		ws->gone = true; /* freed when wslay returns */
		return;
	}
	ws_ctx_free(ws);
	free(ws);
}

/* ---- wslay's context ---------------------------------------------------- */

static void
ws_ctx_new(struct ws *ws)
{
	if (wslay_event_context_server_init(
	        &ws->ctx, &ws_wslay_callbacks, ws) != 0)
		fatal("wslay: out of memory");
	wslay_event_config_set_max_recv_msg_length(
	    ws->ctx, (uint64_t)ws->o->max_message);
	ws->fed = ws->framed = 0;
	ws->frame_open = ws->in_message = false;
	if (ws->state != WS_OPEN) /* our close is out: wslay sends nothing */
		wslay_event_shutdown_write(ws->ctx);
}

static void
ws_ctx_free(struct ws *ws)
{
	if (ws->ctx != NULL) {
		wslay_event_context_free(ws->ctx);
		ws->ctx = NULL;
	}
}

/* After input: write what wslay queued, then see where the socket stands. */
static void
ws_flush(struct ws *ws)
{
	if (ws->ctx != NULL && wslay_event_get_write_enabled(ws->ctx) &&
	    wslay_event_send(ws->ctx) != 0)
		fatal("wslay: out of memory");
	if (ws->ctx != NULL && !wslay_event_get_read_enabled(ws->ctx)) {
		/* the client's close (answered), or a violation wslay found */
		if (wslay_event_get_close_received(ws->ctx))
			ws_set_code(
			    ws, wslay_event_get_status_code_received(ws->ctx));
		else
			ws_set_code(
			    ws, wslay_event_get_status_code_sent(ws->ctx));
		ws->state = WS_ENDING;
	}
	if (ws->state == WS_ENDING) {
		ws_end(ws);
		return;
	}
	ws_release_if_idle(ws);
	ws_arm(ws);
}

static void
ws_release_if_idle(struct ws *ws)
{
	if (ws->ctx == NULL || ws->state != WS_OPEN || ws->frame_open ||
	    ws->in_message || ws->fed != ws->framed ||
	    wslay_event_want_write(ws->ctx) ||
	    evbuffer_get_length(conn_input(ws->conn)) > 0)
		return;
	ws_ctx_free(ws);
}

/* ---- closing ------------------------------------------------------------- */

/* May a data frame of n bytes be queued?  Closes with 1013 when not. */
static int
ws_admit(struct ws *ws, size_t n)
{
	size_t unsent;

	if (ws->state != WS_OPEN || ws->gone)
		return -1;
	/*
	 * A frame larger than the bound still goes when nothing waits, so
	 * one large event cannot shut out a reader that keeps up.
	 */
	unsent = conn_unsent(ws->conn);
	if (unsent > 0 && unsent + n > ws->o->max_queue) {
		ws_fail(ws, WS_CLOSE_TRY_LATER, "reading too slowly");
		return -1;
	}
	return 0;
}

/*
 * Fail the connection (RFC 6455 §7.1.7): our close goes out now (unless one
 * went already), nothing follows it, and the connection closes once it is
 * written.  Inside wslay_event_recv the ending waits for ws_flush().
 */
static void
ws_fail(struct ws *ws, uint16_t code, const char *reason)
{
	if (ws->state == WS_ENDING || ws->gone)
		return;
	ws_set_code(ws, code);
	if (ws->state == WS_OPEN)
		ws_write_close(ws, code, reason);
	ws->state = WS_ENDING;
	if (ws->ctx != NULL) {
		wslay_event_shutdown_read(ws->ctx);
		wslay_event_shutdown_write(ws->ctx);
	}
	if (!ws->in_wslay)
		ws_end(ws);
}

/* No more frames either way: close once our output is written. */
static void
ws_end(struct ws *ws)
{
	struct conn *c = ws->conn;

	ws->state = WS_ENDING;
	ws_ctx_free(ws);
	if (c->close_when_drained)
		return;
	ws->since_ms = ws_now_ms();
	/* first the deadline: a lingering close sets its own */
	conn_set_deadline(c, (int64_t)ws->o->pong_timeout_s * 1000);
	conn_close_after_write(c);
}

static void
ws_set_code(struct ws *ws, uint16_t code)
{
	if (ws->code == 0)
		ws->code = code;
}

static void
ws_write_close(struct ws *ws, uint16_t code, const char *reason)
{
	uint8_t frame[2 + 125];
	size_t rlen = reason ? strlen(reason) : 0;

	if (rlen > 123) { /* a control frame's payload is at most 125 bytes */
		rlen = 123;
		while (rlen > 0 && ((uint8_t)reason[rlen] & 0xc0) == 0x80)
			rlen--; /* not inside a UTF-8 sequence */
	}
	frame[0] = 0x80u | WS_OP_CLOSE;
	frame[1] = (uint8_t)(2 + rlen);
	frame[2] = (uint8_t)(code >> 8);
	frame[3] = (uint8_t)code;
	if (rlen > 0)
		memcpy(frame + 4, reason, rlen);
	evbuffer_add(conn_output(ws->conn), frame, 4 + rlen);
	log_debug("ws %s: closing with %u", ws->conn->peer, code);
}

/* Set the connection's timer to the deadline the state calls for. */
static void
ws_arm(struct ws *ws)
{
	int64_t now = ws_now_ms(), at;
	int64_t ping_ms = (int64_t)ws->o->ping_s * 1000;
	int64_t pong_ms = (int64_t)ws->o->pong_timeout_s * 1000;

	if (ws->state == WS_ENDING || ws->gone)
		return; /* ws_end set it */
	if (ws->state == WS_CLOSE_SENT || ws->ctx != NULL)
		at = ws->since_ms + pong_ms;
	else if (ws->ping_out)
		at = ws->last_rx_ms + ping_ms + pong_ms;
	else
		at = ws->last_rx_ms + ping_ms;
	conn_set_deadline(ws->conn, at > now ? at - now : 1);
}

/* One message (or control frame) from the client: is it within the rate? */
static bool
ws_take_token(struct ws *ws, int64_t now)
{
	double t = ws->tokens +
	    (double)(now - ws->tokens_ms) * ws->o->msg_rate / 1000.0;

	ws->tokens = t < ws->o->msg_burst ? t : ws->o->msg_burst;
	ws->tokens_ms = now;
	if (ws->tokens < 1.0)
		return false;
	ws->tokens -= 1.0;
	return true;
}

static int64_t
ws_now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* ---- wslay's callbacks --------------------------------------------------- */

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *user)
{
	struct ws *ws = user;
	int n;

	(void)flags;
	if (ws->gone ||
	    (n = evbuffer_remove(conn_input(ws->conn), buf, len)) <= 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	ws->fed += (uint32_t)n;
	return n;
}

/* wslay's frames (pongs, its closes): appended whole, never blocking. */
static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *user)
{
	struct ws *ws = user;

	(void)ctx;
	(void)flags;
	if (evbuffer_add(conn_output(ws->conn), data, len) != 0)
		fatal("evbuffer_add failed");
	return (ssize_t)len;
}

static void
ws_on_frame_start(wslay_event_context_ptr ctx,
    const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
	struct ws *ws = user;
	uint64_t len = arg->payload_length;
	int64_t now;

	(void)ctx;
	/* masked (wslay refused it otherwise), shortest length form */
	ws->framed += (uint32_t)(6 +
	    (len < 126            ? 0
	            : len < 65536 ? 2
	                          : 8) +
	    len);
	ws->frame_open = true;
	if (ws->gone || ws->state != WS_OPEN)
		return;
	now = ws_now_ms();
	switch (arg->opcode) {
	case WSLAY_BINARY_FRAME:
		/* the protocol is JSON text; binary is unsupported data */
		ws_fail(ws, WS_CLOSE_UNSUPPORTED,
		    "binary messages are not accepted: send JSON text");
		return;
	case WSLAY_TEXT_FRAME:
		ws->in_message = !arg->fin;
		ws->fragments = 1;
		break;
	case WSLAY_CONTINUATION_FRAME:
		if (++ws->fragments > WS_MAX_FRAGMENTS) {
			ws_fail(ws, WS_CLOSE_TOO_BIG,
			    "a message in too many fragments");
			return;
		}
		if (arg->fin)
			ws->in_message = false;
		return; /* the message was counted at its start */
	case WSLAY_CONNECTION_CLOSE:
		if (len == 1) { /* a code is two bytes */
			ws_fail(ws, WS_CLOSE_PROTOCOL, "malformed close");
			return;
		}
		return; /* a close is never refused for the rate */
	default:
		break;
	}
	if (!ws_take_token(ws, now))
		ws_fail(ws, WS_CLOSE_POLICY, "message rate exceeded");
}

static void
ws_on_frame_end(wslay_event_context_ptr ctx, void *user)
{
	struct ws *ws = user;

	(void)ctx;
	ws->frame_open = false;
}

static void
ws_on_msg(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
	struct ws *ws = user;

	if (arg->opcode != WSLAY_TEXT_FRAME)
		return; /* ping, pong and close: wslay has answered */
	/* the next message's time starts now */
	ws->since_ms = ws_now_ms();
	if (ws->gone || ws->state != WS_OPEN ||
	    !wslay_event_get_read_enabled(ctx))
		return;
	/* pongs for pings that came before this message go out before
	 * anything sent in answer to it */
	if (wslay_event_send(ctx) != 0)
		fatal("wslay: out of memory");
	/* wslay passes NULL for an empty message */
	ws->h->on_text(ws, arg->msg ? (const char *)arg->msg : "",
	    arg->msg_length, ws->arg);
}
