/*
 * fuzz_codec.c - libFuzzer target for the decoders that read client input:
 * base64url (cursors), base32 (TOTP secrets), UTF-8 and UUID checks, JSON
 * log escaping, and the configuration parser (a value for one setting).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	char *s;
	long n;
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
