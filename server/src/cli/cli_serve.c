/*
 * cli_serve.c - `isacd serve`: wires the layers together and runs the loop.
 *
 * Start-up may block (it runs before the loop): configuration, a schema
 * check over a short-lived connection, the dummy password hash, TLS.  A
 * database that is unreachable at start-up is not fatal: the pool keeps
 * trying and /readyz says 503 until it answers.  A schema that is behind is
 * fatal, with the command that fixes it.
 *
 * SIGTERM/SIGINT: stop accepting, close idle connections, let busy ones
 * finish their response (ISACD_SHUTDOWN_TIMEOUT_S at most), exit 0.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "api/app.h"
#include "cli/cli.h"
#include "version.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/seal.h"
#include "core/secret.h"
#include "core/work.h"
#include "db/db.h"
#include "db/migrate.h"
#include "domain/totp.h"
#include "http/http_server.h"
#include "net/conn.h"
#include "net/net.h"
#include "net/tls.h"
#include "store/store.h"
#include "purge/purge.h"
#include "realtime/rt.h"
#include "ws/ws.h"

extern char **environ;

struct serve {
	struct app app;
	struct db_outage outage; /* the pool's and the LISTEN connection's */
	struct rt *rt;
	struct purge *purge;
	struct seal_ring totp_keys;
	char settings[64];
	struct ws_options ws;
	struct event_base *base;
	struct http_server *http;
	struct event *sigterm;
	struct event *sigint;
	struct event *deadline;
	bool stopping;
};

static int serve_check_schema(
    const struct config *cfg, int need, struct db_outage *outage);
static int serve_load_keys(const struct config *cfg, struct seal_ring *ring);
static void serve_reseal(
    const struct config *cfg, const struct seal_ring *ring, int *unreadable);
static long long serve_purge_next_run(void *purge);
static void serve_purge_metrics(void *purge, struct evbuffer *out);
static void serve_signal_cb(evutil_socket_t sig, short what, void *arg);
static void serve_drain_one(struct conn *c, void *arg);
static void serve_empty_cb(void *arg);
static void serve_deadline_cb(evutil_socket_t fd, short what, void *arg);
static void serve_warn_unknown_env(void);
static void serve_rt_attach(void *rt, struct conn *c, const char *user_id,
    const char *credential_id, bool token, long long expires_at);
static void serve_rt_written(void *rt);
static void serve_rt_metrics(void *rt, struct evbuffer *out);

static const char serve_usage[] =
    "usage: isacd serve\n"
    "\n"
    "Serves the REST API on ISACD_LISTEN.  Settings come from the\n"
    "environment:\n\n";

