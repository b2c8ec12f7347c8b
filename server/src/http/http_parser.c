/*
 * http_parser.c - strict HTTP/1.x request-head parser.
 *
 * Grammar (RFC 9112 §3, §5; RFC 9110 §5.6.2 for tokens):
 *   request-line = method SP request-target SP HTTP-version CRLF
 *   field-line   = field-name ":" OWS field-value OWS CRLF
 * Exactly one SP between parts, CRLF everywhere.  Values may hold visible
 * ASCII, SP, HTAB and obs-text; any other control byte is an error.
 */
#include "http/http_parser.h"

#include <string.h>
#include <strings.h>

static bool http_is_tchar(unsigned char c);
static bool http_ieq(const char *a, size_t alen, const char *b);
static int http_parse_request_line(const char *p, size_t n,
    const struct http_limits *lim, struct http_head *h, const char **why);
static int http_parse_target(struct http_head *h, const char **why);
static int http_apply_headers(struct http_head *h, const char **why);

size_t
http_head_skip_empty(const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (buf[i] == '\n')
			i++;
		else if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	return i;
}

size_t
http_head_end(const char *buf, size_t len, size_t *from)
{
	size_t i = *from;

	for (; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* an empty line follows this LF: "\n\n" or "\n\r\n" */
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
		if (i + 2 >= len) {
			/* not enough bytes to decide: rescan from this LF */
			*from = i;
			return 0;
		}
	}
	*from = i;
	return 0;
}

int
http_parse_head(const char *buf, size_t len, const struct http_limits *lim,
    struct http_head *h, const char **why)
{
	const char *p = buf, *end = buf + len;
	const char *eol;
	int rc;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	*why = "malformed request";

	eol = memchr(p, '\n', (size_t)(end - p));
	if (eol == NULL)
		return 400;
	if (eol == p || eol[-1] != '\r') {
		*why = "request line must end with CRLF";
		return 400;
	}
	if ((rc = http_parse_request_line(
	         p, (size_t)(eol - 1 - p), lim, h, why)) != 0)
		return rc;
	p = eol + 1;

	for (;;) {
		const char *colon, *v, *ve;
		struct http_header *hd;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL) {
			*why = "header section not terminated";
			return 400;
		}
		if (eol == p || eol[-1] != '\r') {
			*why = "header lines must end with CRLF";
			return 400;
		}
		if (eol - 1 == p)
			break; /* the empty line */
		if (*p == ' ' || *p == '\t') {
			*why = "obsolete line folding is not accepted";
			return 400;
		}
		colon = p;
		while (colon < eol - 1 && http_is_tchar((unsigned char)*colon))
			colon++;
		if (colon == p || colon >= eol - 1 || *colon != ':') {
			*why = "malformed header field name";
			return 400;
		}
		v = colon + 1;
		ve = eol - 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *q = v; q < ve; q++) {
			unsigned char c = (unsigned char)*q;

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				*why = "control character in header value";
				return 400;
			}
		}
		if (h->nheaders >= lim->max_headers ||
		    h->nheaders >= HTTP_MAX_HEADERS) {
			*why = "too many header fields";
			return 431;
		}
		hd = &h->headers[h->nheaders++];
		hd->name = p;
		hd->name_len = (size_t)(colon - p);
		hd->value = v;
		hd->value_len = (size_t)(ve - v);
		p = eol + 1;
	}
	return http_apply_headers(h, why);
}

const struct http_header *
http_head_get(const struct http_head *h, const char *name)
{
	for (size_t i = 0; i < h->nheaders; i++)
		if (http_ieq(h->headers[i].name, h->headers[i].name_len, name))
			return &h->headers[i];
	return NULL;
}

bool
http_list_has(const char *value, size_t len, const char *token)
{
	size_t i = 0;

	while (i < len) {
		size_t s, e;

		while (i < len &&
		    (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
			i++;
		s = i;
		while (i < len && value[i] != ',')
			i++;
		e = i;
		while (e > s && (value[e - 1] == ' ' || value[e - 1] == '\t'))
			e--;
		if (e > s && http_ieq(value + s, e - s, token))
			return true;
	}
	return false;
}

const char *
http_method_name(enum http_method m)
{
	static const char *names[] = {"GET", "HEAD", "POST", "PUT", "PATCH",
	    "DELETE", "OPTIONS", "OTHER"};

	return (unsigned)m < sizeof(names) / sizeof(names[0]) ? names[m]
	                                                      : "OTHER";
}

const char *
http_status_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 410:
		return "Gone";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 417:
		return "Expectation Failed";
	case 422:
		return "Unprocessable Content";
	case 426:
		return "Upgrade Required";
	case 428:
		return "Precondition Required";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Unknown";
	}
}

static bool
http_is_tchar(unsigned char c)
{
	/* RFC 9110 §5.6.2 tchar */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
http_ieq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && strncasecmp(a, b, alen) == 0;
}

