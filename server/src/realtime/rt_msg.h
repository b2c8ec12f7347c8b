/*
 * rt_msg.h - what a subscriber may send, parsed (pure, fuzzed).
 *
 *   {"type": "subscribe", "channels": ["<uuid>", ...], "since": <seq>}
 *   {"type": "unsubscribe", "channels": ["<uuid>", ...]}
 *
 * Anything else is refused with a title for the subscriber's error message.
 * Channel ids come out lower-cased and without duplicates, in the order
 * sent.
 */
#ifndef ISACD_REALTIME_RT_MSG_H
#define ISACD_REALTIME_RT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RT_MSG_CHANNELS 100                /* channels in one message */
#define RT_SEQ_MAX      ((int64_t)1 << 53) /* exact in every JSON reader */

enum rt_msg_type { RT_MSG_SUBSCRIBE, RT_MSG_UNSUBSCRIBE };

struct rt_msg {
	enum rt_msg_type type;
	size_t nchannels;
	char channels[RT_MSG_CHANNELS][37];
	bool has_since;
	int64_t since; /* 0 .. RT_SEQ_MAX */
};

/**
 * Parse one text message (any bytes; valid UTF-8 is checked by the
 * WebSocket layer, not assumed here).  0 with *out filled, or -1 with *why
 * set to a title for the error message (static storage).
 */
int rt_msg_parse(
    const char *text, size_t len, struct rt_msg *out, const char **why);

#endif
