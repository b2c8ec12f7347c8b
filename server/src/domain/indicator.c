/*
 * indicator.c - one strict parser and one canonical writer per indicator type.
 *
 * Every value first passes the common text checks (length, UTF-8, no control
 * characters, no whitespace at either end), then its type's parser decides on
 * the whole of it.  Addresses are parsed into bytes and written back from the
 * bytes, so their canonical form depends on the address alone, never on how
 * it was typed.  All output goes through a bounded writer (struct ind_out):
 * no path can overrun the caller's buffer, and a canonical form longer than
 * INDICATOR_VALUE_MAX is refused rather than cut.  Characters are compared by
 * value, not with <ctype.h>, so the locale cannot change what is accepted.
 *
 * Reasons are static strings for people: they say what the value should look
 * like, since the user has to fix it by hand.
 */
#include "domain/indicator.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/codec.h"

_Static_assert(INDICATOR_VALUE_MAX == 2048, "reasons below name 2048 bytes");

/* a bounded writer over the caller's buffer */
struct ind_out {
	char *buf;
	size_t len;
	size_t lim; /* most bytes before the NUL */
	bool over;
};

/* URL schemes we accept and the port each drops as its default */
struct ind_scheme {
	const char *name;
	unsigned port;
};

static int ind_text(const char *s, size_t len, const char **why);
static uint32_t ind_codepoint(const unsigned char *p);
static bool ind_is_space(uint32_t cp);
static bool ind_is_digit(char c);
static int ind_hexval(char c);
static char ind_lower(char c);
static bool ind_caseeq(const char *s, const char *lower, size_t n);
static void ind_put(struct ind_out *o, const char *s, size_t n);
static void ind_putc(struct ind_out *o, char c);
static void ind_put_dec(struct ind_out *o, unsigned v);
static void ind_put_hex(struct ind_out *o, unsigned v);
static int ind_ipv4_parse(
    const char *s, size_t len, uint8_t a[4], const char **why);
static int ind_ipv6_parse(
    const char *s, size_t len, uint8_t a[16], const char **why);
