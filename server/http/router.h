#ifndef RP_HTTP_ROUTER_H
#define RP_HTTP_ROUTER_H

#include "core/request.h"

/* A handler runs on a worker (or on the HTTP thread for RP_ROUTE_INLINE) and
 * must leave a response in ctx->res. */
typedef void (*rp_handler_fn)(rp_ctx_t *ctx);

enum {
    RP_ROUTE_PUBLIC = 1, /* no credentials needed */
    RP_ROUTE_INLINE = 2, /* runs on the HTTP thread: must not block (no DB) */
    RP_ROUTE_NO_TX = 4,  /* the handler opens its own transaction(s) */
    /* Bodies up to RAPPORT_MAX_IMPORT_KIB instead of RAPPORT_MAX_BODY_KIB
     * (file imports); every other route refuses larger ones with 413. */
    RP_ROUTE_LARGE_BODY = 8,
    /* The handler only reads: each statement is its own guarded implicit
     * transaction (rp_db_begin_read), which saves the COMMIT round trip. */
    RP_ROUTE_READ = 16,
    /* A short read that runs no script, no password hashing and no stream:
     * with RAPPORT_LOOP_READS on, it runs on the HTTP thread with that
     * thread's own connection instead of crossing to a worker and back
     * (two thread wake-ups less per request). */
    RP_ROUTE_LOOP = 32,
};

typedef struct rp_route {
    unsigned methods;    /* rp_method_t bits */
    const char *pattern; /* "/api/v1/users/{id}": {x} matches one segment */
    rp_handler_fn handler;
    unsigned flags;
    rp_role_t min_role; /* callers below it get 403 before the handler runs */
} rp_route_t;

typedef struct rp_router rp_router_t;

/* Creates an empty router. */
rp_router_t *rp_router_new(void);

/* Frees the router (not the routes, which are static). */
void rp_router_free(rp_router_t *r);

/* Adds routes; they must outlive the router. Returns RP_ELIMIT when full. */
rp_status_t rp_router_add(rp_router_t *r, const rp_route_t *routes, int n);

/* Finds the route for method and path. On RP_OK *route is set and params
 * point into the pool. RP_ENOTFOUND: no pattern matches (404).
 * RP_EINVAL: a pattern matches but not the method (405); *allowed then has
 * the methods that would be accepted. */
rp_status_t rp_router_match(const rp_router_t *r, rp_method_t method, const char *path,
                            rp_pool_t *pool, const rp_route_t **route,
                            const char *params[RP_MAX_PARAMS], int *nparams, unsigned *allowed);

/* Registers every core route (auth, users, API keys, health, metrics). */
rp_status_t rp_routes_register_core(rp_router_t *r);

#endif
