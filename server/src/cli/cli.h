/*
 * cli.h - the commands of the isacd binary.  Each returns the process exit
 * status: 0 success, 1 failure (one clear line on stderr), 2 usage error.
 */
#ifndef ISACD_CLI_H
#define ISACD_CLI_H

#include <stdbool.h>
#include <stddef.h>

int cli_serve(int argc, char **argv);
int cli_migrate(int argc, char **argv);
int cli_create_staff(int argc, char **argv);
int cli_purge(int argc, char **argv);
int cli_unlock(int argc, char **argv);
int cli_healthcheck(int argc, char **argv);
int cli_version(int argc, char **argv);
int cli_routes(int argc, char **argv);
int cli_sql(int argc, char **argv);

/** Print "isacd CMD: unknown option 'X' (see isacd CMD --help)"; returns 2. */
int cli_usage_error(const char *cmd, const char *what, const char *arg);
/** Load the configuration or print why not; 0 on success. */
struct config;
int cli_load_config(struct config *cfg);
/**
 * True, with a warning that says so in buf, when cfg's argon2id parameters
 * are below OWASP's floor (cheap enough for tests, too cheap for passwords).
 */
bool cli_argon2_below_floor(const struct config *cfg, char *buf, size_t cap);
/**
 * Connect to ISACD_DATABASE_URL for a blocking CLI step; NULL after writing
 * "isacd CMD: cannot connect ..." with what to set into err.
 */
#include <libpq-fe.h>
PGconn *cli_connect(const struct config *cfg, int statement_timeout_ms,
    const char *cmd, char *err, size_t errlen);

#endif
