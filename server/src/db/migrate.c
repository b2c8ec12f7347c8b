/*
 * migrate.c - loading, checking and applying migrations (blocking libpq).
 *
 * A session-level advisory lock serialises concurrent migrators (two isacd
 * processes started at once).  Applied rows are compared by version and
 * checksum; a file missing from the set but recorded in the database is
 * reported, since it means this binary is older than the schema.
 *
 * The function files (schema/functions) follow the numbered migrations.
 * They are applied as one: their combined checksum is kept in
 * schema_functions, and when it differs, one transaction drops every
 * isacd_ function that is not a trigger function (PostgreSQL records no
 * dependency of a function body on another function, so any order works;
 * trigger functions are held by their triggers and are replaced by the
 * files with CREATE OR REPLACE) and runs the files in name order.
 */
#include "db/migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "core/codec.h"
#include "core/embedded.h"
#include "core/mem.h"
#include "core/secret.h"
#include "db/db.h"

#define MIGRATE_LOCK_KEY "7262610317"

static int migrate_parse_name(const char *name, int *version);
static int migrate_add(struct migration_set *set, const char *name,
    const char *data, size_t len, char *err, size_t errlen);
static int migrate_cmp(const void *a, const void *b);
static int migrate_applied(
    PGconn *pg, PGresult **res, char *err, size_t errlen);
static int migrate_exec(PGconn *pg, const char *sql, char *err, size_t errlen);
static int migrate_add_function(struct migration_set *set, const char *name,
    const char *data, size_t len, char *err, size_t errlen);
static int migrate_read_file(
    const char *path, char **data, size_t *len, char *err, size_t errlen);
static void migrate_finish_set(struct migration_set *set);
static int migrate_functions_applied(
    PGconn *pg, char sum[65], char *err, size_t errlen);
static int migrate_apply_functions(PGconn *pg, const struct migration_set *set,
    FILE *out, char *err, size_t errlen);

#define MIGRATE_FUNCTIONS_DIR "functions/"

/* drops every isacd_ function but the trigger functions */
static const char migrate_drop_functions[] =
    "DO $$ DECLARE f regprocedure; BEGIN"
    " FOR f IN SELECT p.oid::regprocedure FROM pg_proc p"
    "  JOIN pg_namespace n ON n.oid = p.pronamespace"
    "  WHERE n.nspname = current_schema() AND p.proname LIKE 'isacd\\_%'"
    "   AND p.prokind = 'f' AND p.prorettype <> 'trigger'::regtype"
    " LOOP EXECUTE 'DROP FUNCTION ' || f; END LOOP; END $$";

/* "relation ... already exists, skipping" and the like are not for users */
static void
migrate_ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int
migrate_load_embedded(struct migration_set *set, char *err, size_t errlen)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < embedded_migrations_count; i++) {
		const struct embedded_file *f = &embedded_migrations[i];
		size_t plen = strlen(MIGRATE_FUNCTIONS_DIR);
		int rc = strncmp(f->name, MIGRATE_FUNCTIONS_DIR, plen) == 0
		    ? migrate_add_function(set, f->name + plen,
		          (const char *)f->data, f->len, err, errlen)
		    : migrate_add(set, f->name, (const char *)f->data, f->len,
		          err, errlen);

		if (rc != 0) {
			migrate_set_free(set);
			return -1;
		}
	}
	migrate_finish_set(set);
	return 0;
}