int
cli_serve(int argc, char **argv)
{
	struct serve s;
	struct config cfg;
	struct migration_set set;
	struct net_options no;
	struct http_server_options ho;
	const struct http_route *routes;
	const char **names, **methods;
	SSL_CTX *tls = NULL;
	size_t nroutes;
	char err[512], dummy[32];
	enum log_level lvl;
	int rc = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			fputs(serve_usage, stdout);
			config_print_markdown(stdout);
			return 0;
		}
		return cli_usage_error("serve", "unknown option", argv[i]);
	}
	if (cli_load_config(&cfg) != 0)
		return 2;
	log_level_parse(cfg.log_level, &lvl);
	log_set_level(lvl);
	serve_warn_unknown_env();
	if (cli_argon2_below_floor(&cfg, err, sizeof(err)))
		log_warn("%s", err);
	signal(SIGPIPE, SIG_IGN);

	memset(&s, 0, sizeof(s));
	if (migrate_load_embedded(&set, err, sizeof(err)) != 0) {
		log_error("%s", err);
		config_free(&cfg);
		return 1;
	}
	s.app.schema_version = migrate_latest(&set);
	migrate_set_free(&set);
	if (serve_check_schema(&cfg, s.app.schema_version, &s.outage) != 0) {
		config_free(&cfg);
		return 1;
	}
	/* TOTP secrets are sealed at rest: no key, no start; and whatever is
	 * not sealed with the first key is sealed with it now */
	if (serve_load_keys(&cfg, &s.totp_keys) != 0) {
		config_free(&cfg);
		return 1;
	}
	{
		int unreadable = 0;

		serve_reseal(&cfg, &s.totp_keys, &unreadable);
		if (unreadable > 0) {
			log_error(
			    "%d TOTP secrets are sealed with a key that "
			    "ISACD_TOTP_KEY (or ISACD_TOTP_KEY_FILE) does "
			    "not hold: list that key after the current one",
			    unreadable);
			seal_ring_wipe(&s.totp_keys);
			config_free(&cfg);
			return 1;
		}
	}
	s.app.totp_keys = &s.totp_keys;
	/* what the SQL functions read of the configuration */
	snprintf(s.settings, sizeof(s.settings),
	    "-c isacd.max_retention_days=%ld", cfg.max_retention_days);

	s.app.cfg = &cfg;
	s.app.pw.t = (uint32_t)cfg.argon2_t;
	s.app.pw.m_kib = (uint32_t)cfg.argon2_m_kib;
	s.app.pw.p = (uint32_t)cfg.argon2_p;
	secret_random((uint8_t *)dummy, sizeof(dummy));
	if (password_hash(dummy, sizeof(dummy), &s.app.pw, s.app.dummy_hash,
	        sizeof(s.app.dummy_hash)) != 0) {
		log_error("argon2id does not work with these parameters");
		config_free(&cfg);
		return 1;
	}
	password_thread_release(); /* the loop thread hashes no more */
	if (cfg.tls_cert[0]) {
		tls = tls_ctx_new(cfg.tls_cert, cfg.tls_key, err, sizeof(err));
		if (tls == NULL) {
			log_error("%s", err);
			config_free(&cfg);
			return 1;
		}
	}

	s.base = event_base_new();
	if (s.base == NULL)
		fatal("event_base_new failed");
	s.app.base = s.base;
	log_attach_loop(s.base);
	s.app.started_us = clock_mono_us();
	s.app.db = db_pool_new(s.base,
	    &(struct db_pool_options){
	        .conninfo = cfg.database_url,
	        .size = (int)cfg.db_pool,
	        .queue_max = (int)cfg.db_queue,
	        .queue_timeout_ms = (int)cfg.db_queue_timeout_ms,
	        .statement_timeout_ms = (int)cfg.db_statement_timeout_ms,
	        .connect_timeout_s = (int)cfg.db_connect_timeout_s,
	        .settings = s.settings,
	        .outage = &s.outage,
	    });
	if (cfg.hash_workers == 0) { /* auto: leave half the cores */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		cfg.hash_workers = ncpu > 1 ? ncpu / 2 : 1;
	}
	s.app.work =
	    work_pool_new(s.base, (int)cfg.hash_workers, (int)cfg.hash_queue);
	routes = api_routes(&nroutes);
	names = xcalloc(nroutes, sizeof(char *));
	methods = xcalloc(nroutes, sizeof(char *));
	for (size_t i = 0; i < nroutes; i++) {
		names[i] = routes[i].pattern;
		methods[i] = http_method_name(routes[i].method);
	}
	s.app.metrics = metrics_new(nroutes, names, methods);

	/* realtime: its own listening connection, and the pool for the rest */
	s.ws.max_message = (size_t)cfg.ws_max_message;
	s.ws.max_queue = (size_t)cfg.ws_max_queue;
	s.ws.ping_s = (int)cfg.ws_ping_s;
	s.ws.pong_timeout_s = (int)cfg.ws_pong_timeout_s;
	s.ws.msg_rate = (double)cfg.ws_msg_rate;
	s.ws.msg_burst = (double)cfg.ws_msg_burst;
	s.rt = rt_new(s.base, s.app.db,
	    &(struct rt_options){
	        .conninfo = cfg.database_url,
	        .connect_timeout_s = (int)cfg.db_connect_timeout_s,
	        .outage = &s.outage,
	        .poll_ms = (int)cfg.realtime_poll_ms,
	        .session_idle_s = cfg.session_idle_s,
	        .ws = &s.ws,
	    });
	s.app.rt = s.rt;
	s.app.rt_attach = serve_rt_attach;
	s.app.rt_written = serve_rt_written;
	s.app.rt_metrics = serve_rt_metrics;

	/* the purge: on a timer, over a connection of its own */
	s.purge = purge_new(s.base,
	    &(struct purge_options){
	        .conninfo = cfg.database_url,
	        .settings = s.settings,
	        .connect_timeout_s = (int)cfg.db_connect_timeout_s,
	        .statement_timeout_ms = (int)cfg.db_statement_timeout_ms,
	        .outage = &s.outage,
	        .interval_s = cfg.purge_interval_s,
	        .first_s =
	            cfg.purge_interval_s < 60 ? cfg.purge_interval_s : 60,
	        .batch = (int)cfg.purge_batch,
	        .ip_days = (int)cfg.ip_retention_days,
	        .login_window_s = (int)cfg.login_window_s,
	        .settle_s = PURGE_SETTLE_S,
	        .written = serve_rt_written,
	        .arg = s.rt,
	    });
	s.app.purge = s.purge;
	s.app.purge_next_run = serve_purge_next_run;
	s.app.purge_metrics = serve_purge_metrics;

	memset(&ho, 0, sizeof(ho));
	ho.routes = routes;
	ho.nroutes = nroutes;
	ho.max_header = (size_t)cfg.max_header;
	ho.max_body = (size_t)cfg.max_body;
	ho.header_timeout_s = (int)cfg.header_timeout_s;
	ho.body_timeout_s = (int)cfg.body_timeout_s;
	ho.idle_timeout_s = (int)cfg.idle_timeout_s;
	ho.tls = tls != NULL;
	ho.metrics = s.app.metrics;
	ho.dispatch = api_dispatch;
	ho.app = &s.app;
	s.http = http_server_new(&ho);

	memset(&no, 0, sizeof(no));
	no.listen = cfg.listen;
	no.tls = tls;
	no.max_conns = (size_t)cfg.max_conns;
	no.max_conns_per_ip = (size_t)cfg.max_conns_per_ip;
	no.write_timeout_s = (int)cfg.write_timeout_s;
	no.min_send_rate = cfg.min_send_rate;
	no.send_window_s = (int)cfg.send_window_s;
	no.send_lowat = (size_t)cfg.send_lowat;
	no.trusted_proxies = cfg.trusted_proxies;
	no.proxy_timeout_s = (int)cfg.header_timeout_s;
	no.on_accept = http_server_accept;
	no.arg = s.http;
	s.app.net = net_new(s.base, &no, err, sizeof(err));
	if (s.app.net == NULL) {
		log_error("%s", err);
		goto out;
	}
	net_on_empty(s.app.net, serve_empty_cb, &s);

	s.sigterm = evsignal_new(s.base, SIGTERM, serve_signal_cb, &s);
	s.sigint = evsignal_new(s.base, SIGINT, serve_signal_cb, &s);
	s.deadline = evtimer_new(s.base, serve_deadline_cb, &s);
	if (!s.sigterm || !s.sigint || !s.deadline)
		fatal("event_new failed");
	evsignal_add(s.sigterm, NULL);
	evsignal_add(s.sigint, NULL);

	log_info("isacd %s listening on %s://%s (schema %d, db pool %ld, "
	         "hash workers %ld)",
	    ISACD_VERSION, tls ? "https" : "http", cfg.listen,
	    s.app.schema_version, cfg.db_pool, cfg.hash_workers);
	event_base_dispatch(s.base);
	log_info("isacd stopped");
	rc = 0;
