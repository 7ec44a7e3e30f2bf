#include "records/routes.h"

/* The routes of this part, filled in as its handlers land. */
static const rp_route_t routes[] = {
    {0, NULL, NULL, 0, RP_ROLE_NONE},
};

rp_status_t rp_meta_routes_register(rp_router_t *r)
{
    return rp_router_add(r, routes, 0);
}
