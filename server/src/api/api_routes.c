/*
 * api_routes.c - the route table and authentication.
 *
 * Deny by default: a route is public only when it lacks ROUTE_AUTH, and the
 * public ones are the probes and login.  A bearer token is recognised by its
 * prefix before any query (isacd_s_ sessions, isacd_pat_ personal API
 * tokens); a malformed one is refused without touching the database.  Scope
 * and role checks follow from the route flags, in this one place.
 */
#include "api/api_internal.h"

#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/secret.h"
#include "store/store.h"

#define AUTH  ROUTE_AUTH
#define WRITE (ROUTE_AUTH | ROUTE_WRITE)
#define JSON  ROUTE_JSON_BODY
#define SESS  ROUTE_SESSION

static const struct http_route api_route_table[] = {
    {HTTP_GET, "/healthz", api_health_healthz, 0},
    {HTTP_GET, "/readyz", api_health_readyz, 0},
    {HTTP_GET, "/metrics", api_health_metrics, 0},
    {HTTP_POST, "/api/v1/auth/login", api_auth_login, JSON},
    {HTTP_POST, "/api/v1/auth/logout", api_auth_logout, AUTH},
    {HTTP_GET, "/api/v1/me", api_me_get, AUTH},
    {HTTP_PATCH, "/api/v1/me", api_me_patch, WRITE | SESS | JSON},
    {HTTP_POST, "/api/v1/me/totp", api_totp_enrol, WRITE | SESS},
    {HTTP_POST, "/api/v1/me/totp/confirm", api_totp_confirm,
        WRITE | SESS | JSON},
    {HTTP_DELETE, "/api/v1/me/totp", api_totp_delete, WRITE | SESS | JSON},
    {HTTP_GET, "/api/v1/me/tokens", api_tokens_list, AUTH},
    {HTTP_POST, "/api/v1/me/tokens", api_tokens_create, WRITE | SESS | JSON},
    {HTTP_GET, "/api/v1/me/tokens/{id}", api_tokens_get, AUTH},
    {HTTP_DELETE, "/api/v1/me/tokens/{id}", api_tokens_delete, WRITE | SESS},
    {HTTP_POST, "/api/v1/organisations", api_orgs_create, WRITE | JSON},
    {HTTP_GET, "/api/v1/organisations", api_orgs_list, AUTH},
    {HTTP_GET, "/api/v1/organisations/{id}", api_orgs_get, AUTH},
};

static void api_auth_done(struct http_req *r, PGresult *res, bool pat);
static void api_auth_session_done(struct http_req *r, PGresult *res);
static void api_auth_token_done(struct http_req *r, PGresult *res);

const struct http_route *
api_routes(size_t *n)
{
	*n = sizeof(api_route_table) / sizeof(api_route_table[0]);
	return api_route_table;
}

void
api_dispatch(struct http_req *r)
{
	const char *h, *tok;
	char hash[SECRET_SHA256_HEX], touch[32];
	const char *params[3];
	struct app *app = api_app(r);
	size_t plen, tlen;
	bool pat;

	if (!(r->route->flags & ROUTE_AUTH)) {
		if (http_req_decode_body(r) == 0)
			r->route->handler(r);
		return;
	}
	h = http_req_header(r, "authorization");
	if (h == NULL) {
		api_unauthorized(r, "a bearer token is required");
		return;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		api_unauthorized(r, "use Authorization: Bearer <token>");
		return;
	}
	tok = h + 7;
	while (*tok == ' ')
		tok++;
	tlen = strlen(tok);
	pat = strncmp(tok, TOKEN_PREFIX_PAT, strlen(TOKEN_PREFIX_PAT)) == 0;
	plen = pat ? strlen(TOKEN_PREFIX_PAT)
	    : strncmp(
	          tok, TOKEN_PREFIX_SESSION, strlen(TOKEN_PREFIX_SESSION)) == 0
	    ? strlen(TOKEN_PREFIX_SESSION)
	    : 0;
	if (plen == 0 || tlen != plen + 43) {
		api_unauthorized(r, "the token is not valid");
		return;
	}
	for (size_t i = plen; i < tlen; i++) {
		char c = tok[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			api_unauthorized(r, "the token is not valid");
			return;
		}
	}
	secret_sha256_hex(tok, tlen, hash);
	params[0] = hash;
	if (pat) {
		snprintf(touch, sizeof(touch), "60");
		params[1] = touch;
		api_query(r, &store_auth_token, params, api_auth_token_done);
	} else {
		char idle[32];
		long gran = app->cfg->session_idle_s / 4;

		snprintf(idle, sizeof(idle), "%ld", app->cfg->session_idle_s);
		snprintf(touch, sizeof(touch), "%ld", gran > 60 ? 60 : gran);
		params[1] = idle;
		params[2] = touch;
		api_query(
		    r, &store_auth_session, params, api_auth_session_done);
	}
}

static void
api_auth_session_done(struct http_req *r, PGresult *res)
{
	api_auth_done(r, res, false);
}

static void
api_auth_token_done(struct http_req *r, PGresult *res)
{
	api_auth_done(r, res, true);
}

static void
api_auth_done(struct http_req *r, PGresult *res, bool pat)
{
	struct principal *p;
	unsigned flags = r->route->flags;
	if (PQntuples(res) != 1) {
		api_unauthorized(r, "the token is not valid or has expired");
		return;
	}
	p = arena_zalloc(r->arena, sizeof(*p));
	snprintf(p->credential_id, sizeof(p->credential_id), "%s",
	    PQgetvalue(res, 0, 0));
	snprintf(p->user_id, sizeof(p->user_id), "%s", PQgetvalue(res, 0, 1));
	p->staff = strcmp(PQgetvalue(res, 0, 2), "staff") == 0;
	p->can_write = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	p->email = arena_strdup(r->arena, PQgetvalue(res, 0, 4));
	p->display_name = arena_strdup(r->arena, PQgetvalue(res, 0, 5));
	p->token = pat;
	r->auth = p;
	r->log_user = p->user_id;
	if ((flags & ROUTE_SESSION) && p->token) {
		http_respond_problem(r, 403,
		    "this needs an interactive session, not an API token");
		return;
	}
	if ((flags & ROUTE_WRITE) && !p->can_write) {
		http_respond_problem(r, 403, "this token is read-only");
		return;
	}
	if ((flags & ROUTE_STAFF) && !p->staff) {
		http_respond_problem(r, 403, "only platform staff may do this");
		return;
	}
	if (http_req_decode_body(r) == 0)
		r->route->handler(r);
}
