/*
 * cli_purge.c - `isacd purge [--dry-run]`: the purge of `isacd serve`
 * (purge/purge.h), run once from the command line (or cron), blocking.
 *
 * The same statements as the server's purge, on a connection of its own
 * that holds the purge's advisory lock for the run: while another purge
 * runs (an instance of isacd serve, another isacd purge) this one does
 * nothing and says so.  --dry-run takes no lock and deletes nothing: it
 * counts what a run would delete now.  It prints counts per community and
 * channel (by name), and what else was swept; never a post's title or id.
 * On a terminal, a progress line shows the posts deleted so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/mem.h"
#include "core/secret.h"
#include "db/migrate.h"
#include "purge/purge.h"
#include "store/store.h"

struct purge_channel {
	char community[37];
	char channel[37];
	unsigned long long posts;
	unsigned long long comments;
};

struct purge_run {
	PGconn *pg;
	bool dry;
	bool tty;
	struct purge_channel *ch;
	size_t nch, cap;
	unsigned long long posts, comments;
	unsigned long long swept[PURGE_NSWEEPS];
	unsigned long long forgotten;
	int64_t started_us, shown_us;
	int64_t batches_us; /* time spent deleting posts */
};

static PGresult *purge_exec(struct purge_run *pr, const struct db_stmt *st,
    const char *const *params, char *err, size_t errlen);
static void purge_count(struct purge_run *pr, const char *community,
    const char *channel, const char *posts, const char *comments);
static int purge_sweeps(
    struct purge_run *pr, const struct config *cfg, char *err, size_t errlen);
static int purge_posts(
    struct purge_run *pr, const struct config *cfg, char *err, size_t errlen);
static int purge_forget(struct purge_run *pr, char *err, size_t errlen);
static int purge_report(struct purge_run *pr, char *err, size_t errlen);
static int purge_schema_current(PGconn *pg, char *err, size_t errlen);

static const char purge_usage[] =
    "usage: isacd purge [--dry-run]\n"
    "\n"
    "Deletes what is past its retention, as `isacd serve` does every\n"
    "ISACD_PURGE_INTERVAL_S: posts past the retention of their community,\n"
    "channel and TLP (not those under legal hold), with their comments,\n"
    "revisions, sightings, indicators and events; ended sessions and API\n"
    "tokens, old invitations and join requests, expired realtime tickets,\n"
    "idempotency keys, login-failure records, events past the replay\n"
    "window; and IP addresses older than ISACD_IP_RETENTION_DAYS.  Prints\n"
    "counts per community and channel, never a title or an id.  One purge\n"
    "runs at a time: while another runs, this one does nothing (exit 1).\n"
    "\n"
    "  --dry-run   delete nothing: count what a run would delete now\n";

int
cli_purge(int argc, char **argv)
{
	struct config cfg;
	struct purge_run pr;
	char err[1024], setting[32];
	const char *params[1];
	PGresult *res;
	int rc = 1;

	memset(&pr, 0, sizeof(pr));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(purge_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--dry-run") == 0) {
			pr.dry = true;
			continue;
		}
		return cli_usage_error("purge", "unknown option", argv[i]);
	}
	if (cli_load_config(&cfg) != 0)
		return 2;
	pr.pg = cli_connect(
	    &cfg, (int)cfg.db_statement_timeout_ms, "purge", err, sizeof(err));
	if (pr.pg == NULL) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return 1;
	}
	pr.tty = isatty(STDERR_FILENO);
	pr.started_us = clock_mono_us();
	snprintf(setting, sizeof(setting), "%ld", cfg.max_retention_days);
	params[0] = setting;
	if (purge_schema_current(pr.pg, err, sizeof(err)) != 0)
		goto out;
	res = PQexecParams(pr.pg,
	    "SELECT set_config('isacd.max_retention_days', $1, false)", 1, NULL,
	    params, NULL, NULL, 0);
	PQclear(res);
	if (!pr.dry) {
		res =
		    purge_exec(&pr, &store_purge_lock, NULL, err, sizeof(err));
		if (res == NULL)
			goto out;
		if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
			PQclear(res);
			snprintf(err, sizeof(err),
			    "another purge is running (isacd serve or isacd "
			    "purge holds the purge lock); nothing was done");
			goto out;
		}
		PQclear(res);
	}
	if (purge_sweeps(&pr, &cfg, err, sizeof(err)) != 0 ||
	    purge_posts(&pr, &cfg, err, sizeof(err)) != 0 ||
	    purge_report(&pr, err, sizeof(err)) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "isacd purge: %s\n", err);
	if (!pr.dry)
		PQclear(PQexec(pr.pg, store_purge_unlock.sql));
	PQfinish(pr.pg);
	free(pr.ch);
	config_free(&cfg);
	return rc;
}