static void ind_ipv4_write(struct ind_out *o, const uint8_t a[4]);
static void ind_ipv6_write(struct ind_out *o, const uint8_t a[16]);
static int ind_ipv4(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_ipv6(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_cidr(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_domain(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_port(
    const char *s, size_t len, unsigned *port, const char **why);
static int ind_url(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_email(
    struct ind_out *o, const char *s, size_t len, const char **why);
static int ind_hash(struct ind_out *o, const char *s, size_t len, size_t digits,
    const char *reason, const char **why);
static int ind_cve(
    struct ind_out *o, const char *s, size_t len, const char **why);

static const char *const ind_names[INDICATOR_TYPES] = {
    [IND_IPV4] = "ipv4",
    [IND_IPV6] = "ipv6",
    [IND_CIDR] = "cidr",
    [IND_DOMAIN] = "domain",
    [IND_URL] = "url",
    [IND_EMAIL] = "email",
    [IND_MD5] = "md5",
    [IND_SHA1] = "sha1",
    [IND_SHA256] = "sha256",
    [IND_CVE] = "cve",
};

/* keep why_url_scheme in step with this table */
static const struct ind_scheme ind_schemes[] = {
    {"http", 80},
    {"https", 443},
    {"ftp", 21},
    {"ftps", 990},
    {"ws", 80},
    {"wss", 443},
    {"ssh", 22},
    {"smb", 445},
};

/* reasons, for people: each says what the value should look like */
static const char why_v4_shape[] =
    "an IPv4 address is four decimal numbers separated by dots";
static const char why_v4_zero[] = "an IPv4 address has no leading zeros";
static const char why_v4_range[] = "an IPv4 address has numbers from 0 to 255";
static const char why_v6_shape[] =
    "an IPv6 address is eight groups of hex digits separated by colons, with "
    ":: for one run of zero groups";
static const char why_v6_group[] =
    "an IPv6 address has groups of at most four hex digits";
static const char why_v6_gap[] = "an IPv6 address has :: at most once";
static const char why_v6_zone[] = "an IPv6 address has no zone id (%...)";
static const char why_cidr_shape[] =
    "a CIDR block is an address, a slash and a prefix length (like "
    "192.0.2.0/24)";
static const char why_cidr_zero[] = "a CIDR prefix length has no leading zeros";
static const char why_cidr_v4[] = "an IPv4 CIDR prefix length is from 0 to 32";
static const char why_cidr_v6[] = "an IPv6 CIDR prefix length is from 0 to 128";
static const char why_cidr_host[] =
    "host bits must be zero: a CIDR block starts at its first address (like "
    "192.0.2.0/24, not 192.0.2.1/24)";
static const char why_dom_idn[] =
    "an internationalised domain name must be given in its punycode (xn--) "
    "form";
static const char why_dom_long[] = "a domain name is at most 253 characters";
static const char why_dom_empty[] =
    "a domain name has no empty labels (no leading dot or two dots in a row)";
static const char why_dom_label[] = "a domain label is at most 63 characters";
static const char why_dom_underscore[] = "a domain name has no underscores";
static const char why_dom_chars[] =
    "a domain name has only ASCII letters, digits, hyphens and dots";
static const char why_dom_hyphen[] =
    "a domain label does not start or end with a hyphen";
static const char why_dom_two[] =
    "a domain name has at least two labels (like example.com)";
static const char why_dom_numeric[] =
    "a domain name does not end in an all-numeric label (an IP address is not "
    "a domain)";
static const char why_url_shape[] =
    "a URL starts with a scheme and :// (like https://example.com/)";
static const char why_url_scheme[] =
    "a URL scheme is one of http, https, ftp, ftps, ws, wss, ssh and smb";
static const char why_url_user[] =
    "a URL with user information (user@) before its host is not accepted";
static const char why_url_host[] = "a URL has a host after ://";
static const char why_url_bracket[] =
    "a URL's IPv6 host is in brackets, followed by nothing or :port (like "
    "http://[2001:db8::1]:8080/)";
static const char why_url_port[] = "a URL port is a number from 1 to 65535";
static const char why_url_portzero[] = "a URL port has no leading zeros";
static const char why_url_rest[] =
    "a URL path, query and fragment are printable ASCII without spaces "
    "(percent-encode the rest)";
static const char why_mail_shape[] =
    "an e-mail address is a local part, @ and a domain";
static const char why_mail_locallen[] =
    "an e-mail local part is 1 to 64 characters";
static const char why_mail_local[] =
    "an e-mail local part is printable ASCII without spaces or any of "
    "()<>[]:;,\\\"@";
static const char why_md5[] = "an MD5 hash is exactly 32 hex digits";
static const char why_sha1[] = "a SHA-1 hash is exactly 40 hex digits";
static const char why_sha256[] = "a SHA-256 hash is exactly 64 hex digits";
static const char why_cve_shape[] =
    "a CVE id is CVE-, a four-digit year, - and a number of 4 to 19 digits "
    "(like CVE-2024-1234)";
static const char why_cve_year[] = "a CVE id has a year from 1999 to 2099";
static const char why_cve_zero[] =
    "a CVE number has leading zeros only to make up four digits";

int
indicator_type_parse(const char *name, enum indicator_type *out)
{
	for (int t = 0; t < INDICATOR_TYPES; t++) {
		if (strcmp(name, ind_names[t]) == 0) {
			*out = (enum indicator_type)t;
			return 0;
		}
	}
	return -1;
}

const char *
indicator_type_name(enum indicator_type t)
{
	if ((unsigned)t >= INDICATOR_TYPES)
		return NULL;
	return ind_names[t];
}

int
indicator_normalise(enum indicator_type t, const char *value, size_t len,
    char *out, size_t cap, const char **why)
{
	struct ind_out o;
	int rc;

	*why = NULL;
	if (cap == 0) {
		*why = "has no room for its canonical form";
		return -1;
	}
	o.buf = out;
	o.len = 0;
	o.lim = cap - 1 < INDICATOR_VALUE_MAX ? cap - 1 : INDICATOR_VALUE_MAX;
	o.over = false;
	out[0] = '\0';
	if (ind_text(value, len, why) != 0)
		return -1;
	switch (t) {
	case IND_IPV4:
		rc = ind_ipv4(&o, value, len, why);
		break;
	case IND_IPV6:
		rc = ind_ipv6(&o, value, len, why);
		break;
	case IND_CIDR:
		rc = ind_cidr(&o, value, len, why);
		break;
	case IND_DOMAIN:
		rc = ind_domain(&o, value, len, why);
		break;
	case IND_URL:
		rc = ind_url(&o, value, len, why);
		break;
	case IND_EMAIL:
		rc = ind_email(&o, value, len, why);
		break;
	case IND_MD5:
		rc = ind_hash(&o, value, len, 32, why_md5, why);
		break;
	case IND_SHA1:
		rc = ind_hash(&o, value, len, 40, why_sha1, why);
		break;
	case IND_SHA256:
		rc = ind_hash(&o, value, len, 64, why_sha256, why);
		break;
	case IND_CVE:
		rc = ind_cve(&o, value, len, why);
		break;
	default:
		*why = "is of an unknown indicator type";
		rc = -1;
		break;
	}
	if (rc == 0 && o.over) {
		*why = "is longer than 2048 bytes in canonical form";
		rc = -1;
	}
	if (rc != 0) {
		out[0] = '\0';
		return -1;
	}
	out[o.len] = '\0';
	return 0;
}

int
indicator_ipv4_of_mapped(const char *ipv6, char *out, size_t cap)
{
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct ind_out o;
	uint8_t a[16];
	const char *why;

	if (cap == 0)
		return -1;
	out[0] = '\0';
	if (ind_ipv6_parse(ipv6, strlen(ipv6), a, &why) != 0 ||
	    memcmp(a, mapped, sizeof(mapped)) != 0)
		return -1;
	o.buf = out;
	o.len = 0;
	o.lim = cap - 1;
	o.over = false;
	ind_ipv4_write(&o, a + 12);
	if (o.over) {
		out[0] = '\0';
		return -1;
	}
	out[o.len] = '\0';
	return 0;
}

/*
 * Checks shared by every type.  C1 controls (U+0080..U+009F) count as
 * control characters too; whitespace at either end includes the Unicode
 * spaces a copy from a web page brings along (U+00A0, U+3000, U+FEFF...).
 */
static int
ind_text(const char *s, size_t len, const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t last;

	if (len == 0) {
		*why = "is empty";
		return -1;
	}
	if (len > INDICATOR_VALUE_MAX) {
		*why = "is longer than 2048 bytes";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			*why = "contains a control character";
			return -1;
		}
	}
	if (!codec_utf8_valid(s, len)) {
		*why = "is not valid UTF-8";
		return -1;
	}
	/* 0xc2 is never a continuation byte, so this is U+0080..U+009F */
	for (size_t i = 0; i + 1 < len; i++) {
		if (p[i] == 0xc2 && p[i + 1] < 0xa0) {
			*why = "contains a control character";
			return -1;
		}
	}
	last = len - 1;
	while (last > 0 && (p[last] & 0xc0) == 0x80)
		last--;
	if (ind_is_space(ind_codepoint(p)) ||
	    ind_is_space(ind_codepoint(p + last))) {
		*why = "has leading or trailing whitespace";
		return -1;
	}
	return 0;
}

/* the code point starting at p, in text already checked to be UTF-8 */
static uint32_t
ind_codepoint(const unsigned char *p)
{
	if (p[0] < 0x80)
		return p[0];
	if (p[0] < 0xe0)
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	if (p[0] < 0xf0)
		return (uint32_t)(p[0] & 0x0f) << 12 |
		    (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* Unicode White_Space that is not a control character, and the BOM */
static bool
ind_is_space(uint32_t cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000 || cp == 0xfeff;
}

static bool
ind_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
ind_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char
ind_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the lower-case ASCII lower[0..n), ignoring case */
static bool
ind_caseeq(const char *s, const char *lower, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ind_lower(s[i]) != lower[i])
			return false;
	return true;
}

static void
ind_put(struct ind_out *o, const char *s, size_t n)
{
	if (o->over || n > o->lim - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
ind_putc(struct ind_out *o, char c)
{
	ind_put(o, &c, 1);
}

static void
ind_put_dec(struct ind_out *o, unsigned v)
{
	char d[12];
	size_t n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		ind_putc(o, d[--n]);
}

/* lower-case hex without leading zeros (RFC 5952 4.1, 4.3) */
static void
ind_put_hex(struct ind_out *o, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char d[8];
	size_t n = 0;

	do {
		d[n++] = digits[v & 0xf];
		v >>= 4;
	} while (v != 0);
	while (n > 0)
		ind_putc(o, d[--n]);
}

/*
 * A dotted quad and nothing else: decimal only, no leading zeros, so none of
 * the octal, hex or short forms inet_aton reads differently.
 */
static int
ind_ipv4_parse(const char *s, size_t len, uint8_t a[4], const char **why)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start;
		unsigned v = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				goto shape;
			i++;
		}
		start = i;
		while (i < len && ind_is_digit(s[i]) && i - start < 4)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start)
			goto shape;
		if (s[start] == '0' && i - start > 1) {
			*why = why_v4_zero;
			return -1;
		}
		if (v > 255) {
			*why = why_v4_range;
			return -1;
		}
		a[part] = (uint8_t)v;
	}
	if (i != len)
		goto shape;
	return 0;
shape:
	*why = why_v4_shape;
	return -1;
}

/*
 * RFC 4291 2.2: eight groups of 1..4 hex digits, one "::" standing for one
 * or more zero groups, and optionally a dotted quad as the last 32 bits.
 */
static int
ind_ipv6_parse(const char *s, size_t len, uint8_t a[16], const char **why)
{
	uint16_t g[8];
	size_t i = 0, n = 0, gap = 8;
	bool compressed = false;

	if (memchr(s, '%', len) != NULL) {
		*why = why_v6_zone;
		return -1;
	}
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		compressed = true;
		gap = 0;
		i = 2;
	}
	while (i < len) {
		size_t j = i;
		unsigned v = 0;

		while (j < len && ind_hexval(s[j]) >= 0)
			j++;
		if (j < len && s[j] == '.') {
			uint8_t q[4];

			if (n > 6)
				goto shape;
			if (ind_ipv4_parse(s + i, len - i, q, why) != 0)
				return -1;
			g[n++] = (uint16_t)(q[0] << 8 | q[1]);
			g[n++] = (uint16_t)(q[2] << 8 | q[3]);
			break;
		}
		if (j == i || n == 8)
			goto shape;
		if (j - i > 4) {
			*why = why_v6_group;
			return -1;
		}
		for (; i < j; i++)
			v = v << 4 | (unsigned)ind_hexval(s[i]);
		g[n++] = (uint16_t)v;
		if (i == len)
			break;
		if (s[i++] != ':' || i == len)
			goto shape;
		if (s[i] == ':') {
			if (compressed) {
				*why = why_v6_gap;
				return -1;
			}
			compressed = true;
			gap = n;
			i++;
		}
	}
	if (compressed ? n > 7 : n != 8)
		goto shape;
	memset(a, 0, 16);
	for (size_t k = 0; k < n; k++) {
		size_t pos = k >= gap ? k + 8 - n : k;

		a[2 * pos] = (uint8_t)(g[k] >> 8);
		a[2 * pos + 1] = (uint8_t)(g[k] & 0xff);
	}
	return 0;
shape:
	*why = why_v6_shape;
	return -1;
}

static void
ind_ipv4_write(struct ind_out *o, const uint8_t a[4])
{
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			ind_putc(o, '.');
		ind_put_dec(o, a[i]);
	}
}

/*
 * RFC 5952: the longest run of two or more zero groups becomes "::" (the
 * first of equal runs), and IPv4-mapped addresses keep the dotted quad (5).
 */
static void
ind_ipv6_write(struct ind_out *o, const uint8_t a[16])
{
	static const uint8_t mapped[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned g[8];
	int best = -1, bestlen = 1;

	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		ind_put(o, "::ffff:", 7);
		ind_ipv4_write(o, a + 12);
		return;
	}
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			ind_put(o, "::", 2);
			i += bestlen - 1;
			continue;
		}
		if (i > 0 && i != best + bestlen)
			ind_putc(o, ':');
		ind_put_hex(o, g[i]);
	}
}

