/*
 * cli_staff.c - `isacd create-staff`: the first agency account of a fresh
 * installation (and the demo account of `make run`).  The password comes on
 * standard input so it never shows in a process list or shell history.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/config.h"
#include "db/migrate.h"
#include "domain/password.h"
#include "domain/validate.h"
#include "store/store.h"

static const char staff_usage[] =
    "usage: isacd create-staff --email E --name N --organisation O "
    "--password-stdin\n"
    "\n"
    "Creates an agency staff account in organisation O (created when no\n"
    "organisation has that name).  The password is the first line of standard\n"
    "input: 12 characters to 1024 bytes, not a common password, not holding\n"
    "the e-mail name or the person's name.\n";

static int staff_text_ok(const char *s, size_t max_chars);

int
cli_create_staff(int argc, char **argv)
{
	const char *email = NULL, *name = NULL, *org = NULL, *why;
	bool pw_stdin = false;
	char pw[PASSWORD_MAX_BYTES + 3], hash[PASSWORD_HASH_MAX], err[1024];
	size_t len;
	struct config cfg;
	struct password_params pp;
	PGconn *pg;
	PGresult *res;
	const char *params[4];
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--help") == 0) {
			fputs(staff_usage, stdout);
			return 0;
		}
		if (strcmp(argv[i], "--password-stdin") == 0) {
			pw_stdin = true;
			continue;
		}
		if (strcmp(argv[i], "--email") == 0)
			slot = &email;
		else if (strcmp(argv[i], "--name") == 0)
			slot = &name;
		else if (strcmp(argv[i], "--organisation") == 0)
			slot = &org;
		else
			return cli_usage_error(
			    "create-staff", "unknown option", argv[i]);
		if (i + 1 >= argc)
			return cli_usage_error(
			    "create-staff", "missing value for", argv[i]);
		*slot = argv[++i];
	}
	if (!email || !name || !org || !pw_stdin) {
		fprintf(stderr,
		    "isacd create-staff: --email, --name, "
		    "--organisation and --password-stdin are all "
		    "required (see isacd create-staff --help)\n");
		return 2;
	}
	if (!v_email_valid(email)) {
		fprintf(stderr,
		    "isacd create-staff: '%s' is not a valid "
		    "e-mail address\n",
		    email);
		return 1;
	}
	if (!staff_text_ok(name, 100) || !staff_text_ok(org, 200)) {
		fprintf(stderr,
		    "isacd create-staff: --name (1-100 characters) "
		    "and --organisation (1-200) must be plain "
		    "text\n");
		return 1;
	}
	if (fgets(pw, sizeof(pw), stdin) == NULL) {
		fprintf(stderr,
		    "isacd create-staff: no password on standard "
		    "input\n");
		return 1;
	}
	len = strlen(pw);
	if (len > 0 && pw[len - 1] == '\n')
		pw[--len] = '\0';
	else if (len > PASSWORD_MAX_BYTES) {
		fprintf(stderr,
		    "isacd create-staff: the password must be at "
		    "most 1024 bytes\n");
		goto out;
	}
	if (len > 0 && pw[len - 1] == '\r')
		pw[--len] = '\0';
	if (password_policy_check(pw, len, email, name, &why) != 0) {
		fprintf(stderr, "isacd create-staff: %s\n", why);
		goto out;
	}
	if (cli_load_config(&cfg) != 0) {
		rc = 2;
		goto out;
	}
	if (cli_argon2_below_floor(&cfg, err, sizeof(err)))
		fprintf(stderr, "isacd create-staff: warning: %s\n", err);
	pp.t = (uint32_t)cfg.argon2_t;
	pp.m_kib = (uint32_t)cfg.argon2_m_kib;
	pp.p = (uint32_t)cfg.argon2_p;
	if (password_hash(pw, len, &pp, hash, sizeof(hash)) != 0) {
		fprintf(stderr, "isacd create-staff: hashing failed\n");
		config_free(&cfg);
		goto out;
	}
	pg = cli_connect(&cfg, 60000, "create-staff", err, sizeof(err));
	config_free(&cfg);
	if (pg == NULL) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	params[0] = email;
	params[1] = name;
	params[2] = org;
	params[3] = hash;
	res = PQexecParams(
	    pg, store_staff_create.sql, 4, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		printf("created staff account %s (%s) in organisation %s\n",
		    email, PQgetvalue(res, 0, 0), org);
		rc = 0;
	} else {
		const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		const char *m = PQresultErrorMessage(res);

		if (st && strcmp(st, "23505") == 0)
			fprintf(stderr,
			    "isacd create-staff: an account with "
			    "e-mail %s already exists\n",
			    email);
		else if (st && strcmp(st, "42P01") == 0)
			fprintf(stderr,
			    "isacd create-staff: the database has "
			    "no schema; run isacd migrate first\n");
		else
			fprintf(stderr, "isacd create-staff: %.*s\n",
			    (int)strcspn(m, "\n"), m);
	}
	PQclear(res);
	PQfinish(pg);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

static int
staff_text_ok(const char *s, size_t max_chars)
{
	size_t len = strlen(s), chars;

	if (len == 0 || !codec_utf8_valid(s, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	chars = codec_utf8_len(s, len);
	return chars >= 1 && chars <= max_chars;
}
