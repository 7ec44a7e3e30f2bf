#include "records/meta_api.h"
#include "records/routes.h"

/* Metadata changes and reads are for tenant admins; the handlers run in the
 * request's transaction, so a change and its version bump commit together. */
static const rp_route_t routes[] = {
    {RP_GET, "/api/v1/objects", rp_meta_api_list, RP_ROUTE_READ, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/objects", rp_meta_api_object_create, 0, RP_ROLE_ADMIN},
    {RP_GET, "/api/v1/objects/{object}", rp_meta_api_describe, RP_ROUTE_READ, RP_ROLE_ADMIN},
    {RP_PATCH, "/api/v1/objects/{object}", rp_meta_api_object_patch, 0, RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/objects/{object}", rp_meta_api_object_delete, 0, RP_ROLE_ADMIN},
    {RP_POST, "/api/v1/objects/{object}/fields", rp_meta_api_field_create, 0, RP_ROLE_ADMIN},
    {RP_PATCH, "/api/v1/objects/{object}/fields/{field}", rp_meta_api_field_patch, 0,
     RP_ROLE_ADMIN},
    {RP_DELETE, "/api/v1/objects/{object}/fields/{field}", rp_meta_api_field_delete, 0,
     RP_ROLE_ADMIN},
};

rp_status_t rp_meta_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, (int)(sizeof routes / sizeof routes[0]));
}