out:
	net_free(s.app.net);
	/* the pool answers what is pending (unavailable) before the realtime
	 * layer, whose callbacks those are, goes */
	db_pool_free(s.app.db);
	purge_free(s.purge);
	rt_free(s.rt);
	if (s.sigterm)
		event_free(s.sigterm);
	if (s.sigint)
		event_free(s.sigint);
	if (s.deadline)
		event_free(s.deadline);
	http_server_free(s.http);
	work_pool_free(s.app.work);
	metrics_free(s.app.metrics);
	free(names);
	free(methods);
	log_detach_loop();
	event_base_free(s.base);
	if (tls)
		SSL_CTX_free(tls);
	seal_ring_wipe(&s.totp_keys);
	config_free(&cfg);
	return rc;
}

/* The keys that seal TOTP secrets: ISACD_TOTP_KEY or ISACD_TOTP_KEY_FILE. */
static int
serve_load_keys(const struct config *cfg, struct seal_ring *ring)
{
	char err[512];

	if (cfg->totp_key[0] == '\0' && cfg->totp_key_file[0] == '\0') {
		log_error("ISACD_TOTP_KEY or ISACD_TOTP_KEY_FILE must be set: "
		          "the key that seals TOTP secrets at rest (make one "
		          "with: openssl rand -base64 32)");
		return -1;
	}
	if ((cfg->totp_key[0]
	            ? seal_ring_parse(ring, cfg->totp_key, err, sizeof(err))
	            : seal_ring_load_file(
	                  ring, cfg->totp_key_file, err, sizeof(err))) != 0) {
		log_error("%s: %s",
		    cfg->totp_key[0] ? "ISACD_TOTP_KEY" : "ISACD_TOTP_KEY_FILE",
		    err);
		return -1;
	}
	return 0;
}

