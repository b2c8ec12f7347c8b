/*
 * http_router_test.c - matching, path parameters, 404/405/501, and the
 * well-formedness of isacd's own route table.
 */
#include "unit.h"

#include "api/app.h"
#include "auth/auth.h"
#include "http/http_router.h"

static void
h(struct http_req *r)
{
	(void)r;
}

static const struct http_route routes[] = {
    {HTTP_GET, "/healthz", h, 0, 0},
    {HTTP_GET, "/api/v1/organisations", h, 0, 0},
    {HTTP_POST, "/api/v1/organisations", h, 0, 0},
    {HTTP_GET, "/api/v1/organisations/{id}", h, 0, 0},
    {HTTP_DELETE, "/api/v1/me/tokens/{id}", h, 0, 0},
    {HTTP_GET, "/api/v1/a/{x}/b/{y}", h, 0, 0},
};
#define N (sizeof(routes) / sizeof(routes[0]))

static void
match(enum http_method m, const char *path, struct http_match *out)
{
	http_router_match(routes, N, m, path, strlen(path), out);
}

static void
test_literal_and_params(void **state)
{
	struct http_match m;

	(void)state;
	match(HTTP_GET, "/healthz", &m);
	assert_int_equal(m.status, 0);
	assert_int_equal(m.route, 0);
	match(HTTP_GET, "/api/v1/organisations/abc", &m);
	assert_int_equal(m.status, 0);
	assert_int_equal(m.route, 3);
	assert_int_equal(m.nparams, 1);
	assert_memory_equal(m.params[0].name, "id", 2);
	assert_memory_equal(m.params[0].value, "abc", 3);
	match(HTTP_GET, "/api/v1/a/1/b/22", &m);
	assert_int_equal(m.status, 0);
	assert_int_equal(m.nparams, 2);
	assert_memory_equal(m.params[1].value, "22", 2);
}

/* the root (the web console) matches itself and nothing else */
static void
test_root(void **state)
{
	static const struct http_route rooted[] = {
	    {HTTP_GET, "/", h, 0, 0},
	    {HTTP_GET, "/healthz", h, 0, 0},
	};
	struct http_match m;
	const char *paths[] = {"/", "//", "/healthz", "/x"};
	int want[] = {0, 404, 0, 404};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		http_router_match(
		    rooted, 2, HTTP_GET, paths[i], strlen(paths[i]), &m);
		assert_int_equal(m.status, want[i]);
	}
	http_router_match(rooted, 2, HTTP_GET, "/", 1, &m);
	assert_int_equal(m.route, 0);
	http_router_match(rooted, 2, HTTP_POST, "/", 1, &m);
	assert_int_equal(m.status, 405);
}

static void
test_not_found(void **state)
{
	struct http_match m;

	(void)state;
	match(HTTP_GET, "/healthz/", &m);
	assert_int_equal(m.status, 404);
	match(HTTP_GET, "/api/v1/organisations//", &m);
	assert_int_equal(m.status, 404);
	match(HTTP_GET, "/api/v1/organisations/", &m);
	assert_int_equal(
	    m.status, 404); /* an empty parameter matches nothing */
	match(HTTP_GET, "/", &m);
	assert_int_equal(m.status, 404);
	match(HTTP_GET, "/api/v1/a/1/b", &m);
	assert_int_equal(m.status, 404);
}

static void
test_method_not_allowed_lists_allow(void **state)
{
	struct http_match m;

	(void)state;
	match(HTTP_DELETE, "/api/v1/organisations", &m);
	assert_int_equal(m.status, 405);
	assert_string_equal(m.allow, "GET, HEAD, POST");
	match(HTTP_POST, "/api/v1/me/tokens/x", &m);
	assert_int_equal(m.status, 405);
	assert_string_equal(m.allow, "DELETE");
}

static void
test_head_uses_get_and_other_is_501(void **state)
{
	struct http_match m;

	(void)state;
	match(HTTP_HEAD, "/healthz", &m);
	assert_int_equal(m.status, 0);
	match(HTTP_OTHER, "/healthz", &m);
	assert_int_equal(m.status, 501);
	match(HTTP_OTHER, "/nowhere", &m);
	assert_int_equal(m.status, 501);
}

static void
test_route_table_is_well_formed(void **state)
{
	size_t n;
	const struct http_route *t = api_routes(&n);

	(void)state;
	assert_true(n > 10);
	for (size_t i = 0; i < n; i++) {
		assert_true(http_router_pattern_valid(t[i].pattern));
		assert_non_null(t[i].handler);
		/* no two routes share method and pattern */
		for (size_t j = i + 1; j < n; j++)
			assert_false(t[i].method == t[j].method &&
			    strcmp(t[i].pattern, t[j].pattern) == 0);
		/* a route that writes must look at a token (required, or
		 * optional: accepting an invitation) */
		if (t[i].policy & AUTH_WRITE)
			assert_true(
			    t[i].policy & (AUTH_REQUIRED | AUTH_OPTIONAL));
		/* public routes are the probes, login, accepting an
		 * invitation and the WebSocket upgrade (which takes a ticket
		 * instead of a token, and refuses neither): deny by default */
		if (!(t[i].policy & AUTH_REQUIRED))
			assert_true(strncmp(t[i].pattern, "/api/", 5) != 0 ||
			    strcmp(t[i].pattern, "/api/v1/auth/login") == 0 ||
			    strcmp(t[i].pattern, "/api/v1/invites/accept") ==
			        0 ||
			    strcmp(t[i].pattern, "/api/v1/realtime") == 0);
	}
	assert_true(http_router_pattern_valid("/"));
	assert_false(http_router_pattern_valid("no-slash"));
	assert_false(http_router_pattern_valid("/a//b"));
	assert_false(http_router_pattern_valid("/a/{open"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literal_and_params),
	    cmocka_unit_test(test_root),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_method_not_allowed_lists_allow),
	    cmocka_unit_test(test_head_uses_get_and_other_is_501),
	    cmocka_unit_test(test_route_table_is_well_formed),
	};

	return cmocka_run_group_tests_name("http_router", tests, NULL, NULL);
}
