/*
 * cli_misc.c - version, routes, sql, and what every command shares.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "cli/cli.h"
#include "version.h"
#include "core/config.h"
#include "core/embedded.h"
#include "db/migrate.h"
#include "http/http_parser.h"
#include "store/store.h"

int
cli_usage_error(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "isacd %s: %s '%s' (see isacd %s --help)\n", cmd, what,
	    arg, cmd);
	return 2;
}

static const char *
cli_getenv(const char *name)
{
	return getenv(name);
}

int
cli_load_config(struct config *cfg)
{
	char err[512];

	if (config_load(cfg, cli_getenv, err, sizeof(err)) != 0) {
		fprintf(stderr, "isacd: configuration: %s\n", err);
		return -1;
	}
	return 0;
}

/*
 * OWASP's argon2id rows (p = 1): at least m_kib of memory with t passes.
 * Parameters that meet one row (or more passes than it) are fine; below
 * every row they are only fit for tests, which hash thousands of passwords.
 */
static const struct {
	long t;
	long m_kib;
} cli_owasp_argon2[] = {
    {1, 47104},
    {2, 19456},
    {3, 12288},
    {4, 9216},
    {5, 7168},
};

bool
cli_argon2_below_floor(const struct config *cfg, char *buf, size_t cap)
{
	size_t n = sizeof(cli_owasp_argon2) / sizeof(cli_owasp_argon2[0]);

	for (size_t i = 0; i < n; i++)
		if (cfg->argon2_t >= cli_owasp_argon2[i].t &&
		    cfg->argon2_m_kib >= cli_owasp_argon2[i].m_kib)
			return false;
	snprintf(buf, cap,
	    "argon2id parameters ISACD_ARGON2_M_KIB=%ld ISACD_ARGON2_T=%ld are "
	    "below OWASP's floor (19456 KiB with t=2, 47104 KiB with t=1): "
	    "password hashes made now are cheap to crack; this is for tests, "
	    "never for production",
	    cfg->argon2_m_kib, cfg->argon2_t);
	return true;
}

PGconn *
cli_connect(const struct config *cfg, int statement_timeout_ms, const char *cmd,
    char *err, size_t errlen)
{
	char why[512];
	PGconn *pg = migrate_connect(
	    cfg->database_url, statement_timeout_ms, why, sizeof(why));

	if (pg != NULL)
		return pg;
	/* the URL may hold a password: name the variable, never its value */
	snprintf(err, errlen,
	    "isacd %s: %s; check ISACD_DATABASE_URL (%s; next to `make run`: "
	    "ISACD_DATABASE_URL=$(cat var/database-url) isacd %s)",
	    cmd, why,
	    getenv("ISACD_DATABASE_URL")
	        ? "it is set"
	        : "it is not set, so the default 'dbname=isacd' was tried",
	    cmd);
	return NULL;
}

int
cli_version(int argc, char **argv)
{
	struct migration_set set;
	char err[256];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			puts("usage: isacd version\n\nPrints the isacd version "
			     "and the schema version it needs.");
			return 0;
		}
		return cli_usage_error("version", "unknown option", argv[i]);
	}
	if (migrate_load_embedded(&set, err, sizeof(err)) != 0) {
		fprintf(stderr, "isacd: %s\n", err);
		return 1;
	}
	printf("isacd %s (schema %d)\n", ISACD_VERSION, migrate_latest(&set));
	migrate_set_free(&set);
	return 0;
}

int
cli_routes(int argc, char **argv)
{
	const struct http_route *routes;
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			puts(
			    "usage: isacd routes\n\nPrints one line per route: "
			    "METHOD PATTERN.");
			return 0;
		}
		return cli_usage_error("routes", "unknown option", argv[i]);
	}
	routes = api_routes(&n);
	for (size_t i = 0; i < n; i++)
		printf("%s %s\n", http_method_name(routes[i].method),
		    routes[i].pattern);
	return 0;
}

int
cli_sql(int argc, char **argv)
{
	const struct db_stmt *st;
	struct db_stmt *const *all;
	size_t n;

	if (argc != 2 || strcmp(argv[1], "--help") == 0) {
		puts("usage: isacd sql NAME | isacd sql --list\n\n"
		     "Prints the SQL text of the named statement ($1.. are its "
		     "parameters),\nas the server prepares it; --list prints "
		     "the names.");
		return argc == 2 ? 0 : 2;
	}
	if (strcmp(argv[1], "--list") == 0) {
		all = store_statements(&n);
		for (size_t i = 0; i < n; i++)
			printf("%s %d\n", all[i]->name, all[i]->nparams);
		return 0;
	}
	st = store_find(argv[1]);
	if (st == NULL) {
		fprintf(stderr,
		    "isacd sql: no statement '%s' (see isacd sql --list)\n",
		    argv[1]);
		return 1;
	}
	printf("%s\n", st->sql);
	return 0;
}
