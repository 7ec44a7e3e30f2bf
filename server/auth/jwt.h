#ifndef RP_AUTH_JWT_H
#define RP_AUTH_JWT_H

#include <stddef.h>

#include "core/config.h"
#include "core/request.h"
#include "core/status.h"

/* The longest access token accepted; checked before any decoding. */
#define RP_JWT_MAX_LEN 4096

/* Seconds of clock skew tolerated on nbf and iat (tokens minted by another
 * instance whose clock runs slightly ahead). exp gets none. */
#define RP_JWT_LEEWAY 5

/* Issues an HS256 access token for user_id in tenant_id with role, valid
 * from now for cfg->access_ttl seconds (claims sub, tid, role, iat, nbf,
 * exp, iss, aud, jti). *out is malloc'd; the caller frees it. */
rp_status_t rp_jwt_issue(const rp_config_t *cfg, long now, const char *tenant_id,
                         const char *user_id, rp_role_t role, char **out);

/* rp_jwt_issue for a user whose record permissions come from a custom
 * role: access_role ("" or NULL for none) travels as the "arole" claim, and
 * role stays the rank route gates use (the custom role's base). */
rp_status_t rp_jwt_issue_as(const rp_config_t *cfg, long now, const char *tenant_id,
                            const char *user_id, rp_role_t role, const char *access_role,
                            char **out);

/* Verifies token as of now (unix seconds): see rp_auth_verify_access_token.
 * Separate from it so tests can move the clock. */
rp_status_t rp_jwt_verify(const rp_config_t *cfg, const char *token, long now, rp_principal_t *out,
                          char *why, size_t whylen);

#endif
