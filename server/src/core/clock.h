/*
 * clock.h - monotonic microseconds for durations, RFC 3339 for humans.
 */
#ifndef ISACD_CORE_CLOCK_H
#define ISACD_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/** Monotonic clock in microseconds (durations, deadlines). */
int64_t clock_mono_us(void);
/** Wall clock in seconds since the epoch. */
time_t clock_wall_s(void);
/** Format t as "2026-11-28T14:00:00Z" into out (at least 21 bytes). */
void clock_rfc3339(time_t t, char *out, size_t cap);
/** Format t as an IMF-fixdate for the Date header (at least 30 bytes). */
void clock_http_date(time_t t, char *out, size_t cap);

#endif
