/*
 * problem_test.c - RFC 9457 problem documents as isacd renders them.
 */
#include "unit.h"

#include <jansson.h>
#include <stdlib.h>

#include "http/http_request.h"

static json_t *
render(int status, const char *detail, json_t *errors)
{
	size_t len;
	char *s = http_problem_render(status, NULL, detail, errors, &len);
	json_t *j = json_loadb(s, len, 0, NULL);

	assert_int_equal(strlen(s), len);
	free(s);
	assert_non_null(j);
	return j;
}

static void
test_basic_fields(void **state)
{
	json_t *j = render(404, "no such resource", NULL);

	(void)state;
	assert_string_equal(
	    json_string_value(json_object_get(j, "type")), "about:blank");
	assert_string_equal(
	    json_string_value(json_object_get(j, "title")), "Not Found");
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
	assert_string_equal(json_string_value(json_object_get(j, "detail")),
	    "no such resource");
	assert_null(json_object_get(j, "errors"));
	json_decref(j);
}

static void
test_without_detail(void **state)
{
	json_t *j = render(405, NULL, NULL);

	(void)state;
	assert_null(json_object_get(j, "detail"));
	assert_string_equal(json_string_value(json_object_get(j, "title")),
	    "Method Not Allowed");
	json_decref(j);
}

static void
test_validation_errors(void **state)
{
	json_t *errs = json_pack(
	    "[{s:s, s:s}]", "field", "name", "message", "is required");
	json_t *j = render(400, "the request body is not valid", errs);
	json_t *e = json_object_get(j, "errors");

	(void)state;
	assert_true(json_is_array(e));
	assert_int_equal(json_array_size(e), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(e, 0), "field")),
	    "name");
	json_decref(j);
}

static void
test_detail_that_is_not_utf8_still_renders(void **state)
{
	json_t *j = render(400, "bad \xff byte", NULL);

	(void)state;
	assert_int_equal(json_integer_value(json_object_get(j, "status")), 400);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic_fields),
	    cmocka_unit_test(test_without_detail),
	    cmocka_unit_test(test_validation_errors),
	    cmocka_unit_test(test_detail_that_is_not_utf8_still_renders),
	};

	return cmocka_run_group_tests_name("problem", tests, NULL, NULL);
}
