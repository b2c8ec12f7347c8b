/*
 * metrics.h - request counters and latency histograms, Prometheus text.
 *
 * One struct per event loop, touched only from that loop, so no atomics.
 * Routes are identified by their index in the route table; index nroutes
 * stands for requests that matched no route.
 */
#ifndef ISACD_CORE_METRICS_H
#define ISACD_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct metrics;

/** route_names[i] labels route i; the array must outlive the metrics. */
struct metrics *metrics_new(size_t nroutes, const char *const *route_names,
    const char *const *route_methods);
void metrics_free(struct metrics *m);
/** Count one finished request. */
void metrics_observe(struct metrics *m, size_t route, int status, int64_t us);
/** Append the request families in Prometheus text format. */
void metrics_render(const struct metrics *m, struct evbuffer *out);

#endif
