#ifndef RP_RECORDS_QUERY_HANDLERS_H
#define RP_RECORDS_QUERY_HANDLERS_H

#include "core/request.h"
#include "db/db.h"
#include "records/query.h"

/* The list, query and related-list endpoints (list*.c), registered by
 * query_routes.c. */

/* GET /api/v1/records/{object}: filter[FIELD][OP]=VALUE, sort, fields, limit,
 * cursor in the query string. */
void rp_list_records(rp_ctx_t *ctx);

/* POST /api/v1/query/{object}: the same with a JSON filter tree in the body. */
void rp_list_query(rp_ctx_t *ctx);

/* GET /api/v1/records/{object}/{id}/related/{child.field}: the records of
 * child whose reference field points at the parent, with list parameters. */
void rp_list_related(rp_ctx_t *ctx);

/* Reads the list parameters of the query string into spec (filter, sort,
 * fields, limit, cursor). The JSON values it creates are handed to the pool
 * and live as long as the request. On a malformed parameter it answers 400
 * and returns false. */
bool rp_list_params(rp_ctx_t *ctx, rp_query_spec_t *spec);

/* Compiles spec (with RP_RECORD_COLS unless it names columns), runs it and
 * answers {"data":[...],"next_cursor":...}, or the problem that fits. */
void rp_list_run(rp_ctx_t *ctx, const rp_query_spec_t *spec);

/* A record as the API gives it, from row of a result selected with
 * RP_RECORD_COLS (record.h), with only the fields of q's selection. New
 * reference; NULL on allocation failure. */
json_t *rp_list_record_json(const rp_query_t *q, const rp_object_t *o, const rp_dbres_t *res,
                            int row);

#endif
