/*
 * http_parser.h - the request-head parser: a pure function over bytes.
 *
 * Strict subset of RFC 9112: HTTP/1.1 and 1.0, origin-form and absolute-form
 * targets, Content-Length bodies only.  Framing that two parsers could read
 * differently is refused (both Content-Length and Transfer-Encoding, a
 * duplicate Content-Length, obs-fold, whitespace before a colon, bare LF),
 * which closes the door on request smuggling.  The parser never allocates:
 * struct http_head points into the caller's buffer.  It has a libFuzzer
 * target in tests/fuzz/.
 */
#ifndef ISACD_HTTP_PARSER_H
#define ISACD_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OPTIONS,
	HTTP_OTHER, /* a syntactically valid method we do not implement */
};

#define HTTP_MAX_HEADERS 100

struct http_header {
	const char *name;
	size_t name_len;
	const char *value; /* without surrounding whitespace */
	size_t value_len;
};

struct http_head {
	enum http_method method;
	const char *method_str;
	size_t method_len;
	const char *target; /* raw request-target */
	size_t target_len;
	const char *path; /* path part, always starts with '/' */
	size_t path_len;
	const char *query; /* after '?', NULL when absent */
	size_t query_len;
	int minor; /* HTTP/1.minor */
	struct http_header headers[HTTP_MAX_HEADERS];
	size_t nheaders;
	long long content_length; /* -1 when absent */
	bool keep_alive;
	bool expect_continue;
	bool connection_upgrade; /* Connection: upgrade */
};

struct http_limits {
	size_t max_target;  /* request-target bytes; longer: 414 */
	size_t max_headers; /* header fields; more: 431 */
};

/**
 * Find the end of a request head in buf[0..len): returns the offset just past
 * its empty line, or 0 when more bytes are needed.  *from carries the scan
 * position across calls so trickled input is not rescanned.
 */
size_t http_head_end(const char *buf, size_t len, size_t *from);

/** Number of leading CRLF/LF bytes to skip before a request line. */
size_t http_head_skip_empty(const char *buf, size_t len);

/**
 * Parse the head in buf[0..len) (as found by http_head_end) into h, which
 * points into buf.  Returns 0, or the HTTP status to answer (400, 411, 414,
 * 417, 431, 501 or 505) with a one-line reason in *why.
 */
int http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
    struct http_head *h, const char **why);

/** The value of the first header named `name` (case-insensitive), or NULL. */
const struct http_header *http_head_get(
    const struct http_head *h, const char *name);

/** True when the comma-separated list value contains token (case-insensitive).
 */
bool http_list_has(const char *value, size_t len, const char *token);

/** Method name for a method enum ("GET", ...). */
const char *http_method_name(enum http_method m);

/** The reason phrase of a status code ("Not Found"). */
const char *http_status_reason(int status);

#endif
