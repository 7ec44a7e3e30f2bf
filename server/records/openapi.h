#ifndef RP_RECORDS_OPENAPI_H
#define RP_RECORDS_OPENAPI_H

#include <jansson.h>
#include <stddef.h>

#include "core/status.h"
#include "records/field.h"
#include "records/meta.h"

/* The OpenAPI 3.1.0 document of a tenant's API: the auth endpoints plus,
 * for each object, its record schemas and its records, query, history,
 * restore and bulk paths. objects is the snapshot's list (rp_meta_objects);
 * version goes into info.version. New reference; NULL on allocation
 * failure. Pure: no database, no request. */
json_t *rp_openapi_build(const rp_object_t *const *objects, int nobjects, const char *version);

/* The JSON Schema of one field's values, as a record holds them. New
 * reference; NULL on allocation failure. */
json_t *rp_openapi_field_schema(const rp_field_t *f);

/* Writes the PascalCase identifier of an API name into out ("account" →
 * "Account", "project_task__c" → "ProjectTask_C"): a single underscore
 * before a letter capitalises it, longer runs keep one underscore less, and
 * underscores before digits stay, so distinct names give distinct
 * identifiers. RP_ELIMIT when out is too small, RP_EINVAL on a name that is
 * not an API name. */
rp_status_t rp_openapi_identifier(const char *name, char *out, size_t outlen);

/* GET /api/v1/openapi.json: the document for the caller's tenant, built from
 * its current metadata snapshot. */
void rp_openapi_get(rp_ctx_t *ctx);

#endif
