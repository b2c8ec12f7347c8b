/*
 * ws_frame.c - encoding server frames, and sharing a broadcast frame.
 *
 * A frame is one allocation: the count, the length, then header and payload
 * together, so that ws_frame_add() appends it as one evbuffer chain and a
 * frame can never be split by anything written after it.
 */
#include "ws/ws_frame.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "core/mem.h"

struct ws_frame {
	unsigned refs;
	size_t len;
	uint8_t bytes[]; /* header, then payload */
};

static void ws_frame_release_cb(const void *data, size_t len, void *extra);

size_t
ws_frame_header(
    uint8_t out[WS_FRAME_HEADER_MAX], enum ws_opcode opcode, uint64_t len)
{
	out[0] = (uint8_t)(0x80u | ((unsigned)opcode & 0x0fu)); /* FIN */
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len < 65536) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)(len >> (56 - 8 * i));
	return 10;
}

struct ws_frame *
ws_frame_text(const char *text, size_t len)
{
	uint8_t hdr[WS_FRAME_HEADER_MAX];
	size_t hl = ws_frame_header(hdr, WS_OP_TEXT, len);
	struct ws_frame *f;

	if (len > SIZE_MAX - sizeof(*f) - hl)
		fatal("ws_frame_text: %zu bytes", len);
	f = xmalloc(sizeof(*f) + hl + len);
	f->refs = 1;
	f->len = hl + len;
	memcpy(f->bytes, hdr, hl);
	if (len > 0)
		memcpy(f->bytes + hl, text, len);
	return f;
}

struct ws_frame *
ws_frame_ref(struct ws_frame *f)
{
	f->refs++;
	return f;
}

void
ws_frame_unref(struct ws_frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}

size_t
ws_frame_size(const struct ws_frame *f)
{
	return f->len;
}

unsigned
ws_frame_refs(const struct ws_frame *f)
{
	return f->refs;
}

void
ws_frame_add(struct ws_frame *f, struct evbuffer *out)
{
	if (evbuffer_add_reference(out, f->bytes, f->len, ws_frame_release_cb,
	        ws_frame_ref(f)) != 0)
		fatal("evbuffer_add_reference failed");
}

/* The buffer is done with the bytes: written, or freed with its socket. */
static void
ws_frame_release_cb(const void *data, size_t len, void *extra)
{
	(void)data;
	(void)len;
	ws_frame_unref(extra);
}