static int
ind_ipv4(struct ind_out *o, const char *s, size_t len, const char **why)
{
	uint8_t a[4];

	if (ind_ipv4_parse(s, len, a, why) != 0)
		return -1;
	ind_ipv4_write(o, a);
	return 0;
}

static int
ind_ipv6(struct ind_out *o, const char *s, size_t len, const char **why)
{
	uint8_t a[16];

	if (ind_ipv6_parse(s, len, a, why) != 0)
		return -1;
	ind_ipv6_write(o, a);
	return 0;
}

/* a colon before the slash makes it IPv6; host bits must be zero */
static int
ind_cidr(struct ind_out *o, const char *s, size_t len, const char **why)
{
	const char *slash = memchr(s, '/', len);
	const char *p;
	uint8_t a[16];
	size_t alen, plen;
	unsigned bits, prefix = 0;
	bool v6;

	if (slash == NULL) {
		*why = why_cidr_shape;
		return -1;
	}
	alen = (size_t)(slash - s);
	p = slash + 1;
	plen = len - alen - 1;
	v6 = memchr(s, ':', alen) != NULL;
	bits = v6 ? 128 : 32;
	if (v6 ? ind_ipv6_parse(s, alen, a, why) != 0
	       : ind_ipv4_parse(s, alen, a, why) != 0)
		return -1;
	if (plen == 0) {
		*why = why_cidr_shape;
		return -1;
	}
	for (size_t i = 0; i < plen; i++) {
		if (!ind_is_digit(p[i])) {
			*why = why_cidr_shape;
			return -1;
		}
	}
	if (plen > 1 && p[0] == '0') {
		*why = why_cidr_zero;
		return -1;
	}
	for (size_t i = 0; i < plen && prefix <= bits; i++)
		prefix = prefix * 10 + (unsigned)(p[i] - '0');
	if (prefix > bits) {
		*why = v6 ? why_cidr_v6 : why_cidr_v4;
		return -1;
	}
	for (unsigned b = prefix; b < bits; b++) {
		if (a[b / 8] & (0x80u >> (b % 8))) {
			*why = why_cidr_host;
			return -1;
		}
	}
	if (v6)
		ind_ipv6_write(o, a);
	else
		ind_ipv4_write(o, a);
	ind_putc(o, '/');
	ind_put_dec(o, prefix);
	return 0;
}

