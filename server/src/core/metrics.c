/*
 * metrics.c - fixed arrays of counters; rendering walks them.
 *
 * Counts live in [route][status - 100], statuses outside 100..599 land in
 * 599.  A 500-slot row per route is a few kilobytes for the whole table and
 * keeps observe() to two array increments.
 */
#include "core/metrics.h"

#include <event2/buffer.h>
#include <stdlib.h>

#include "core/mem.h"

#define METRICS_NSTATUS  500
#define METRICS_NBUCKETS 14

static const double metrics_bounds[METRICS_NBUCKETS - 1] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

struct metrics {
	size_t nroutes;
	const char *const *names;
	const char *const *methods;
	uint64_t *counts;  /* (nroutes + 1) * METRICS_NSTATUS */
	uint64_t *buckets; /* (nroutes + 1) * METRICS_NBUCKETS */
	double *sum;       /* (nroutes + 1) seconds */
};

struct metrics *
metrics_new(size_t nroutes, const char *const *route_names,
    const char *const *route_methods)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	m->nroutes = nroutes;
	m->names = route_names;
	m->methods = route_methods;
	m->counts = xcalloc((nroutes + 1) * METRICS_NSTATUS, sizeof(uint64_t));
	m->buckets =
	    xcalloc((nroutes + 1) * METRICS_NBUCKETS, sizeof(uint64_t));
	m->sum = xcalloc(nroutes + 1, sizeof(double));
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	free(m->counts);
	free(m->buckets);
	free(m->sum);
	free(m);
}

void
metrics_observe(struct metrics *m, size_t route, int status, int64_t us)
{
	double s = (double)us / 1e6;
	size_t b = 0;

	if (route > m->nroutes)
		route = m->nroutes;
	if (status < 100 || status > 599)
		status = 599;
	m->counts[route * METRICS_NSTATUS + (size_t)(status - 100)]++;
	while (b < METRICS_NBUCKETS - 1 && s > metrics_bounds[b])
		b++;
	m->buckets[route * METRICS_NBUCKETS + b]++;
	m->sum[route] += s;
}

void
metrics_render(const struct metrics *m, struct evbuffer *out)
{
	evbuffer_add_printf(out,
	    "# HELP isacd_http_requests_total HTTP requests by route "
	    "pattern and status.\n"
	    "# TYPE isacd_http_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *name = r < m->nroutes ? m->names[r] : "unmatched";
		const char *meth = r < m->nroutes ? m->methods[r] : "";

		for (size_t s = 0; s < METRICS_NSTATUS; s++) {
			uint64_t n = m->counts[r * METRICS_NSTATUS + s];

			if (n)
				evbuffer_add_printf(out,
				    "isacd_http_requests_total{method=\"%s\","
				    "route=\"%s\",status=\"%zu\"} %llu\n",
				    meth, name, s + 100, (unsigned long long)n);
		}
	}
	evbuffer_add_printf(out,
	    "# HELP isacd_http_request_duration_seconds Time from request "
	    "head to response, by route pattern.\n"
	    "# TYPE isacd_http_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *name = r < m->nroutes ? m->names[r] : "unmatched";
		const char *meth = r < m->nroutes ? m->methods[r] : "";
		uint64_t cum = 0;

		for (size_t b = 0; b < METRICS_NBUCKETS; b++)
			cum += m->buckets[r * METRICS_NBUCKETS + b];
		if (cum == 0)
			continue;
		cum = 0;
		for (size_t b = 0; b < METRICS_NBUCKETS; b++) {
			cum += m->buckets[r * METRICS_NBUCKETS + b];
			if (b < METRICS_NBUCKETS - 1)
				evbuffer_add_printf(out,
				    "isacd_http_request_duration_seconds_"
				    "bucket{method=\"%s\",route=\"%s\","
				    "le=\"%g\"} %llu\n",
				    meth, name, metrics_bounds[b],
				    (unsigned long long)cum);
			else
				evbuffer_add_printf(out,
				    "isacd_http_request_duration_seconds_"
				    "bucket{method=\"%s\",route=\"%s\","
				    "le=\"+Inf\"} %llu\n",
				    meth, name, (unsigned long long)cum);
		}
		evbuffer_add_printf(out,
		    "isacd_http_request_duration_seconds_sum{method=\"%s\","
		    "route=\"%s\"} %.6f\n"
		    "isacd_http_request_duration_seconds_count{method=\"%s\","
		    "route=\"%s\"} %llu\n",
		    meth, name, m->sum[r], meth, name, (unsigned long long)cum);
	}
}