/* Run a statement; NULL after writing why into err. */
static PGresult *
purge_exec(struct purge_run *pr, const struct db_stmt *st,
    const char *const *params, char *err, size_t errlen)
{
	PGresult *res = PQexecParams(
	    pr->pg, st->sql, st->nparams, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	snprintf(err, errlen, "%s failed: %.*s", st->name,
	    (int)strcspn(PQresultErrorMessage(res), "\n"),
	    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int
purge_schema_current(PGconn *pg, char *err, size_t errlen)
{
	struct migration_set set;
	int pending = 0, rc = 0;

	if (migrate_load_embedded(&set, err, errlen) != 0)
		return -1;
	if (migrate_check(pg, &set, &pending, err, errlen) != 0) {
		rc = -1;
	} else if (pending > 0) {
		snprintf(err, errlen,
		    "the database schema is behind (%d migrations are not "
		    "applied); run `isacd migrate` first",
		    pending);
		rc = -1;
	}
	migrate_set_free(&set);
	return rc;
}

static void
purge_count(struct purge_run *pr, const char *community, const char *channel,
    const char *posts, const char *comments)
{
	struct purge_channel *c = NULL;
	unsigned long long n = strtoull(posts, NULL, 10);
	unsigned long long m = strtoull(comments, NULL, 10);

	for (size_t i = 0; i < pr->nch; i++)
		if (strcmp(pr->ch[i].channel, channel) == 0)
			c = &pr->ch[i];
	if (c == NULL) {
		if (pr->nch == pr->cap) {
			pr->cap = pr->cap ? pr->cap * 2 : 16;
			pr->ch = xrealloc(pr->ch, pr->cap * sizeof(*pr->ch));
		}
		c = &pr->ch[pr->nch++];
		memset(c, 0, sizeof(*c));
		snprintf(c->community, sizeof(c->community), "%s", community);
		snprintf(c->channel, sizeof(c->channel), "%s", channel);
	}
	c->posts += n;
	c->comments += m;
	pr->posts += n;
	pr->comments += m;
}

static int
purge_sweeps(
    struct purge_run *pr, const struct config *cfg, char *err, size_t errlen)
{
	char limit[24], ip[24], window[24];
	const char *params[5];

	snprintf(limit, sizeof(limit), "%d", PURGE_SWEEP_LIMIT);
	snprintf(ip, sizeof(ip), "%ld", cfg->ip_retention_days);
	snprintf(window, sizeof(window), "%ld", cfg->login_window_s);
	params[1] = limit;
	params[2] = ip;
	params[3] = window;
	params[4] = pr->dry ? "true" : "false";
	for (int i = 0; i < PURGE_NSWEEPS; i++) {
		unsigned long long n;

		params[0] = purge_sweep_kinds[i];
		do {
			PGresult *res = purge_exec(
			    pr, &store_purge_sweep, params, err, errlen);

			if (res == NULL)
				return -1;
			n = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
			PQclear(res);
			pr->swept[i] += n;
		} while (!pr->dry && n >= PURGE_SWEEP_LIMIT);
	}
	return 0;
}

static void
purge_progress(struct purge_run *pr, bool last)
{
	int64_t now = clock_mono_us();
	double s = (double)(now - pr->started_us) / 1e6;

	if (!pr->tty || (!last && now - pr->shown_us < 200000))
		return;
	pr->shown_us = now;
	fprintf(stderr,
	    "\risacd purge: %llu posts and %llu comments deleted "
	    "(%.0f posts/s)\033[K",
	    pr->posts, pr->comments, s > 0 ? (double)pr->posts / s : 0.0);
	if (last)
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static int
purge_posts(
    struct purge_run *pr, const struct config *cfg, char *err, size_t errlen)
{
	char limit[24], run[37];
	const char *params[2];
	PGresult *res;
	int rows;

	if (pr->dry) {
		res = purge_exec(pr, &store_purge_due, NULL, err, errlen);
		if (res == NULL)
			return -1;
		for (int i = 0; i < PQntuples(res); i++)
			purge_count(pr, PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3));
		PQclear(res);
		return 0;
	}
	if (purge_forget(pr, err, errlen) != 0)
		return -1;
	{
		uint8_t raw[16];

		secret_random(raw, sizeof(raw));
		raw[6] = (uint8_t)((raw[6] & 0x0f) | 0x40);
		raw[8] = (uint8_t)((raw[8] & 0x3f) | 0x80);
		snprintf(run, sizeof(run),
		    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		    "%02x%02x%02x%02x%02x%02x",
		    raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6],
		    raw[7], raw[8], raw[9], raw[10], raw[11], raw[12], raw[13],
		    raw[14], raw[15]);
	}
	snprintf(limit, sizeof(limit), "%ld", cfg->purge_batch);
	params[0] = limit;
	params[1] = run;
	pr->batches_us = clock_mono_us();
	do {
		res = purge_exec(pr, &store_purge_batch, params, err, errlen);
		if (res == NULL)
			return -1;
		rows = PQntuples(res);
		for (int i = 0; i < rows; i++)
			purge_count(pr, PQgetvalue(res, i, 0),
			    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
			    PQgetvalue(res, i, 3));
		PQclear(res);
		/* tell every isacd serve on the database to read the events */
		if (rows > 0)
			PQclear(PQexec(pr->pg, store_rt_notify.sql));
		purge_progress(pr, false);
	} while (rows > 0);
	pr->batches_us = clock_mono_us() - pr->batches_us;
	purge_progress(pr, true);
	if (pr->posts > 0) {
		/* subscribers hear of what went; then it is forgotten */
		if (pr->tty)
			fprintf(stderr,
			    "isacd purge: letting subscribers hear of it (%d "
			    "s)...\r",
			    PURGE_SETTLE_S);
		sleep(PURGE_SETTLE_S);
		if (pr->tty)
			fputs("\r\033[K", stderr);
		if (purge_forget(pr, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static int
purge_forget(struct purge_run *pr, char *err, size_t errlen)
{
	char settle[24];
	const char *params[1] = {settle};
	PGresult *res;

	snprintf(settle, sizeof(settle), "%d", PURGE_SETTLE_S);
	res = purge_exec(pr, &store_purge_forget, params, err, errlen);
	if (res == NULL)
		return -1;
	pr->forgotten += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return 0;
}

/* Counts per community and channel, by name, then what was swept. */
static int
purge_report(struct purge_run *pr, char *err, size_t errlen)
{
	const char *verb = pr->dry ? "would delete" : "deleted";
	double s = (double)(clock_mono_us() - pr->started_us) / 1e6;
	double b = (double)pr->batches_us / 1e6;
	size_t len = 2;
	char *ids;
	const char *params[1];
	PGresult *res;

	ids = xmalloc(pr->nch * 37 + 3);
	strcpy(ids, "{");
	for (size_t i = 0; i < pr->nch; i++)
		len += (size_t)sprintf(
		    ids + len - 1, "%s%s", i ? "," : "", pr->ch[i].channel);
	strcpy(ids + len - 1, "}");
	params[0] = ids;
	res = purge_exec(pr, &store_purge_names, params, err, errlen);
	free(ids);
	if (res == NULL)
		return -1;
	printf("isacd purge%s: %s %llu posts and %llu comments past their "
	       "retention in %zu channels",
	    pr->dry ? " --dry-run" : "", verb, pr->posts, pr->comments,
	    pr->nch);
	if (!pr->dry)
		printf(" (%.1f s in all; %.0f posts/s while deleting)", s,
		    b > 0 ? (double)pr->posts / b : 0.0);
	printf("\n");
	for (size_t i = 0; i < pr->nch; i++) {
		const char *community = "(a deleted community)";
		const char *channel = "(a deleted channel)";

		for (int r = 0; r < PQntuples(res); r++)
			if (strcmp(PQgetvalue(res, r, 0), pr->ch[i].channel) ==
			    0) {
				community = PQgetvalue(res, r, 1);
				channel = PQgetvalue(res, r, 2);
			}
		printf("  %s / %s: %llu posts, %llu comments\n", community,
		    channel, pr->ch[i].posts, pr->ch[i].comments);
	}
	PQclear(res);
	printf("isacd purge%s: %s\n", pr->dry ? " --dry-run" : "",
	    pr->dry ? "would sweep" : "swept");
	for (int i = 0; i < PURGE_NSWEEPS; i++)
		printf("  %s: %llu\n", purge_sweep_names[i], pr->swept[i]);
	if (!pr->dry)
		printf("  events of the deleted posts, forgotten: %llu\n",
		    pr->forgotten);
	fflush(stdout);
	return 0;
}