/*
 * RFC 1035 LDH labels, lower-cased, one root dot dropped.  A-labels (xn--)
 * are plain LDH; "xn--" alone is already refused by the hyphen rule.
 */
static int
ind_domain(struct ind_out *o, const char *s, size_t len, const char **why)
{
	size_t start = 0, labels = 0;
	bool numeric = true, last_numeric = false;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80) {
			*why = why_dom_idn;
			return -1;
		}
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len > 253) {
		*why = why_dom_long;
		return -1;
	}
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.') {
			char c = ind_lower(s[i]);

			if (c == '_') {
				*why = why_dom_underscore;
				return -1;
			}
			if (!((c >= 'a' && c <= 'z') || ind_is_digit(c) ||
			        c == '-')) {
				*why = why_dom_chars;
				return -1;
			}
			if (!ind_is_digit(c))
				numeric = false;
			continue;
		}
		if (i == start) {
			*why = why_dom_empty;
			return -1;
		}
		if (i - start > 63) {
			*why = why_dom_label;
			return -1;
		}
		if (s[start] == '-' || s[i - 1] == '-') {
			*why = why_dom_hyphen;
			return -1;
		}
		labels++;
		last_numeric = numeric;
		numeric = true;
		start = i + 1;
	}
	if (labels < 2) {
		*why = why_dom_two;
		return -1;
	}
	if (last_numeric) {
		*why = why_dom_numeric;
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		ind_putc(o, ind_lower(s[i]));
	return 0;
}

