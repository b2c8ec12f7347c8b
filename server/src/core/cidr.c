/*
 * cidr.c - parsing a list of address ranges and looking addresses up in it.
 *
 * A linear scan: the set is an operator's handful of load balancers, asked
 * once per accepted connection and once per X-Forwarded-For entry.
 */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static int cidr_parse_one(const char *s, size_t len, struct cidr *out);
static bool cidr_match(const struct cidr *c, const uint8_t a[16]);
static void cidr_mapped(const uint8_t v4[4], uint8_t out[16]);

int
cidr_set_parse(const char *list, struct cidr_set *out, char *err, size_t errlen)
{
	const char *p = list;

	out->v = NULL;
	out->n = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t s = 0;

		while (s < len && (p[s] == ' ' || p[s] == '\t'))
			s++;
		while (len > s && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (out->n == CIDR_SET_MAX) {
			snprintf(
			    err, errlen, "more than %d entries", CIDR_SET_MAX);
			goto fail;
		}
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		if (len == s) {
			snprintf(err, errlen,
			    "an empty entry in the list (a stray comma)");
			goto fail;
		}
		if (cidr_parse_one(p + s, len - s, &out->v[out->n]) != 0) {
			snprintf(err, errlen,
			    "expected IP addresses or CIDRs separated by "
			    "commas (192.0.2.10, 10.0.0.0/8, 2001:db8::/32; "
			    "no host bits past the prefix), got '%.*s'",
			    (int)(len - s > 64 ? 64 : len - s), p + s);
			goto fail;
		}
		out->n++;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
fail:
	cidr_set_free(out);
	return -1;
}

void
cidr_set_free(struct cidr_set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

bool
cidr_set_has(const struct cidr_set *s, const struct sockaddr *sa)
{
	uint8_t a[16];

	if (sa->sa_family == AF_INET)
		cidr_mapped((const uint8_t *)&((const struct sockaddr_in *)sa)
		                ->sin_addr,
		    a);
	else if (sa->sa_family == AF_INET6)
		memcpy(a, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr,
		    16);
	else
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (cidr_match(&s->v[i], a))
			return true;
	return false;
}

/* One "address" or "address/bits", already trimmed. */
static int
cidr_parse_one(const char *s, size_t len, struct cidr *out)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char text[INET6_ADDRSTRLEN];
	unsigned bits, max;
	bool v6;

	if (alen == 0 || alen >= sizeof(text))
		return -1;
	memcpy(text, s, alen);
	text[alen] = '\0';
	v6 = memchr(text, ':', alen) != NULL;
	if (v6) {
		if (inet_pton(AF_INET6, text, out->addr) != 1)
			return -1;
		max = 128;
	} else {
		uint8_t v4[4];

		if (inet_pton(AF_INET, text, v4) != 1)
			return -1;
		cidr_mapped(v4, out->addr);
		max = 32;
	}
	bits = max;
	if (slash) {
		const char *d = slash + 1, *end = s + len;

		if (d == end || end - d > 3 || (d[0] == '0' && end - d > 1))
			return -1;
		bits = 0;
		for (; d < end; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			bits = bits * 10 + (unsigned)(*d - '0');
		}
		if (bits > max)
			return -1;
	}
	out->bits = v6 ? bits : bits + 96;
	/* host bits past the prefix: a typo, or a wider range than meant */
	for (unsigned b = out->bits; b < 128; b++)
		if (out->addr[b / 8] & (0x80 >> (b % 8)))
			return -1;
	return 0;
}

static bool
cidr_match(const struct cidr *c, const uint8_t a[16])
{
	unsigned whole = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[whole] ^ a[whole]) & (uint8_t)(0xff00 >> rest)) == 0;
}

static void
cidr_mapped(const uint8_t v4[4], uint8_t out[16])
{
	memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}
