#ifndef RP_RECORDS_ROUTES_H
#define RP_RECORDS_ROUTES_H

#include "http/router.h"

/* Registers every records-engine route: metadata, records, query. */
rp_status_t rp_records_routes_register(rp_router_t *r);

/* Each part registers its own routes. */
rp_status_t rp_meta_routes_register(rp_router_t *r);
rp_status_t rp_records_crud_routes_register(rp_router_t *r);
rp_status_t rp_records_query_routes_register(rp_router_t *r);
rp_status_t rp_records_openapi_routes_register(rp_router_t *r);
rp_status_t rp_records_search_routes_register(rp_router_t *r);
rp_status_t rp_records_import_routes_register(rp_router_t *r);
rp_status_t rp_records_roles_routes_register(rp_router_t *r);

#endif
