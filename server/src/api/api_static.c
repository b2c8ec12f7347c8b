/*
 * api_static.c - what isacd serves to browsers: the web console (GET / and
 * GET /console/{file}), the API reference page (GET /docs) and the OpenAPI
 * document (GET /api-docs/openapi.yaml).
 *
 * Every byte comes from the copies compiled into the binary
 * (core/embedded.h, written by tools/embed.sh at build time): nothing is
 * read from disk and no name from the request reaches a file system, so an
 * unknown /console/ name is a 404 and nothing else.  Bodies are sent by
 * reference (http_respond_static), never copied per request.
 *
 * Caching: the console's files carry a hash of their content in their names,
 * so they may be kept a year; the page, the reference and the document keep
 * their names across versions and are revalidated on every use.  Each has a
 * strong ETag (its SHA-256), and If-None-Match answers 304.
 *
 * Security headers: the console runs under a Content-Security-Policy that
 * lets it load scripts, styles, images and fonts from this origin only,
 * connect only back to this origin (the REST API, and the WebSocket: 'self'
 * covers ws: and wss: to the same host), never be framed, post no form and
 * turn no string into HTML except through DOMPurify (Trusted Types).  The
 * reference page's policy admits its own two inline scripts by hash and
 * nothing remote.  All of them: X-Frame-Options DENY (for browsers without
 * frame-ancestors) and Referrer-Policy no-referrer.
 */
#include "api/api_internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/embedded.h"

enum api_static_cache {
	CACHE_REVALIDATE, /* a stable name: ask every time (ETag) */
	CACHE_IMMUTABLE,  /* a content-hashed name: keep for a year */
};

static void api_static_send(struct http_req *r, const struct embedded_asset *a,
    const char *ctype, const char *csp, enum api_static_cache cache);
static bool api_static_etag_match(const char *header, const char *etag);
static const char *api_static_type(const char *name);
static const struct embedded_asset *api_static_find(const char *name);
static int api_static_cmp(const void *key, const void *elem);

/*
 * The console's policy.  require-trusted-types-for makes the browser refuse
 * any string assigned to innerHTML and the like; only the policy DOMPurify
 * creates (named "dompurify") may produce HTML, and only from what it has
 * sanitised.
 */
static const char api_static_console_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; font-src 'self'; connect-src 'self'; "
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; require-trusted-types-for 'script'; "
    "trusted-types dompurify";

/* the document itself is data, never a page */
static const char api_static_data_csp[] =
    "default-src 'none'; sandbox; frame-ancestors 'none'";

void
api_static_index(struct http_req *r)
{
	api_static_send(r, &embedded_console_index, "text/html; charset=utf-8",
	    api_static_console_csp, CACHE_REVALIDATE);
}

void
api_static_file(struct http_req *r)
{
	const char *name = http_req_param(r, "file");
	const struct embedded_asset *a = name ? api_static_find(name) : NULL;

	if (a == NULL) {
		http_respond_problem(r, 404, "no such file");
		return;
	}
	api_static_send(r, a, api_static_type(a->name), api_static_console_csp,
	    CACHE_IMMUTABLE);
}

void
api_static_docs(struct http_req *r)
{
	api_static_send(r, &embedded_docs_page, "text/html; charset=utf-8",
	    (const char *)embedded_docs_csp.data, CACHE_REVALIDATE);
}

void
api_static_openapi(struct http_req *r)
{
	api_static_send(r, &embedded_openapi, "application/yaml; charset=utf-8",
	    api_static_data_csp, CACHE_REVALIDATE);
}

static void
api_static_send(struct http_req *r, const struct embedded_asset *a,
    const char *ctype, const char *csp, enum api_static_cache cache)
{
	const char *inm = http_req_header(r, "if-none-match");

	http_req_add_header(r, "Cache-Control",
	    cache == CACHE_IMMUTABLE ? "public, max-age=31536000, immutable"
	                             : "no-cache");
	http_req_add_header(r, "ETag", a->etag);
	http_req_add_header(r, "Content-Security-Policy", csp);
	http_req_add_header(r, "X-Frame-Options", "DENY");
	http_req_add_header(r, "Referrer-Policy", "no-referrer");
	http_req_add_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	http_req_add_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	if (inm != NULL && api_static_etag_match(inm, a->etag)) {
		http_respond_static(r, 304, NULL, NULL, 0);
		return;
	}
	http_respond_static(r, 200, ctype, a->data, a->len);
}

/*
 * If-None-Match (RFC 9110 13.1.2): "*" or a list of entity tags, compared
 * weakly (a W/ prefix is ignored).  Anything malformed simply does not
 * match, so the full answer is sent.
 */
static bool
api_static_etag_match(const char *header, const char *etag)
{
	size_t elen = strlen(etag);
	const char *p = header;

	for (;;) {
		const char *start, *end;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '\0')
			return false;
		if (*p == '*')
			return true;
		if (p[0] == 'W' && p[1] == '/')
			p += 2;
		if (*p != '"')
			return false;
		start = p;
		end = strchr(p + 1, '"');
		if (end == NULL)
			return false;
		if ((size_t)(end + 1 - start) == elen &&
		    memcmp(start, etag, elen) == 0)
			return true;
		p = end + 1;
	}
}

static const char *
api_static_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".js", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".woff2", "font/woff2"},
	    {".png", "image/png"},
	    {".json", "application/json"},
	    {".map", "application/json"},
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* the table is sorted by name (tools/embed.sh) */
static const struct embedded_asset *
api_static_find(const char *name)
{
	return bsearch(name, embedded_console_files,
	    embedded_console_files_count, sizeof(embedded_console_files[0]),
	    api_static_cmp);
}

static int
api_static_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct embedded_asset *)elem)->name);
}
