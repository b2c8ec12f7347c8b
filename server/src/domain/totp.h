/*
 * totp.h - RFC 6238 time-based one-time passwords (HMAC-SHA1, 30 s, 6
 * digits), verified within one step either side of the server's clock, and
 * never twice: a code is accepted only for a step after the last one used.
 */
#ifndef ISACD_DOMAIN_TOTP_H
#define ISACD_DOMAIN_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_PERIOD     30
#define TOTP_DIGITS     6
#define TOTP_SECRET_LEN 20 /* bytes, 160 bits as RFC 4226 recommends */

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

#endif
