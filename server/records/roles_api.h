#ifndef RP_RECORDS_ROLES_API_H
#define RP_RECORDS_ROLES_API_H

#include <jansson.h>

#include "core/request.h"

/* The roles API (/api/v1/roles): the four built-in roles, the tenant's
 * overrides of three of them and its custom roles. Handlers run on a worker
 * inside the request's transaction; writes are for admins. */

/* GET /api/v1/roles */
void rp_roles_api_list(rp_ctx_t *ctx);
/* GET /api/v1/roles/{name} */
void rp_roles_api_get(rp_ctx_t *ctx);
/* POST /api/v1/roles */
void rp_roles_api_create(rp_ctx_t *ctx);
/* PATCH /api/v1/roles/{name} */
void rp_roles_api_patch(rp_ctx_t *ctx);
/* DELETE /api/v1/roles/{name} */
void rp_roles_api_delete(rp_ctx_t *ctx);

/* GET /api/v1/permissions: the caller's own rights on every object
 * {"role","access_role","objects":{object: rights}}, rights as in
 * rp_role_doc_access_json. */
void rp_roles_api_mine(rp_ctx_t *ctx);

/* Reads the stored row of role name as {"name","label","base","objects"}
 * (objects from the stored definition), locking it for the rest of the
 * transaction when lock is set. NULL with *st set: RP_ENOTFOUND when there
 * is no row. */
json_t *rp_roles_api_load(rp_ctx_t *ctx, const char *name, bool lock, rp_status_t *st);

/* A role as the API shows it: {"name","label","base","builtin","objects"},
 * plus "overridden" for a built-in one. row is the stored row
 * (rp_roles_api_load's form), or NULL for a built-in role's defaults. NULL
 * on allocation failure. */
json_t *rp_roles_api_json(const char *name, const json_t *row);

/* Answers 404 not_found for role name. */
void rp_roles_api_not_found(rp_ctx_t *ctx, const char *name);

#endif
