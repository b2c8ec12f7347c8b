/*
 * fuzz_codec.c - libFuzzer target for the decoders that read client input:
 * base64url (cursors), base32 (TOTP secrets), UTF-8 and UUID checks, JSON
 * log escaping, the configuration parser (a value for one setting), and the
 * JSON compaction of database text (any bytes must be safe; valid JSON must
 * come out as the same value, without blanks).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/codec.h"
#include "core/config.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_value;
static const char *fuzz_name;

static const char *
fuzz_getenv(const char *name)
{
	return strcmp(name, fuzz_name) == 0 ? fuzz_value : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {"ISACD_LISTEN", "ISACD_DB_POOL",
	    "ISACD_LOG_LEVEL", "ISACD_MAX_BODY", "ISACD_TLS_CERT"};
	uint8_t out[512];
	char enc[2048], esc[4096];
	char *s, *compact;
	long n;
	json_t *before, *after;
	struct config c;
	char err[256];

	if (size > 1024)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	n = codec_base64url_decode(out, sizeof(out), s, size);
	if (n >= 0) {
		/* what decodes re-encodes to a prefix-equal canonical form */
		codec_base64url(enc, out, (size_t)n);
		assert(strlen(enc) <= size);
	}
	n = codec_base32_decode(out, sizeof(out), s, size);
	assert(n <= (long)sizeof(out));
	if (codec_utf8_valid(s, size))
		assert(codec_utf8_len(s, size) <= size);
	(void)codec_uuid_valid(s, size);
	n = (long)log_json_escape(esc, sizeof(esc), s, size);
	assert((size_t)n < sizeof(esc) && esc[n] == '\0');

	compact = malloc(size + 1);
	n = (long)codec_json_compact(compact, s, size);
	assert((size_t)n <= size);
	before = json_loadb(s, size, JSON_DECODE_ANY, NULL);
	if (before != NULL) {
		after = json_loadb(compact, (size_t)n, JSON_DECODE_ANY, NULL);
		assert(after != NULL && json_equal(before, after));
		for (long i = 0; i < n; i++)
			assert(compact[i] != '\n' && compact[i] != '\r' &&
			    compact[i] != '\t');
		json_decref(after);
		json_decref(before);
	}
	free(compact);

	if (size > 0) {
		fuzz_name = names[data[0] % 5];
		fuzz_value = s + 1;
		if (config_load(&c, fuzz_getenv, err, sizeof(err)) == 0)
			config_free(&c);
		else
			assert(strstr(err, "ISACD_") != NULL);
	}
	free(s);
	return 0;
}
