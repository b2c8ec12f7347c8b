/*
 * migrate.h - schema migrations: schema/NNNN_name.sql applied in order, then
 * the function files, schema/functions/NN_name.sql.
 *
 * Each numbered file runs in its own transaction and is recorded in
 * schema_migrations with its SHA-256; an applied file whose content changed
 * is an error, never a silent skip.  The function files are code, not data:
 * whenever their combined SHA-256 differs from the one recorded in
 * schema_functions, one transaction drops every isacd_ function (trigger
 * functions are replaced instead) and runs them all, in name order.  These
 * functions block: they are for the CLI (`isacd migrate`) and for the
 * start-up check of `isacd serve`, before the loop runs.
 */
#ifndef ISACD_DB_MIGRATE_H
#define ISACD_DB_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include <libpq-fe.h>

struct migration {
	int version;
	char *name;
	char *sql;
	size_t len;
	char checksum[65];
};

struct migration_set {
	struct migration *m; /* numbered migrations, by version */
	size_t n;
	struct migration *fn; /* function files, by name (version 0) */
	size_t nfn;
	char fn_checksum[65]; /* SHA-256 over every function file's name and
	                         text */
};

/** The migrations compiled into this binary. */
int migrate_load_embedded(struct migration_set *set, char *err, size_t errlen);
/** The migrations in a directory, and its functions/ folder if any (for
 * development and tests). */
int migrate_load_dir(
    const char *dir, struct migration_set *set, char *err, size_t errlen);
void migrate_set_free(struct migration_set *set);
/** The highest version in the set (0 when empty). */
int migrate_latest(const struct migration_set *set);
/**
 * Apply what is missing, printing one line per applied file to out.
 * 0 on success; -1 with err filled (edited file, failed SQL, ...).
 */
int migrate_apply(PGconn *pg, const struct migration_set *set, FILE *out,
    char *err, size_t errlen);
/**
 * Compare the database with the set: *pending = numbered files not yet
 * applied, plus one when the function files differ from those applied.
 * 0 on success; -1 with err filled (edited file, query failure).
 */
int migrate_check(PGconn *pg, const struct migration_set *set, int *pending,
    char *err, size_t errlen);
/** Open a blocking connection with isacd's session settings. */
PGconn *migrate_connect(
    const char *conninfo, int statement_timeout_ms, char *err, size_t errlen);

#endif
