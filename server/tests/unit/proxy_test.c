/*
 * proxy_test.c - the client's address behind a trusted proxy: the set of
 * trusted ranges (core/cidr.c), the PROXY protocol header and
 * X-Forwarded-For (net/proxy.c).
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "core/cidr.h"
#include "net/proxy.h"

static const uint8_t SIG[12] = {
    0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static void
sa_of(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
}

static bool
has(const struct cidr_set *s, const char *text)
{
	struct sockaddr_storage ss;

	sa_of(text, &ss);
	return cidr_set_has(s, (struct sockaddr *)&ss);
}

static void
parse_ok(const char *list, struct cidr_set *s)
{
	char err[256];

	assert_int_equal(cidr_set_parse(list, s, err, sizeof(err)), 0);
}

static void
parse_bad(const char *list)
{
	struct cidr_set s;
	char err[256] = "";

	assert_int_equal(cidr_set_parse(list, &s, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_null(s.v);
	assert_int_equal(s.n, 0);
}

static void
test_cidr_sets(void **state)
{
	struct cidr_set s;

	(void)state;
	parse_ok("", &s);
	assert_int_equal(s.n, 0);
	assert_false(has(&s, "127.0.0.1"));
	cidr_set_free(&s);

	parse_ok(" 127.0.0.1 , 10.0.0.0/8,2001:db8:1::/48\t", &s);
	assert_int_equal(s.n, 3);
	assert_true(has(&s, "127.0.0.1"));
	assert_false(has(&s, "127.0.0.2"));
	assert_true(has(&s, "10.255.0.1"));
	assert_false(has(&s, "11.0.0.1"));
	assert_true(has(&s, "2001:db8:1:ffff::1"));
	assert_false(has(&s, "2001:db8:2::1"));
	/* IPv4 as an IPv6 listener sees it */
	assert_true(has(&s, "::ffff:127.0.0.1"));
	assert_true(has(&s, "::ffff:10.1.2.3"));
	/* an IPv6 address is never taken for an IPv4 one */
	assert_false(has(&s, "::7f00:1"));
	cidr_set_free(&s);

	parse_ok("192.0.2.128/25, 0.0.0.0/0", &s);
	assert_true(has(&s, "198.51.100.1"));
	assert_false(has(&s, "2001:db8::1"));
	cidr_set_free(&s);
	parse_ok("192.0.2.128/25", &s);
	assert_true(has(&s, "192.0.2.200"));
	assert_false(has(&s, "192.0.2.127"));
	cidr_set_free(&s);
	parse_ok("::/0", &s);
	assert_true(has(&s, "2001:db8::1"));
	assert_true(has(&s, "192.0.2.1"));
	cidr_set_free(&s);

	parse_bad("10.0.0.1/8"); /* host bits past the prefix */
	parse_bad("2001:db8::1/64");
	parse_bad("10.0.0.0/33");
	parse_bad("2001:db8::/129");
	parse_bad("10.0.0.0/");
	parse_bad("10.0.0.0/08");
	parse_bad("10.0.0.0/8x");
	parse_bad("localhost");
	parse_bad("10.0.0");
	parse_bad("010.0.0.1");
	parse_bad("fe80::1%eth0");
	parse_bad("127.0.0.1,");
	parse_bad("127.0.0.1,,10.0.0.1");
	parse_bad(",127.0.0.1");
}

static enum proxy_status
parse(const void *buf, size_t len, struct proxy_header *h)
{
	return proxy_parse((const uint8_t *)buf, len, h);
}

/* A version 2 header into out; its length. */
static size_t
v2(uint8_t *out, uint8_t ver_cmd, uint8_t fam, const uint8_t *block,
    size_t blen)
{
	memcpy(out, SIG, 12);
	out[12] = ver_cmd;
	out[13] = fam;
	out[14] = (uint8_t)(blen >> 8);
	out[15] = (uint8_t)blen;
	if (blen)
		memcpy(out + 16, block, blen);
	return 16 + blen;
}

static void
assert_src(const struct proxy_header *h, const char *text, uint16_t port)
{
	char got[PROXY_ADDR_TEXT];

	assert_false(h->local);
	proxy_addr_text((const struct sockaddr *)&h->src, got);
	assert_string_equal(got, text);
	if (h->src.ss_family == AF_INET)
		assert_int_equal(
		    ntohs(((const struct sockaddr_in *)&h->src)->sin_port),
		    port);
	else
		assert_int_equal(
		    ntohs(((const struct sockaddr_in6 *)&h->src)->sin6_port),
		    port);
}

