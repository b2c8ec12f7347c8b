/*
 * proxy.c - the PROXY protocol header and X-Forwarded-For, as pure parsers.
 *
 * Version 2: a 16-byte head (signature, version and command, family and
 * transport, length of what follows), then the address block and any TLVs.
 * Only version 2 with the LOCAL or PROXY command is taken; an address family
 * or transport outside the specification is refused; TCP over IPv4 and IPv6
 * give the client's address, and the specification's other valid pairs
 * (unspecified, UNIX, datagram) fall back to the connection's own address,
 * as it allows.  TLVs are skipped: nothing in them is used.
 *
 * Version 1: "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY UNKNOWN
 * ...\r\n", at most 107 bytes, single spaces, CRLF only, numeric addresses
 * of the announced family, ports without leading zeros.
 */
#include "net/proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>

#include "core/cidr.h"

#define PROXY_V1_MAX 107

static const uint8_t proxy_v2_sig[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
static const char proxy_v1_sig[6] = {'P', 'R', 'O', 'X', 'Y', ' '};

static enum proxy_status proxy_parse_v2(
    const uint8_t *buf, size_t len, struct proxy_header *h);
static enum proxy_status proxy_parse_v1(
    const uint8_t *buf, size_t len, struct proxy_header *h);
static int proxy_v1_field(
    const char **p, const char *end, char *out, size_t cap, bool last);
static int proxy_port(const char *s, size_t n);
static int proxy_addr_parse(
    const char *s, size_t len, struct sockaddr_storage *ss);

enum proxy_status
proxy_parse(const uint8_t *buf, size_t len, struct proxy_header *h)
{
	size_t n;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return PROXY_NEED_MORE;
	n = len < sizeof(proxy_v2_sig) ? len : sizeof(proxy_v2_sig);
	if (memcmp(buf, proxy_v2_sig, n) == 0)
		return n < sizeof(proxy_v2_sig) ? PROXY_NEED_MORE
		                                : proxy_parse_v2(buf, len, h);
	n = len < sizeof(proxy_v1_sig) ? len : sizeof(proxy_v1_sig);
	if (memcmp(buf, proxy_v1_sig, n) == 0)
		return n < sizeof(proxy_v1_sig) ? PROXY_NEED_MORE
		                                : proxy_parse_v1(buf, len, h);
	return PROXY_NONE;
}

static enum proxy_status
proxy_parse_v2(const uint8_t *buf, size_t len, struct proxy_header *h)
{
	unsigned cmd, fam, proto;
	size_t block;
	const uint8_t *a;

	if (len < 16)
		return PROXY_NEED_MORE;
	if ((buf[12] >> 4) != 2)
		return PROXY_BAD;
	cmd = buf[12] & 0x0f;
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	block = (size_t)buf[14] << 8 | buf[15];
	if (cmd > 1 || fam > 3 || proto > 2 || block > PROXY_V2_MAX_BLOCK)
		return PROXY_BAD;
	if (len < 16 + block)
		return PROXY_NEED_MORE;
	h->len = 16 + block;
	h->version = 2;
	h->local = true;
	if (cmd == 0 || proto != 1 || (fam != 1 && fam != 2))
		return PROXY_OK; /* LOCAL, or a pair we fall back from */
	a = buf + 16;
	if (fam == 1) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src;

		if (block < 12)
			return PROXY_BAD;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&s4->sin_port, a + 8, 2);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src;

		if (block < 36)
			return PROXY_BAD;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
	}
	h->local = false;
	return PROXY_OK;
}

