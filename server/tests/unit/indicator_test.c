/*
 * indicator_test.c - the indicator rules as one table of inputs and their
 * canonical forms (NULL where the input is refused), RFC 5952 cases among
 * them; every accepted output must be a fixed point and every refusal must
 * say why.  Bounds, text checks and the IPv4-mapped helper follow.
 */
#include "unit.h"

#include <stdio.h>

#include "domain/indicator.h"

struct ind_case {
	enum indicator_type type;
	const char *in;
	const char *want; /* NULL: refused */
};

static const struct ind_case cases[] = {
    /* ipv4: dotted quad only, no leading zeros */
    {IND_IPV4, "1.2.3.4", "1.2.3.4"},
    {IND_IPV4, "0.0.0.0", "0.0.0.0"},
    {IND_IPV4, "255.255.255.255", "255.255.255.255"},
    {IND_IPV4, "192.0.2.10", "192.0.2.10"},
    {IND_IPV4, "1.2.3.04", NULL},
    {IND_IPV4, "01.2.3.4", NULL},
    {IND_IPV4, "1.2.3.00", NULL},
    {IND_IPV4, "256.1.1.1", NULL},
    {IND_IPV4, "1.2.3.1000", NULL},
    {IND_IPV4, "1.2.3", NULL},
    {IND_IPV4, "1.2.3.4.5", NULL},
    {IND_IPV4, "1..2.3", NULL},
    {IND_IPV4, "1.2.3.4.", NULL},
    {IND_IPV4, "0x7f.0.0.1", NULL},
    {IND_IPV4, "2130706433", NULL},
    {IND_IPV4, "1.2.3.4:80", NULL},
    {IND_IPV4, "1.2.3.4/32", NULL},
    {IND_IPV4, " 1.2.3.4", NULL},
    {IND_IPV4, "1.2.3.4 ", NULL},
    {IND_IPV4, "::ffff:1.2.3.4", NULL},
    /* ipv6: RFC 4291 in, RFC 5952 out */
    {IND_IPV6, "2001:DB8::1", "2001:db8::1"},
    {IND_IPV6, "2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"},
    {IND_IPV6, "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
    {IND_IPV6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
    {IND_IPV6, "2001:db8::0:1", "2001:db8::1"},
    {IND_IPV6, "1:0:0:2:0:0:0:3", "1:0:0:2::3"},
    {IND_IPV6, "::", "::"},
    {IND_IPV6, "0:0:0:0:0:0:0:0", "::"},
    {IND_IPV6, "::1", "::1"},
    {IND_IPV6, "1::", "1::"},
    {IND_IPV6, "1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"},
    {IND_IPV6, "::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
    {IND_IPV6, "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
    {IND_IPV6, "::ffff:1.2.3.4", "::ffff:1.2.3.4"},
    {IND_IPV6, "::FFFF:0102:0304", "::ffff:1.2.3.4"},
    {IND_IPV6, "0:0:0:0:0:ffff:c000:0280", "::ffff:192.0.2.128"},
    {IND_IPV6, "::1.2.3.4", "::102:304"},
    {IND_IPV6, "64:ff9b::192.0.2.33", "64:ff9b::c000:221"},
    {IND_IPV6, "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
    {IND_IPV6, "fe80::1%eth0", NULL},
    {IND_IPV6, "[::1]", NULL},
    {IND_IPV6, "1:2:3:4:5:6:7:8:9", NULL},
    {IND_IPV6, "1:2:3:4:5:6:7", NULL},
    {IND_IPV6, "1:2:3:4:5:6:7:8::", NULL},
    {IND_IPV6, "1::2::3", NULL},
    {IND_IPV6, "12345::", NULL},
    {IND_IPV6, ":::", NULL},
    {IND_IPV6, ":1::", NULL},
    {IND_IPV6, "1:", NULL},
    {IND_IPV6, "g::1", NULL},
    {IND_IPV6, "::ffff:1.2.3.04", NULL},
    {IND_IPV6, "1:2:3:4:5:6:7:1.2.3.4", NULL},
    {IND_IPV6, "1.2.3.4", NULL},
    /* cidr: canonical address, prefix without leading zeros, host bits 0 */
    {IND_CIDR, "1.2.3.0/24", "1.2.3.0/24"},
    {IND_CIDR, "0.0.0.0/0", "0.0.0.0/0"},
    {IND_CIDR, "1.2.3.4/32", "1.2.3.4/32"},
    {IND_CIDR, "1.2.3.4/24", NULL},
    {IND_CIDR, "1.2.3.0/33", NULL},
    {IND_CIDR, "1.2.3.0/024", NULL},
    {IND_CIDR, "1.2.3.0", NULL},
    {IND_CIDR, "1.2.3.0/", NULL},
    {IND_CIDR, "10.0.0.0/8/8", NULL},
    {IND_CIDR, "010.0.0.0/8", NULL},
    {IND_CIDR, "2001:DB8::/32", "2001:db8::/32"},
    {IND_CIDR, "2001:0db8:0:0:0:0:0:0/48", "2001:db8::/48"},
    {IND_CIDR, "::/0", "::/0"},
    {IND_CIDR, "::1/128", "::1/128"},
    {IND_CIDR, "::ffff:1.2.3.0/120", "::ffff:1.2.3.0/120"},
    {IND_CIDR, "2001:db8::1/64", NULL},
    {IND_CIDR, "2001:db8::/129", NULL},
    {IND_CIDR, "fe80::%eth0/64", NULL},
    /* domain: LDH, lower-cased, one root dot dropped, A-labels only */
    {IND_DOMAIN, "example.com", "example.com"},
    {IND_DOMAIN, "Example.COM.", "example.com"},
    {IND_DOMAIN, "xn--bcher-kva.de", "xn--bcher-kva.de"},
    {IND_DOMAIN, "XN--BCHER-KVA.DE", "xn--bcher-kva.de"},
    {IND_DOMAIN,
        "b\xc3\xbc"
        "cher.de",
        NULL},
    {IND_DOMAIN, "a-b.123.example.co.uk", "a-b.123.example.co.uk"},
    {IND_DOMAIN, "example.com..", NULL},
    {IND_DOMAIN, ".example.com", NULL},
    {IND_DOMAIN, "a..example.com", NULL},
    {IND_DOMAIN, ".", NULL},
    {IND_DOMAIN, "localhost", NULL},
    {IND_DOMAIN, "localhost.", NULL},
    {IND_DOMAIN, "_dmarc.example.com", NULL},
    {IND_DOMAIN, "-a.example.com", NULL},
    {IND_DOMAIN, "a-.example.com", NULL},
    {IND_DOMAIN, "xn--.de", NULL},
    {IND_DOMAIN, "exa mple.com", NULL},
    {IND_DOMAIN, "example.com/", NULL},
    {IND_DOMAIN, "example.123", NULL},
    {IND_DOMAIN, "1.2.3.4", NULL},
    /* url: scheme table, canonical host, default port dropped, rest kept */
    {IND_URL, "http://EXAMPLE.com:80/a", "http://example.com/a"},
    {IND_URL, "http://EXAMPLE.com:80", "http://example.com"},
    {IND_URL, "HTTPS://Example.com:443/x?Y=1#Z", "https://example.com/x?Y=1#Z"},
    {IND_URL, "https://example.com:8443/", "https://example.com:8443/"},
    {IND_URL, "http://example.com:443/", "http://example.com:443/"},
    {IND_URL, "ftp://files.example.org:21/pub", "ftp://files.example.org/pub"},
    {IND_URL, "ftps://example.org:990", "ftps://example.org"},
    {IND_URL, "ws://example.org:80/chat", "ws://example.org/chat"},
    {IND_URL, "wss://example.org:443", "wss://example.org"},
    {IND_URL, "ssh://example.org:22", "ssh://example.org"},
    {IND_URL, "smb://fs.example.org:445/share", "smb://fs.example.org/share"},
    {IND_URL, "http://[2001:DB8::1]:8080/", "http://[2001:db8::1]:8080/"},
    {IND_URL, "http://[::ffff:1.2.3.4]/", "http://[::ffff:1.2.3.4]/"},
    {IND_URL, "http://1.2.3.4/%7Euser/%zz", "http://1.2.3.4/%7Euser/%zz"},
    {IND_URL, "http://Example.COM./?q=A", "http://example.com/?q=A"},
    {IND_URL, "http://example.com?q", "http://example.com?q"},
    {IND_URL, "http://example.com:8080#f", "http://example.com:8080#f"},
    {IND_URL, "http://example.com/@evil.example.net",
        "http://example.com/@evil.example.net"},
    {IND_URL, "http://user@example.com/", NULL},
    {IND_URL, "http://user:pw@example.com/", NULL},
    {IND_URL, "http://example.com:0/", NULL},
    {IND_URL, "http://example.com:65536/", NULL},
    {IND_URL, "http://example.com:080/", NULL},
    {IND_URL, "http://example.com:/", NULL},
    {IND_URL, "http://example.com:8o/", NULL},
    {IND_URL, "hxxp://example.com/", NULL},
    {IND_URL, "gopher://example.com/", NULL},
    {IND_URL, "http:/example.com/", NULL},
    {IND_URL, "example.com/path", NULL},
    {IND_URL, "http:///path", NULL},
    {IND_URL, "http://example.com/a b", NULL},
    {IND_URL, "http://example.com/\xc3\xa9", NULL},
    {IND_URL,
        "http://b\xc3\xbc"
        "cher.de/",
        NULL},
    {IND_URL, "http://01.2.3.4/", NULL},
    {IND_URL, "http://2130706433/", NULL},
    {IND_URL, "http://localhost/", NULL},
    {IND_URL, "http://[fe80::1%25eth0]/", NULL},
    {IND_URL, "http://[::1]x/", NULL},
    {IND_URL, "http://[::1/", NULL},
    {IND_URL, "http://::1/", NULL},
    /* email: local part kept as given, domain canonical */
    {IND_EMAIL, "Alice.Smith@Example.COM", "Alice.Smith@example.com"},
    {IND_EMAIL, "a+tag@example.org.", "a+tag@example.org"},
    {IND_EMAIL, "o'brien!#$%&*/=?^_`{|}~-@example.org",
        "o'brien!#$%&*/=?^_`{|}~-@example.org"},
    {IND_EMAIL, "alice@localhost", NULL},
    {IND_EMAIL, "alice", NULL},
    {IND_EMAIL, "@example.com", NULL},
    {IND_EMAIL, "alice@", NULL},
    {IND_EMAIL, "al ice@example.com", NULL},
    {IND_EMAIL, "a\"b@example.com", NULL},
    {IND_EMAIL, "a@b@example.com", NULL},
    {IND_EMAIL, "a(b)@example.com", NULL},
    {IND_EMAIL,
        "alice@b\xc3\xbc"
        "cher.de",
        NULL},
    {IND_EMAIL, "alice@[192.0.2.1]", NULL},
    {IND_EMAIL, "alice@_x.example.com", NULL},
    /* hashes: exact length, lower-case */
    {IND_MD5, "d41d8cd98f00b204e9800998ecf8427e",
        "d41d8cd98f00b204e9800998ecf8427e"},
    {IND_MD5, "D41D8CD98F00B204E9800998ECF8427E",
        "d41d8cd98f00b204e9800998ecf8427e"},
    {IND_MD5, "d41d8cd98f00b204e9800998ecf8427", NULL},
    {IND_MD5, "d41d8cd98f00b204e9800998ecf8427g", NULL},
    {IND_MD5, "da39a3ee5e6b4b0d3255bfef95601890afd80709", NULL},
    {IND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {IND_SHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {IND_SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd807090", NULL},
    {IND_SHA256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {IND_SHA256,
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {IND_SHA256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        NULL},
    {IND_SHA256,
        "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8",
        NULL},
    /* cve: CVE-YYYY-NNNN+, upper-case */
    {IND_CVE, "cve-2024-1234", "CVE-2024-1234"},
    {IND_CVE, "CVE-2014-0160", "CVE-2014-0160"},
    {IND_CVE, "CVE-2021-44228", "CVE-2021-44228"},
    {IND_CVE, "CVE-1999-0001", "CVE-1999-0001"},
    {IND_CVE, "CVE-2099-1234567890123456789", "CVE-2099-1234567890123456789"},
    {IND_CVE, "CVE-24-1", NULL},
    {IND_CVE, "CVE-2024-123", NULL},
    {IND_CVE, "CVE-2024-01234", NULL},
    {IND_CVE, "CVE-1998-1234", NULL},
    {IND_CVE, "CVE-2100-1234", NULL},
    {IND_CVE, "CVE-2099-12345678901234567890", NULL},
    {IND_CVE, "CVE 2024 1234", NULL},
    {IND_CVE, "CVE-2024-1234 ", NULL},
    {IND_CVE, "CAN-2004-1234", NULL},
};

/* normalise, check against want, then check the fixed point or the reason */
static void
check(enum indicator_type t, const char *in, size_t len, const char *want)
{
	char out[INDICATOR_VALUE_MAX + 1], again[INDICATOR_VALUE_MAX + 1];
	const char *why = NULL;
	int rc = indicator_normalise(t, in, len, out, sizeof(out), &why);

	if (want == NULL) {
		if (rc == 0)
			fail_msg("%s \"%s\": accepted as \"%s\", want refused",
			    indicator_type_name(t), in, out);
		assert_non_null(why);
		assert_true(why[0] != '\0');
		assert_string_equal(out, "");
		return;
	}
	if (rc != 0)
		fail_msg("%s \"%s\": refused (%s), want \"%s\"",
		    indicator_type_name(t), in, why, want);
	assert_string_equal(out, want);
	assert_int_equal(indicator_normalise(
	                     t, out, strlen(out), again, sizeof(again), &why),
	    0);
	assert_string_equal(again, out);
}

static void
test_table(void **state)
{
	size_t n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	assert_true(n >= 80);
	for (size_t i = 0; i < n; i++)
		check(cases[i].type, cases[i].in, strlen(cases[i].in),
		    cases[i].want);
}

static const char *
reason(enum indicator_type t, const char *in)
{
	char out[INDICATOR_VALUE_MAX + 1];
	const char *why = NULL;

	assert_int_equal(
	    indicator_normalise(t, in, strlen(in), out, sizeof(out), &why), -1);
	assert_non_null(why);
	return why;
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_non_null(
	    strstr(reason(IND_IPV4, "1.2.3.04"), "no leading zeros"));
	assert_non_null(strstr(reason(IND_CIDR, "1.2.3.4/24"), "host bits"));
	assert_non_null(strstr(reason(IND_DOMAIN,
	                           "b\xc3\xbc"
	                           "cher.de"),
	    "xn--"));
	assert_non_null(strstr(reason(IND_SHA256,
	                           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649"
	                           "b934ca495991b7852b85"),
	    "64"));
	assert_non_null(strstr(reason(IND_MD5, "abc"), "32"));
	assert_non_null(strstr(reason(IND_IPV6, "fe80::1%eth0"), "zone"));
	assert_non_null(strstr(reason(IND_URL, "http://u@example.com/"), "@"));
	assert_non_null(
	    strstr(reason(IND_DOMAIN, "a_b.example"), "underscore"));
}

static void
test_text(void **state)
{
	(void)state;
	check(IND_DOMAIN, "", 0, NULL);
	check(IND_DOMAIN, "example.com\0.evil", 17, NULL);
	check(IND_DOMAIN, "example.com\t", 12, NULL);
	check(IND_DOMAIN, "\texample.com", 12, NULL);
	check(IND_URL, "http://example.com/\x7f", 20, NULL);
	check(IND_URL, "http://example.com/\xc2\x85", 21, NULL); /* C1 NEL */
	check(IND_DOMAIN, "example.com\xc2\xa0", 13, NULL);      /* NBSP */
	check(IND_DOMAIN,
	    "\xef\xbb\xbf"
	    "example.com",
	    14, NULL); /* BOM */
	check(IND_DOMAIN, "example.com\xe3\x80\x80", 14, NULL);
	check(IND_DOMAIN,
	    "ex\xff"
	    "ample.com",
	    12, NULL);
	check(IND_DOMAIN,
	    "ex\xc0\xae"
	    "ample.com",
	    13, NULL);
	/* only the first len bytes count */
	check(IND_IPV4, "1.2.3.4xyz", 7, "1.2.3.4");
}

static void
test_lengths(void **state)
{
	static char buf[INDICATOR_VALUE_MAX + 64];
	char label[64], dom[300];

	(void)state;
	/* a label of 63 is fine, 64 is not */
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(dom, sizeof(dom), "%s.example", label);
	check(IND_DOMAIN, dom, strlen(dom), dom);
	snprintf(dom, sizeof(dom), "%sa.example", label);
	check(IND_DOMAIN, dom, strlen(dom), NULL);
	/* 253 characters are fine (254 with the root dot), 254 are not */
	snprintf(
	    dom, sizeof(dom), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(strlen(dom), 253);
	check(IND_DOMAIN, dom, 253, dom);
	memcpy(buf, dom, 253);
	buf[253] = '.';
	buf[254] = '\0';
	check(IND_DOMAIN, buf, 254, dom);
	snprintf(
	    dom, sizeof(dom), "%s.%s.%s.%.62s", label, label, label, label);
	check(IND_DOMAIN, dom, 254, NULL);
	/* an e-mail local part of 64 is fine, 65 is not */
	memset(dom, 'x', 64);
	snprintf(dom + 64, sizeof(dom) - 64, "@example.org");
	check(IND_EMAIL, dom, strlen(dom), dom);
	memset(dom, 'x', 65);
	snprintf(dom + 65, sizeof(dom) - 65, "@example.org");
	check(IND_EMAIL, dom, strlen(dom), NULL);

	/* a URL of exactly INDICATOR_VALUE_MAX bytes, then one more */
	memcpy(buf, "http://example.com/", 19);
	memset(buf + 19, 'p', INDICATOR_VALUE_MAX - 19);
	buf[INDICATOR_VALUE_MAX] = '\0';
	check(IND_URL, buf, INDICATOR_VALUE_MAX, buf);
	buf[INDICATOR_VALUE_MAX] = 'p';
	buf[INDICATOR_VALUE_MAX + 1] = '\0';
	check(IND_URL, buf, INDICATOR_VALUE_MAX + 1, NULL);
	/* input within the bound whose canonical form is not (the IPv4-mapped
	 * host grows by six bytes) */
	memcpy(buf, "http://[::ffff:ffff:ffff]/", 26);
	memset(buf + 26, 'p', INDICATOR_VALUE_MAX - 26);
	buf[INDICATOR_VALUE_MAX] = '\0';
	check(IND_URL, buf, INDICATOR_VALUE_MAX, NULL);
}

static void
test_small_buffer(void **state)
{
	char out[8];
	const char *why = NULL;

	(void)state;
	assert_int_equal(
	    indicator_normalise(IND_IPV4, "1.2.3.4", 7, out, sizeof(out), &why),
	    0);
	assert_string_equal(out, "1.2.3.4");
	assert_int_equal(indicator_normalise(IND_IPV4, "10.20.30.40", 11, out,
	                     sizeof(out), &why),
	    -1);
	assert_non_null(why);
	assert_string_equal(out, "");
	assert_int_equal(
	    indicator_normalise(IND_IPV4, "1.2.3.4", 7, out, 0, &why), -1);
	assert_int_equal(indicator_normalise((enum indicator_type)99, "1.2.3.4",
	                     7, out, sizeof(out), &why),
	    -1);
	assert_non_null(why);
}

static void
test_type_names(void **state)
{
	static const char *names[] = {"ipv4", "ipv6", "cidr", "domain", "url",
	    "email", "md5", "sha1", "sha256", "cve"};
	enum indicator_type t;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), INDICATOR_TYPES);
	for (int i = 0; i < INDICATOR_TYPES; i++) {
		assert_int_equal(indicator_type_parse(names[i], &t), 0);
		assert_int_equal(t, i);
		assert_string_equal(indicator_type_name(t), names[i]);
	}
	assert_int_equal(indicator_type_parse("IPv4", &t), -1);
	assert_int_equal(indicator_type_parse("ip", &t), -1);
	assert_int_equal(indicator_type_parse("", &t), -1);
	assert_null(indicator_type_name((enum indicator_type)INDICATOR_TYPES));
}

static void
test_ipv4_of_mapped(void **state)
{
	char v6[INDICATOR_VALUE_MAX + 1], v4[16], tiny[8];
	const char *why;

	(void)state;
	assert_int_equal(indicator_normalise(IND_IPV6, "::FFFF:c000:0201", 16,
	                     v6, sizeof(v6), &why),
	    0);
	assert_string_equal(v6, "::ffff:192.0.2.1");
	assert_int_equal(indicator_ipv4_of_mapped(v6, v4, sizeof(v4)), 0);
	assert_string_equal(v4, "192.0.2.1");
	assert_int_equal(
	    indicator_ipv4_of_mapped("::ffff:1.2.3.4", v4, sizeof(v4)), 0);
	assert_string_equal(v4, "1.2.3.4");
	assert_int_equal(
	    indicator_ipv4_of_mapped("::ffff:0.0.0.0", v4, sizeof(v4)), 0);
	assert_string_equal(v4, "0.0.0.0");
	assert_int_equal(
	    indicator_ipv4_of_mapped("::ffff:255.255.255.255", v4, sizeof(v4)),
	    0);
	assert_string_equal(v4, "255.255.255.255");
	assert_int_equal(indicator_ipv4_of_mapped("::1", v4, sizeof(v4)), -1);
	assert_int_equal(
	    indicator_ipv4_of_mapped("::1.2.3.4", v4, sizeof(v4)), -1);
	assert_int_equal(
	    indicator_ipv4_of_mapped("64:ff9b::1.2.3.4", v4, sizeof(v4)), -1);
	assert_int_equal(
	    indicator_ipv4_of_mapped("::fffe:1.2.3.4", v4, sizeof(v4)), -1);
	assert_int_equal(
	    indicator_ipv4_of_mapped("1.2.3.4", v4, sizeof(v4)), -1);
	assert_int_equal(indicator_ipv4_of_mapped("", v4, sizeof(v4)), -1);
	assert_string_equal(v4, "");
	assert_int_equal(
	    indicator_ipv4_of_mapped("::ffff:10.20.30.40", tiny, sizeof(tiny)),
	    -1);
	assert_string_equal(tiny, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_reasons),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_small_buffer),
	    cmocka_unit_test(test_type_names),
	    cmocka_unit_test(test_ipv4_of_mapped),
	};

	return cmocka_run_group_tests_name("indicator", tests, NULL, NULL);
}
