/*
 * totp_test.c - RFC 6238 Appendix B test vectors (SHA-1, 8 digits) and the
 * window and replay rules of totp_check.
 */
#include "unit.h"

#include <stdio.h>

#include "domain/totp.h"

static const uint8_t key[] = "12345678901234567890";

static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		uint32_t code;
	} v[] = {
	    {59, 94287082},
	    {1111111109, 7081804},
	    {1111111111, 14050471},
	    {1234567890, 89005924},
	    {2000000000, 69279037},
	    {20000000000LL, 65353130},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(
		    totp_hotp(key, 20, (uint64_t)totp_step(v[i].t), 8),
		    v[i].code);
}

static void
test_rfc4226_hotp_vectors(void **state)
{
	static const uint32_t v[] = {755224, 287082, 359152, 969429, 338314,
	    254676, 287922, 162583, 399871, 520489};

	(void)state;
	for (uint64_t c = 0; c < 10; c++)
		assert_int_equal(totp_hotp(key, 20, c, 6), v[c]);
}

static void
code_at(int64_t t, char out[8])
{
	snprintf(out, 8, "%06u", totp_hotp(key, 20, (uint64_t)totp_step(t), 6));
}

static void
test_window_and_replay(void **state)
{
	int64_t now = 1700000000, step = 0;
	char c[8];

	(void)state;
	code_at(now, c);
	assert_int_equal(totp_check(key, 20, c, now, 0, &step), 0);
	assert_int_equal(step, totp_step(now));
	/* the same step again is a replay */
	assert_int_equal(totp_check(key, 20, c, now, step, &step), -1);
	/* one step either side is accepted, two are not */
	code_at(now - 30, c);
	assert_int_equal(totp_check(key, 20, c, now, 0, &step), 0);
	code_at(now + 30, c);
	assert_int_equal(totp_check(key, 20, c, now, 0, &step), 0);
	code_at(now - 60, c);
	assert_int_equal(totp_check(key, 20, c, now, 0, &step), -1);
	code_at(now + 60, c);
	assert_int_equal(totp_check(key, 20, c, now, 0, &step), -1);
}

static void
test_malformed_codes(void **state)
{
	int64_t step;

	(void)state;
	assert_int_equal(totp_check(key, 20, "12345", 100, 0, &step), -1);
	assert_int_equal(totp_check(key, 20, "1234567", 100, 0, &step), -1);
	assert_int_equal(totp_check(key, 20, "12a456", 100, 0, &step), -1);
	assert_int_equal(totp_check(key, 20, NULL, 100, 0, &step), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc6238_vectors),
	    cmocka_unit_test(test_rfc4226_hotp_vectors),
	    cmocka_unit_test(test_window_and_replay),
	    cmocka_unit_test(test_malformed_codes),
	};

	return cmocka_run_group_tests_name("totp", tests, NULL, NULL);
}
