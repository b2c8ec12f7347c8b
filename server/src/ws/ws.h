/*
 * ws.h - a WebSocket over an upgraded connection: messages in, frames out.
 *
 * After the 101 (http_req_upgrade), ws_attach() installs this protocol on
 * the same struct conn.  Frames are read with libwslay's event API; the
 * user of the layer (the realtime core) sees only whole, valid UTF-8 text
 * messages (on_text) and the end of the socket (on_close).  Everything a
 * client may get wrong closes the socket with the code RFC 6455 gives it:
 *
 *   1002 unmasked frame, reserved opcode or bits, fragmented or oversized
 *        control frame, continuation without a start, bad close payload
 *   1003 a binary message (the protocol is JSON text)
 *   1007 invalid UTF-8 in a text message or a close reason
 *   1008 messages faster than the rate allows, or a message begun and not
 *        finished within pong_timeout_s
 *   1009 a message over max_message bytes, or in too many fragments
 *   1013 the client reads too slowly: its unsent output passed max_queue
 *
 * A socket that sends nothing for ping_s is pinged; one that still sends
 * nothing (not even the pong) for pong_timeout_s more is dropped.  Our close
 * frame waits pong_timeout_s for the client's; after a failure, or once the
 * client's close is answered, the connection closes when our last frame is
 * written.
 *
 * Output: data frames are written straight into the connection's output
 * buffer, whole, never interleaved with the control frames (pong, close)
 * that wslay writes.  What waits for one client, in our buffer and unsent in
 * the kernel (conn_unsent), is bounded by max_queue: a send that would pass
 * it closes the socket with 1013 instead, so a slow consumer never grows our
 * memory while every other socket keeps receiving.
 *
 * Memory: an idle socket is a struct conn plus a small struct ws.  wslay's
 * context (two 4 KiB buffers) exists only while a message is being read: it
 * is made when input arrives and freed once nothing is partial or queued.
 */
#ifndef ISACD_WS_WS_H
#define ISACD_WS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct ws;
struct ws_frame;

/** Close codes (RFC 6455 §7.4.1) isacd sends or reports. */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001, /* the server is shutting down */
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005, /* reported only: close without a code */
	WS_CLOSE_ABNORMAL = 1006,  /* reported only: no close handshake */
	WS_CLOSE_INVALID_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
	WS_CLOSE_TRY_LATER = 1013, /* a slow consumer */
};

struct ws_options {
	size_t max_message; /* largest client message (ISACD_WS_MAX_MESSAGE) */
	size_t max_queue;   /* unsent bytes per socket (ISACD_WS_MAX_QUEUE) */
	int ping_s;         /* silence before a ping (ISACD_WS_PING_S) */
	int pong_timeout_s; /* ISACD_WS_PONG_TIMEOUT_S */
	double msg_rate;    /* client messages per second (ISACD_WS_MSG_RATE) */
	double msg_burst;   /* ... in a burst (ISACD_WS_MSG_BURST) */
};

struct ws_handler {
	/**
	 * A whole text message: valid UTF-8 (it may hold NUL bytes), not
	 * NUL-terminated, readable during the call only.  The callee may
	 * send and close; it is never called once the socket is closing.
	 */
	void (*on_text)(struct ws *ws, const char *text, size_t len, void *arg);
	/**
	 * Optional: the output drained, or, after ws_output_full() said true,
	 * the kernel's share fell; ask ws_output_full() again.
	 */
	void (*on_drained)(struct ws *ws, void *arg);
	/**
	 * The socket is gone: code is the close code that ended it (ours,
	 * the client's, 1005 for a close without one, 1006 for none at all).
	 * Called once, from the loop, never inside a ws_* call; ws is freed
	 * when it returns, so drop every pointer to it here.
	 */
	void (*on_close)(struct ws *ws, uint16_t code, void *arg);
};

/**
 * Install the WebSocket protocol on an upgraded connection (the attach
 * callback of http_req_upgrade).  o and h are not copied and must outlive
 * the socket; arg is passed to every callback.  Input already buffered is
 * read from the loop, after this returns.
 */
struct ws *ws_attach(struct conn *c, const struct ws_options *o,
    const struct ws_handler *h, void *arg);
/**
 * Send text[0..len) (valid UTF-8, copied) as one text frame.  0 when queued;
 * -1 when the socket is closing, or when the frame would pass max_queue, in
 * which case the socket is being closed with 1013.
 */
int ws_send_text(struct ws *ws, const char *text, size_t len);
/**
 * Send a frame made once for many sockets (ws_frame.h); the output holds it
 * by reference, not a copy.  0 or -1 as ws_send_text; the caller keeps its
 * own reference either way.
 */
int ws_send_frame(struct ws *ws, struct ws_frame *f);
/**
 * True while what waits for this client reaches ISACD_SEND_LOWAT: hold
 * further sends that can wait (a replay) until on_drained.
 */
bool ws_output_full(struct ws *ws);
/**
 * Begin the close handshake with code and a reason (cut to 123 bytes; valid
 * UTF-8).  Nothing more is sent; the client's close (or pong_timeout_s)
 * ends the socket and on_close follows.  A no-op once closing.
 */
void ws_close(struct ws *ws, uint16_t code, const char *reason);
/** The socket on c, or NULL when c is not (or no longer) a WebSocket. */
struct ws *ws_of(struct conn *c);
/** The client's IP address, as text. */
const char *ws_peer(const struct ws *ws);

#endif
