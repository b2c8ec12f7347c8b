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
#include <stdlib.h>
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
 * name, organisation id, expires (epoch s) */
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
	p->expires_at = strtoll(PQgetvalue(r, 0, 7), NULL, 10);
	p->token = ctx->pat;
	ctx->cb(res, p, ctx->arg);
}

#define TOTP_DETAIL                                                            \
	"this community requires two-factor authentication: enable TOTP "      \
	"with POST /api/v1/me/totp first"

static const struct auth_verdict_answer auth_verdict_answers[] = {
    {AUTH_V_COMMUNITY_HIDDEN, 404, NULL, "no such community", NULL, NULL},
    {AUTH_V_CHANNEL_HIDDEN, 404, NULL, "no such channel", NULL, NULL},
    {AUTH_V_POST_HIDDEN, 404, NULL, "no such post", NULL, NULL},
    {AUTH_V_MEMBER_NOT_FOUND, 404, NULL, "no such member of this community",
        NULL, NULL},
    {AUTH_V_INVITE_NOT_FOUND, 404, NULL, "no such invite", NULL, NULL},
    {AUTH_V_REQUEST_NOT_FOUND, 404, NULL, "no such join request", NULL, NULL},
    {AUTH_V_COMMENT_NOT_FOUND, 404, NULL, "no such comment", NULL, NULL},
    {AUTH_V_READER_NOT_FOUND, 404, NULL,
        "this member is not an explicit reader", NULL, NULL},
    {AUTH_V_ORGANISATION_NOT_FOUND, 404, NULL, "no such organisation", NULL,
        NULL},
    {AUTH_V_USER_NOT_FOUND, 404, NULL, "no such account", NULL, NULL},
    {AUTH_V_ORG_MEMBERS_NOT_FOUND, 404, NULL,
        "no member of this organisation is in the community", NULL, NULL},
    {AUTH_V_NOT_MEMBER, 403, NULL, "you are not a member of this community",
        NULL, NULL},
    {AUTH_V_STAFF_NO_CONTENT, 403, NULL,
        "platform staff do not read community content unless they are "
        "members",
        NULL, NULL},
    {AUTH_V_SUSPENDED, 403, NULL,
        "your membership of this community is suspended", NULL, NULL},
    {AUTH_V_TOTP_REQUIRED, 403, "totp-required", TOTP_DETAIL, NULL, NULL},
    {AUTH_V_NOT_MODERATOR, 403, NULL,
        "only moderators and owners of this community may do this", NULL, NULL},
    {AUTH_V_NOT_OWNER, 403, NULL, "only owners (or platform staff) may do this",
        NULL, NULL},
    {AUTH_V_OWNERS_ONLY, 403, NULL, "only owners of this community may do this",
        NULL, NULL},
    {AUTH_V_DENIED, 403, NULL, "you may not do this", NULL, NULL},
    {AUTH_V_CANNOT_POST, 403, NULL,
        "only moderators and owners may post in this channel", NULL, NULL},
    {AUTH_V_NOT_AUTHOR, 403, NULL, "only the author may do this", NULL, NULL},
    {AUTH_V_NOT_AUTHOR_OR_MODERATOR, 403, NULL,
        "only the author, or a moderator or owner of the community, may "
        "delete it",
        NULL, NULL},
    {AUTH_V_FORBIDDEN, 403, NULL,
        "you cannot act on a member of an equal or higher role", NULL, NULL},
    {AUTH_V_ROLES_OWNERS_ONLY, 403, NULL, "only owners change roles", NULL,
        NULL},
    {AUTH_V_INVITE_OWNERS_ONLY, 403, NULL, "only owners may invite moderators",
        NULL, NULL},
    {AUTH_V_REVOKE_OWNERS_ONLY, 403, NULL,
        "only owners may revoke invites of moderators and owners", NULL, NULL},
    {AUTH_V_OFFBOARD_FORBIDDEN, 403, NULL,
        "the organisation has moderators or owners: only an owner may "
        "off-board it",
        NULL, NULL},
    {AUTH_V_JOIN_CLOSED, 403, NULL,
        "this community takes members by invitation only", NULL, NULL},
    {AUTH_V_WRONG_EMAIL, 403, NULL, "this invite is for another e-mail address",
        NULL, NULL},
    {AUTH_V_WRONG_ORG, 403, NULL, "this invite is for another organisation",
        NULL, NULL},
    {AUTH_V_ORG_SUSPENDED, 403, NULL,
        "the organisation of this invite is suspended", NULL, NULL},
    {AUTH_V_LAST_OWNER, 409, NULL,
        "the community would have no active owner left: make someone else an "
        "owner first",
        NULL, NULL},
    {AUTH_V_DECIDED, 409, NULL, "this join request was decided already", NULL,
        NULL},
    {AUTH_V_SIGHTING_EXISTS, 409, NULL,
        "your organisation has reported a sighting of this post already", NULL,
        NULL},
    {AUTH_V_BUSY, 409, NULL,
        "a request with this Idempotency-Key is still in progress", NULL, NULL},
    {AUTH_V_ALREADY_MEMBER, 409, NULL,
        "an account with this e-mail address is a member already", NULL, NULL},
    {AUTH_V_IS_MEMBER, 409, NULL, "you are a member of this community already",
        NULL, NULL},
    {AUTH_V_INVITE_PENDING, 409, NULL,
        "this e-mail address already has a pending invite to this community; "
        "revoke it first",
        NULL, NULL},
    {AUTH_V_INVITE_CLOSED, 409, NULL,
        "the invite was already accepted, revoked or has expired", NULL, NULL},
    {AUTH_V_EMAIL_TAKEN, 409, NULL,
        "an account with this e-mail address exists: log in and accept with "
        "its bearer token",
        NULL, NULL},
    {AUTH_V_OWN_ORGANISATION, 409, NULL,
        "you cannot suspend your own organisation: it would end your own "
        "access",
        NULL, NULL},
    {AUTH_V_INVITE_GONE, 410, NULL,
        "the invite was already used, revoked or has expired", NULL, NULL},
    {AUTH_V_MISMATCH, 422, NULL,
        "this Idempotency-Key was used with another request body", NULL, NULL},
    {AUTH_V_TLP_SHARE, 422, NULL,
        "only TLP:CLEAR and TLP:GREEN posts may be shared: TLP:AMBER, "
        "TLP:AMBER+STRICT and TLP:RED never leave their channel",
        NULL, NULL},
    {AUTH_V_SAME_CHANNEL, 422, NULL, "the post is in this channel already",
        NULL, NULL},
    {AUTH_V_NO_RECIPIENTS, 422, NULL,
        "a TLP:RED post needs recipients: the readers of the channel it is "
        "for",
        "recipients", "is required for a TLP:RED post"},
    {AUTH_V_BAD_RECIPIENTS, 422, NULL,
        "every recipient of a TLP:RED post must be someone you can see in "
        "this channel: a member on its roster as you see it, or the author "
        "of a post you can read there",
        "recipients", "names someone you cannot choose as a recipient here"},
    {AUTH_V_RECIPIENTS_NOT_RED, 422, NULL,
        "recipients are for TLP:RED posts only", "recipients",
        "is only for TLP:RED posts"},
    {AUTH_V_ORG_UNKNOWN, 422, NULL,
        "the organisation does not exist or is suspended", "organisation_id",
        "no active organisation has this id"},
    {AUTH_V_OWNER_ORG_UNKNOWN, 422, NULL,
        "the owner's organisation does not exist or is suspended",
        "owner.organisation_id", "no active organisation has this id"},
    {AUTH_V_READER_NOT_MEMBER, 422, NULL,
        "only members of the community can read its channels", "user_id",
        "is not a member of this community"},
    {AUTH_V_READ_ONLY, 403, NULL,
        "the advisories channel is read-only: only the agency posts there, "
        "and its advisories are acknowledged, not edited, commented or "
        "deleted",
        NULL, NULL},
    {AUTH_V_NOT_STAFF, 403, NULL, "only platform staff may do this", NULL,
        NULL},
    {AUTH_V_ADVISORY_HIDDEN, 404, NULL, "no such advisory", NULL, NULL},
    {AUTH_V_NOT_RECIPIENT, 403, NULL,
        "only members of a community the advisory was sent to acknowledge it",
        NULL, NULL},
    {AUTH_V_TARGET_NOT_FOUND, 404, NULL,
        "the advisory was not sent to this community", NULL, NULL},
    {AUTH_V_ADVISORY_WITHDRAWN, 409, NULL,
        "the advisory was withdrawn: publish a new one", NULL, NULL},
    {AUTH_V_NO_TARGETS, 422, NULL, "no community matches these targets",
        "targets", "matches no community"},
    {AUTH_V_TARGETS_UNKNOWN, 422, NULL, "a target community does not exist",
        "targets.community_ids", "names a community that does not exist"},
    {AUTH_V_TOO_MANY_TARGETS, 422, NULL,
        "an advisory reaches at most 4,000 communities (those it leaves "
        "included)",
        "targets", "matches more than 4,000 communities"},
    {AUTH_V_ARTICLE_NOT_FOUND, 404, NULL, "no such article", NULL, NULL},
    {AUTH_V_TRANSLATION_UNKNOWN, 422, NULL,
        "the translation names no other article", "translation",
        "is not the slug of another article"},
    {AUTH_V_NOT_YOUR_ORGANISATION, 403, NULL,
        "an organisation's self-assessments are its own users' alone", NULL,
        NULL},
    {AUTH_V_ANSWERS_UNKNOWN, 422, NULL,
        "an answer names a question or option the current questionnaire "
        "does not have",
        "answers", "names an unknown question or option"},
    {AUTH_V_ANSWERS_INCOMPLETE, 422, NULL,
        "every question of the current questionnaire needs an answer",
        "answers", "leaves a question unanswered"},
    {AUTH_V_QUESTIONNAIRE_CHANGED, 409, NULL,
        "the questionnaire has a newer version: GET /api/v1/assessment and "
        "answer that",
        NULL, NULL},
};

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

const struct auth_verdict_answer *
auth_verdict_answer(enum auth_verdict v)
{
	for (size_t i = 0;
	     i < sizeof(auth_verdict_answers) / sizeof(auth_verdict_answers[0]);
	     i++)
		if (auth_verdict_answers[i].verdict == v)
			return &auth_verdict_answers[i];
	return NULL;
}
