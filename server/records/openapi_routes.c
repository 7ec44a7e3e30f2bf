/* The OpenAPI document route and handler. */
#include "records/meta.h"
#include "records/openapi.h"
#include "records/routes.h"

#ifndef RAPPORT_VERSION
#define RAPPORT_VERSION "0.0.0"
#endif

void rp_openapi_get(rp_ctx_t *ctx)
{
    const rp_meta_t *meta = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &meta);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return;
    }
    const rp_object_t *const *objects = NULL;
    int n = rp_meta_objects(meta, &objects);
    json_t *doc = rp_openapi_build(objects, n, RAPPORT_VERSION);
    if (doc == NULL) {
        rp_resp_fail(ctx, RP_ENOMEM);
        return;
    }
    rp_resp_json(ctx, 200, doc);
}

/* Every authenticated caller may read the document: it describes the
 * tenant's objects, which every role can read. */
static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/openapi.json", rp_openapi_get, RP_ROUTE_READ, RP_ROLE_READONLY},
};

rp_status_t rp_records_openapi_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
