#include "records/crud_internal.h"
#include "records/history.h"
#include "records/routes.h"

/* Reads are open to every role; writes need user or above (permissions per
 * object and field narrow this later). */
static const rp_route_t routes[] = {
    {RP_POST, "/api/v1/records/{object}", rp_crud_post, 0, RP_ROLE_USER},
    {RP_POST, "/api/v1/records/{object}/bulk", rp_crud_bulk, 0, RP_ROLE_USER},
    {RP_GET, "/api/v1/records/{object}/{id}", rp_crud_get, RP_ROUTE_READ | RP_ROUTE_LOOP,
     RP_ROLE_READONLY},
    {RP_PATCH, "/api/v1/records/{object}/{id}", rp_crud_patch, 0, RP_ROLE_USER},
    {RP_DELETE, "/api/v1/records/{object}/{id}", rp_crud_delete_handler, 0, RP_ROLE_USER},
    {RP_POST, "/api/v1/records/{object}/{id}/restore", rp_crud_restore_handler, 0, RP_ROLE_USER},
    {RP_GET, "/api/v1/records/{object}/{id}/history", rp_history_get, RP_ROUTE_READ,
     RP_ROLE_READONLY},
};

rp_status_t rp_records_crud_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
