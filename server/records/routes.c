#include "records/routes.h"

rp_status_t rp_records_routes_register(rp_router_t *r)
{
    rp_status_t st = rp_meta_routes_register(r);
    if (st == RP_OK)
        st = rp_records_crud_routes_register(r);
    if (st == RP_OK)
        st = rp_records_query_routes_register(r);
    if (st == RP_OK)
        st = rp_records_openapi_routes_register(r);
    if (st == RP_OK)
        st = rp_records_search_routes_register(r);
    if (st == RP_OK)
        st = rp_records_import_routes_register(r);
    if (st == RP_OK)
        st = rp_records_roles_routes_register(r);
    return st;
}