int
migrate_load_dir(
    const char *dir, struct migration_set *set, char *err, size_t errlen)
{
	char sub[4096];
	DIR *d = opendir(dir);
	struct dirent *de;

	memset(set, 0, sizeof(*set));
	if (d == NULL) {
		snprintf(
		    err, errlen, "cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		size_t nlen = strlen(de->d_name), len;
		char *data;
		int v;

		if (nlen < 5 || strcmp(de->d_name + nlen - 4, ".sql") != 0)
			continue;
		if (migrate_parse_name(de->d_name, &v) != 0) {
			snprintf(err, errlen,
			    "%s: migration names are NNNN_name.sql",
			    de->d_name);
			goto fail;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (migrate_read_file(path, &data, &len, err, errlen) != 0)
			goto fail;
		if (migrate_add(set, de->d_name, data, len, err, errlen) != 0) {
			free(data);
			goto fail;
		}
		free(data);
	}
	closedir(d);
	/* the function files, when the folder has them */
	snprintf(sub, sizeof(sub), "%s/" MIGRATE_FUNCTIONS_DIR, dir);
	d = opendir(sub);
	while (d != NULL && (de = readdir(d)) != NULL) {
		char path[4096 + 256];
		size_t nlen = strlen(de->d_name), len;
		char *data;

		if (nlen < 5 || strcmp(de->d_name + nlen - 4, ".sql") != 0)
			continue;
		snprintf(path, sizeof(path), "%s%s", sub, de->d_name);
		if (migrate_read_file(path, &data, &len, err, errlen) != 0)
			goto fail;
		if (migrate_add_function(
		        set, de->d_name, data, len, err, errlen) != 0) {
			free(data);
			goto fail;
		}
		free(data);
	}
	if (d != NULL)
		closedir(d);
	migrate_finish_set(set);
	for (size_t i = 1; i < set->n; i++) {
		if (set->m[i].version == set->m[i - 1].version) {
			snprintf(err, errlen, "two migrations with version %d",
			    set->m[i].version);
			migrate_set_free(set);
			return -1;
		}
	}
	return 0;
fail:
	if (d != NULL)
		closedir(d);
	migrate_set_free(set);
	return -1;
}

/* The whole file at path, NUL-terminated, in *data (the caller frees). */
static int
migrate_read_file(
    const char *path, char **data, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		snprintf(err, errlen, "cannot read %s", path);
		if (f)
			fclose(f);
		return -1;
	}
	*data = xmalloc((size_t)size + 1);
	if (fread(*data, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "cannot read %s", path);
		free(*data);
		fclose(f);
		return -1;
	}
	fclose(f);
	(*data)[size] = '\0';
	*len = (size_t)size;
	return 0;
}

void
migrate_set_free(struct migration_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->m[i].name);
		free(set->m[i].sql);
	}
	for (size_t i = 0; i < set->nfn; i++) {
		free(set->fn[i].name);
		free(set->fn[i].sql);
	}
	free(set->m);
	free(set->fn);
	memset(set, 0, sizeof(*set));
}

int
migrate_latest(const struct migration_set *set)
{
	return set->n ? set->m[set->n - 1].version : 0;
}

PGconn *
migrate_connect(
    const char *conninfo, int statement_timeout_ms, char *err, size_t errlen)
{
	const char *keys[8], *vals[8];
	char options[256];
	PGconn *pg;

	db_connect_params(conninfo, statement_timeout_ms, keys, vals, 8,
	    options, sizeof(options));
	pg = PQconnectdbParams(keys, vals, 1);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		const char *m = pg ? PQerrorMessage(pg) : "out of memory";

		snprintf(err, errlen, "cannot connect to PostgreSQL: %.*s",
		    (int)strcspn(m, "\n"), m);
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeProcessor(pg, migrate_ignore_notice, NULL);
	return pg;
}

int
migrate_check(PGconn *pg, const struct migration_set *set, int *pending,
    char *err, size_t errlen)
{
	PGresult *res;
	int rows;

	if (migrate_applied(pg, &res, err, errlen) != 0)
		return -1;
	*pending = 0;
	rows = res ? PQntuples(res) : 0;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		bool found = false;

		for (int r = 0; r < rows; r++) {
			if (atoi(PQgetvalue(res, r, 0)) != m->version)
				continue;
			found = true;
			if (strcmp(PQgetvalue(res, r, 1), m->checksum) != 0) {
				snprintf(err, errlen,
				    "migration %s was edited after it was "
				    "applied (checksum differs); add a new "
				    "migration instead",
				    m->name);
				PQclear(res);
				return -1;
			}
		}
		if (!found)
			(*pending)++;
	}
	if (res)
		PQclear(res);
	if (set->nfn > 0) {
		char sum[65];

		if (migrate_functions_applied(pg, sum, err, errlen) != 0)
			return -1;
		if (strcmp(sum, set->fn_checksum) != 0)
			(*pending)++;
	}
	return 0;
}

