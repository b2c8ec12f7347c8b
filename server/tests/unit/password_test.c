/*
 * password_test.c - the password policy and argon2id round trips.
 */
#include "unit.h"

#include <argon2.h>

#include "domain/password.h"

static int
ok(const char *pw, const char *email, const char *name)
{
	const char *why = NULL;
	int rc = password_policy_check(pw, strlen(pw), email, name, &why);

	if (rc != 0)
		assert_non_null(why);
	return rc == 0;
}

static void
test_policy(void **state)
{
	char big[1100];

	(void)state;
	assert_true(
	    ok("Grey-Heron-Lantern-417", "ada@example.org", "Ada Lovelace"));
	assert_true(ok("correct horse battery", NULL, NULL));
	assert_true(ok("\xc3\xa9\xc3\xa9t\xc3\xa9 est chaud ici", NULL, NULL));
	assert_false(ok("short-pw-1", NULL, NULL)); /* < 12 chars */
	assert_false(ok("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    NULL, NULL)); /* 12 bytes, 6 characters */
	assert_false(ok("password1234", NULL, NULL));     /* on the list */
	assert_false(ok("PassWord12345", NULL, NULL));    /* case-insensitive */
	assert_false(ok("!!monkey2024!!", NULL, NULL));   /* decorated word */
	assert_false(ok("aaaaaaaaaaaaaaaa", NULL, NULL)); /* one character */
	assert_false(ok("ababababab1212", NULL, NULL));   /* four characters */
	assert_false(ok("my-jdoe-is-secret!", "jdoe@example.org", NULL));
	assert_false(
	    ok("Lovelace-rules-2026", "ada@example.org", "Ada Lovelace"));
	assert_true(
	    ok("Analytical-Engine-1843", "ada@example.org", "Ada Lovelace"));
	assert_false(ok("bad\xff"
	                "utf8-password",
	    NULL, NULL));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[0] = 'a';
	big[1] = 'b';
	big[2] = 'c';
	big[3] = 'd';
	assert_false(ok(big, NULL, NULL)); /* > 1024 bytes */
}

static void
test_hash_and_verify(void **state)
{
	struct password_params pp = {2, 19456, 1}, stronger = {2, 47104, 1};
	char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
	const char *pw = "Grey-Heron-Lantern-417";

	(void)state;
	assert_int_equal(password_hash(pw, strlen(pw), &pp, h, sizeof(h)), 0);
	assert_non_null(strstr(h, "$argon2id$v=19$m=19456,t=2,p=1$"));
	assert_int_equal(password_verify(h, pw, strlen(pw)), 1);
	assert_int_equal(password_verify(h, "Grey-Heron-Lantern-418", 22), 0);
	assert_int_equal(password_verify("garbage", pw, strlen(pw)), -1);
	/* the same password hashes differently (random salt) */
	assert_int_equal(password_hash(pw, strlen(pw), &pp, h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);
	assert_false(password_needs_rehash(h, &pp));
	assert_true(password_needs_rehash(h, &stronger));
	assert_true(password_needs_rehash("$2b$10$bcrypt", &pp));
}

/* Our PHC strings and libargon2's are the same format, both ways. */
static void
test_interoperates_with_libargon2(void **state)
{
	struct password_params pp = {2, 19456, 1};
	const char *pw = "Grey-Heron-Lantern-417";
	const uint8_t salt[16] = "0123456789abcdef";
	char theirs[PASSWORD_HASH_MAX], ours[PASSWORD_HASH_MAX];

	(void)state;
	assert_int_equal(argon2id_hash_encoded(2, 19456, 1, pw, strlen(pw),
	                     salt, sizeof(salt), 32, theirs, sizeof(theirs)),
	    ARGON2_OK);
	assert_int_equal(password_verify(theirs, pw, strlen(pw)), 1);
	assert_int_equal(password_verify(theirs, "nope-nope-nope", 14), 0);
	assert_int_equal(
	    password_hash(pw, strlen(pw), &pp, ours, sizeof(ours)), 0);
	assert_int_equal(argon2id_verify(ours, pw, strlen(pw)), ARGON2_OK);
	/* tampered or out-of-bounds strings are errors, not matches */
	assert_int_equal(password_verify("$argon2id$v=19$m=19456,t=2,p=1$"
	                                 "c2FsdHNhbHQ$!!!",
	                     pw, strlen(pw)),
	    -1);
	assert_int_equal(password_verify("$argon2id$v=19$m=99999999,t=2,p=1$"
	                                 "c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
	                     pw, strlen(pw)),
	    -1);
	assert_int_equal(password_verify("$argon2i$v=19$m=19456,t=2,p=1$"
	                                 "c2FsdHNhbHQ$c2FsdHNhbHRzYWx0c2FsdA",
	                     pw, strlen(pw)),
	    -1);
	password_thread_release();
}

static void
test_common_list(void **state)
{
	(void)state;
	assert_true(password_is_common("qwertyuiop123", 13));
	assert_true(password_is_common("WACHTWOORD123", 13));
	assert_false(password_is_common("Grey-Heron-Lantern-417", 22));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_hash_and_verify),
	    cmocka_unit_test(test_interoperates_with_libargon2),
	    cmocka_unit_test(test_common_list),
	};

	return cmocka_run_group_tests_name("password", tests, NULL, NULL);
}