static int
ind_port(const char *s, size_t len, unsigned *port, const char **why)
{
	unsigned v = 0;

	if (len == 0 || len > 5) {
		*why = why_url_port;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!ind_is_digit(s[i])) {
			*why = why_url_port;
			return -1;
		}
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (len > 1 && s[0] == '0') {
		*why = why_url_portzero;
		return -1;
	}
	if (v < 1 || v > 65535) {
		*why = why_url_port;
		return -1;
	}
	*port = v;
	return 0;
}

/*
 * scheme://host[:port][path][?query][#fragment].  The host is canonical
 * (domain, dotted quad or bracketed RFC 5952 IPv6), the scheme's default port
 * is dropped, and everything from the first '/', '?' or '#' after the host is
 * kept byte for byte: which escapes a server decodes is the server's business.
 */
static int
ind_url(struct ind_out *o, const char *s, size_t len, const char **why)
{
	const char *colon = memchr(s, ':', len);
	const char *end = s + len;
	const char *auth, *aend, *port = NULL;
	const struct ind_scheme *sc = NULL;
	size_t slen;
	unsigned pnum = 0;
	uint8_t a[16];

	if (colon == NULL || end - colon < 3 || colon[1] != '/' ||
	    colon[2] != '/') {
		*why = why_url_shape;
		return -1;
	}
	slen = (size_t)(colon - s);
	for (size_t k = 0; k < sizeof(ind_schemes) / sizeof(ind_schemes[0]);
	     k++) {
		if (strlen(ind_schemes[k].name) == slen &&
		    ind_caseeq(s, ind_schemes[k].name, slen))
			sc = &ind_schemes[k];
	}
	if (sc == NULL) {
		*why = why_url_scheme;
		return -1;
	}
	auth = colon + 3;
	aend = auth;
	while (aend < end && *aend != '/' && *aend != '?' && *aend != '#')
		aend++;
	if (memchr(auth, '@', (size_t)(aend - auth)) != NULL) {
		*why = why_url_user;
		return -1;
	}
	for (const char *p = aend; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f) {
			*why = why_url_rest;
			return -1;
		}
	}
	ind_put(o, sc->name, slen);
	ind_put(o, "://", 3);
	if (auth < aend && *auth == '[') {
		const char *rb = memchr(auth, ']', (size_t)(aend - auth));

		if (rb == NULL || (rb + 1 < aend && rb[1] != ':')) {
			*why = why_url_bracket;
			return -1;
		}
		if (ind_ipv6_parse(auth + 1, (size_t)(rb - auth - 1), a, why) !=
		    0)
			return -1;
		if (rb + 1 < aend)
			port = rb + 2;
		ind_putc(o, '[');
		ind_ipv6_write(o, a);
		ind_putc(o, ']');
	} else {
		const char *hend = memchr(auth, ':', (size_t)(aend - auth));
		size_t hlen;
		bool dotted = true;

		if (hend == NULL)
			hend = aend;
		else
			port = hend + 1;
		hlen = (size_t)(hend - auth);
		if (hlen == 0) {
			*why = why_url_host;
			return -1;
		}
		for (size_t i = 0; i < hlen; i++)
			if (!ind_is_digit(auth[i]) && auth[i] != '.')
				dotted = false;
		if (dotted) {
			if (ind_ipv4_parse(auth, hlen, a, why) != 0)
				return -1;
			ind_ipv4_write(o, a);
		} else if (ind_domain(o, auth, hlen, why) != 0) {
			return -1;
		}
	}
	if (port != NULL) {
		if (ind_port(port, (size_t)(aend - port), &pnum, why) != 0)
			return -1;
		if (pnum != sc->port) {
			ind_putc(o, ':');
			ind_put_dec(o, pnum);
		}
	}
	ind_put(o, aend, (size_t)(end - aend));
	return 0;
}

