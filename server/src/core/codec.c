/*
 * codec.c - base64url, base32, hex, UTF-8 and UUID syntax.
 *
 * The UTF-8 check follows RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF.  NUL is refused as well because every string we accept ends
 * up in PostgreSQL text, which cannot hold it.
 */
#include "core/codec.h"

#include <string.h>

size_t
codec_base64url(char *dst, const uint8_t *src, size_t n)
{
	static const char tbl[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 |
		    (uint32_t)src[i + 1] << 8 | src[i + 2];

		dst[o++] = tbl[v >> 18 & 63];
		dst[o++] = tbl[v >> 12 & 63];
		dst[o++] = tbl[v >> 6 & 63];
		dst[o++] = tbl[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)src[i] << 16;

		dst[o++] = tbl[v >> 18 & 63];
		dst[o++] = tbl[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;

		dst[o++] = tbl[v >> 18 & 63];
		dst[o++] = tbl[v >> 12 & 63];
		dst[o++] = tbl[v >> 6 & 63];
	}
	dst[o] = '\0';
	return o;
}

long
codec_base64url_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
	uint32_t buf = 0;
	int bits = 0;
	size_t o = 0;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-')
			v = 62;
		else if (c == '_')
			v = 63;
		else
			return -1;
		buf = (buf << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			dst[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

size_t
codec_base64(char *dst, const uint8_t *src, size_t n)
{
	size_t o = codec_base64url(dst, src, n);

	for (size_t i = 0; i < o; i++) {
		if (dst[i] == '-')
			dst[i] = '+';
		else if (dst[i] == '_')
			dst[i] = '/';
	}
	while (o % 4)
		dst[o++] = '=';
	dst[o] = '\0';
	return o;
}

long
codec_base64_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
	char url[4096];

	if (n > sizeof(url))
		return -1;
	if (n % 4 == 0 && n >= 4) { /* padded: one or two '=' at the end */
		if (src[n - 1] == '=')
			n--;
		if (src[n - 1] == '=')
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (src[i] == '-' || src[i] == '_')
			return -1;
		url[i] = src[i] == '+' ? '-' : src[i] == '/' ? '_' : src[i];
	}
	return codec_base64url_decode(dst, cap, url, n);
}

size_t
codec_base32(char *dst, const uint8_t *src, size_t n)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	uint32_t buf = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		buf = buf << 8 | src[i];
		bits += 8;
		while (bits >= 5) {
			dst[o++] = tbl[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		dst[o++] = tbl[(buf << (5 - bits)) & 31];
	dst[o] = '\0';
	return o;
}

long
codec_base32_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
	uint32_t buf = 0;
	int bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		int v;

		if (c == ' ' || c == '=')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -1;
		buf = (buf << 5 | (uint32_t)v) & 0xffff;
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			dst[o++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
	}
	return (long)o;
}

void
codec_hex(char *dst, const uint8_t *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = hex[src[i] >> 4];
		dst[2 * i + 1] = hex[src[i] & 15];
	}
	dst[2 * n] = '\0';
}

bool
codec_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned char c = p[i];
		size_t need;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c < 0xc2 || c > 0xf4)
			return false;
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (i + need > n)
			return false;
		for (size_t k = 1; k < need; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		if (need == 3 &&
		    ((c == 0xe0 && p[i + 1] < 0xa0) ||
		        (c == 0xed && p[i + 1] >= 0xa0)))
			return false;
		if (need == 4 &&
		    ((c == 0xf0 && p[i + 1] < 0x90) ||
		        (c == 0xf4 && p[i + 1] >= 0x90)))
			return false;
		i += need;
	}
	return true;
}

size_t
codec_utf8_len(const char *s, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

bool
codec_uuid_valid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		               (c >= 'A' && c <= 'F'))) {
			return false;
		}
	}
	return true;
}

/*
 * PostgreSQL renders json as `{"a" : 1, "b" : [1, 2]}`: one pass that drops
 * the blanks outside strings is all it takes to make it compact, instead of
 * parsing and dumping it again.  Strings, where nearly all the bytes are,
 * are found with memchr and copied whole.
 */
size_t
codec_json_compact(char *dst, const char *src, size_t n)
{
	size_t o = 0, i = 0;

	while (i < n) {
		char c = src[i];

		if (c == '"') {
			size_t start = i++;

			for (;;) {
				const char *q = memchr(src + i, '"', n - i);
				size_t bs = 0;

				if (q ==
				    NULL) { /* unterminated: copy the rest */
					i = n;
					break;
				}
				i = (size_t)(q - src);
				while (i - bs > start + 1 &&
				    src[i - bs - 1] == '\\')
					bs++;
				i++;
				if (bs % 2 == 0)
					break;
			}
			memcpy(dst + o, src + start, i - start);
			o += i - start;
			continue;
		}
		if (c != ' ' && c != '\n' && c != '\t' && c != '\r')
			dst[o++] = c;
		i++;
	}
	return o;
}
