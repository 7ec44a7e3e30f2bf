#ifndef RP_RECORDS_HISTORY_H
#define RP_RECORDS_HISTORY_H

#include <jansson.h>

#include "core/request.h"
#include "db/db.h"

/* Field-level history of records (record_history). */

/* Appends one history row for record_id of object in the current
 * transaction: action is "create", "update", "delete" or "restore", actor_id
 * the user (NULL: none), changes the change set ({"field": {"old","new"}},
 * borrowed). */
rp_status_t rp_history_add(rp_db_t *db, const char *tenant_id, const char *object,
                           const char *record_id, const char *action, const char *actor_id,
                           const json_t *changes);

/* GET /api/v1/records/{object}/{id}/history: {"data": [...newest first],
 * "next_cursor"}, paged by limit (default 50, max 200) and cursor. */
void rp_history_get(rp_ctx_t *ctx);

#endif
