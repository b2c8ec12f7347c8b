/*
 * cli_unlock.c - `isacd unlock`: the operator's way out of a login lockout.
 *
 * Failed logins lock an account, and a client address, for a window that
 * doubles with each lockout (auth_throttle, shared by every process and
 * kept across restarts).  That defence stays; this command lifts it where
 * the operator decides to: one account, one address (on a development
 * instance every mistyped password comes from 127.0.0.1, so twenty of them
 * lock out every account there), or everything.  It forgets the records,
 * so the next lockout starts again from the shortest window, and it
 * writes an audit entry.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "store/store.h"

static const char unlock_usage[] =
    "usage: isacd unlock --email E | --ip A | --all\n"
    "\n"
    "Lifts login lockouts (429 after too many failed logins), which last\n"
    "across restarts, and forgets the failed attempts counted so far:\n"
    "\n"
    "  --email E  the account with this e-mail address\n"
    "  --ip A     the client address A (IPv4 or IPv6); a mistyped password\n"
    "             on a development instance counts against 127.0.0.1, for\n"
    "             every account\n"
    "  --all      every account and address\n"
    "\n"
    "Next to `make run`: ISACD_DATABASE_URL=$(cat var/database-url) "
    "isacd unlock --all\n";

static int unlock_ip_valid(const char *s);

int
cli_unlock(int argc, char **argv)
{
	const char *email = NULL, *ip = NULL, *what;
	const char *params[3];
	bool all = false;
	char err[1024], label[320];
	struct config cfg;
	PGconn *pg;
	PGresult *res;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--help") == 0) {
			fputs(unlock_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--all") == 0) {
			all = true;
			continue;
		}
		if (strcmp(argv[i], "--email") == 0)
			slot = &email;
		else if (strcmp(argv[i], "--ip") == 0)
			slot = &ip;
		else
			return cli_usage_error(
			    "unlock", "unknown option", argv[i]);
		if (i + 1 >= argc)
			return cli_usage_error(
			    "unlock", "missing value for", argv[i]);
		*slot = argv[++i];
	}
	if ((email != NULL) + (ip != NULL) + all != 1) {
		fprintf(stderr,
		    "isacd unlock: give one of --email E, --ip A "
		    "and --all (see isacd unlock --help)\n");
		return 2;
	}
	if (email != NULL && email[0] == '\0') {
		fprintf(stderr, "isacd unlock: --email needs an address\n");
		return 2;
	}
	if (ip != NULL && !unlock_ip_valid(ip)) {
		fprintf(stderr,
		    "isacd unlock: '%s' is not an IPv4 or IPv6 address\n", ip);
		return 2;
	}
	if (cli_load_config(&cfg) != 0)
		return 2;
	pg = cli_connect(&cfg, 30000, "unlock", err, sizeof(err));
	config_free(&cfg);
	if (pg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	params[0] = email;
	params[1] = ip;
	params[2] = all ? "true" : "false";
	res = PQexecParams(
	    pg, store_throttle_unlock.sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		const char *m = PQresultErrorMessage(res);

		fprintf(
		    stderr, "isacd unlock: %.*s\n", (int)strcspn(m, "\n"), m);
		goto out;
	}
	if (all)
		what = "every account and address";
	else {
		snprintf(label, sizeof(label), "%s %s",
		    email ? "the account" : "the address", email ? email : ip);
		what = label;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") == 0)
		printf("%s: no lockout to lift; %s failed-login record%s "
		       "forgotten\n",
		    what, PQgetvalue(res, 0, 1),
		    strcmp(PQgetvalue(res, 0, 1), "1") == 0 ? "" : "s");
	else
		printf("%s: %s lockout%s lifted; logins are counted afresh\n",
		    what, PQgetvalue(res, 0, 0),
		    strcmp(PQgetvalue(res, 0, 0), "1") == 0 ? "" : "s");
	rc = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return rc;
}

static int
unlock_ip_valid(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	    inet_pton(AF_INET6, s, buf) == 1;
}
