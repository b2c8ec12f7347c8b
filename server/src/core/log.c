/*
 * log.c - JSON lines on stderr.
 *
 * A line is built in a stack buffer and written with one fwrite, so lines from
 * the loop and from worker threads never interleave mid-line.  Overlong
 * messages are cut, never allowed to grow the buffer.
 */
#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#define LOG_LINE_MAX 2048

static size_t log_ts(char *buf, size_t cap);
static const char *log_level_name(enum log_level level);
static void log_write(char *line, size_t len);

static atomic_int log_min_level = LOGL_INFO;

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
	fwrite(line, 1, len, stderr);
	fflush(stderr);
}
