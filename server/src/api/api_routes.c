/*
 * api_routes.c - the route table and the route policy.
 *
 * Deny by default: a route is public only when its policy lacks
 * AUTH_REQUIRED, and the public ones are the probes, login, accepting an
 * invitation, the agency's knowledge articles (published ones: a token, when
 * sent, shows staff the drafts too), and the files a browser loads before
 * anyone signs in (the console, the API reference and the OpenAPI
 * document).  The bearer token is
 * checked and looked up by the access layer (auth/); its route policy is
 * applied here, in this one place, before any handler runs and before the body
 * is judged (an unauthenticated client learns nothing from validation).
 */
#include "api/api_internal.h"

#include <string.h>

#include "core/mem.h"

#define AUTH  AUTH_REQUIRED
#define WRITE (AUTH_REQUIRED | AUTH_WRITE)
#define SESS  AUTH_SESSION
#define STAFF AUTH_STAFF
#define JSON  ROUTE_JSON_BODY
#define OPT   ROUTE_JSON_OPT

static const struct http_route api_route_table[] = {
    {HTTP_GET, "/healthz", api_health_healthz, 0, 0},
    {HTTP_GET, "/readyz", api_health_readyz, 0, 0},
    {HTTP_GET, "/metrics", api_health_metrics, 0, 0},
    {HTTP_POST, "/api/v1/auth/login", api_auth_login, JSON, 0},
    {HTTP_POST, "/api/v1/auth/logout", api_auth_logout, 0, AUTH},
    {HTTP_GET, "/api/v1/me", api_me_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/me", api_me_patch, JSON, WRITE | SESS},
    {HTTP_POST, "/api/v1/me/totp", api_totp_enrol, 0, WRITE | SESS},
    {HTTP_POST, "/api/v1/me/totp/confirm", api_totp_confirm, JSON,
        WRITE | SESS},
    {HTTP_DELETE, "/api/v1/me/totp", api_totp_delete, JSON, WRITE | SESS},
    {HTTP_GET, "/api/v1/me/tokens", api_tokens_list, 0, AUTH},
    {HTTP_POST, "/api/v1/me/tokens", api_tokens_create, JSON, WRITE | SESS},
    {HTTP_GET, "/api/v1/me/tokens/{id}", api_tokens_get, 0, AUTH},
    {HTTP_DELETE, "/api/v1/me/tokens/{id}", api_tokens_delete, 0, WRITE | SESS},
    {HTTP_POST, "/api/v1/organisations", api_orgs_create, JSON, WRITE},
    {HTTP_GET, "/api/v1/organisations", api_orgs_list, 0, AUTH},
    {HTTP_GET, "/api/v1/organisations/{id}", api_orgs_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/organisations/{id}", api_orgs_patch, JSON,
        WRITE | STAFF},
    {HTTP_POST, "/api/v1/communities", api_comm_create, JSON, WRITE | STAFF},
    {HTTP_GET, "/api/v1/communities", api_comm_list, 0, AUTH},
    {HTTP_GET, "/api/v1/communities/{id}", api_comm_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/communities/{id}", api_comm_patch, JSON, WRITE},
    {HTTP_GET, "/api/v1/communities/{id}/audit", api_comm_audit, 0, AUTH},
    {HTTP_GET, "/api/v1/communities/{id}/retention", api_retention_get, 0,
        AUTH},
    {HTTP_GET, "/api/v1/communities/{id}/members", api_members_list, 0, AUTH},
    {HTTP_PATCH, "/api/v1/communities/{id}/members/{user_id}",
        api_members_patch, JSON, WRITE},
    {HTTP_DELETE, "/api/v1/communities/{id}/members/{user_id}",
        api_members_delete, 0, WRITE},
    {HTTP_DELETE, "/api/v1/communities/{id}/organisations/{org_id}",
        api_members_offboard, 0, WRITE},
    {HTTP_POST, "/api/v1/communities/{id}/invites", api_invites_create, JSON,
        WRITE},
    {HTTP_GET, "/api/v1/communities/{id}/invites", api_invites_list, 0, AUTH},
    {HTTP_DELETE, "/api/v1/communities/{id}/invites/{invite_id}",
        api_invites_revoke, 0, WRITE},
    {HTTP_POST, "/api/v1/invites/accept", api_invites_accept, JSON,
        AUTH_OPTIONAL | AUTH_WRITE},
    {HTTP_POST, "/api/v1/communities/{id}/join-requests", api_join_create, OPT,
        WRITE},
    {HTTP_GET, "/api/v1/communities/{id}/join-requests", api_join_list, 0,
        AUTH},
    {HTTP_GET, "/api/v1/communities/{id}/join-requests/{rid}", api_join_get, 0,
        AUTH},
    {HTTP_POST, "/api/v1/communities/{id}/join-requests/{rid}/approve",
        api_join_approve, 0, WRITE},
    {HTTP_POST, "/api/v1/communities/{id}/join-requests/{rid}/deny",
        api_join_deny, 0, WRITE},
    {HTTP_POST, "/api/v1/communities/{id}/channels", api_channels_create, JSON,
        WRITE},
    {HTTP_GET, "/api/v1/communities/{id}/channels", api_channels_list, 0, AUTH},
    {HTTP_GET, "/api/v1/channels/{id}", api_channels_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/channels/{id}", api_channels_patch, JSON, WRITE},
    {HTTP_DELETE, "/api/v1/channels/{id}", api_channels_delete, 0, WRITE},
    {HTTP_GET, "/api/v1/channels/{id}/members", api_readers_list, 0, AUTH},
    {HTTP_POST, "/api/v1/channels/{id}/members", api_readers_add, JSON, WRITE},
    {HTTP_DELETE, "/api/v1/channels/{id}/members/{user_id}", api_readers_remove,
        0, WRITE},
    {HTTP_POST, "/api/v1/channels/{id}/posts", api_posts_create, JSON, WRITE},
    {HTTP_GET, "/api/v1/channels/{id}/posts", api_posts_list, 0, AUTH},
    {HTTP_GET, "/api/v1/posts/{id}", api_posts_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/posts/{id}", api_posts_patch, JSON, WRITE},
    {HTTP_DELETE, "/api/v1/posts/{id}", api_posts_delete, 0, WRITE},
    {HTTP_POST, "/api/v1/posts/{id}/share", api_posts_share, JSON, WRITE},
    {HTTP_GET, "/api/v1/posts/{id}/revisions", api_revisions_list, 0, AUTH},
    {HTTP_GET, "/api/v1/posts/{id}/comments", api_comments_list, 0, AUTH},
    {HTTP_POST, "/api/v1/posts/{id}/comments", api_comments_create, JSON,
        WRITE},
    {HTTP_PATCH, "/api/v1/posts/{id}/comments/{comment_id}", api_comments_patch,
        JSON, WRITE},
    {HTTP_DELETE, "/api/v1/posts/{id}/comments/{comment_id}",
        api_comments_delete, 0, WRITE},
    {HTTP_GET, "/api/v1/posts/{id}/sightings", api_sightings_list, 0, AUTH},
    {HTTP_POST, "/api/v1/posts/{id}/sightings", api_sightings_create, OPT,
        WRITE},
    {HTTP_GET, "/api/v1/posts/{id}/stix", api_posts_stix, 0, AUTH},
    {HTTP_GET, "/api/v1/indicators", api_indicators_get, 0, AUTH},
    {HTTP_POST, "/api/v1/indicators/lookup", api_indicators_lookup, JSON, AUTH},
    {HTTP_GET, "/api/v1/search", api_search, 0, AUTH},
    {HTTP_POST, "/api/v1/advisories", api_advisories_create, JSON,
        WRITE | STAFF},
    {HTTP_GET, "/api/v1/advisories", api_advisories_list, 0, AUTH},
    {HTTP_GET, "/api/v1/advisories/{id}", api_advisories_get, 0, AUTH},
    {HTTP_PATCH, "/api/v1/advisories/{id}", api_advisories_patch, JSON,
        WRITE | STAFF},
    {HTTP_POST, "/api/v1/advisories/{id}/withdraw", api_advisories_withdraw, 0,
        WRITE | STAFF},
    {HTTP_POST, "/api/v1/advisories/{id}/acks", api_acks_create, JSON, WRITE},
    {HTTP_GET, "/api/v1/advisories/{id}/acks", api_acks_list, 0, AUTH},
    {HTTP_GET, "/api/v1/articles", api_articles_list, 0, AUTH_OPTIONAL},
    {HTTP_GET, "/api/v1/articles/{slug}", api_articles_get, 0, AUTH_OPTIONAL},
    {HTTP_POST, "/api/v1/articles", api_articles_create, JSON, WRITE | STAFF},
    {HTTP_PATCH, "/api/v1/articles/{slug}", api_articles_patch, JSON,
        WRITE | STAFF},
    {HTTP_DELETE, "/api/v1/articles/{slug}", api_articles_delete, 0,
        WRITE | STAFF},
    {HTTP_GET, "/api/v1/assessment", api_questionnaire_get, 0, AUTH},
    {HTTP_POST, "/api/v1/assessment", api_questionnaire_publish, JSON,
        WRITE | STAFF},
    {HTTP_POST, "/api/v1/organisations/{id}/assessments",
        api_assessments_create, JSON, WRITE},
    {HTTP_GET, "/api/v1/organisations/{id}/assessments", api_assessments_list,
        0, AUTH},
    {HTTP_GET, "/api/v1/communities/{id}/assessment-benchmark",
        api_benchmark_get, 0, AUTH},
    {HTTP_GET, "/api/v1/communities/{id}/threat-picture", api_threat_community,
        0, AUTH},
    {HTTP_GET, "/api/v1/insights/assessments", api_insights_assessments, 0,
        AUTH | STAFF},
    {HTTP_GET, "/api/v1/insights/threat-picture", api_threat_agency, 0,
        AUTH | STAFF},
    {HTTP_DELETE, "/api/v1/me", api_me_erase, JSON, WRITE | SESS},
    {HTTP_GET, "/api/v1/me/export", api_me_export, 0, AUTH | SESS},
    {HTTP_DELETE, "/api/v1/users/{id}", api_users_erase, 0,
        WRITE | SESS | STAFF},
    {HTTP_GET, "/api/v1/realtime", api_realtime, 0, AUTH_OPTIONAL},
    {HTTP_POST, "/api/v1/realtime/tickets", api_realtime_ticket, 0, AUTH},
    {HTTP_GET, "/", api_static_index, 0, 0},
    {HTTP_GET, "/console/{file}", api_static_file, 0, 0},
    {HTTP_GET, "/docs", api_static_docs, 0, 0},
    {HTTP_GET, "/api-docs/openapi.yaml", api_static_openapi, 0, 0},
};

static void api_authenticated(
    const struct db_result *res, struct principal *p, void *arg);
static void api_admit(struct http_req *r);

const struct http_route *
api_routes(size_t *n)
{
	*n = sizeof(api_route_table) / sizeof(api_route_table[0]);
	return api_route_table;
}

void
api_dispatch(struct http_req *r)
{
	unsigned policy = r->route->policy;
	char hash[SECRET_SHA256_HEX];
	const char *h = http_req_header(r, "authorization");
	struct db_query *q;
	bool pat = false;

	if (!(policy & (AUTH_REQUIRED | AUTH_OPTIONAL)) ||
	    ((policy & AUTH_OPTIONAL) && h == NULL)) {
		api_admit(r);
		return;
	}
	switch (auth_parse_bearer(h, hash, &pat)) {
	case AUTH_PARSE_OK:
		break;
	case AUTH_PARSE_MISSING:
		api_unauthorized(r, "a bearer token is required");
		return;
	case AUTH_PARSE_SCHEME:
		api_unauthorized(r, "use Authorization: Bearer <token>");
		return;
	case AUTH_PARSE_MALFORMED:
		api_unauthorized(r, "the token is not valid");
		return;
	}
	q = auth_lookup(api_app(r)->db, api_app(r)->cfg->session_idle_s, hash,
	    pat, r->arena, api_authenticated, r);
	http_req_set_pending(r, q, db_query_abandon);
}

static void
api_authenticated(const struct db_result *res, struct principal *p, void *arg)
{
	struct http_req *r = arg;
	unsigned policy = r->route->policy;

	http_req_clear_pending(r);
	if (res->status != DB_OK) {
		api_db_fail(r, res);
		return;
	}
	if (p == NULL) {
		api_unauthorized(r, "the token is not valid or has expired");
		return;
	}
	r->auth = p;
	r->log_user = p->user_id;
	if ((policy & AUTH_SESSION) && p->token) {
		http_respond_problem(r, 403,
		    "this needs an interactive session, not an API token");
		return;
	}
	if ((policy & AUTH_WRITE) && !p->can_write) {
		http_respond_problem(r, 403, "this token is read-only");
		return;
	}
	if ((policy & AUTH_STAFF) && !p->staff) {
		http_respond_problem(r, 403, "only platform staff may do this");
		return;
	}
	api_admit(r);
}

/* The caller may go on: judge the body, then hand over to the handler. */
static void
api_admit(struct http_req *r)
{
	if (http_req_decode_body(r) == 0)
		r->route->handler(r);
}
