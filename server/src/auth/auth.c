/*
 * auth.c - bearer tokens to principals, and the access states of SQL.
 *
 * A token is recognised by its prefix before any query (isacd_s_ sessions,
 * isacd_pat_ personal API tokens); a malformed one is refused without
 * touching the database.  The lookup is one indexed query by SHA-256 that
 * also refuses users of a suspended organisation.  Verdict words are parsed
 * by a linear search of a short list: a few dozen strcmp per request.
 */
#include "auth/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "store/store.h"

struct auth_ctx {
	struct arena *a;
	auth_cb cb;
	void *arg;
	bool pat;
};

static void auth_lookup_done(struct db_result *res, void *arg);

enum auth_parse
auth_parse_bearer(const char *header, char hash[SECRET_SHA256_HEX], bool *pat)
{
	const char *tok;
	size_t plen, tlen;

	if (header == NULL)
		return AUTH_PARSE_MISSING;
	if (strncasecmp(header, "Bearer ", 7) != 0)
		return AUTH_PARSE_SCHEME;
	tok = header + 7;
	while (*tok == ' ')
		tok++;
	tlen = strlen(tok);
	*pat = strncmp(tok, TOKEN_PREFIX_PAT, strlen(TOKEN_PREFIX_PAT)) == 0;
	plen = *pat ? strlen(TOKEN_PREFIX_PAT)
	    : strncmp(
	          tok, TOKEN_PREFIX_SESSION, strlen(TOKEN_PREFIX_SESSION)) == 0
	    ? strlen(TOKEN_PREFIX_SESSION)
	    : 0;
	if (plen == 0 || tlen != plen + 43)
		return AUTH_PARSE_MALFORMED;
	for (size_t i = plen; i < tlen; i++) {
		char c = tok[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return AUTH_PARSE_MALFORMED;
	}
	secret_sha256_hex(tok, tlen, hash);
	return AUTH_PARSE_OK;
}

struct db_query *
auth_lookup(struct db_pool *db, long session_idle_s, const char *hash, bool pat,
    struct arena *a, auth_cb cb, void *arg)
{
	struct auth_ctx *ctx = arena_alloc(a, sizeof(*ctx));
	char idle[32], touch[32];
	const char *params[3];
	long gran = session_idle_s / 4;

	ctx->a = a;
	ctx->cb = cb;
	ctx->arg = arg;
	ctx->pat = pat;
	/* last use is written at most every idle/4 (<= 60 s) */
	snprintf(idle, sizeof(idle), "%ld", session_idle_s);
	snprintf(touch, sizeof(touch), "%ld", pat ? 60 : gran > 60 ? 60 : gran);
	params[0] = hash;
	if (pat) {
		params[1] = touch;
		return db_query(
		    db, &store_auth_token, params, auth_lookup_done, ctx);
	}
	params[1] = idle;
	params[2] = touch;
	return db_query(db, &store_auth_session, params, auth_lookup_done, ctx);
}

/* → credential id, user id, platform role, can write, email, display
 * name, organisation id */
static void
auth_lookup_done(struct db_result *res, void *arg)
{
	struct auth_ctx *ctx = arg;
	struct principal *p;
	PGresult *r = res->res;

	if (res->status != DB_OK || PQntuples(r) != 1) {
		ctx->cb(res, NULL, ctx->arg);
		return;
	}
	p = arena_zalloc(ctx->a, sizeof(*p));
	snprintf(p->credential_id, sizeof(p->credential_id), "%s",
	    PQgetvalue(r, 0, 0));
	snprintf(p->user_id, sizeof(p->user_id), "%s", PQgetvalue(r, 0, 1));
	p->staff = strcmp(PQgetvalue(r, 0, 2), "staff") == 0;
	p->can_write = strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	p->email = arena_strdup(ctx->a, PQgetvalue(r, 0, 4));
	p->display_name = arena_strdup(ctx->a, PQgetvalue(r, 0, 5));
	snprintf(p->organisation_id, sizeof(p->organisation_id), "%s",
	    PQgetvalue(r, 0, 6));
	p->token = ctx->pat;
	ctx->cb(res, p, ctx->arg);
}

static const char *const auth_verdict_words[] = {
#define AUTH_VERDICT_WORD(name, word) word,
    AUTH_VERDICTS(AUTH_VERDICT_WORD)
#undef AUTH_VERDICT_WORD
};

enum auth_verdict
auth_verdict_parse(const char *word)
{
	if (word == NULL)
		return AUTH_V_UNKNOWN;
	for (size_t i = 0; i < AUTH_V_UNKNOWN; i++)
		if (strcmp(word, auth_verdict_words[i]) == 0)
			return (enum auth_verdict)i;
	return AUTH_V_UNKNOWN;
}

const char *
auth_verdict_word(enum auth_verdict v)
{
	return v < AUTH_V_UNKNOWN ? auth_verdict_words[v] : "unknown";
}

bool
auth_verdict_ok(enum auth_verdict v)
{
	return v == AUTH_V_OK || v == AUTH_V_UNCHANGED || v == AUTH_V_REPLAY;
}
