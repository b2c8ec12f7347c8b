/*
 * ws_handshake.c - checks of an opening handshake and of its Origin.
 *
 * Strict as the request parser is: one Sec-WebSocket-Key, which must be the
 * canonical base64 of 16 bytes (24 characters, two '=' of padding, and the
 * last sextet without the bits a 16-byte value cannot have), one
 * Sec-WebSocket-Version, exactly "13".  The accept value is a SHA-1 through
 * OpenSSL's EVP interface (SHA-1 is what RFC 6455 prescribes here; it
 * proves only that the server read the key, nothing secret rests on it).
 */
#include "ws/ws_handshake.h"

#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core/codec.h"
#include "core/mem.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static const struct http_header *ws_header(
    const struct http_head *h, const char *name, size_t *count);
static bool ws_key_valid(const char *k, size_t n);
static bool ws_b64_char(char c);
static bool ws_same(const char *a, size_t alen, const char *b, size_t blen);

int
ws_handshake_check(const struct http_head *h, struct ws_handshake *out)
{
	const struct http_header *up, *ver, *key;
	size_t nver, nkey;

	out->accept[0] = '\0';
	out->why = NULL;
	if (h->method != HTTP_GET) {
		out->why = "a WebSocket handshake is a GET request";
		return 400;
	}
	if (h->minor < 1) {
		out->why = "a WebSocket handshake needs HTTP/1.1";
		return 400;
	}
	if (h->content_length > 0) {
		out->why = "a WebSocket handshake has no body";
		return 400;
	}
	up = ws_header(h, "upgrade", NULL);
	if (up == NULL ||
	    !http_list_has(up->value, up->value_len, "websocket")) {
		out->why = "this resource is a WebSocket: send Upgrade: "
		           "websocket";
		return 426;
	}
	if (!h->connection_upgrade) {
		out->why = "a WebSocket handshake needs Connection: Upgrade";
		return 400;
	}
	ver = ws_header(h, "sec-websocket-version", &nver);
	if (nver > 1) {
		out->why = "more than one Sec-WebSocket-Version";
		return 400;
	}
	if (ver == NULL ||
	    !ws_same(ver->value, ver->value_len, WS_VERSION, 2)) {
		out->why = "only WebSocket version 13 is spoken";
		return 426;
	}
	key = ws_header(h, "sec-websocket-key", &nkey);
	if (key == NULL) {
		out->why = "missing Sec-WebSocket-Key";
		return 400;
	}
	if (nkey > 1) {
		out->why = "more than one Sec-WebSocket-Key";
		return 400;
	}
	if (!ws_key_valid(key->value, key->value_len)) {
		out->why = "Sec-WebSocket-Key must be the base64 of 16 bytes";
		return 400;
	}
	ws_handshake_accept(key->value, key->value_len, out->accept);
	return 0;
}

void
ws_handshake_accept(const char *key, size_t len, char accept[WS_ACCEPT_SIZE])
{
	char buf[128];
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	/* callers pass a checked key (24 bytes); anything longer is cut */
	if (len > sizeof(buf) - sizeof(WS_GUID))
		len = sizeof(buf) - sizeof(WS_GUID);
	memcpy(buf, key, len);
	memcpy(buf + len, WS_GUID, sizeof(WS_GUID) - 1);
	if (EVP_Digest(buf, len + sizeof(WS_GUID) - 1, md, &mdlen, EVP_sha1(),
	        NULL) != 1 ||
	    mdlen != 20)
		fatal("EVP_Digest(sha1) failed");
	codec_base64(accept, md, mdlen);
}

bool
ws_origin_allowed(const struct http_head *h, bool tls, const char *allowed)
{
	const struct http_header *o, *host;
	const char *scheme = tls ? "https://" : "http://";
	size_t n, slen = strlen(scheme);

	o = ws_header(h, "origin", &n);
	if (o == NULL)
		return true;
	if (n > 1)
		return false;
	host = ws_header(h, "host", NULL);
	if (host != NULL && o->value_len == slen + host->value_len &&
	    strncasecmp(o->value, scheme, slen) == 0 &&
	    strncasecmp(o->value + slen, host->value, host->value_len) == 0)
		return true;
	while (allowed != NULL && *allowed != '\0') {
		const char *end = strchr(allowed, ',');
		size_t len = end ? (size_t)(end - allowed) : strlen(allowed);
		const char *s = allowed;

		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0 && ws_same(o->value, o->value_len, s, len))
			return true;
		allowed = end ? end + 1 : NULL;
	}
	return false;
}

/* The first header called name, and how many there are when count is set. */
static const struct http_header *
ws_header(const struct http_head *h, const char *name, size_t *count)
{
	const struct http_header *first = NULL;
	size_t nlen = strlen(name), n = 0;

	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];

		if (hd->name_len != nlen ||
		    strncasecmp(hd->name, name, nlen) != 0)
			continue;
		if (first == NULL)
			first = hd;
		n++;
	}
	if (count != NULL)
		*count = n;
	return first;
}

static bool
ws_key_valid(const char *k, size_t n)
{
	if (n != 24 || k[22] != '=' || k[23] != '=')
		return false;
	for (size_t i = 0; i < 22; i++)
		if (!ws_b64_char(k[i]))
			return false;
	/* the 22nd character holds 2 bits of the 16th byte and 4 zero bits */
	return k[21] == 'A' || k[21] == 'Q' || k[21] == 'g' || k[21] == 'w';
}

static bool
ws_b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

static bool
ws_same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && strncasecmp(a, b, alen) == 0;
}
