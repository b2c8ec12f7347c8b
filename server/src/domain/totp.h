/*
 * totp.h - RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s, 6
 * digits), verified within one step either side of the server's clock, and
 * never twice: a code is accepted only for a step after the last one used.
 *
 * At rest a secret (its base32 text) is sealed with the operator's keys
 * (core/seal.h), bound to its user: a sealed secret copied to another
 * account does not open.  A plain secret stored before sealing existed
 * still opens, until `isacd serve` seals it at start.
 */
#ifndef ISACD_DOMAIN_TOTP_H
#define ISACD_DOMAIN_TOTP_H

#include <stddef.h>
#include <stdint.h>

struct seal_ring;

#define TOTP_PERIOD     30
#define TOTP_DIGITS     6
#define TOTP_SECRET_LEN 20 /* bytes, 160 bits as RFC 4226 recommends */
#define TOTP_B32_LEN    32 /* its base32 text */
#define TOTP_SEALED_MAX 96 /* room for it sealed (SEAL_TEXT_MAX(32)) */

/** RFC 4226 HOTP value of key for counter, `digits` long (6..8). */
uint32_t totp_hotp(
    const uint8_t *key, size_t keylen, uint64_t counter, int digits);
/**
 * Check a 6-digit code at unix time now against steps now-1..now+1 that are
 * greater than last_step.  0 with the matching step in *step on success, -1
 * otherwise.  Comparisons are constant-time.
 */
int totp_check(const uint8_t *key, size_t keylen, const char *code, int64_t now,
    int64_t last_step, int64_t *step);
/** The step number of unix time t. */
int64_t totp_step(int64_t t);
/**
 * Seal the base32 secret b32 of user_id (a UUID) into out
 * (TOTP_SEALED_MAX bytes); 0 or -1.
 */
int totp_seal(const struct seal_ring *keys, const char *user_id,
    const char *b32, char out[TOTP_SEALED_MAX]);
/**
 * The base32 secret of user_id from its stored form (sealed, or plain from
 * before sealing) into out; 0, or -1 when it does not open (a key the
 * ring lacks, another user's, altered).
 */
int totp_open(const struct seal_ring *keys, const char *user_id,
    const char *stored, char out[TOTP_B32_LEN + 1]);

#endif
