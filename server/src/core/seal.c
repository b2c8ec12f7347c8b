/*
 * seal.c - AES-256-GCM sealing of secrets at rest, with OpenSSL's EVP.
 *
 * Each seal draws a fresh 96-bit nonce from the CSPRNG: with a 2^32
 * bound on seals per key (NIST SP 800-38D) and a handful of TOTP secrets
 * per user, a key never comes near it.  Key ids are 8 hex digits of
 * SHA-256("isacd seal key" || key): enough to pick the key, nothing to
 * guess it from.
 */
#include "core/seal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/codec.h"
#include "core/secret.h"

#define NONCE 12
#define TAG   16

static void seal_key_id(const uint8_t key[SEAL_KEY_BYTES], char out[9]);

int
seal_ring_parse(struct seal_ring *r, const char *text, char *err, size_t errlen)
{
	const char *p = text;

	memset(r, 0, sizeof(*r));
	while (*p) {
		size_t n;
		uint8_t key[SEAL_KEY_BYTES + 4];
		long got;

		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (strchr(", \t\r\n", *p)) {
			p++;
			continue;
		}
		n = strcspn(p, ", \t\r\n#");
		got = codec_base64_decode(key, sizeof(key), p, n);
		if (got != SEAL_KEY_BYTES) {
			snprintf(err, errlen,
			    "key %d is not the base64 of 32 bytes (make one "
			    "with: openssl rand -base64 32)",
			    r->n + 1);
			OPENSSL_cleanse(key, sizeof(key));
			seal_ring_wipe(r);
			return -1;
		}
		if (r->n == SEAL_MAX_KEYS) {
			snprintf(
			    err, errlen, "more than %d keys", SEAL_MAX_KEYS);
			OPENSSL_cleanse(key, sizeof(key));
			seal_ring_wipe(r);
			return -1;
		}
		for (int i = 0; i < r->n; i++) {
			if (secret_equal(r->k[i].key, key, SEAL_KEY_BYTES)) {
				snprintf(err, errlen, "key %d repeats key %d",
				    r->n + 1, i + 1);
				OPENSSL_cleanse(key, sizeof(key));
				seal_ring_wipe(r);
				return -1;
			}
		}
		memcpy(r->k[r->n].key, key, SEAL_KEY_BYTES);
		seal_key_id(key, r->k[r->n].id);
		OPENSSL_cleanse(key, sizeof(key));
		r->n++;
		p += n;
	}
	if (r->n == 0) {
		snprintf(err, errlen, "no key given");
		return -1;
	}
	return 0;
}

int
seal_ring_load_file(
    struct seal_ring *r, const char *path, char *err, size_t errlen)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	if (!feof(f)) {
		snprintf(
		    err, errlen, "%s is larger than a key file may be", path);
		fclose(f);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	rc = seal_ring_parse(r, buf, err, errlen);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

void
seal_ring_wipe(struct seal_ring *r)
{
	OPENSSL_cleanse(r, sizeof(*r));
	r->n = 0;
}

int
seal_encrypt(const struct seal_ring *r, const char *aad, const uint8_t *pt,
    size_t n, char *out, size_t cap)
{
	uint8_t buf[NONCE + 256 + TAG];
	EVP_CIPHER_CTX *ctx = NULL;
	int len, rc = -1;

	if (r->n < 1 || n > 256 || cap < SEAL_TEXT_MAX(n))
		return -1;
	secret_random(buf, NONCE);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    EVP_EncryptInit_ex(
	        ctx, EVP_aes_256_gcm(), NULL, r->k[0].key, buf) != 1 ||
	    EVP_EncryptUpdate(
	        ctx, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + NONCE, &len, pt, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + NONCE + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        ctx, EVP_CTRL_GCM_GET_TAG, TAG, buf + NONCE + n) != 1)
		goto fail;
	memcpy(out, "v1$", 3);
	memcpy(out + 3, r->k[0].id, SEAL_ID_LEN);
	out[3 + SEAL_ID_LEN] = '$';
	codec_base64(out + 4 + SEAL_ID_LEN, buf, NONCE + n + TAG);
	rc = 0;
fail:
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

long
seal_decrypt(const struct seal_ring *r, const char *aad, const char *text,
    uint8_t *out, size_t cap)
{
	uint8_t buf[NONCE + 256 + TAG];
	const uint8_t *key = NULL;
	EVP_CIPHER_CTX *ctx = NULL;
	long raw, n;
	int len;

	if (!seal_is_sealed(text))
		return -1;
	for (int i = 0; i < r->n; i++)
		if (memcmp(text + 3, r->k[i].id, SEAL_ID_LEN) == 0)
			key = r->k[i].key;
	if (key == NULL)
		return -1;
	raw = codec_base64_decode(buf, sizeof(buf), text + 4 + SEAL_ID_LEN,
	    strlen(text + 4 + SEAL_ID_LEN));
	if (raw < NONCE + TAG)
		return -1;
	n = raw - NONCE - TAG;
	if ((size_t)n > cap)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, buf) != 1 ||
	    EVP_DecryptUpdate(
	        ctx, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &len, buf + NONCE, (int)n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(
	        ctx, EVP_CTRL_GCM_SET_TAG, TAG, buf + NONCE + n) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + len, &len) != 1) {
		OPENSSL_cleanse(out, cap);
		n = -1;
	}
	EVP_CIPHER_CTX_free(ctx);
	OPENSSL_cleanse(buf, sizeof(buf));
	return n;
}

bool
seal_is_sealed(const char *text)
{
	if (strncmp(text, "v1$", 3) != 0 || strlen(text) < 4 + SEAL_ID_LEN)
		return false;
	for (int i = 0; i < SEAL_ID_LEN; i++)
		if (!strchr("0123456789abcdef", text[3 + i]))
			return false;
	return text[3 + SEAL_ID_LEN] == '$';
}

bool
seal_key_known(const struct seal_ring *r, const char *text)
{
	if (!seal_is_sealed(text))
		return false;
	for (int i = 0; i < r->n; i++)
		if (memcmp(text + 3, r->k[i].id, SEAL_ID_LEN) == 0)
			return true;
	return false;
}

bool
seal_is_current(const struct seal_ring *r, const char *text)
{
	return r->n > 0 && seal_is_sealed(text) &&
	    memcmp(text + 3, r->k[0].id, SEAL_ID_LEN) == 0;
}

static void
seal_key_id(const uint8_t key[SEAL_KEY_BYTES], char out[9])
{
	uint8_t in[14 + SEAL_KEY_BYTES], md[32];

	memcpy(in, "isacd seal key", 14);
	memcpy(in + 14, key, SEAL_KEY_BYTES);
	secret_sha256(in, sizeof(in), md);
	codec_hex(out, md, 4);
	OPENSSL_cleanse(in, sizeof(in));
}