static void
test_v2(void **state)
{
	uint8_t buf[PROXY_MAX_LEN + 64], block[64] = {0};
	struct proxy_header h;
	size_t n;

	(void)state;
	/* TCP over IPv4, then the request: only the header is consumed */
	memcpy(block,
	    (uint8_t[]){203, 0, 113, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x01, 0xbb},
	    12);
	n = v2(buf, 0x21, 0x11, block, 12);
	memcpy(buf + n, "GET / HTTP/1.1\r\n", 16);
	assert_int_equal(parse(buf, n + 16, &h), PROXY_OK);
	assert_int_equal(h.len, 28);
	assert_int_equal(h.version, 2);
	assert_src(&h, "203.0.113.7", 40000);
	/* every shorter prefix asks for more, so no byte past it is read */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(parse(buf, i, &h), PROXY_NEED_MORE);

	/* TCP over IPv6, with TLVs after the addresses */
	memset(block, 0, sizeof(block));
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::7", block), 1);
	block[32] = 0x9c;
	block[33] = 0x40;
	memcpy(block + 36, "\x01\x00\x02h2\x04\x00\x01\x00", 9);
	n = v2(buf, 0x21, 0x21, block, 45);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_int_equal(h.len, 61);
	assert_src(&h, "2001:db8::7", 40000);

	/* LOCAL (health checks): the connection's own address stands */
	n = v2(buf, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_true(h.local);
	assert_int_equal(h.len, 16);
	/* LOCAL skips whatever block it carries */
	n = v2(buf, 0x20, 0x11, block, 12);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_true(h.local);
	assert_int_equal(h.len, 28);
	/* PROXY over unspecified, UNIX or datagram falls back to the same */
	n = v2(buf, 0x21, 0x00, NULL, 0);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_true(h.local);
	n = v2(buf, 0x21, 0x31, block, 64);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_true(h.local);
	n = v2(buf, 0x21, 0x12, block, 12);
	assert_int_equal(parse(buf, n, &h), PROXY_OK);
	assert_true(h.local);

	/* what the specification says to refuse */
	n = v2(buf, 0x11, 0x11, block, 12); /* version 1 in binary */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x31, 0x11, block, 12); /* version 3 */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x22, 0x11, block, 12); /* command 2 */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x21, 0x41, block, 12); /* family 4 */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x21, 0x13, block, 12); /* transport 3 */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x21, 0x11, block, 11); /* IPv4 block too short */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	n = v2(buf, 0x21, 0x21, block, 35); /* IPv6 block too short */
	assert_int_equal(parse(buf, n, &h), PROXY_BAD);
	/* a block over the bound is refused before it is read */
	n = v2(buf, 0x21, 0x11, NULL, 0);
	buf[14] = (PROXY_V2_MAX_BLOCK + 1) >> 8;
	buf[15] = (PROXY_V2_MAX_BLOCK + 1) & 0xff;
	assert_int_equal(parse(buf, 16, &h), PROXY_BAD);
	/* and one at the bound is taken */
	memset(buf + 16, 0, PROXY_V2_MAX_BLOCK);
	buf[14] = PROXY_V2_MAX_BLOCK >> 8;
	buf[15] = PROXY_V2_MAX_BLOCK & 0xff;
	assert_int_equal(parse(buf, PROXY_MAX_LEN - 1, &h), PROXY_NEED_MORE);
	assert_int_equal(parse(buf, PROXY_MAX_LEN, &h), PROXY_OK);
	assert_int_equal(h.len, PROXY_MAX_LEN);
}

static void
test_v1(void **state)
{
	static const char *const bad[] = {
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000\r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000 443 1\r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000 0443\r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000 65536\r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 -1 443\r\n",
	    "PROXY TCP4 2001:db8::7 ::1 40000 443\r\n",
	    "PROXY TCP6 203.0.113.7 127.0.0.1 40000 443\r\n",
	    "PROXY TCP4 203.0.113.07 127.0.0.1 40000 443\r\n",
	    "PROXY TCP4  203.0.113.7 127.0.0.1 40000 443\r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000 443 \r\n",
	    "PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\n",
	    "PROXY TCP4 203.0.113.7\r127.0.0.1 40000 443\r\n",
	    "PROXY TCP5 203.0.113.7 127.0.0.1 40000 443\r\n",
	    "PROXY tcp4 203.0.113.7 127.0.0.1 40000 443\r\n",
	    "PROXY UNKNOWNX\r\n",
	    "PROXY \r\n",
	};
	struct proxy_header h;
	const char *line;
	char longline[200];

	(void)state;
	line = "PROXY TCP4 203.0.113.7 127.0.0.1 40000 443\r\nGET";
	assert_int_equal(parse(line, strlen(line), &h), PROXY_OK);
	assert_int_equal(h.len, strlen(line) - 3);
	assert_int_equal(h.version, 1);
	assert_src(&h, "203.0.113.7", 40000);
	for (size_t i = 0; i < h.len; i++)
		assert_int_equal(parse(line, i, &h), PROXY_NEED_MORE);

	line = "PROXY TCP6 2001:db8::7 ::1 0 65535\r\n";
	assert_int_equal(parse(line, strlen(line), &h), PROXY_OK);
	assert_src(&h, "2001:db8::7", 0);

	line = "PROXY UNKNOWN\r\n";
	assert_int_equal(parse(line, strlen(line), &h), PROXY_OK);
	assert_true(h.local);
	assert_int_equal(h.len, strlen(line));
	line = "PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n";
	assert_int_equal(parse(line, strlen(line), &h), PROXY_OK);
	assert_true(h.local);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], strlen(bad[i]), &h), PROXY_BAD);

	/* no CRLF within 107 bytes */
	memset(longline, '1', sizeof(longline));
	memcpy(longline, "PROXY ", 6);
	assert_int_equal(parse(longline, 106, &h), PROXY_NEED_MORE);
	assert_int_equal(parse(longline, 107, &h), PROXY_BAD);
	assert_int_equal(parse(longline, sizeof(longline), &h), PROXY_BAD);
}

