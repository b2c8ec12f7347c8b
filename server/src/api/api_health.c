/*
 * api_health.c - probes and metrics, outside /api/v1.
 *
 * /healthz answers while the loop runs (no database); /readyz only when the
 * database answers and its schema is at least what this binary needs;
 * /metrics is Prometheus text.
 */
#include "api/api_internal.h"
#include "version.h"

#include <stdlib.h>

#include <event2/buffer.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/work.h"
#include "net/net.h"
#include "store/store.h"

static void api_health_readyz_done(struct db_result *res, void *arg);

void
api_health_healthz(struct http_req *r)
{
	api_respond_text(r, 200, "{\"status\":\"ok\"}");
}

void
api_health_readyz(struct http_req *r)
{
	struct db_query *q = db_query(api_app(r)->db, &store_schema_version,
	    NULL, api_health_readyz_done, r);

	http_req_set_pending(r, q, db_query_abandon);
}

/* not through api_query: every failure here is "not ready", never a 500 */
static void
api_health_readyz_done(struct db_result *res, void *arg)
{
	struct http_req *r = arg;
	int have, need = api_app(r)->schema_version;
	char body[128];

	http_req_clear_pending(r);
	if (res->status != DB_OK || PQntuples(res->res) != 1) {
		http_req_add_header(r, "Retry-After", "1");
		http_respond_problem(r, 503,
		    res->status == DB_ERROR
		        ? "the database schema is missing; run isacd migrate"
		        : "the database is unavailable");
		return;
	}
	have = atoi(PQgetvalue(res->res, 0, 0));
	if (have < need) {
		snprintf(body, sizeof(body),
		    "the database schema is at version %d, isacd needs %d; "
		    "run isacd migrate",
		    have, need);
		http_respond_problem(r, 503, body);
		return;
	}
	snprintf(body, sizeof(body),
	    "{\"status\":\"ready\",\"schema_version\":%d}", have);
	api_respond_text(r, 200, body);
}

void
api_health_metrics(struct http_req *r)
{
	struct app *app = api_app(r);
	struct evbuffer *out = evbuffer_new();
	struct db_pool_stats ds;
	struct work_stats ws;
	size_t len;
	char *text;

	metrics_render(app->metrics, out);
	if (app->rt_metrics)
		app->rt_metrics(app->rt, out);
	if (app->purge_metrics)
		app->purge_metrics(app->purge, out);
	db_pool_stats(app->db, &ds);
	work_pool_stats(app->work, &ws);
	evbuffer_add_printf(out,
	    "# HELP isacd_connections_open Client connections open now.\n"
	    "# TYPE isacd_connections_open gauge\n"
	    "isacd_connections_open %zu\n"
	    "# HELP isacd_connections_refused_total Connections refused at "
	    "accept, by reason: max_conns (ISACD_MAX_CONNS), per_ip "
	    "(ISACD_MAX_CONNS_PER_IP).\n"
	    "# TYPE isacd_connections_refused_total counter\n"
	    "isacd_connections_refused_total{reason=\"%s\"} %llu\n"
	    "isacd_connections_refused_total{reason=\"%s\"} %llu\n"
	    "# HELP isacd_connections_cut_total Connections cut off, by "
	    "reason: slow_reader (read below ISACD_MIN_SEND_RATE).\n"
	    "# TYPE isacd_connections_cut_total counter\n"
	    "isacd_connections_cut_total{reason=\"%s\"} %llu\n",
	    net_count(app->net), net_reason_name(NET_REFUSED_MAX_CONNS),
	    net_reason_count(app->net, NET_REFUSED_MAX_CONNS),
	    net_reason_name(NET_REFUSED_PER_IP),
	    net_reason_count(app->net, NET_REFUSED_PER_IP),
	    net_reason_name(NET_CUT_SLOW_READER),
	    net_reason_count(app->net, NET_CUT_SLOW_READER));
	evbuffer_add_printf(out,
	    "# HELP isacd_db_pool_size PostgreSQL connections configured.\n"
	    "# TYPE isacd_db_pool_size gauge\n"
	    "isacd_db_pool_size %d\n"
	    "# HELP isacd_db_pool_connected PostgreSQL connections up.\n"
	    "# TYPE isacd_db_pool_connected gauge\n"
	    "isacd_db_pool_connected %d\n"
	    "# HELP isacd_db_pool_in_use PostgreSQL connections running a "
	    "query.\n"
	    "# TYPE isacd_db_pool_in_use gauge\n"
	    "isacd_db_pool_in_use %d\n"
	    "# HELP isacd_db_pool_waiting Queries waiting for a connection.\n"
	    "# TYPE isacd_db_pool_waiting gauge\n"
	    "isacd_db_pool_waiting %d\n"
	    "# HELP isacd_db_queries_total Queries started.\n"
	    "# TYPE isacd_db_queries_total counter\n"
	    "isacd_db_queries_total %llu\n"
	    "# HELP isacd_db_unavailable_total Queries failed for want of a "
	    "usable connection (down, busy or timed out).\n"
	    "# TYPE isacd_db_unavailable_total counter\n"
	    "isacd_db_unavailable_total %llu\n"
	    "# HELP isacd_hash_queued Password hashes waiting for a worker.\n"
	    "# TYPE isacd_hash_queued gauge\n"
	    "isacd_hash_queued %d\n"
	    "# HELP isacd_hash_running Password hashes running now.\n"
	    "# TYPE isacd_hash_running gauge\n"
	    "isacd_hash_running %d\n"
	    "# HELP isacd_hash_rejected_total Password hashes refused "
	    "because the queue was full.\n"
	    "# TYPE isacd_hash_rejected_total counter\n"
	    "isacd_hash_rejected_total %llu\n"
	    "# HELP isacd_uptime_seconds Seconds since start.\n"
	    "# TYPE isacd_uptime_seconds gauge\n"
	    "isacd_uptime_seconds %.0f\n"
	    "# HELP isacd_build_info Build version and schema version.\n"
	    "# TYPE isacd_build_info gauge\n"
	    "isacd_build_info{version=\"%s\",schema=\"%d\"} 1\n",
	    ds.size, ds.connected, ds.busy, ds.waiting, ds.queries, ds.failed,
	    ws.queued, ws.running, ws.rejected,
	    (double)(clock_mono_us() - app->started_us) / 1e6, ISACD_VERSION,
	    app->schema_version);
	len = evbuffer_get_length(out);
	text = (char *)evbuffer_pullup(out, -1);
	http_respond(
	    r, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
	evbuffer_free(out);
}
