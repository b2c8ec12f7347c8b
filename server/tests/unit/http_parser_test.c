/*
 * http_parser_test.c - the request-head parser: what it accepts, and the
 * status it answers for each kind of malformed or ambiguous head.
 */
#include "unit.h"

#include "http/http_parser.h"

static const struct http_limits lim = {8192, HTTP_MAX_HEADERS};

static int
parse(const char *s, struct http_head *h)
{
	const char *why;

	return http_parse_head(s, strlen(s), &lim, h, &why);
}

static void
test_simple_get(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("GET /api/v1/me?x=1&y=2 HTTP/1.1\r\n"
	                       "Host: a\r\nAccept: */*\r\n\r\n",
	                     &h),
	    0);
	assert_int_equal(h.method, HTTP_GET);
	assert_int_equal(h.minor, 1);
	assert_int_equal(h.path_len, strlen("/api/v1/me"));
	assert_memory_equal(h.path, "/api/v1/me", h.path_len);
	assert_int_equal(h.query_len, 7);
	assert_memory_equal(h.query, "x=1&y=2", 7);
	assert_int_equal(h.nheaders, 2);
	assert_true(h.keep_alive);
	assert_int_equal(h.content_length, -1);
	assert_non_null(http_head_get(&h, "ACCEPT"));
	assert_null(http_head_get(&h, "cookie"));
}

static void
test_header_values_are_trimmed(void **state)
{
	struct http_head h;
	const struct http_header *x;

	(void)state;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	                       "X-Thing: \t value with  spaces \t\r\n"
	                       "Content-Length: 12\r\n\r\n",
	                     &h),
	    0);
	x = http_head_get(&h, "x-thing");
	assert_non_null(x);
	assert_int_equal(x->value_len, strlen("value with  spaces"));
	assert_int_equal(h.content_length, 12);
}

static void
test_http10_closes_unless_keep_alive(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &h), 0);
	assert_false(h.keep_alive);
	assert_int_equal(
	    parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), 0);
	assert_true(h.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	                       "Connection: foo, close\r\n\r\n",
	                     &h),
	    0);
	assert_false(h.keep_alive);
}

static void
test_absolute_form(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("GET http://example.org/healthz?a HTTP/1.1\r\n"
	                       "Host: example.org\r\n\r\n",
	                     &h),
	    0);
	assert_memory_equal(h.path, "/healthz", h.path_len);
	assert_int_equal(
	    parse("GET http://example.org HTTP/1.1\r\nHost: e\r\n\r\n", &h),
	    400);
	assert_int_equal(
	    parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
}

static void
test_smuggling_is_refused(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	          "Content-Length: 3\r\n\r\n",
	        &h),
	    400);
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	          "Transfer-Encoding: chunked\r\n\r\n",
	        &h),
	    400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	                       "Transfer-Encoding: chunked\r\n\r\n",
	                     &h),
	    411);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	                       "Transfer-Encoding: gzip\r\n\r\n",
	                     &h),
	    501);
	assert_int_equal(
	    parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &h),
	    400);
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\n",
	        &h),
	    400);
	assert_int_equal(
	    parse(
	        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", &h),
	    400);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: a\r\n"
	                       "Content-Length: 1234567890123456789\r\n\r\n",
	                     &h),
	    400);
}

static void
test_malformed_heads(void **state)
{
	struct http_head h;

	(void)state;
	/* bare LF, obs-fold, space before colon, control bytes */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(parse("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / FTP/1.1\r\nHost: a\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n", &h), 505);
	assert_int_equal(parse("GET / HTTP/1.2\r\nHost: a\r\n\r\n", &h), 505);
}

static void
test_host_rules(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("GET / HTTP/1.1\r\n\r\n", &h), 400);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &h), 400);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &h), 0);
}

static void
test_methods(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(parse("BREW / HTTP/1.1\r\nHost: a\r\n\r\n", &h), 0);
	assert_int_equal(h.method, HTTP_OTHER);
	assert_int_equal(parse("get / HTTP/1.1\r\nHost: a\r\n\r\n", &h), 0);
	assert_int_equal(h.method, HTTP_OTHER); /* methods are case-sensitive */
	assert_int_equal(parse("PATCH / HTTP/1.1\r\nHost: a\r\n\r\n", &h), 0);
	assert_int_equal(h.method, HTTP_PATCH);
	assert_string_equal(http_method_name(HTTP_DELETE), "DELETE");
}

static void
test_expectations(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
	          "Content-Length: 1\r\n\r\n",
	        &h),
	    0);
	assert_true(h.expect_continue);
	assert_int_equal(
	    parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", &h),
	    417);
}

static void
test_limits(void **state)
{
	struct http_limits small = {16, 3};
	struct http_head h;
	const char *why;
	const char *many =
	    "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
	const char *longt =
	    "GET /aaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\nHost: a\r\n\r\n";

	(void)state;
	assert_int_equal(
	    http_parse_head(many, strlen(many), &small, &h, &why), 431);
	assert_int_equal(
	    http_parse_head(longt, strlen(longt), &small, &h, &why), 414);
}

static void
test_head_end_incremental(void **state)
{
	const char *req = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
	size_t from = 0, len = strlen(req), end = 0;

	(void)state;
	/* feed one byte more each time: the end is found exactly once */
	for (size_t n = 1; n <= len && end == 0; n++)
		end = http_head_end(req, n, &from);
	assert_int_equal(end, strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	from = 0;
	assert_int_equal(http_head_end("GET / HTTP/1.1\n\nX", 18, &from), 16);
	from = 0;
	assert_int_equal(http_head_end("GET / HTTP/1.1\r\n", 16, &from), 0);
	assert_int_equal(http_head_skip_empty("\r\n\r\n\nGET", 8), 5);
	assert_int_equal(http_head_skip_empty("GET", 3), 0);
}

static void
test_list_has(void **state)
{
	(void)state;
	assert_true(http_list_has("keep-alive, Upgrade", 19, "upgrade"));
	assert_false(http_list_has("upgraded", 8, "upgrade"));
	assert_false(http_list_has("", 0, "close"));
	assert_true(http_list_has(" close ", 7, "close"));
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_string_equal(http_status_reason(404), "Not Found");
	assert_string_equal(
	    http_status_reason(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_reason(299), "Unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_simple_get),
	    cmocka_unit_test(test_header_values_are_trimmed),
	    cmocka_unit_test(test_http10_closes_unless_keep_alive),
	    cmocka_unit_test(test_absolute_form),
	    cmocka_unit_test(test_smuggling_is_refused),
	    cmocka_unit_test(test_malformed_heads),
	    cmocka_unit_test(test_host_rules),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_expectations),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_head_end_incremental),
	    cmocka_unit_test(test_list_has),
	    cmocka_unit_test(test_reasons),
	};

	return cmocka_run_group_tests_name("http_parser", tests, NULL, NULL);
}
