#include "records/import.h"
#include "records/routes.h"

static const rp_route_t routes[] = {
    /* A file of up to RAPPORT_MAX_IMPORT_KIB, written in the request's
     * transaction (all-or-nothing mode rolls it back). */
    {RP_POST, "/api/v1/import/{object}", rp_import_handler, RP_ROUTE_LARGE_BODY, RP_ROLE_USER},
    /* Opens its own repeatable-read transaction: one snapshot for every
     * page of the export. */
    {RP_GET, "/api/v1/export/{object}", rp_export_handler, RP_ROUTE_NO_TX, RP_ROLE_READONLY},
};

rp_status_t rp_records_import_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
