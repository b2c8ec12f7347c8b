/*
 * fuzz_rt_msg.c - libFuzzer target for what a WebSocket subscriber sends
 * (realtime/rt_msg.c): any bytes are refused or parsed, never both, and a
 * parsed message holds only what the contract allows (1..100 distinct,
 * lower-case channel UUIDs; a since within 0..2^53).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/codec.h"
#include "realtime/rt_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rt_msg m;
	const char *why = NULL;

	if (rt_msg_parse((const char *)data, size, &m, &why) != 0) {
		assert(why != NULL && why[0] != '\0');
		return 0;
	}
	assert(m.type == RT_MSG_SUBSCRIBE || m.type == RT_MSG_UNSUBSCRIBE);
	assert(m.nchannels >= 1 && m.nchannels <= RT_MSG_CHANNELS);
	for (size_t i = 0; i < m.nchannels; i++) {
		assert(codec_uuid_valid(m.channels[i], strlen(m.channels[i])));
		for (const char *p = m.channels[i]; *p; p++)
			assert(!(*p >= 'A' && *p <= 'F'));
		for (size_t k = 0; k < i; k++)
			assert(strcmp(m.channels[i], m.channels[k]) != 0);
	}
	assert(!m.has_since ||
	    (m.type == RT_MSG_SUBSCRIBE && m.since >= 0 &&
	        m.since <= RT_SEQ_MAX));
	return 0;
}
