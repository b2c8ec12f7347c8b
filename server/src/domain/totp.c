/*
 * totp.c - HOTP/TOTP over OpenSSL's one-shot HMAC.
 */
#include "domain/totp.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/seal.h"
#include "core/secret.h"

uint32_t
totp_hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
	uint8_t msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint32_t bin, mod = 1;
	int off;

	for (int i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xff);
		counter >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) ==
	        NULL ||
	    mdlen < 20)
		return 0xffffffffu;
	off = md[mdlen - 1] & 0x0f;
	bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 |
	    (uint32_t)md[off + 2] << 8 | md[off + 3];
	for (int i = 0; i < digits; i++)
		mod *= 10;
	return bin % mod;
}

int64_t
totp_step(int64_t t)
{
	return t / TOTP_PERIOD;
}

int
totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now,
    int64_t last_step, int64_t *step)
{
	int64_t base = totp_step(now);
	int found = -1;

	if (code == NULL || strlen(code) != TOTP_DIGITS)
		return -1;
	for (int i = 0; i < TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return -1;
	/* look at every candidate so timing does not tell which one matched */
	for (int64_t s = base - 1; s <= base + 1; s++) {
		char want[16];
		uint32_t v;

		if (s <= last_step || s < 0)
			continue;
		v = totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS);
		snprintf(want, sizeof(want), "%06u", v);
		if (secret_equal(want, code, TOTP_DIGITS) && found < 0) {
			*step = s;
			found = 0;
		}
	}
	return found;
}

/* what a sealed secret is bound to: its user */
static void
totp_aad(const char *user_id, char out[64])
{
	snprintf(out, 64, "isacd totp %.36s", user_id);
}

int
totp_seal(const struct seal_ring *keys, const char *user_id, const char *b32,
    char out[TOTP_SEALED_MAX])
{
	char aad[64];

	totp_aad(user_id, aad);
	return seal_encrypt(
	    keys, aad, (const uint8_t *)b32, strlen(b32), out, TOTP_SEALED_MAX);
}

int
totp_open(const struct seal_ring *keys, const char *user_id, const char *stored,
    char out[TOTP_B32_LEN + 1])
{
	char aad[64];
	long n;

	if (strlen(stored) == TOTP_B32_LEN &&
	    strspn(stored, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") ==
	        TOTP_B32_LEN) {
		memcpy(out, stored, TOTP_B32_LEN + 1);
		return 0;
	}
	totp_aad(user_id, aad);
	n = seal_decrypt(keys, aad, stored, (uint8_t *)out, TOTP_B32_LEN);
	if (n != TOTP_B32_LEN)
		return -1;
	out[n] = '\0';
	return 0;
}
