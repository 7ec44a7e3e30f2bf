#ifndef RP_AUTH_AUTH_H
#define RP_AUTH_AUTH_H

#include "core/app.h"
#include "core/request.h"
#include "http/router.h"

/* Verifies an access token (a JWT) on the HTTP thread: pinned HS256 with the
 * configured key, then exp, nbf, iat, iss, aud, and the sub/tid/role/jti
 * claims. Fills out on RP_OK; RP_EAUTH otherwise, with a short reason
 * ("expired", "bad_signature", ...) in why. Pure CPU: no database. Whether
 * the tenant is still active is checked later, in the request's transaction. */
rp_status_t rp_auth_verify_access_token(const rp_app_t *app, const char *token, rp_principal_t *out,
                                        char *why, size_t whylen);

/* Authenticates an API key (rpk_<id>_<secret>) on a worker: finds its
 * tenant, compares the keyed hash in constant time, and fills
 * ctx->principal. RP_EAUTH for an unknown or wrong key, RP_ETENANT for a
 * suspended tenant, RP_EDB_UNAVAILABLE when the database is away. */
rp_status_t rp_auth_api_key(rp_ctx_t *ctx, const char *key);

/* Registers the auth, user and API-key routes. */
rp_status_t rp_auth_routes_register(rp_router_t *r);

/* Prepares process-wide auth state in app: the login rate limiter and the
 * dummy password hash used to equalise timing for unknown users. */
rp_status_t rp_auth_init(rp_app_t *app);

/* Frees what rp_auth_init allocated. */
void rp_auth_shutdown(rp_app_t *app);

#endif
