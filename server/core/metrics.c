#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_SERIES 1024
#define NBUCKETS 12

static const double bounds[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

typedef struct series {
    const char *route;
    const char *method;
    int status;
    unsigned long count;
} series_t;

typedef struct histogram {
    const char *route;
    unsigned long buckets[NBUCKETS];
    unsigned long count;
    double sum;
} histogram_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static series_t series[MAX_SERIES];
static int nseries;
static histogram_t hists[MAX_SERIES / 4];
static int nhists;
static unsigned long dropped;
static atomic_ulong db_lost;

void rp_metrics_observe(const char *route, const char *method, int status, double seconds)
{
    pthread_mutex_lock(&lock);
    int i;
    for (i = 0; i < nseries; i++)
        if (series[i].status == status && series[i].route == route &&
            strcmp(series[i].method, method) == 0)
            break;
    if (i == nseries) {
        if (nseries < MAX_SERIES) {
            series[nseries] = (series_t){route, method, status, 0};
            nseries++;
        } else {
            i = -1;
            dropped++;
        }
    }
    if (i >= 0)
        series[i].count++;

    int h;
    for (h = 0; h < nhists; h++)
        if (hists[h].route == route)
            break;
    if (h == nhists && nhists < (int)(sizeof hists / sizeof hists[0])) {
        memset(&hists[nhists], 0, sizeof hists[0]);
        hists[nhists].route = route;
        nhists++;
    }
    if (h < nhists) {
        for (int b = 0; b < NBUCKETS; b++)
            if (seconds <= bounds[b])
                hists[h].buckets[b]++;
        hists[h].count++;
        hists[h].sum += seconds;
    }
    pthread_mutex_unlock(&lock);
}

void rp_metrics_db_lost(void)
{
    atomic_fetch_add(&db_lost, 1);
}

rp_status_t rp_metrics_render(rp_buf_t *o, const rp_metrics_gauges_t *g, long started_at)
{
    rp_status_t st = RP_OK;
    st |= rp_buf_puts(o, "# HELP rapport_build_info Build information.\n"
                         "# TYPE rapport_build_info gauge\n");
    st |= rp_buf_printf(o, "rapport_build_info{version=\"%s\"} 1\n", RAPPORT_VERSION);
    st |= rp_buf_printf(o,
                        "# HELP rapport_start_time_seconds Unix time the process started.\n"
                        "# TYPE rapport_start_time_seconds gauge\n"
                        "rapport_start_time_seconds %ld\n",
                        started_at);
    st |= rp_buf_printf(o,
                        "# HELP rapport_worker_queue_depth Requests waiting for a worker.\n"
                        "# TYPE rapport_worker_queue_depth gauge\n"
                        "rapport_worker_queue_depth %ld\n"
                        "# HELP rapport_inflight_requests Requests being processed.\n"
                        "# TYPE rapport_inflight_requests gauge\n"
                        "rapport_inflight_requests %ld\n"
                        "# HELP rapport_db_pool_connections Worker database connections by state.\n"
                        "# TYPE rapport_db_pool_connections gauge\n"
                        "rapport_db_pool_connections{state=\"total\"} %ld\n"
                        "rapport_db_pool_connections{state=\"connected\"} %ld\n"
                        "rapport_db_pool_connections{state=\"busy\"} %ld\n"
                        "rapport_db_pool_connections{state=\"idle\"} %ld\n"
                        "# HELP rapport_db_connection_lost_total Database connections lost.\n"
                        "# TYPE rapport_db_connection_lost_total counter\n"
                        "rapport_db_connection_lost_total %lu\n",
                        g->queue_depth, g->inflight, g->workers, g->db_connected, g->workers_busy,
                        g->workers - g->workers_busy, (unsigned long)atomic_load(&db_lost));

    pthread_mutex_lock(&lock);
    st |= rp_buf_puts(o, "# HELP rapport_http_requests_total HTTP requests by route and status.\n"
                         "# TYPE rapport_http_requests_total counter\n");
    for (int i = 0; i < nseries; i++)
        st |= rp_buf_printf(o,
                            "rapport_http_requests_total{route=\"%s\",method=\"%s\",status=\"%d\"} "
                            "%lu\n",
                            series[i].route, series[i].method, series[i].status, series[i].count);
    st |=
        rp_buf_printf(o,
                      "# HELP rapport_metrics_series_dropped_total Series not kept (table full).\n"
                      "# TYPE rapport_metrics_series_dropped_total counter\n"
                      "rapport_metrics_series_dropped_total %lu\n",
                      dropped);
    st |= rp_buf_puts(o, "# HELP rapport_http_request_duration_seconds Request latency.\n"
                         "# TYPE rapport_http_request_duration_seconds histogram\n");
    for (int h = 0; h < nhists; h++) {
        for (int b = 0; b < NBUCKETS; b++)
            st |= rp_buf_printf(
                o, "rapport_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lu\n",
                hists[h].route, bounds[b], hists[h].buckets[b]);
        st |= rp_buf_printf(
            o,
            "rapport_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lu\n"
            "rapport_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n"
            "rapport_http_request_duration_seconds_count{route=\"%s\"} %lu\n",
            hists[h].route, hists[h].count, hists[h].route, hists[h].sum, hists[h].route,
            hists[h].count);
    }
    pthread_mutex_unlock(&lock);
    return st == RP_OK ? RP_OK : RP_ENOMEM;
}

void rp_metrics_reset(void)
{
    pthread_mutex_lock(&lock);
    nseries = 0;
    nhists = 0;
    dropped = 0;
    pthread_mutex_unlock(&lock);
    atomic_store(&db_lost, 0);
}
