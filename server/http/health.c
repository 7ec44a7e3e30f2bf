#include "auth/auth.h"
#include "core/metrics.h"
#include "db/db.h"
#include "http/internal.h"
#include "http/router.h"
#include "records/routes.h"
#include "script/script.h"

static void healthz(rp_ctx_t *ctx)
{
    rp_resp_json(ctx, 200, json_pack("{s:s}", "status", "ok"));
}

/* Ready means a worker can reach the database right now. */
static void readyz(rp_ctx_t *ctx)
{
    rp_status_t st = rp_db_exec(ctx->db, "SELECT 1", 0, NULL, NULL);
    if (st != RP_OK) {
        rp_resp_problem(ctx, 503, "database_unavailable", "the database is unreachable");
        rp_resp_header(ctx, "Retry-After", "1");
        return;
    }
    rp_resp_json(ctx, 200, json_pack("{s:s, s:s}", "status", "ready", "database", "ok"));
}

static void metrics(rp_ctx_t *ctx)
{
    rp_metrics_gauges_t g = {0};
    if (rp_http_current)
        rp_http_gauges(rp_http_current, &g);
    rp_buf_reset(&ctx->res.body);
    if (rp_metrics_render(&ctx->res.body, &g, ctx->app->started_at) != RP_OK) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    ctx->res.status = 200;
    ctx->res.content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static const rp_route_t routes[] = {
    {RP_GET, "/healthz", healthz, RP_ROUTE_PUBLIC | RP_ROUTE_INLINE, RP_ROLE_NONE},
    {RP_GET, "/readyz", readyz, RP_ROUTE_PUBLIC | RP_ROUTE_NO_TX, RP_ROLE_NONE},
    {RP_GET, "/metrics", metrics, RP_ROUTE_PUBLIC | RP_ROUTE_INLINE, RP_ROLE_NONE},
};

rp_status_t rp_routes_register_core(rp_router_t *r)
{
    rp_status_t st = rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
    if (st != RP_OK)
        return st;
    st = rp_auth_routes_register(r);
    if (st != RP_OK)
        return st;
    st = rp_records_routes_register(r);
    return st == RP_OK ? rp_script_routes_register(r) : st;
}
