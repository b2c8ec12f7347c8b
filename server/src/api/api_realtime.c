/*
 * api_realtime.c - the WebSocket upgrade, and tickets for browsers.
 *
 * GET /api/v1/realtime with Upgrade: websocket: the handshake is checked
 * first (400 for a missing or malformed key, 426 for a version other than
 * 13: ws/ws_handshake.c), then a browser's Origin against
 * ISACD_ALLOWED_ORIGINS (403), then who is calling -- a bearer token (the
 * route's policy looks it up, as for any route) or a single-use ticket
 * (?ticket=, redeemed in PostgreSQL, so any instance takes any instance's
 * ticket); a bad credential is a plain 401 and no upgrade.  Then 101, and
 * the connection belongs to the realtime layer (app->rt_attach).
 *
 * POST /api/v1/realtime/tickets: a browser cannot send an Authorization
 * header with a WebSocket, so it asks for a ticket with its bearer token
 * first: 256 bits, base64url, prefixed isacd_wst_, valid 30 seconds, used
 * once, bound to the session or API token that asked (it ends with it);
 * only its SHA-256 is stored.
 */
#include "api/api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/secret.h"
#include "http/http_server.h"
#include "store/store.h"
#include "ws/ws_handshake.h"

#define TICKET_PREFIX "isacd_wst_"
#define TICKET_LIFE_S "30"

struct rt_upgrade {
	struct app *app;
	char user_id[37];
	char credential_id[37];
	bool token;
	long long expires_at;
};

static void api_rt_ticket_redeemed(struct http_req *r, PGresult *res);
static void api_rt_upgrade(struct http_req *r, const char *user,
    const char *cred, bool token, long long expires_at);
static void api_rt_attach(struct conn *c, void *arg);
static void api_rt_abandon(void *arg);
static void api_rt_ticket_made(struct http_req *r, PGresult *res);

void
api_realtime(struct http_req *r)
{
	struct principal *p = api_principal(r);
	struct ws_handshake hs;
	const char *ticket;
	int status;

	if (api_app(r)->rt_attach == NULL) {
		http_respond_problem(r, 503, "realtime is not available");
		return;
	}
	status = ws_handshake_check(&r->head, &hs);
	if (status != 0) {
		if (status == 426) {
			http_req_add_header(r, "Upgrade", "websocket");
			http_req_add_header(
			    r, "Sec-WebSocket-Version", WS_VERSION);
		}
		http_respond_problem(r, status, hs.why);
		return;
	}
	if (!ws_origin_allowed(
	        &r->head, r->tls, api_app(r)->cfg->allowed_origins)) {
		http_respond_problem(r, 403,
		    "this origin may not open a WebSocket here "
		    "(ISACD_ALLOWED_ORIGINS)");
		return;
	}
	r->state = arena_strdup(r->arena, hs.accept);
	if (p != NULL) {
		api_rt_upgrade(
		    r, p->user_id, p->credential_id, p->token, p->expires_at);
		return;
	}
	if (http_req_query(r, "ticket", &ticket) <= 0) {
		api_unauthorized(r, "a bearer token or a ticket is required");
		return;
	}
	{
		char hash[SECRET_SHA256_HEX], idle[24];
		const char *params[2] = {hash, idle};

		/* an unknown shape costs no less than an unknown ticket */
		secret_sha256_hex(ticket, strlen(ticket), hash);
		snprintf(
		    idle, sizeof(idle), "%ld", api_app(r)->cfg->session_idle_s);
		api_query(
		    r, &store_rt_ticket_redeem, params, api_rt_ticket_redeemed);
	}
}

/* → credential id, user id, platform role, can write, email, display name,
 * organisation id, is a token, expires; nothing: the ticket is no good */
static void
api_rt_ticket_redeemed(struct http_req *r, PGresult *res)
{
	if (PQntuples(res) != 1) {
		api_unauthorized(
		    r, "the ticket is not valid, was used, or has expired");
		return;
	}
	r->log_user = arena_strdup(r->arena, PQgetvalue(res, 0, 1));
	api_rt_upgrade(r, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0),
	    strcmp(PQgetvalue(res, 0, 7), "t") == 0,
	    strtoll(PQgetvalue(res, 0, 8), NULL, 10));
}

static void
api_rt_upgrade(struct http_req *r, const char *user, const char *cred,
    bool token, long long expires_at)
{
	struct rt_upgrade *u = xcalloc(1, sizeof(*u));

	u->app = api_app(r);
	snprintf(u->user_id, sizeof(u->user_id), "%s", user);
	snprintf(u->credential_id, sizeof(u->credential_id), "%s", cred);
	u->token = token;
	u->expires_at = expires_at;
	http_req_add_header(r, "Upgrade", "websocket");
	http_req_add_header(r, "Connection", "Upgrade");
	http_req_add_header(r, "Sec-WebSocket-Accept", r->state);
	http_req_upgrade(r, api_rt_attach, api_rt_abandon, u);
}

static void
api_rt_attach(struct conn *c, void *arg)
{
	struct rt_upgrade *u = arg;

	u->app->rt_attach(u->app->rt, c, u->user_id, u->credential_id, u->token,
	    u->expires_at);
	free(u);
}

static void
api_rt_abandon(void *arg)
{
	free(arg);
}

void
api_realtime_ticket(struct http_req *r)
{
	struct principal *p = api_principal(r);
	char *ticket = arena_alloc(r->arena, SECRET_TOKEN_MAX);
	char hash[SECRET_SHA256_HEX];
	const char *params[5];

	secret_token_new(TICKET_PREFIX, ticket);
	secret_sha256_hex(ticket, strlen(ticket), hash);
	r->state = ticket;
	params[0] = p->user_id;
	params[1] = p->token ? NULL : p->credential_id;
	params[2] = p->token ? p->credential_id : NULL;
	params[3] = hash;
	params[4] = TICKET_LIFE_S;
	api_query(r, &store_rt_ticket_create, params, api_rt_ticket_made);
}

/* → expires_at */
static void
api_rt_ticket_made(struct http_req *r, PGresult *res)
{
	/* the ticket (base64url) and the time need no escaping */
	api_respond_text(r, 201,
	    arena_printf(r->arena, "{\"ticket\":\"%s\",\"expires_at\":\"%s\"}",
	        (const char *)r->state, PQgetvalue(res, 0, 0)));
}
