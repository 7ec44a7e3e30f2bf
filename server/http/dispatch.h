#ifndef RP_HTTP_DISPATCH_H
#define RP_HTTP_DISPATCH_H

#include <stdbool.h>

#include "core/request.h"
#include "db/db.h"

/* On the HTTP thread, after routing: checks the Authorization header of a
 * route that needs credentials. A JWT is verified here (pure CPU); an API
 * key is left for the worker (it needs the database). Returns false after
 * writing a 401 into ctx->res when the request must be refused. */
bool rp_dispatch_authenticate(rp_ctx_t *ctx);

/* On the HTTP thread, after routing: whether a body of len bytes may go to
 * the route (RAPPORT_MAX_BODY_KIB, or RAPPORT_MAX_IMPORT_KIB for routes with
 * RP_ROUTE_LARGE_BODY). Returns false after writing a 413 into ctx->res. */
bool rp_dispatch_body_allowed(rp_ctx_t *ctx, size_t len);

/* On a worker: finishes authentication (API keys), enforces the route's
 * minimum role, runs the handler inside the request's transaction (unless
 * the route manages its own), and commits only when the handler answered
 * below 400. Any failure leaves a problem response and nothing written. */
void rp_dispatch_run(rp_ctx_t *ctx, rp_db_t *db);

#endif
