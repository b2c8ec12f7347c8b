/*
 * api_access.c - the HTTP side of the access rules.
 *
 * Every statement that touches a community or a channel returns, beside its
 * result, what the SQL access functions said of the caller (the "gate"
 * columns: state, role and staff for a community, access for a channel).
 * These helpers turn that into the answer, the same way for every route:
 * a community or channel the caller may not see is 404, exactly as one that
 * does not exist; a visible one the caller may not use is 403, with a
 * problem type of its own when TOTP is what is missing.
 */
#include "api/api_internal.h"

#include <string.h>

void
api_totp_required(struct http_req *r)
{
	http_respond_problem_type(r, 403, "totp-required",
	    "this community requires two-factor authentication: enable TOTP "
	    "with POST /api/v1/me/totp first");
}

bool
api_community_gate(
    struct http_req *r, PGresult *res, int col, enum api_need need)
{
	enum auth_standing st;
	enum auth_role role;
	bool staff;

	if (PQntuples(res) < 1 || PQgetisnull(res, 0, col)) {
		http_respond_problem(r, 404, "no such community");
		return false;
	}
	st = auth_standing_parse(PQgetvalue(res, 0, col));
	role = PQgetisnull(res, 0, col + 1)
	    ? AUTH_ROLE_NONE
	    : auth_role_parse(PQgetvalue(res, 0, col + 1));
	staff = strcmp(PQgetvalue(res, 0, col + 2), "t") == 0;
	if (st == AUTH_HIDDEN) {
		http_respond_problem(r, 404, "no such community");
		return false;
	}
	switch (need) {
	case NEED_VISIBLE:
		return true;
	case NEED_OWNER_OR_STAFF:
		if (staff)
			return true;
		break;
	case NEED_MODERATOR_OR_STAFF:
		if (staff)
			return true;
		break;
	case NEED_MEMBER:
	case NEED_MODERATOR:
		break;
	}
	switch (st) {
	case AUTH_OUTSIDER:
		http_respond_problem(r, 403,
		    staff ? "platform staff do not read community content "
		            "unless they are members"
		          : "you are not a member of this community");
		return false;
	case AUTH_SUSPENDED:
		http_respond_problem(
		    r, 403, "your membership of this community is suspended");
		return false;
	case AUTH_NEEDS_TOTP:
		api_totp_required(r);
		return false;
	case AUTH_HIDDEN:
	case AUTH_ACTIVE:
		break;
	}
	if (need == NEED_MEMBER)
		return true;
	if (need == NEED_OWNER_OR_STAFF) {
		if (role == AUTH_ROLE_OWNER)
			return true;
		http_respond_problem(
		    r, 403, "only owners (or platform staff) may do this");
		return false;
	}
	if (role >= AUTH_ROLE_MODERATOR)
		return true;
	http_respond_problem(
	    r, 403, "only moderators and owners of this community may do this");
	return false;
}

static bool api_rights_gate(struct http_req *r, PGresult *res, int col,
    enum api_ch_need need, const char *hidden);

bool
api_channel_gate(
    struct http_req *r, PGresult *res, int col, enum api_ch_need need)
{
	return api_rights_gate(r, res, col, need, "no such channel");
}

bool
api_post_gate(struct http_req *r, PGresult *res, int col, enum api_ch_need need)
{
	return api_rights_gate(r, res, col, need, "no such post");
}

/* A channel's (or a post's) access column: hidden is 404, as unknown. */
static bool
api_rights_gate(struct http_req *r, PGresult *res, int col,
    enum api_ch_need need, const char *hidden)
{
	enum auth_channel a = PQntuples(res) < 1
	    ? AUTH_CH_HIDDEN
	    : auth_channel_parse(
	          PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col));

	switch (a) {
	case AUTH_CH_HIDDEN:
		http_respond_problem(r, 404, hidden);
		return false;
	case AUTH_CH_SUSPENDED:
		http_respond_problem(
		    r, 403, "your membership of this community is suspended");
		return false;
	case AUTH_CH_NEEDS_TOTP:
		api_totp_required(r);
		return false;
	case AUTH_CH_READ:
	case AUTH_CH_POST:
	case AUTH_CH_MODERATE:
		break;
	}
	if (need == CH_READ || a == AUTH_CH_MODERATE)
		return true;
	if (need == CH_POST && a == AUTH_CH_POST)
		return true;
	http_respond_problem(r, 403,
	    need == CH_POST
	        ? "only moderators and owners may post in this channel"
	        : "only moderators and owners of this community may do this");
	return false;
}