static void
test_no_header(void **state)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00};
	struct proxy_header h;

	(void)state;
	assert_int_equal(parse("", 0, &h), PROXY_NEED_MORE);
	assert_int_equal(parse("GET / HTTP/1.1\r\n", 16, &h), PROXY_NONE);
	assert_int_equal(parse("POST /", 6, &h), PROXY_NONE);
	assert_int_equal(parse("P", 1, &h), PROXY_NEED_MORE);
	assert_int_equal(parse("PROXZ ", 6, &h), PROXY_NONE);
	assert_int_equal(parse(hello, sizeof(hello), &h), PROXY_NONE);
	/* empty lines begin like the signature, until they do not */
	assert_int_equal(parse("\r\n\r\n", 4, &h), PROXY_NEED_MORE);
	assert_int_equal(parse("\r\nGET", 5, &h), PROXY_NONE);
	assert_int_equal(parse("\r\n\r\nGET", 7, &h), PROXY_NONE);
	assert_int_equal(parse(SIG, 11, &h), PROXY_NEED_MORE);
	assert_int_equal(parse("\r\n\r\n\0\r\nQUIX", 12, &h), PROXY_NONE);
}

static enum proxy_xff
xff(const char *v, const struct cidr_set *trusted, char *out)
{
	return proxy_forwarded_for(v, strlen(v), trusted, out);
}

static void
test_forwarded_for(void **state)
{
	struct cidr_set t;
	char out[PROXY_ADDR_TEXT];

	(void)state;
	parse_ok("127.0.0.1, 10.0.0.0/8, 2001:db8:ffff::/48", &t);
	assert_int_equal(xff("203.0.113.7", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "203.0.113.7");
	/* the rightmost untrusted entry: left of it is the client's word */
	assert_int_equal(
	    xff("6.6.6.6, 203.0.113.7", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "203.0.113.7");
	assert_int_equal(
	    xff("6.6.6.6,203.0.113.7 , 10.1.2.3,127.0.0.1", &t, out),
	    PROXY_XFF_CLIENT);
	assert_string_equal(out, "203.0.113.7");
	/* ports and brackets, canonical text out */
	assert_int_equal(xff("203.0.113.7:51000", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "203.0.113.7");
	assert_int_equal(xff("[2001:DB8::0:7]:443", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "2001:db8::7");
	assert_int_equal(xff("2001:db8::7", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "2001:db8::7");
	assert_int_equal(xff("[2001:db8::7]", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "2001:db8::7");
	/* empty list elements are skipped */
	assert_int_equal(xff(" , 203.0.113.7, ,", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "203.0.113.7");
	/* every entry trusted: the field before this one decides */
	assert_int_equal(
	    xff("10.0.0.1, 2001:db8:ffff::1", &t, out), PROXY_XFF_TRUSTED);
	assert_string_equal(out, "");
	assert_int_equal(xff("", &t, out), PROXY_XFF_TRUSTED);
	assert_int_equal(xff(" , ", &t, out), PROXY_XFF_TRUSTED);
	/* garbage stops the walk: nothing left of it is believed */
	assert_int_equal(
	    xff("203.0.113.7, unknown, 10.0.0.1", &t, out), PROXY_XFF_INVALID);
	assert_string_equal(out, "");
	/* but what is right of it was found first */
	assert_int_equal(
	    xff("unknown, 198.51.100.1", &t, out), PROXY_XFF_CLIENT);
	assert_string_equal(out, "198.51.100.1");
	static const char *const invalid[] = {"203.0.113.7:",
	    "203.0.113.7:0443", "203.0.113.7:65536", "[203.0.113.7]",
	    "[2001:db8::7", "[2001:db8::7]443", "[2001:db8::7]:x",
	    "2001:db8::7%eth0", "_hidden", "1.2.3", "203.0.113.7 198.51.100.1",
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999"};
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		assert_int_equal(xff(invalid[i], &t, out), PROXY_XFF_INVALID);
	cidr_set_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cidr_sets),
	    cmocka_unit_test(test_v2),
	    cmocka_unit_test(test_v1),
	    cmocka_unit_test(test_no_header),
	    cmocka_unit_test(test_forwarded_for),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
