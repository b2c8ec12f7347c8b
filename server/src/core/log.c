/*
 * log.c - JSON lines on stderr.
 *
 * A line is built in a stack buffer, so overlong messages are cut, never
 * allowed to grow anything.  On the event loop's thread (once attached) lines
 * are appended to a buffer that one event writes out after the callbacks of
 * the current loop pass: a busy loop answering many requests per pass makes
 * one write(2) for all their access lines, not one each.  Other threads (the
 * hash workers) write each line at once with one write(2), so no line is ever
 * split by another.  fatal() flushes first, so nothing logged is lost.
 */
#include "core/log.h"

#include <errno.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define LOG_LINE_MAX 2048
#define LOG_BUF_MAX  (64u * 1024)

static size_t log_ts(char *buf, size_t cap);
static const char *log_level_name(enum log_level level);
static void log_write(char *line, size_t len);
static void log_write_fd(const char *p, size_t len);
static void log_flush_cb(evutil_socket_t fd, short what, void *arg);

static atomic_int log_min_level = LOGL_INFO;

/* the loop thread's buffer; other threads never touch it */
static _Thread_local struct {
	struct event *flush;
	size_t len;
	char buf[LOG_BUF_MAX];
} * log_loop;

void
log_attach_loop(struct event_base *base)
{
	if (log_loop != NULL)
		return;
	log_loop = calloc(1, sizeof(*log_loop));
	if (log_loop == NULL)
		return; /* unbuffered, as before */
	log_loop->flush = event_new(base, -1, 0, log_flush_cb, NULL);
	if (log_loop->flush == NULL) {
		free(log_loop);
		log_loop = NULL;
	}
}

void
log_detach_loop(void)
{
	if (log_loop == NULL)
		return;
	log_flush();
	event_free(log_loop->flush);
	free(log_loop);
	log_loop = NULL;
}

void
log_flush(void)
{
	if (log_loop == NULL || log_loop->len == 0)
		return;
	log_write_fd(log_loop->buf, log_loop->len);
	log_loop->len = 0;
}

static void
log_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

void
log_set_level(enum log_level level)
{
	atomic_store(&log_min_level, (int)level);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	static const char *names[] = {"debug", "info", "warn", "error"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int
log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&log_min_level);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char msg[LOG_LINE_MAX / 2], line[LOG_LINE_MAX];
	size_t n;
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"");
	n += log_ts(line + n, sizeof(line) - n);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    "\",\"level\":\"%s\",\"msg\":\"", log_level_name(level));
	n += log_json_escape(line + n, sizeof(line) - n - 4, msg, strlen(msg));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"}\n");
	log_write(line, n);
}

void
log_request(const struct log_request *r)
{
	char line[LOG_LINE_MAX];
	size_t n, cap = sizeof(line) - 64;

	if (!log_enabled(LOGL_INFO))
		return;
	n = (size_t)snprintf(line, sizeof(line), "{\"ts\":\"");
	n += log_ts(line + n, sizeof(line) - n);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    "\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"");
	if (r->request_id)
		n += log_json_escape(
		    line + n, cap - n, r->request_id, strlen(r->request_id));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"method\":\"");
	if (r->method)
		n += log_json_escape(
		    line + n, cap - n, r->method, strlen(r->method));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\",\"route\":\"");
	if (r->route)
		n += log_json_escape(
		    line + n, cap - n, r->route, strlen(r->route));
	n += (size_t)snprintf(line + n, sizeof(line) - n, "\"");
	if (r->user_id) {
		n += (size_t)snprintf(
		    line + n, sizeof(line) - n, ",\"user_id\":\"");
		n += log_json_escape(
		    line + n, cap - n, r->user_id, strlen(r->user_id));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "\"");
	}
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    ",\"status\":%d,\"us\":%lld}\n", r->status, r->us);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	log_write(line, n);
}

size_t
log_json_escape(char *dst, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, i = 0;

	if (cap == 0)
		return 0;
	while (i < n) {
		unsigned char c = p[i];
		char esc[8];
		size_t elen = 0, adv = 1;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			elen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
		} else if (c < 0x80) {
			esc[0] = (char)c;
			elen = 1;
		} else {
			/* copy a valid UTF-8 sequence whole, else U+FFFD */
			size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
			int ok = c >= 0xc2 && c <= 0xf4 && i + need <= n;

			for (size_t k = 1; ok && k < need; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok && need == 3)
				ok = !(c == 0xe0 && p[i + 1] < 0xa0) &&
				    !(c == 0xed && p[i + 1] >= 0xa0);
			if (ok && need == 4)
				ok = !(c == 0xf0 && p[i + 1] < 0x90) &&
				    !(c == 0xf4 && p[i + 1] >= 0x90);
			if (ok) {
				memcpy(esc, p + i, need);
				elen = need;
				adv = need;
			} else {
				memcpy(esc, "\\ufffd", 6);
				elen = 6;
			}
		}
		if (o + elen >= cap)
			break;
		memcpy(dst + o, esc, elen);
		o += elen;
		i += adv;
	}
	dst[o] = '\0';
	return o;
}

static size_t
log_ts(char *buf, size_t cap)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, cap - n, ".%06ldZ", (long)tv.tv_usec);
	return n;
}

static const char *
log_level_name(enum log_level level)
{
	switch (level) {
	case LOGL_DEBUG:
		return "debug";
	case LOGL_INFO:
		return "info";
	case LOGL_WARN:
		return "warn";
	case LOGL_ERROR:
		return "error";
	}
	return "info";
}

static void
log_write(char *line, size_t len)
{
	if (log_loop == NULL) {
		log_write_fd(line, len);
		return;
	}
	if (log_loop->len + len > sizeof(log_loop->buf))
		log_flush();
	if (log_loop->len == 0)
		event_active(log_loop->flush, EV_TIMEOUT, 0);
	memcpy(log_loop->buf + log_loop->len, line, len);
	log_loop->len += len;
}

/* stderr as a file descriptor: one write(2) per call, retried when short */
static void
log_write_fd(const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere to log to: drop, never block or die
			         */
		p += n;
		len -= (size_t)n;
	}
}