/*
 * Open every TOTP secret, and seal again under the first key those that
 * are not: plain ones from before sealing, and those of a key being
 * rotated out.  Blocking, at start-up, before the loop (a few microseconds
 * a secret).  *unreadable counts secrets sealed with a key the ring lacks;
 * one that does not open under a key the ring holds (altered, moved to
 * another account) is logged.  A database that is down is left for the
 * next start.
 */
static void
serve_reseal(
    const struct config *cfg, const struct seal_ring *ring, int *unreadable)
{
	char err[1024], b32[TOTP_B32_LEN + 1], sealed[TOTP_SEALED_MAX];
	PGconn *pg;
	PGresult *res;
	int resealed = 0, damaged = 0;

	*unreadable = 0;
	pg = cli_connect(
	    cfg, (int)cfg->db_statement_timeout_ms, "serve", err, sizeof(err));
	if (pg == NULL)
		return;
	res = PQexec(pg, store_totp_all.sql);
	for (int i = 0;
	     PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res);
	     i++) {
		const char *params[3];
		PGresult *up;

		if (totp_open(ring, PQgetvalue(res, i, 0),
		        PQgetvalue(res, i, 1), b32) != 0) {
			/* a key missing from the ring stops start-up; a secret
			 * altered under a key it holds stops only its login */
			if (seal_key_known(ring, PQgetvalue(res, i, 1)))
				damaged++;
			else
				(*unreadable)++;
			continue;
		}
		if (seal_is_current(ring, PQgetvalue(res, i, 1)))
			continue;
		if (totp_seal(ring, PQgetvalue(res, i, 0), b32, sealed) != 0)
			fatal("sealing a TOTP secret failed");
		params[0] = PQgetvalue(res, i, 0);
		params[1] = PQgetvalue(res, i, 1);
		params[2] = sealed;
		up = PQexecParams(
		    pg, store_totp_reseal.sql, 3, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(up) == PGRES_TUPLES_OK && PQntuples(up) == 1)
			resealed++;
		PQclear(up);
	}
	OPENSSL_cleanse(b32, sizeof(b32));
	PQclear(res);
	PQfinish(pg);
	if (resealed > 0)
		log_info(
		    "sealed %d TOTP secrets with the current key", resealed);
	if (damaged > 0)
		log_error(
		    "%d TOTP secrets do not open (altered, or moved to "
		    "another account): those accounts cannot log in until "
		    "their second factor is reset",
		    damaged);
}

