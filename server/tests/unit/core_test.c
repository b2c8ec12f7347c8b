/*
 * core_test.c - tokens, digests, request ids, log escaping, the arena, and
 * the JSON field validators.
 */
#include "unit.h"

#include <jansson.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/secret.h"
#include "domain/validate.h"

static void
test_tokens(void **state)
{
	char a[SECRET_TOKEN_MAX], b[SECRET_TOKEN_MAX], h[SECRET_SHA256_HEX];

	(void)state;
	secret_token_new(TOKEN_PREFIX_SESSION, a);
	secret_token_new(TOKEN_PREFIX_SESSION, b);
	assert_int_equal(strlen(a), strlen(TOKEN_PREFIX_SESSION) + 43);
	assert_memory_equal(a, "isacd_s_", 8);
	assert_string_not_equal(a, b);
	secret_token_new(TOKEN_PREFIX_PAT, a);
	assert_int_equal(strlen(a), strlen(TOKEN_PREFIX_PAT) + 43);
	secret_sha256_hex("abc", 3, h);
	assert_string_equal(h,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(secret_equal("abcd", "abcd", 4));
	assert_false(secret_equal("abcd", "abce", 4));
}

static void
test_request_ids(void **state)
{
	char a[17], b[17];

	(void)state;
	secret_request_id(a);
	secret_request_id(b);
	assert_int_equal(strlen(a), 16);
	assert_string_not_equal(a, b);
}

static void
test_log_escape(void **state)
{
	char out[64];

	(void)state;
	log_json_escape(out, sizeof(out), "a\"b\\c\n", 6);
	assert_string_equal(out, "a\\\"b\\\\c\\u000a");
	log_json_escape(out, sizeof(out), "x\xffy", 3);
	assert_string_equal(out, "x\\ufffdy");
	log_json_escape(out, sizeof(out), "\xc3\xa9", 2);
	assert_string_equal(out, "\xc3\xa9");
	/* never overruns: a 4-byte buffer holds 3 bytes and the NUL */
	assert_int_equal(log_json_escape(out, 4, "abcdef", 6), 3);
	assert_string_equal(out, "abc");
}

static void
test_arena(void **state)
{
	struct arena *a = arena_new(16);
	char *s;
	void *big;

	(void)state;
	s = arena_strdup(a, "hello");
	assert_string_equal(s, "hello");
	big = arena_alloc(a, 100000); /* larger than the first block */
	memset(big, 1, 100000);
	assert_int_equal(
	    ((uintptr_t)arena_alloc(a, 3)) % _Alignof(max_align_t), 0);
	s = arena_printf(a, "%d-%s", 42, "x");
	assert_string_equal(s, "42-x");
	assert_int_equal(*(char *)arena_zalloc(a, 10), 0);
	arena_free(a);
	arena_free(NULL);
}

static void
test_validators(void **state)
{
	json_t *o = json_pack("{s:s, s:i, s:b, s:n, s:s, s:s}", "name", "Acme",
	    "n", 5, "flag", 1, "nothing", "long", "0123456789", "ctl", "a\tb");
	json_t *errs = json_array();
	static const char *const allowed[] = {
	    "name", "n", "flag", "nothing", "long", NULL};
	long long n = 0;
	bool flag = false;

	(void)state;
	assert_string_equal(
	    v_string(o, "name", V_REQUIRED, 1, 10, errs), "Acme");
	assert_null(v_string(o, "nothing", 0, 1, 10, errs)); /* null = absent */
	assert_int_equal(json_array_size(errs), 0);
	assert_null(v_string(o, "missing", V_REQUIRED, 1, 10, errs));
	assert_null(v_string(o, "n", 0, 1, 10, errs));   /* wrong type */
	assert_null(v_string(o, "long", 0, 1, 5, errs)); /* too long */
	assert_null(v_string(o, "ctl", V_SINGLELINE, 1, 10, errs));
	assert_int_equal(json_array_size(errs), 4);
	assert_int_equal(v_int(o, "n", 0, 1, 10, &n, errs), 1);
	assert_int_equal(n, 5);
	assert_int_equal(v_int(o, "n", 0, 6, 10, &n, errs), -1);
	assert_int_equal(v_bool(o, "flag", 0, &flag, errs), 1);
	assert_true(flag);
	assert_int_equal(v_bool(o, "name", 0, &flag, errs), -1);
	json_decref(errs);
	errs = json_array();
	v_only(o, allowed, errs);
	assert_int_equal(json_array_size(errs), 1); /* "ctl" */
	assert_string_equal(json_string_value(json_object_get(
	                        json_array_get(errs, 0), "field")),
	    "ctl");
	json_decref(errs);
	json_decref(o);
}

static void
test_email(void **state)
{
	(void)state;
	assert_true(v_email_valid("ada@example.org"));
	assert_true(v_email_valid("a.b+tag@sub.example.nl"));
	assert_false(v_email_valid("no-at.example.org"));
	assert_false(v_email_valid("a@b"));
	assert_false(v_email_valid("a@@b.nl"));
	assert_false(v_email_valid("a b@c.nl"));
	assert_false(v_email_valid("a@c..nl"));
	assert_false(v_email_valid("@c.nl"));
	assert_false(v_email_valid("a@-c.nl"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_request_ids),
	    cmocka_unit_test(test_log_escape),
	    cmocka_unit_test(test_arena),
	    cmocka_unit_test(test_validators),
	    cmocka_unit_test(test_email),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
