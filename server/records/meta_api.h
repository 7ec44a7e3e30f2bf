#ifndef RP_RECORDS_META_API_H
#define RP_RECORDS_META_API_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "records/meta_internal.h"

/* The metadata API (/api/v1/objects...): handlers and what they share. They
 * run on a worker inside the request's transaction, for admins only. */

/* GET /api/v1/objects */
void rp_meta_api_list(rp_ctx_t *ctx);
/* GET /api/v1/objects/{object} */
void rp_meta_api_describe(rp_ctx_t *ctx);
/* POST /api/v1/objects */
void rp_meta_api_object_create(rp_ctx_t *ctx);
/* PATCH /api/v1/objects/{object} */
void rp_meta_api_object_patch(rp_ctx_t *ctx);
/* DELETE /api/v1/objects/{object} */
void rp_meta_api_object_delete(rp_ctx_t *ctx);
/* POST /api/v1/objects/{object}/fields */
void rp_meta_api_field_create(rp_ctx_t *ctx);
/* PATCH /api/v1/objects/{object}/fields/{field} */
void rp_meta_api_field_patch(rp_ctx_t *ctx);
/* DELETE /api/v1/objects/{object}/fields/{field} */
void rp_meta_api_field_delete(rp_ctx_t *ctx);

/* The caller's tenant snapshot; on failure answers and returns NULL. */
const rp_meta_t *rp_meta_api_snapshot(rp_ctx_t *ctx);

/* The object named by the first path parameter; answers 404
 * unknown_object and returns NULL when there is none. */
const rp_object_t *rp_meta_api_object(rp_ctx_t *ctx, const rp_meta_t *m);

/* Answers 409 not_custom and returns false unless the object or field is
 * the tenant's own (module metadata changes only with its module). */
bool rp_meta_api_require_custom(rp_ctx_t *ctx, bool custom, const char *what, const char *name);

/* True when the query says ?confirm=true. */
bool rp_meta_api_confirmed(rp_ctx_t *ctx);

/* A field as the API gives it: rp_field_describe plus "custom". NULL on
 * allocation failure. */
json_t *rp_meta_api_field_json(const rp_field_t *f);

/* An object with its fields, the objects that reference it and the
 * caller's permissions on its records. m may be NULL (a new object nothing
 * references yet). NULL on allocation failure. */
json_t *rp_meta_api_object_json(rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o);

/* Adds a message for key unless one is there. */
void rp_meta_api_error(json_t *errors, const char *key, const char *msg);

/* Copies each {member: message} of sub into errors as "prefix.member". */
void rp_meta_api_nest_errors(json_t *errors, const char *prefix, json_t *sub);

/* Checks a parsed custom field about to be added to object: a custom name,
 * and for references a target that exists in m (or is new_object, the
 * object being created alongside). Problems go to errors under prefix
 * (NULL: the member names themselves). */
void rp_meta_api_check_field(const rp_meta_t *m, const char *new_object, const rp_field_t *f,
                             const char *prefix, json_t *errors);

/* Reads the stored definition of a custom object (field NULL) or field,
 * locking its row for the rest of the transaction. NULL with *st set
 * (RP_ENOTFOUND when there is no row). */
json_t *rp_meta_api_stored(rp_ctx_t *ctx, const char *object, const char *field, rp_status_t *st);

/* Records the change (version bump and notification, in the transaction)
 * and drops the cached snapshot; on failure answers and returns false. */
bool rp_meta_api_changed(rp_ctx_t *ctx);

#endif
