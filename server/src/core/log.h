/*
 * log.h - one JSON object per line on stderr.
 *
 * Every line carries ts (RFC 3339 UTC, microseconds), level and msg; request
 * lines add request_id, method, route, status and us.  Strings are JSON
 * escaped, so a client-controlled value cannot forge a line (ASVS 16.4.1).
 * Callers never pass a token, password or body here.
 */
#ifndef ISACD_CORE_LOG_H
#define ISACD_CORE_LOG_H

#include <stddef.h>

enum log_level { LOGL_DEBUG, LOGL_INFO, LOGL_WARN, LOGL_ERROR };

struct event_base;

/**
 * Buffer the calling thread's lines and write them once per pass of base's
 * loop (call on the loop's thread, before it runs).  Until then, and on
 * other threads, every line is written at once.
 */
void log_attach_loop(struct event_base *base);
/** Write out and stop buffering (on the loop's thread, before base goes). */
void log_detach_loop(void);
/** Write out what the calling thread has buffered (fatal() calls it). */
void log_flush(void);

/** Lines below `level` are dropped. */
void log_set_level(enum log_level level);
/** Parse "debug", "info", "warn" or "error"; 0 on success, -1 otherwise. */
int log_level_parse(const char *s, enum log_level *out);
/** True when a line at `level` would be written. */
int log_enabled(enum log_level level);
/** Write one line with a printf-formatted msg. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOGL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOGL_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOGL_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOGL_ERROR, __VA_ARGS__)

/** What one request line reports; strings may be NULL. */
struct log_request {
	const char *request_id;
	const char *method;
	const char *route; /* the pattern, never the raw path */
	int status;
	long long us;
	const char *user_id;
};

/** Write the access line of a finished request at info level. */
void log_request(const struct log_request *r);

/**
 * Append s (n bytes) to dst as the inside of a JSON string, escaping quotes,
 * backslashes, control bytes and invalid UTF-8 (as U+FFFD).  Writes at most
 * cap - 1 bytes and NUL-terminates; returns the bytes written.
 */
size_t log_json_escape(char *dst, size_t cap, const char *s, size_t n);

#endif