/* the local part is kept as given: its case may matter to the mail host */
static int
ind_email(struct ind_out *o, const char *s, size_t len, const char **why)
{
	const char *at = NULL;
	size_t llen;

	for (size_t i = len; i > 0 && at == NULL; i--)
		if (s[i - 1] == '@')
			at = s + i - 1;
	if (at == NULL) {
		*why = why_mail_shape;
		return -1;
	}
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64) {
		*why = why_mail_locallen;
		return -1;
	}
	for (size_t i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("()<>[]:;,\\\"@", c)) {
			*why = why_mail_local;
			return -1;
		}
	}
	ind_put(o, s, llen);
	ind_putc(o, '@');
	return ind_domain(o, at + 1, len - llen - 1, why);
}

static int
ind_hash(struct ind_out *o, const char *s, size_t len, size_t digits,
    const char *reason, const char **why)
{
	if (len != digits) {
		*why = reason;
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (ind_hexval(s[i]) < 0) {
			*why = reason;
			return -1;
		}
	}
	for (size_t i = 0; i < len; i++)
		ind_putc(o, ind_lower(s[i]));
	return 0;
}

/*
 * CVE-YYYY-NNNN with 4 to 19 digits (the CVE JSON schema's pattern); past
 * four digits the number has no leading zero, so each id has one spelling.
 */
static int
ind_cve(struct ind_out *o, const char *s, size_t len, const char **why)
{
	const char *seq = s + 9;
	size_t slen;
	unsigned year = 0;

	if (len < 13 || len > 28 || !ind_caseeq(s, "cve-", 4) || s[8] != '-') {
		*why = why_cve_shape;
		return -1;
	}
	slen = len - 9;
	for (size_t i = 4; i < 8; i++) {
		if (!ind_is_digit(s[i])) {
			*why = why_cve_shape;
			return -1;
		}
		year = year * 10 + (unsigned)(s[i] - '0');
	}
	for (size_t i = 0; i < slen; i++) {
		if (!ind_is_digit(seq[i])) {
			*why = why_cve_shape;
			return -1;
		}
	}
	if (year < 1999 || year > 2099) {
		*why = why_cve_year;
		return -1;
	}
	if (slen > 4 && seq[0] == '0') {
		*why = why_cve_zero;
		return -1;
	}
	ind_put(o, "CVE-", 4);
	ind_put(o, s + 4, 5);
	ind_put(o, seq, slen);
	return 0;
}