static int
http_parse_request_line(const char *p, size_t n, const struct http_limits *lim,
    struct http_head *h, const char **why)
{
	static const struct {
		const char *name;
		enum http_method m;
	} methods[] = {{"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},
	    {"POST", HTTP_POST}, {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH},
	    {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS}};
	const char *end = p + n, *sp1, *sp2, *v;

	sp1 = p;
	while (sp1 < end && http_is_tchar((unsigned char)*sp1))
		sp1++;
	if (sp1 == p || sp1 >= end || *sp1 != ' ') {
		*why = "malformed request method";
		return 400;
	}
	h->method_str = p;
	h->method_len = (size_t)(sp1 - p);
	h->method = HTTP_OTHER;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strlen(methods[i].name) == h->method_len &&
		    memcmp(methods[i].name, p, h->method_len) == 0)
			h->method = methods[i].m;

	h->target = sp1 + 1;
	sp2 = h->target;
	while (sp2 < end && *sp2 != ' ')
		sp2++;
	h->target_len = (size_t)(sp2 - h->target);
	if (h->target_len > lim->max_target) {
		*why = "request target too long";
		return 414;
	}
	if (sp2 >= end || h->target_len == 0) {
		*why = "malformed request line";
		return 400;
	}
	v = sp2 + 1;
	if (end - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9') {
		*why = "malformed HTTP version";
		return 400;
	}
	if (v[5] != '1') {
		*why = "only HTTP/1.0 and HTTP/1.1 are supported";
		return 505;
	}
	h->minor = v[7] - '0';
	if (h->minor > 1) {
		*why = "only HTTP/1.0 and HTTP/1.1 are supported";
		return 505;
	}
	return http_parse_target(h, why);
}

static int
http_parse_target(struct http_head *h, const char **why)
{
	const char *t = h->target, *end = t + h->target_len, *q;

	for (const char *c = t; c < end; c++) {
		unsigned char u = (unsigned char)*c;

		if (u <= 0x20 || u >= 0x7f || u == '#') {
			*why = "invalid character in request target";
			return 400;
		}
	}
	if (*t != '/') {
		/* absolute-form: http(s)://authority[/path] */
		const char *s;

		if ((size_t)(end - t) > 7 && strncasecmp(t, "http://", 7) == 0)
			s = t + 7;
		else if ((size_t)(end - t) > 8 &&
		    strncasecmp(t, "https://", 8) == 0)
			s = t + 8;
		else {
			*why = "request target must be origin-form or "
			       "absolute-form";
			return 400;
		}
		while (s < end && *s != '/' && *s != '?')
			s++;
		if (s == end || *s != '/') {
			*why = "absolute-form target without a path";
			return 400;
		}
		t = s;
	}
	q = memchr(t, '?', (size_t)(end - t));
	h->path = t;
	h->path_len = (size_t)((q ? q : end) - t);
	if (q) {
		h->query = q + 1;
		h->query_len = (size_t)(end - q - 1);
	}
	return 0;
}

static int
http_apply_headers(struct http_head *h, const char **why)
{
	int hosts = 0, cls = 0;
	const struct http_header *te = NULL;

	h->keep_alive = h->minor >= 1;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];

		if (http_ieq(hd->name, hd->name_len, "host")) {
			hosts++;
		} else if (http_ieq(hd->name, hd->name_len, "content-length")) {
			long long n = 0;

			if (++cls > 1) {
				*why = "duplicate Content-Length";
				return 400;
			}
			if (hd->value_len == 0 || hd->value_len > 18) {
				*why = "invalid Content-Length";
				return 400;
			}
			for (size_t k = 0; k < hd->value_len; k++) {
				char c = hd->value[k];

				if (c < '0' || c > '9') {
					*why = "invalid Content-Length";
					return 400;
				}
				n = n * 10 + (c - '0');
			}
			h->content_length = n;
		} else if (http_ieq(
		               hd->name, hd->name_len, "transfer-encoding")) {
			if (te != NULL) {
				*why = "duplicate Transfer-Encoding";
				return 400;
			}
			te = hd;
		} else if (http_ieq(hd->name, hd->name_len, "connection")) {
			if (http_list_has(hd->value, hd->value_len, "close"))
				h->keep_alive = false;
			else if (h->minor == 0 &&
			    http_list_has(
			        hd->value, hd->value_len, "keep-alive"))
				h->keep_alive = true;
			if (http_list_has(hd->value, hd->value_len, "upgrade"))
				h->connection_upgrade = true;
		} else if (http_ieq(hd->name, hd->name_len, "expect")) {
			if (!http_ieq(
			        hd->value, hd->value_len, "100-continue")) {
				*why = "unsupported expectation";
				return 417;
			}
			h->expect_continue = h->minor >= 1;
		}
	}
	if (h->minor >= 1 && hosts != 1) {
		*why =
		    hosts ? "more than one Host header" : "missing Host header";
		return 400;
	}
	if (hosts > 1) {
		*why = "more than one Host header";
		return 400;
	}
	if (te != NULL) {
		if (h->minor == 0) {
			*why = "Transfer-Encoding in an HTTP/1.0 request";
			return 400;
		}
		if (cls) {
			*why = "both Content-Length and Transfer-Encoding";
			return 400;
		}
		if (http_ieq(te->value, te->value_len, "chunked")) {
			*why = "chunked request bodies are not accepted; send "
			       "Content-Length";
			return 411;
		}
		*why = "unsupported Transfer-Encoding";
		return 501;
	}
	return 0;
}
