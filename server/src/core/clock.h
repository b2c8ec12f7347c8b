/*
 * clock.h - monotonic microseconds for durations, the wall clock, and the
 * HTTP Date format (API times are formatted by PostgreSQL: isacd_ts()).
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
/** Format t as an IMF-fixdate for the Date header (at least 30 bytes). */
void clock_http_date(time_t t, char *out, size_t cap);

#endif