int
migrate_apply(PGconn *pg, const struct migration_set *set, FILE *out, char *err,
    size_t errlen)
{
	PGresult *res = NULL;
	int rc = -1, pending, applied = 0;

	if (migrate_exec(pg,
	        "CREATE TABLE IF NOT EXISTS schema_migrations ("
	        " version integer PRIMARY KEY,"
	        " name text NOT NULL,"
	        " checksum text NOT NULL,"
	        " applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen) != 0)
		return -1;
	if (migrate_exec(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	        err, errlen) != 0)
		return -1;
	if (migrate_check(pg, set, &pending, err, errlen) != 0)
		goto done;
	if (migrate_applied(pg, &res, err, errlen) != 0)
		goto done;
	for (size_t i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		char vbuf[16];
		const char *params[3];
		bool done = false;
		PGresult *ins;

		for (int r = 0; res && r < PQntuples(res); r++)
			if (atoi(PQgetvalue(res, r, 0)) == m->version)
				done = true;
		if (done)
			continue;
		if (migrate_exec(pg, "BEGIN", err, errlen) != 0)
			goto done;
		if (migrate_exec(pg, m->sql, err, errlen) != 0) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "%s: %s", m->name, why);
			migrate_exec(pg, "ROLLBACK", why, sizeof(why));
			goto done;
		}
		snprintf(vbuf, sizeof(vbuf), "%d", m->version);
		params[0] = vbuf;
		params[1] = m->name;
		params[2] = m->checksum;
		ins = PQexecParams(pg,
		    "INSERT INTO schema_migrations (version, name, checksum) "
		    "VALUES ($1, $2, $3)",
		    3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(ins) != PGRES_COMMAND_OK) {
			snprintf(err, errlen, "%s: recording failed: %s",
			    m->name, PQresultErrorMessage(ins));
			PQclear(ins);
			migrate_exec(pg, "ROLLBACK", err + strlen(err), 1);
			goto done;
		}
		PQclear(ins);
		if (migrate_exec(pg, "COMMIT", err, errlen) != 0)
			goto done;
		applied++;
		if (out)
			fprintf(out, "applied %s\n", m->name);
	}
	if (migrate_apply_functions(pg, set, out, err, errlen) != 0)
		goto done;
	if (out)
		fprintf(out, "schema at version %d (%d applied now)\n",
		    migrate_latest(set), applied);
	rc = 0;
done:
	if (res)
		PQclear(res);
	{
		char ignore[64];

		migrate_exec(pg,
		    "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", ignore,
		    sizeof(ignore));
	}
	return rc;
}

static int
migrate_applied(PGconn *pg, PGresult **res, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg,
	    "SELECT to_regclass('schema_migrations') "
	    "IS NOT NULL");

	*res = NULL;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexec(pg,
	    "SELECT version, checksum FROM schema_migrations "
	    "ORDER BY version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	*res = r;
	return 0;
}