static enum proxy_status
proxy_parse_v1(const uint8_t *buf, size_t len, struct proxy_header *h)
{
	size_t scan = len < PROXY_V1_MAX ? len : PROXY_V1_MAX, end = 0;
	const char *p, *e;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], sport[8], dport[8];
	int family;

	for (size_t i = sizeof(proxy_v1_sig); i < scan; i++) {
		if (buf[i] == '\n')
			return PROXY_BAD; /* a bare LF */
		if (buf[i] != '\r')
			continue;
		if (i + 1 == len)
			return PROXY_NEED_MORE;
		if (buf[i + 1] != '\n')
			return PROXY_BAD; /* a bare CR */
		end = i + 2;
		break;
	}
	if (end == 0)
		return len < PROXY_V1_MAX ? PROXY_NEED_MORE : PROXY_BAD;
	p = (const char *)buf + sizeof(proxy_v1_sig);
	e = (const char *)buf + end - 2;
	h->len = end;
	h->version = 1;
	if ((size_t)(e - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (e - p == 7 || p[7] == ' ')) {
		h->local = true; /* the rest of the line is ignored */
		return PROXY_OK;
	}
	if ((size_t)(e - p) < 5 || memcmp(p, "TCP", 3) != 0 || p[4] != ' ')
		return PROXY_BAD;
	if (p[3] == '4')
		family = AF_INET;
	else if (p[3] == '6')
		family = AF_INET6;
	else
		return PROXY_BAD;
	p += 5;
	if (proxy_v1_field(&p, e, src, sizeof(src), false) != 0 ||
	    proxy_v1_field(&p, e, dst, sizeof(dst), false) != 0 ||
	    proxy_v1_field(&p, e, sport, sizeof(sport), false) != 0 ||
	    proxy_v1_field(&p, e, dport, sizeof(dport), true) != 0)
		return PROXY_BAD;
	if (proxy_port(sport, strlen(sport)) < 0 ||
	    proxy_port(dport, strlen(dport)) < 0)
		return PROXY_BAD;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src;
		struct in_addr d4;

		if (inet_pton(AF_INET, src, &s4->sin_addr) != 1 ||
		    inet_pton(AF_INET, dst, &d4) != 1)
			return PROXY_BAD;
		s4->sin_family = AF_INET;
		s4->sin_port =
		    htons((uint16_t)proxy_port(sport, strlen(sport)));
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src;
		struct in6_addr d6;

		if (inet_pton(AF_INET6, src, &s6->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, dst, &d6) != 1)
			return PROXY_BAD;
		s6->sin6_family = AF_INET6;
		s6->sin6_port =
		    htons((uint16_t)proxy_port(sport, strlen(sport)));
	}
	h->local = false;
	return PROXY_OK;
}

/* The next field up to one space (or the end, when last) into out. */
static int
proxy_v1_field(
    const char **p, const char *end, char *out, size_t cap, bool last)
{
	const char *s = *p, *f = s;
	size_t n;

	while (f < end && *f != ' ')
		f++;
	n = (size_t)(f - s);
	if (n == 0 || n >= cap || (last ? f != end : f == end))
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = last ? f : f + 1;
	return 0;
}

/* s[0..n) as a port in decimal without leading zeros, or -1. */
static int
proxy_port(const char *s, size_t n)
{
	long v = 0;

	if (n == 0 || n > 5 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= 65535 ? (int)v : -1;
}

/* ---- X-Forwarded-For ---------------------------------------------------- */

enum proxy_xff
proxy_forwarded_for(const char *v, size_t len, const struct cidr_set *trusted,
    char out[PROXY_ADDR_TEXT])
{
	size_t end = len;

	out[0] = '\0';
	for (;;) {
		size_t start = end, s, e;
		struct sockaddr_storage ss;

		while (start > 0 && v[start - 1] != ',')
			start--;
		s = start;
		e = end;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e > s) {
			if (proxy_addr_parse(v + s, e - s, &ss) != 0)
				return PROXY_XFF_INVALID;
			if (!cidr_set_has(trusted, (struct sockaddr *)&ss)) {
				proxy_addr_text((struct sockaddr *)&ss, out);
				return PROXY_XFF_CLIENT;
			}
		}
		if (start == 0)
			return PROXY_XFF_TRUSTED;
		end = start - 1;
	}
}

void
proxy_addr_text(const struct sockaddr *sa, char out[PROXY_ADDR_TEXT])
{
	out[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    out, PROXY_ADDR_TEXT);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
		    PROXY_ADDR_TEXT);
}

/*
 * One entry: 192.0.2.1, 192.0.2.1:443, 2001:db8::1, [2001:db8::1] or
 * [2001:db8::1]:443.
 */
static int
proxy_addr_parse(const char *s, size_t len, struct sockaddr_storage *ss)
{
	char text[INET6_ADDRSTRLEN];
	const char *colon;
	size_t n = len;

	memset(ss, 0, sizeof(*ss));
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) &&
		    memchr(".:[]", s[i], 4) == NULL)
			return -1; /* a NUL too: inet_pton would stop there */
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL)
			return -1;
		if ((size_t)(close - s) + 1 < len &&
		    (close[1] != ':' ||
		        proxy_port(close + 2, len - (size_t)(close - s) - 2) <
		            0))
			return -1;
		s++;
		n = (size_t)(close - s);
		if (memchr(s, ':', n) == NULL)
			return -1; /* brackets hold IPv6 only */
	} else if ((colon = memchr(s, ':', len)) != NULL &&
	    memchr(colon + 1, ':', len - (size_t)(colon - s) - 1) == NULL) {
		if (proxy_port(colon + 1, len - (size_t)(colon - s) - 1) < 0)
			return -1;
		n = (size_t)(colon - s); /* IPv4 with a port */
	}
	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (memchr(text, ':', n)) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		return inet_pton(AF_INET6, text, &s6->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		return inet_pton(AF_INET, text, &s4->sin_addr) == 1 ? 0 : -1;
	}
}
