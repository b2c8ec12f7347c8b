/*
 * api_access.c - verdicts to HTTP answers, in one table.
 *
 * Every statement that touches a community, a channel or a post asks the
 * SQL access functions (schema/functions/20_access.sql) and returns their
 * verdict, or the verdict of the write built on them, as one word beside
 * its result; auth/ parses the word into enum auth_verdict, and this file
 * alone turns a verdict into an answer.  What the caller may not know of is
 * 404 exactly as what does not exist; what the caller may know of but not
 * use is 403 (with a problem type of its own when TOTP is what is
 * missing).  A verdict missing from the table -- a word SQL returned that C
 * does not know -- is a bug: it is logged with the request id and answered
 * 500, the same way on every route.
 */
#include "api/api_internal.h"

#include <string.h>

#include "core/log.h"

struct api_verdict_answer {
	enum auth_verdict verdict;
	int status;
	const char *type;   /* NULL: about:blank */
	const char *detail; /* for people */
	const char *field;  /* a field to name in errors[], or NULL */
	const char *field_message;
};

#define TOTP_DETAIL                                                            \
	"this community requires two-factor authentication: enable TOTP "      \
	"with POST /api/v1/me/totp first"

static const struct api_verdict_answer api_verdicts[] = {
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
};

enum auth_verdict
api_verdict_at(PGresult *res, int col)
{
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, col))
		return AUTH_V_UNKNOWN;
	return auth_verdict_parse(PQgetvalue(res, 0, col));
}

bool
api_verdict(struct http_req *r, enum auth_verdict v)
{
	if (auth_verdict_ok(v))
		return true;
	for (size_t i = 0; i < sizeof(api_verdicts) / sizeof(api_verdicts[0]);
	     i++) {
		const struct api_verdict_answer *a = &api_verdicts[i];

		if (a->verdict != v)
			continue;
		if (a->field != NULL) {
			json_t *errors = json_array();

			json_array_append_new(errors,
			    json_pack("{s:s,s:s}", "field", a->field, "message",
			        a->field_message));
			http_respond_problem_errors(
			    r, a->status, a->detail, errors);
		} else {
			http_respond_problem_type(
			    r, a->status, a->type, a->detail);
		}
		return false;
	}
	log_error("request %s: no answer for the verdict %s", r->request_id,
	    auth_verdict_word(v));
	http_respond_problem(r, 500, "internal error");
	return false;
}

bool
api_verdict_res(struct http_req *r, PGresult *res, int col)
{
	enum auth_verdict v = api_verdict_at(res, col);

	if (v == AUTH_V_UNKNOWN && PQntuples(res) >= 1 &&
	    !PQgetisnull(res, 0, col))
		log_error("request %s: unknown verdict word '%s'",
		    r->request_id, PQgetvalue(res, 0, col));
	return api_verdict(r, v);
}
