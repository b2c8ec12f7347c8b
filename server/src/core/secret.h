/*
 * secret.h - randomness, digests and bearer tokens.
 *
 * Tokens are 256 bits from OpenSSL's CSPRNG, base64url, behind a prefix that
 * names their kind (isacd_s_ for sessions, isacd_pat_ for personal API tokens)
 * so that leaked tokens can be found by secret scanners.  Only the SHA-256 of
 * a token is ever stored or looked up.
 */
#ifndef ISACD_CORE_SECRET_H
#define ISACD_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_TOKEN_BYTES 32
#define SECRET_TOKEN_MAX   64 /* prefix + 43 base64url chars + NUL */
#define SECRET_SHA256_HEX  65

#define TOKEN_PREFIX_SESSION "isacd_s_"
#define TOKEN_PREFIX_PAT     "isacd_pat_"
#define TOKEN_PREFIX_INVITE  "isacd_inv_"

/** Fill buf with n CSPRNG bytes; aborts if the CSPRNG fails (never silent). */
void secret_random(uint8_t *buf, size_t n);
/** Write prefix + base64url(32 random bytes) into out (SECRET_TOKEN_MAX). */
void secret_token_new(const char *prefix, char out[SECRET_TOKEN_MAX]);
/** Lower-case hex SHA-256 of s[0..n) into out. */
void secret_sha256_hex(const char *s, size_t n, char out[SECRET_SHA256_HEX]);
/** Raw SHA-256 of s[0..n) into out (32 bytes). */
void secret_sha256(const void *s, size_t n, uint8_t out[32]);
/** Compare n bytes in time independent of their contents. */
bool secret_equal(const void *a, const void *b, size_t n);
/** A request id: 16 lower-case hex chars from a fast per-thread generator. */
void secret_request_id(char out[17]);

#endif
