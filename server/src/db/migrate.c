/*
 * migrate.c - loading, checking and applying migrations (blocking libpq).
 *
 * A session-level advisory lock serialises concurrent migrators (two isacd
 * processes started at once).  Applied rows are compared by version and
 * checksum; a file missing from the set but recorded in the database is
 * reported, since it means this binary is older than the schema.
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

		if (migrate_add(set, f->name, (const char *)f->data, f->len,
		        err, errlen) != 0) {
			migrate_set_free(set);
			return -1;
		}
	}
	qsort(set->m, set->n, sizeof(*set->m), migrate_cmp);
	return 0;
}

int
migrate_load_dir(
    const char *dir, struct migration_set *set, char *err, size_t errlen)
{
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
		size_t nlen = strlen(de->d_name);
		FILE *f;
		char *data;
		long size;
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
		f = fopen(path, "rb");
		if (f == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
			snprintf(err, errlen, "cannot read %s", path);
			if (f)
				fclose(f);
			goto fail;
		}
		data = xmalloc((size_t)size + 1);
		if (fread(data, 1, (size_t)size, f) != (size_t)size) {
			snprintf(err, errlen, "cannot read %s", path);
			free(data);
			fclose(f);
			goto fail;
		}
		fclose(f);
		data[size] = '\0';
		if (migrate_add(set, de->d_name, data, (size_t)size, err,
		        errlen) != 0) {
			free(data);
			goto fail;
		}
		free(data);
	}
	closedir(d);
	qsort(set->m, set->n, sizeof(*set->m), migrate_cmp);
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
	closedir(d);
	migrate_set_free(set);
	return -1;
}

void
migrate_set_free(struct migration_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		free(set->m[i].name);
		free(set->m[i].sql);
	}
	free(set->m);
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
