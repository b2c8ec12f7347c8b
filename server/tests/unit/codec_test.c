/*
 * codec_test.c - base64url, base32 (RFC 4648 vectors), hex, UTF-8, UUIDs,
 * JSON text compaction.
 */
#include "unit.h"

#include "core/codec.h"

static void
test_base64url(void **state)
{
	char out[64];
	uint8_t back[64];
	const uint8_t raw[] = {0xfb, 0xff, 0xfe, 0x00, 0x01};

	(void)state;
	assert_int_equal(codec_base64url(out, (const uint8_t *)"foobar", 6), 8);
	assert_string_equal(out, "Zm9vYmFy");
	codec_base64url(out, (const uint8_t *)"fo", 2);
	assert_string_equal(out, "Zm8");
	codec_base64url(out, raw, sizeof(raw));
	assert_string_equal(out, "-__-AAE");
	assert_int_equal(
	    codec_base64url_decode(back, sizeof(back), out, strlen(out)), 5);
	assert_memory_equal(back, raw, 5);
	assert_int_equal(
	    codec_base64url_decode(back, sizeof(back), "a+b", 3), -1);
	assert_int_equal(
	    codec_base64url_decode(back, sizeof(back), "abcde", 5), -1);
	assert_int_equal(codec_base64url_decode(back, 2, "Zm9vYmFy", 8), -1);
	codec_base64(out, (const uint8_t *)"fo", 2);
	assert_string_equal(out, "Zm8=");
}

static void
test_base32(void **state)
{
	static const char *vec[][2] = {{"f", "MY"}, {"fo", "MZXQ"},
	    {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"},
	    {"foobar", "MZXW6YTBOI"}};
	char out[32];
	uint8_t back[32];

	(void)state;
	for (size_t i = 0; i < 6; i++) {
		size_t n = strlen(vec[i][0]);

		codec_base32(out, (const uint8_t *)vec[i][0], n);
		assert_string_equal(out, vec[i][1]);
		assert_int_equal(
		    codec_base32_decode(back, sizeof(back), out, strlen(out)),
		    (long)n);
		assert_memory_equal(back, vec[i][0], n);
	}
	assert_int_equal(
	    codec_base32_decode(back, sizeof(back), "mzxw 6===", 9), 3);
	assert_int_equal(codec_base32_decode(back, sizeof(back), "MZ1", 3), -1);
}

static void
test_utf8(void **state)
{
	(void)state;
	assert_true(codec_utf8_valid("plain", 5));
	assert_true(codec_utf8_valid("\xc3\xa9t\xc3\xa9", 5));
	assert_true(codec_utf8_valid("\xf0\x9f\x94\x92", 4));
	assert_false(codec_utf8_valid("\xff", 1));
	assert_false(codec_utf8_valid("\xc0\xaf", 2));         /* overlong */
	assert_false(codec_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	assert_false(codec_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	assert_false(codec_utf8_valid("\xe2\x82", 2));         /* truncated */
	assert_false(codec_utf8_valid("a\0b", 3));
	assert_int_equal(codec_utf8_len("\xc3\xa9t\xc3\xa9", 5), 3);
}

static void
test_uuid_and_hex(void **state)
{
	char hex[9];

	(void)state;
	assert_true(
	    codec_uuid_valid("1ff79bb3-a1f1-4f7d-9905-80b1d2466630", 36));
	assert_true(
	    codec_uuid_valid("1FF79BB3-A1F1-4F7D-9905-80B1D2466630", 36));
	assert_false(codec_uuid_valid("1ff79bb3a1f14f7d990580b1d2466630", 32));
	assert_false(
	    codec_uuid_valid("1ff79bb3-a1f1-4f7d-9905-80b1d246663g", 36));
	assert_false(
	    codec_uuid_valid("1ff79bb3-a1f1-4f7d-99050-80b1d246663", 36));
	codec_hex(hex, (const uint8_t *)"\x01\xab\xff\x00", 4);
	assert_string_equal(hex, "01abff00");
}

static void
test_json_compact(void **state)
{
	static const char *vec[][2] = {
	    /* how PostgreSQL's json_build_object and jsonb render */
	    {"{\"id\" : \"a b\", \"n\" : [1, 2, {\"x\" : null}]}",
	        "{\"id\":\"a b\",\"n\":[1,2,{\"x\":null}]}"},
	    {"{\"a\": 1, \"b\": true}", "{\"a\":1,\"b\":true}"},
	    /* blanks, quotes and backslashes inside strings are data */
	    {"[\"  \\\" , \\\\\" , \"x\"]", "[\"  \\\" , \\\\\",\"x\"]"},
	    {"\"\\\\\"", "\"\\\\\""},
	    {"\t[\r\n]\n", "[]"},
	    {"{}", "{}"},
	    {"\"\"", "\"\""},
	};
	char out[128];

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		size_t n =
		    codec_json_compact(out, vec[i][0], strlen(vec[i][0]));

		out[n] = '\0';
		assert_string_equal(out, vec[i][1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64url),
	    cmocka_unit_test(test_base32),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_uuid_and_hex),
	    cmocka_unit_test(test_json_compact),
	};

	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