/* Refuse to serve a schema that is behind; tolerate a database that is down. */
static int
serve_check_schema(const struct config *cfg, int need, struct db_outage *outage)
{
	struct migration_set set;
	char err[1024];
	PGconn *pg;
	int pending = 0, rc = 0;

	pg = cli_connect(
	    cfg, (int)cfg->db_statement_timeout_ms, "serve", err, sizeof(err));
	if (pg == NULL) {
		/* this line is the outage's one warning: the pool's
		 * connections will not repeat it */
		db_outage_begin(outage, db_outage_epoch(outage));
		log_warn("%s; starting anyway, /readyz answers 503 until the "
		         "database is reachable",
		    err);
		return 0;
	}
	if (migrate_load_embedded(&set, err, sizeof(err)) != 0 ||
	    migrate_check(pg, &set, &pending, err, sizeof(err)) != 0) {
		log_error("schema check: %s", err);
		rc = -1;
	} else if (pending > 0) {
		log_error("the database schema is behind: %d of %zu migrations "
		          "are not applied (isacd needs schema %d); run "
		          "`isacd migrate` first",
		    pending, set.n, need);
		rc = -1;
	}
	migrate_set_free(&set);
	PQfinish(pg);
	return rc;
}

static void
serve_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct serve *s = arg;
	struct timeval tv = {s->app.cfg->shutdown_timeout_s, 0};

	(void)what;
	if (s->stopping) {
		log_warn("second signal: stopping now");
		event_base_loopbreak(s->base);
		return;
	}
	s->stopping = true;
	log_info("%s: draining %zu connections (at most %ld s)",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT", net_count(s->app.net),
	    s->app.cfg->shutdown_timeout_s);
	net_stop_accepting(s->app.net);
	evtimer_add(s->deadline, &tv);
	rt_shutdown(s->rt);
	net_foreach(s->app.net, serve_drain_one, s);
	if (net_count(s->app.net) == 0)
		event_base_loopbreak(s->base);
}

static void
serve_drain_one(struct conn *c, void *arg)
{
	struct serve *s = arg;

	http_server_drain(s->http, c);
}

static void
serve_empty_cb(void *arg)
{
	struct serve *s = arg;

	if (s->stopping)
		event_base_loopbreak(s->base);
}

static void
serve_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct serve *s = arg;

	(void)fd;
	(void)what;
	log_warn("shutdown deadline passed with %zu connections open",
	    net_count(s->app.net));
	event_base_loopbreak(s->base);
}

/* A misspelt ISACD_ variable would silently fall back to its default. */
static void
serve_warn_unknown_env(void)
{
	for (char **e = environ; *e; e++) {
		char name[128];
		size_t n = strcspn(*e, "=");

		if (strncmp(*e, "ISACD_", 6) != 0 || n >= sizeof(name))
			continue;
		memcpy(name, *e, n);
		name[n] = '\0';
		if (!config_is_known(name) && strcmp(name, "ISACD_BIN") != 0)
			log_warn("unknown setting %s is ignored", name);
	}
}

/* ---- the realtime layer, handed to the API as function pointers ---- */

static void
serve_rt_attach(void *rt, struct conn *c, const char *user_id,
    const char *credential_id, bool token, long long expires_at)
{
	struct rt_peer peer;

	memset(&peer, 0, sizeof(peer));
	snprintf(peer.user_id, sizeof(peer.user_id), "%s", user_id);
	snprintf(peer.credential_id, sizeof(peer.credential_id), "%s",
	    credential_id);
	peer.token = token;
	peer.expires_at = expires_at;
	rt_attach(rt, c, &peer);
}

static void
serve_rt_written(void *rt)
{
	rt_written(rt);
}

static void
serve_rt_metrics(void *rt, struct evbuffer *out)
{
	rt_metrics(rt, out);
}

static long long
serve_purge_next_run(void *purge)
{
	return purge_next_run(purge);
}

static void
serve_purge_metrics(void *purge, struct evbuffer *out)
{
	purge_metrics(purge, out);
}
