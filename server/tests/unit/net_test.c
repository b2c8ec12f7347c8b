/*
 * net_test.c - the per-IP key: IPv4 whole, IPv4-mapped IPv6 as its IPv4,
 * IPv6 by its /64.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "net/net_internal.h"

static void
key_of(const char *text, uint8_t key[NET_ADDR_KEY])
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, text, &s4->sin_addr), 1);
	}
	assert_int_equal(net_addr_group((struct sockaddr *)&ss, key), 0);
}

static bool
same_group(const char *a, const char *b)
{
	uint8_t ka[NET_ADDR_KEY], kb[NET_ADDR_KEY];

	key_of(a, ka);
	key_of(b, kb);
	return memcmp(ka, kb, NET_ADDR_KEY) == 0;
}

static void
test_groups(void **state)
{
	struct sockaddr_un_like {
		sa_family_t family;
	} other = {AF_UNIX};
	uint8_t key[NET_ADDR_KEY];

	(void)state;
	assert_true(same_group("192.0.2.1", "192.0.2.1"));
	assert_false(same_group("192.0.2.1", "192.0.2.2"));
	assert_true(same_group("192.0.2.1", "::ffff:192.0.2.1"));
	assert_false(same_group("::ffff:192.0.2.1", "::ffff:192.0.2.2"));
	/* one /64 is one source, whatever its interface identifiers */
	assert_true(same_group("2001:db8:1:2::1", "2001:db8:1:2:ffff:1:2:3"));
	assert_false(same_group("2001:db8:1:2::1", "2001:db8:1:3::1"));
	/* an IPv6 address is never mistaken for an IPv4 one */
	assert_false(same_group("::c000:201", "192.0.2.1"));
	assert_int_equal(net_addr_group((struct sockaddr *)&other, key), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_groups),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
