/*
 * cli_staff.c - `isacd create-staff`: the first agency account of a fresh
 * installation (and the demo account of `make run`).  The password comes on
 * standard input so it never shows in a process list or shell history, or
 * is made here and printed once (--generate-password).  --if-no-staff makes
 * it the first-start step of a container: it creates the account only on a
 * platform without staff, so running it at every start is harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "core/codec.h"
#include "core/config.h"
#include "core/secret.h"
#include "db/migrate.h"
#include "domain/password.h"
#include "domain/validate.h"
#include "store/store.h"

static const char staff_usage[] =
    "usage: isacd create-staff --email E --name N --organisation O\n"
    "                          (--password-stdin | --generate-password)\n"
    "                          [--if-no-staff]\n"
    "\n"
    "Creates an agency staff account in organisation O (created when no\n"
    "organisation has that name).\n"
    "\n"
    "  --password-stdin     the password is the first line of standard "
    "input:\n"
    "                       12 characters to 1024 bytes, not a common "
    "password,\n"
    "                       not holding the e-mail name or the person's "
    "name\n"
    "  --generate-password  a random password is made and printed, this "
    "once\n"
    "  --if-no-staff        only when the platform has no staff account "
    "yet\n"
    "                       (else it says so and exits 0): the first "
    "account\n"
    "                       of a new installation, safe to run at every "
    "start\n";

/* serialises --if-no-staff runs: two first starts make one account */
#define STAFF_FIRST_LOCK_KEY "7262610318"

static int staff_text_ok(const char *s, size_t max_chars);
static int staff_read_password(char *pw, size_t cap, size_t *len);
static void staff_generate_password(
    char *pw, size_t cap, size_t *len, const char *email, const char *name);
static int staff_insert(
    PGconn *pg, const char *const *params, bool first, char *id, size_t idlen);

int
cli_create_staff(int argc, char **argv)
{
	const char *email = NULL, *name = NULL, *org = NULL, *why;
	bool pw_stdin = false, pw_generate = false, first = false;
	char pw[PASSWORD_MAX_BYTES + 3], hash[PASSWORD_HASH_MAX], err[1024];
	char id[64];
	size_t len;
	struct config cfg;
	struct password_params pp;
	PGconn *pg;
	const char *params[4];
	int rc = 1, made;

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
		if (strcmp(argv[i], "--generate-password") == 0) {
			pw_generate = true;
			continue;
		}
		if (strcmp(argv[i], "--if-no-staff") == 0) {
			first = true;
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
	if (!email || !name || !org || pw_stdin == pw_generate) {
		fprintf(stderr,
		    "isacd create-staff: --email, --name, "
		    "--organisation and one of --password-stdin and "
		    "--generate-password are required (see isacd "
		    "create-staff --help)\n");
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
	if (pw_generate)
		staff_generate_password(pw, sizeof(pw), &len, email, name);
	else if (staff_read_password(pw, sizeof(pw), &len) != 0)
		goto out;
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
	made = staff_insert(pg, params, first, id, sizeof(id));
	PQfinish(pg);
	if (made < 0)
		goto out;
	rc = 0;
	if (made == 0) {
		printf("a staff account exists already: none created\n");
		goto out;
	}
	printf("created staff account %s (%s) in organisation %s\n", email, id,
	    org);
	if (pw_generate)
		printf("  email:    %s\n"
		       "  password: %s\n"
		       "The password is shown this once: keep it, or change it "
		       "after signing in.\n",
		    email, pw);
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	return rc;
}

/* The first line of standard input, without its line end. */
static int
staff_read_password(char *pw, size_t cap, size_t *len)
{
	if (fgets(pw, (int)cap, stdin) == NULL) {
		fprintf(stderr,
		    "isacd create-staff: no password on standard "
		    "input\n");
		return -1;
	}
	*len = strlen(pw);
	if (*len > 0 && pw[*len - 1] == '\n')
		pw[--*len] = '\0';
	else if (*len > PASSWORD_MAX_BYTES) {
		fprintf(stderr,
		    "isacd create-staff: the password must be at "
		    "most 1024 bytes\n");
		return -1;
	}
	if (*len > 0 && pw[*len - 1] == '\r')
		pw[--*len] = '\0';
	return 0;
}

/*
 * 144 random bits as 24 base64url characters; drawn again in the unlikely
 * case that the policy refuses them (the e-mail name inside, say).
 */
static void
staff_generate_password(
    char *pw, size_t cap, size_t *len, const char *email, const char *name)
{
	uint8_t raw[18];
	const char *why;

	do {
		secret_random(raw, sizeof(raw));
		*len = codec_base64url(pw, raw, sizeof(raw));
		pw[*len] = '\0';
	} while (*len >= cap ||
	    password_policy_check(pw, *len, email, name, &why) != 0);
	OPENSSL_cleanse(raw, sizeof(raw));
}

/*
 * Insert the account: 1 made (its id in id), 0 not made because first was
 * asked and a staff account exists, -1 failed (said on stderr).  With
 * first, an advisory lock held to the commit makes concurrent first starts
 * see each other's account.
 */
static int
staff_insert(
    PGconn *pg, const char *const *params, bool first, char *id, size_t idlen)
{
	const char *p[5] = {params[0], params[1], params[2], params[3],
	    first ? "true" : "false"};
	PGresult *res = NULL;
	int made = -1;

	if (first) {
		res = PQexec(pg, "BEGIN");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto fail;
		PQclear(res);
		res = PQexec(pg,
		    "SELECT pg_advisory_xact_lock(" STAFF_FIRST_LOCK_KEY ")");
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			goto fail;
		PQclear(res);
	}
	res =
	    PQexecParams(pg, store_staff_create.sql, 5, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto fail;
	made = PQntuples(res) == 1;
	if (made)
		snprintf(id, idlen, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (first) {
		res = PQexec(pg, "COMMIT");
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			made = -1;
			goto fail;
		}
		PQclear(res);
	}
	return made;
fail:;
	const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *m = PQresultErrorMessage(res);

	if (st && strcmp(st, "23505") == 0)
		fprintf(stderr,
		    "isacd create-staff: an account with "
		    "e-mail %s already exists\n",
		    params[0]);
	else if (st && strcmp(st, "42P01") == 0)
		fprintf(stderr,
		    "isacd create-staff: the database has "
		    "no schema; run isacd migrate first\n");
	else
		fprintf(stderr, "isacd create-staff: %.*s\n",
		    (int)strcspn(m, "\n"), m);
	PQclear(res);
	return -1;
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
