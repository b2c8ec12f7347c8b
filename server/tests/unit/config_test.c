/*
 * config_test.c - the settings table: defaults, overrides, and refusal of
 * values that would start a server with surprising limits.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/config.h"

static const char *env_names[8];
static const char *env_values[8];

static const char *
fake_getenv(const char *name)
{
	for (size_t i = 0; i < 8 && env_names[i]; i++)
		if (strcmp(env_names[i], name) == 0)
			return env_values[i];
	return NULL;
}

static void
setenv_fake(size_t i, const char *name, const char *value)
{
	env_names[i] = name;
	env_values[i] = value;
	if (i + 1 < 8)
		env_names[i + 1] = NULL;
}

static void
test_defaults(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	env_names[0] = NULL;
	assert_int_equal(config_load(&c, fake_getenv, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.max_body, 1048576);
	assert_int_equal(c.max_header, 16384);
	assert_int_equal(c.max_conns, 10000);
	assert_int_equal(c.db_pool, 8);
	assert_int_equal(c.header_timeout_s, 10);
	assert_int_equal(c.idle_timeout_s, 60);
	assert_int_equal(c.send_lowat, 16384);
	assert_int_equal(c.session_idle_s, 1800);
	assert_int_equal(c.session_max_s, 43200);
	assert_true(c.argon2_m_kib >= 19456);
	assert_true(c.argon2_t >= 2 || c.argon2_m_kib >= 47104);
	assert_string_equal(c.tls_cert, "");
	config_free(&c);
}

static void
test_override(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	setenv_fake(0, "ISACD_DB_POOL", "3");
	setenv_fake(1, "ISACD_LISTEN", "[::1]:9000");
	assert_int_equal(config_load(&c, fake_getenv, err, sizeof(err)), 0);
	assert_int_equal(c.db_pool, 3);
	assert_string_equal(c.listen, "[::1]:9000");
	config_free(&c);
}

static void
expect_refused(const char *name, const char *value)
{
	struct config c;
	char err[256];

	setenv_fake(0, name, value);
	assert_int_equal(config_load(&c, fake_getenv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, name));
}

static void
test_bad_values_are_refused(void **state)
{
	(void)state;
	expect_refused("ISACD_DB_POOL", "abc");
	expect_refused("ISACD_DB_POOL", "0");
	expect_refused("ISACD_DB_POOL", "-3");
	expect_refused("ISACD_DB_POOL", "8 ");
	expect_refused("ISACD_DB_POOL", "");
	expect_refused("ISACD_MAX_BODY", "99999999999999999999999");
	expect_refused("ISACD_LISTEN", "nonsense");
	expect_refused("ISACD_LISTEN", "1.2.3.4:99999");
	expect_refused("ISACD_LISTEN", "::1:80");
	expect_refused("ISACD_LOG_LEVEL", "loud");
	/* below what argon2 takes: 8 KiB a lane */
	expect_refused("ISACD_ARGON2_M_KIB", "7");
	expect_refused("ISACD_SEND_LOWAT", "512"); /* a syscall per segment */
	expect_refused("ISACD_TLS_CERT", "/only/cert.pem");
}

static void
test_session_idle_not_above_max(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	setenv_fake(0, "ISACD_SESSION_IDLE_S", "100");
	setenv_fake(1, "ISACD_SESSION_MAX_S", "50");
	assert_int_equal(config_load(&c, fake_getenv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "ISACD_SESSION_IDLE_S"));
}

static void
test_split_listen(void **state)
{
	char host[64];
	int port;

	(void)state;
	assert_int_equal(
	    config_split_listen("0.0.0.0:80", host, sizeof(host), &port), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(
	    config_split_listen("[::]:8080", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::");
	assert_int_equal(
	    config_split_listen(":80", host, sizeof(host), &port), -1);
	assert_int_equal(
	    config_split_listen("h:", host, sizeof(host), &port), -1);
}

static void
test_markdown_lists_every_setting(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	config_print_markdown(f);
	fclose(f);
	assert_non_null(strstr(buf, "| `ISACD_LISTEN` | `127.0.0.1:8080` |"));
	assert_non_null(strstr(buf, "`ISACD_DATABASE_URL`"));
	assert_non_null(strstr(buf, "`ISACD_TLS_KEY` | (unset)"));
	assert_true(config_is_known("ISACD_MAX_CONNS"));
	assert_false(config_is_known("ISACD_NOPE"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_override),
	    cmocka_unit_test(test_bad_values_are_refused),
	    cmocka_unit_test(test_session_idle_not_above_max),
	    cmocka_unit_test(test_split_listen),
	    cmocka_unit_test(test_markdown_lists_every_setting),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
