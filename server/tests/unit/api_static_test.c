/*
 * api_static_test.c - the files served to browsers: If-None-Match matching,
 * name lookup (only the console's own files), content types, and that what
 * tools/embed.sh compiled in hangs together (the page names files that are
 * there; the reference page's policy is one header line of script hashes).
 * Includes the .c to reach its static helpers.
 */
#include "unit.h"

#include "../../src/api/api_static.c"

static void
test_if_none_match(void **state)
{
	const char *tag = "\"0123456789abcdef0123456789abcdef\"";

	(void)state;
	assert_true(api_static_etag_match(tag, tag));
	assert_true(api_static_etag_match("*", tag));
	assert_true(api_static_etag_match(
	    "W/\"0123456789abcdef0123456789abcdef\"", tag));
	assert_true(api_static_etag_match(
	    "\"x\", \t W/\"0123456789abcdef0123456789abcdef\"", tag));
	assert_true(api_static_etag_match(
	    ",,\"0123456789abcdef0123456789abcdef\",", tag));
	assert_false(api_static_etag_match("", tag));
	assert_false(api_static_etag_match("\"x\"", tag));
	assert_false(
	    api_static_etag_match("\"0123456789abcdef0123456789abcdef", tag));
	assert_false(
	    api_static_etag_match("0123456789abcdef0123456789abcdef", tag));
	assert_false(api_static_etag_match(
	    "\"0123456789abcdef0123456789abcdef0\"", tag));
	assert_false(api_static_etag_match("W/", tag));
	assert_false(api_static_etag_match("\"\"", tag));
}

static void
test_only_the_consoles_files_are_found(void **state)
{
	(void)state;
	assert_true(embedded_console_files_count >= 2);
	for (size_t i = 0; i < embedded_console_files_count; i++) {
		const struct embedded_asset *a = &embedded_console_files[i];

		assert_ptr_equal(api_static_find(a->name), a);
		assert_true(a->len > 0);
		assert_int_equal(a->data[a->len], '\0');
		assert_int_equal(strlen(a->etag), 34);
		if (i > 0)
			assert_true(strcmp(embedded_console_files[i - 1].name,
			                a->name) < 0);
	}
	assert_null(api_static_find("index.html"));
	assert_null(api_static_find(""));
	assert_null(api_static_find("../index.html"));
	assert_null(api_static_find("app.js"));
}

static void
test_content_types(void **state)
{
	(void)state;
	assert_string_equal(api_static_type("app-ABCD1234.js"),
	    "text/javascript; charset=utf-8");
	assert_string_equal(
	    api_static_type("style-ABCD1234.css"), "text/css; charset=utf-8");
	assert_string_equal(
	    api_static_type("icon-1234abcd.svg"), "image/svg+xml");
	assert_string_equal(
	    api_static_type("x.js.exe"), "application/octet-stream");
	assert_string_equal(
	    api_static_type("noext"), "application/octet-stream");
}

/* every /console/ name the page loads is a file that is there */
static void
test_the_page_names_files_that_exist(void **state)
{
	const char *page = (const char *)embedded_console_index.data;
	const char *p = page;
	int found = 0;

	(void)state;
	while ((p = strstr(p, "\"/console/")) != NULL) {
		char name[128];
		const char *end;

		p += strlen("\"/console/");
		end = strchr(p, '"');
		assert_non_null(end);
		assert_true((size_t)(end - p) < sizeof(name));
		memcpy(name, p, (size_t)(end - p));
		name[end - p] = '\0';
		assert_non_null(api_static_find(name));
		found++;
	}
	assert_true(found >= 2);
}

static void
test_the_reference_policy_is_one_line_of_hashes(void **state)
{
	const char *csp = (const char *)embedded_docs_csp.data;

	(void)state;
	assert_int_equal(strlen(csp), embedded_docs_csp.len);
	assert_null(strpbrk(csp, "\r\n"));
	assert_non_null(strstr(csp, "script-src 'sha256-"));
	assert_null(strstr(csp, "script-src 'unsafe-inline'"));
	assert_non_null(strstr(csp, "frame-ancestors 'none'"));
	assert_true(embedded_docs_page.len > 100000);
	assert_true(embedded_openapi.len > 1000);
	assert_memory_equal(embedded_openapi.data, "openapi: 3.1", 12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_if_none_match),
	    cmocka_unit_test(test_only_the_consoles_files_are_found),
	    cmocka_unit_test(test_content_types),
	    cmocka_unit_test(test_the_page_names_files_that_exist),
	    cmocka_unit_test(test_the_reference_policy_is_one_line_of_hashes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