static int
migrate_exec(PGconn *pg, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *m = PQresultErrorMessage(r);

		if (errlen > 1)
			snprintf(err, errlen, "%.*s", (int)strcspn(m, "\n"), m);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int
migrate_parse_name(const char *name, int *version)
{
	int v = 0, i;

	for (i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	if (name[4] != '_' || v == 0)
		return -1;
	*version = v;
	return 0;
}

static int
migrate_add(struct migration_set *set, const char *name, const char *data,
    size_t len, char *err, size_t errlen)
{
	struct migration *m;
	int v;

	if (migrate_parse_name(name, &v) != 0) {
		snprintf(
		    err, errlen, "%s: migration names are NNNN_name.sql", name);
		return -1;
	}
	if (memchr(data, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", name);
		return -1;
	}
	set->m = xrealloc(set->m, (set->n + 1) * sizeof(*set->m));
	m = &set->m[set->n++];
	m->version = v;
	m->name = xstrdup(name);
	m->sql = xstrndup(data, len);
	m->len = len;
	secret_sha256_hex(data, len, m->checksum);
	return 0;
}

static int
migrate_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static int
migrate_add_function(struct migration_set *set, const char *name,
    const char *data, size_t len, char *err, size_t errlen)
{
	struct migration *m;

	if (memchr(data, '\0', len) != NULL) {
		snprintf(
		    err, errlen, "functions/%s: contains a NUL byte", name);
		return -1;
	}
	set->fn = xrealloc(set->fn, (set->nfn + 1) * sizeof(*set->fn));
	m = &set->fn[set->nfn++];
	m->version = 0;
	m->name = xstrdup(name);
	m->sql = xstrndup(data, len);
	m->len = len;
	secret_sha256_hex(data, len, m->checksum);
	return 0;
}

static int
migrate_name_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Sort both lists; the functions' checksum covers their names and texts. */
static void
migrate_finish_set(struct migration_set *set)
{
	char *all;
	size_t len = 0;

	qsort(set->m, set->n, sizeof(*set->m), migrate_cmp);
	if (set->nfn == 0)
		return;
	qsort(set->fn, set->nfn, sizeof(*set->fn), migrate_name_cmp);
	for (size_t i = 0; i < set->nfn; i++)
		len +=
		    strlen(set->fn[i].name) + 1 + sizeof(set->fn[i].checksum);
	all = xmalloc(len + 1);
	len = 0;
	for (size_t i = 0; i < set->nfn; i++)
		len += (size_t)sprintf(
		    all + len, "%s %s\n", set->fn[i].name, set->fn[i].checksum);
	secret_sha256_hex(all, len, set->fn_checksum);
	free(all);
}

/* The checksum of the function files applied ("" when none were). */
static int
migrate_functions_applied(PGconn *pg, char sum[65], char *err, size_t errlen)
{
	PGresult *r = PQexec(pg, "SELECT to_regclass('schema_functions')");

	sum[0] = '\0';
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		goto fail;
	if (PQgetisnull(r, 0, 0)) {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexec(pg, "SELECT checksum FROM schema_functions");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		goto fail;
	if (PQntuples(r) == 1)
		snprintf(sum, 65, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
fail:
	snprintf(err, errlen, "%s", PQresultErrorMessage(r));
	PQclear(r);
	return -1;
}

static int
migrate_apply_functions(PGconn *pg, const struct migration_set *set, FILE *out,
    char *err, size_t errlen)
{
	char sum[65], why[512];
	const char *params[1];
	PGresult *r;

	if (set->nfn == 0)
		return 0;
	if (migrate_exec(pg,
	        "CREATE TABLE IF NOT EXISTS schema_functions ("
	        " one boolean PRIMARY KEY DEFAULT true CHECK (one),"
	        " checksum text NOT NULL,"
	        " applied_at timestamptz NOT NULL DEFAULT now())",
	        err, errlen) != 0)
		return -1;
	if (migrate_functions_applied(pg, sum, err, errlen) != 0)
		return -1;
	if (strcmp(sum, set->fn_checksum) == 0)
		return 0;
	if (migrate_exec(pg, "BEGIN", err, errlen) != 0)
		return -1;
	if (migrate_exec(pg, migrate_drop_functions, err, errlen) != 0)
		goto fail;
	for (size_t i = 0; i < set->nfn; i++) {
		if (migrate_exec(pg, set->fn[i].sql, err, errlen) != 0) {
			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, errlen, "functions/%s: %s",
			    set->fn[i].name, why);
			goto fail;
		}
	}
	params[0] = set->fn_checksum;
	r = PQexecParams(pg,
	    "INSERT INTO schema_functions (checksum) VALUES ($1)"
	    " ON CONFLICT (one) DO UPDATE SET checksum = excluded.checksum,"
	    " applied_at = now()",
	    1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "recording the functions failed: %s",
		    PQresultErrorMessage(r));
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (migrate_exec(pg, "COMMIT", err, errlen) != 0)
		return -1;
	if (out)
		fprintf(out, "applied functions (%zu files)\n", set->nfn);
	return 0;
fail:
	migrate_exec(pg, "ROLLBACK", why, sizeof(why));
	return -1;
}
