/*
 * ws_frame.h - server frames: the header encoder, and a text frame encoded
 * once and shared by every socket it goes to.
 *
 * A server's frames are never masked (RFC 6455 §5.1), so one event bound
 * for thousands of subscribers is the same bytes for each: ws_frame_text()
 * encodes header and payload once, and ws_frame_add() appends it to an
 * output buffer by reference (evbuffer_add_reference), so a socket's queue
 * costs a small chain record, not a copy.  The frame is reference-counted:
 * each buffer holding it keeps a reference until the bytes are written or
 * the buffer is freed.  Single-threaded, like the loop that uses it.
 */
#ifndef ISACD_WS_WS_FRAME_H
#define ISACD_WS_WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct ws_frame;

#define WS_FRAME_HEADER_MAX 10 /* 2 bytes + a 64-bit length, no mask */

enum ws_opcode {
	WS_OP_CONTINUATION = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/**
 * Write the header of a final, unmasked frame of `opcode` carrying `len`
 * payload bytes into out; returns its length (2, 4 or 10).
 */
size_t ws_frame_header(
    uint8_t out[WS_FRAME_HEADER_MAX], enum ws_opcode opcode, uint64_t len);
/** A text frame of text[0..len) (copied; valid UTF-8), one reference. */
struct ws_frame *ws_frame_text(const char *text, size_t len);
/** Take one more reference; returns f. */
struct ws_frame *ws_frame_ref(struct ws_frame *f);
/** Drop one reference; the last one frees the frame.  NULL is a no-op. */
void ws_frame_unref(struct ws_frame *f);
/** The frame's bytes on the wire, header included. */
size_t ws_frame_size(const struct ws_frame *f);
/** The frame's references now (tests). */
unsigned ws_frame_refs(const struct ws_frame *f);
/**
 * Append the frame to out by reference, whole; out holds a reference of
 * its own until the bytes leave it.
 */
void ws_frame_add(struct ws_frame *f, struct evbuffer *out);

#endif
