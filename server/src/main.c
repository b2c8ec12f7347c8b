/*
 * main.c - command dispatch: serve, migrate, create-staff, unlock,
 * healthcheck, version, routes, sql.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: isacd <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve          run the HTTP server (configuration from ISACD_* "
    "variables)\n"
    "  migrate        apply the schema migrations to ISACD_DATABASE_URL\n"
    "  create-staff   create an agency staff account\n"
    "  purge          delete what is past its retention (--dry-run: count "
    "it)\n"
    "  unlock         lift login lockouts (an account, an address, or all)\n"
    "  healthcheck    ask the isacd on ISACD_LISTEN whether it is ready\n"
    "  version        print the version and the schema version\n"
    "  routes         print the route table (for the OpenAPI drift check)\n"
    "  sql            print the SQL of a statement (for benchmarks)\n"
    "\n"
    "isacd <command> --help shows the options of a command.\n";

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"serve", cli_serve},
	    {"migrate", cli_migrate},
	    {"create-staff", cli_create_staff},
	    {"purge", cli_purge},
	    {"unlock", cli_unlock},
	    {"healthcheck", cli_healthcheck},
	    {"version", cli_version},
	    {"routes", cli_routes},
	    {"sql", cli_sql},
	};

	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cli_version(1, argv + 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "isacd: unknown command '%s' (see isacd --help)\n",
	    argv[1]);
	return 2;
}
