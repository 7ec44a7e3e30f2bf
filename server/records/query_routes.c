#include "records/query_handlers.h"
#include "records/routes.h"

/* Reads only: any role may list and query (permissions narrow it later). */
static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/records/{object}", rp_list_records, RP_ROUTE_READ, RP_ROLE_READONLY},
    {RP_POST, "/api/v1/query/{object}", rp_list_query, RP_ROUTE_READ, RP_ROLE_READONLY},
    {RP_GET, "/api/v1/records/{object}/{id}/related/{relation}", rp_list_related, RP_ROUTE_READ,
     RP_ROLE_READONLY},
};

rp_status_t rp_records_query_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
