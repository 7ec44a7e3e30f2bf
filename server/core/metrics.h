#ifndef RP_CORE_METRICS_H
#define RP_CORE_METRICS_H

#include "core/buf.h"
#include "core/status.h"

/* Point-in-time gauges the metrics page reads from their owners. */
typedef struct rp_metrics_gauges {
    long queue_depth;  /* requests waiting for a worker */
    long workers;      /* size of the worker pool */
    long workers_busy; /* workers running a request */
    long db_connected; /* workers whose connection is up */
    long inflight;     /* requests accepted and not yet answered */
} rp_metrics_gauges_t;

/* Counts one finished request under its route pattern (or "unmatched"),
 * method and status, and adds its duration to the latency histogram. The
 * route string must be static. Thread-safe. */
void rp_metrics_observe(const char *route, const char *method, int status, double seconds);

/* Counts a database connection loss seen by a worker. */
void rp_metrics_db_lost(void);

/* Renders everything in the Prometheus text exposition format 0.0.4. */
rp_status_t rp_metrics_render(rp_buf_t *out, const rp_metrics_gauges_t *g, long started_at);

/* Forgets every counter (tests). */
void rp_metrics_reset(void);

#endif
