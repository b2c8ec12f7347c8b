/*
 * secret.c - CSPRNG, SHA-256, tokens and request ids.
 *
 * Request ids are not secrets: they come from a per-thread xorshift generator
 * seeded from the CSPRNG, so that minting one costs no system call.
 */
#include "core/secret.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/codec.h"
#include "core/mem.h"

static _Thread_local uint64_t secret_rid_state;

void
secret_random(uint8_t *buf, size_t n)
{
	if (n > (size_t)INT32_MAX || RAND_bytes(buf, (int)n) != 1)
		fatal("the CSPRNG failed (RAND_bytes)");
}

void
secret_token_new(const char *prefix, char out[SECRET_TOKEN_MAX])
{
	uint8_t raw[SECRET_TOKEN_BYTES];
	size_t plen = strlen(prefix);

	if (plen > SECRET_TOKEN_MAX - 45)
		fatal("token prefix too long");
	secret_random(raw, sizeof(raw));
	memcpy(out, prefix, plen);
	codec_base64url(out + plen, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
}

void
secret_sha256(const void *s, size_t n, uint8_t out[32])
{
	unsigned int len = 32;

	if (EVP_Digest(s, n, out, &len, EVP_sha256(), NULL) != 1)
		fatal("EVP_Digest(sha256) failed");
}

void
secret_sha256_hex(const char *s, size_t n, char out[SECRET_SHA256_HEX])
{
	uint8_t md[32];

	secret_sha256(s, n, md);
	codec_hex(out, md, sizeof(md));
}

bool
secret_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void
secret_request_id(char out[17])
{
	uint64_t x;

	while (secret_rid_state == 0)
		secret_random(
		    (uint8_t *)&secret_rid_state, sizeof(secret_rid_state));
	x = secret_rid_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	secret_rid_state = x;
	codec_hex(out, (const uint8_t *)&x, sizeof(x));
}
