/*
 * cli_migrate.c - `isacd migrate [--dir DIR]`: apply the migrations compiled
 * into the binary (or those in DIR) to ISACD_DATABASE_URL.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "db/migrate.h"

static const char migrate_usage[] =
    "usage: isacd migrate [--dir DIR]\n"
    "\n"
    "Applies the schema migrations that ISACD_DATABASE_URL lacks, each in its\n"
    "own transaction, and records them in schema_migrations.  A migration\n"
    "that was edited after it was applied is an error.\n"
    "\n"
    "  --dir DIR   use the NNNN_*.sql files in DIR instead of those built in\n";

int
cli_migrate(int argc, char **argv)
{
	struct config cfg;
	struct migration_set set;
	const char *dir = NULL;
	char err[1024];
	PGconn *pg;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(migrate_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--dir") == 0) {
			if (i + 1 >= argc)
				return cli_usage_error(
				    "migrate", "missing value for", argv[i]);
			dir = argv[++i];
			continue;
		}
		return cli_usage_error("migrate", "unknown option", argv[i]);
	}
	if (cli_load_config(&cfg) != 0)
		return 2;
	if ((dir ? migrate_load_dir(dir, &set, err, sizeof(err))
	         : migrate_load_embedded(&set, err, sizeof(err))) != 0) {
		fprintf(stderr, "isacd migrate: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	pg = cli_connect(&cfg, 600000, "migrate", err, sizeof(err));
	if (pg == NULL) {
		fprintf(stderr, "%s\n", err);
		migrate_set_free(&set);
		config_free(&cfg);
		return 1;
	}
	rc = migrate_apply(pg, &set, stdout, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "isacd migrate: %s\n", err);
	PQfinish(pg);
	migrate_set_free(&set);
	config_free(&cfg);
	return rc == 0 ? 0 : 1;
}
