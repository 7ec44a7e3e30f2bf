#ifndef RP_SCRIPT_ADMIN_H
#define RP_SCRIPT_ADMIN_H

#include <jansson.h>

#include "core/request.h"

/* The handlers of server/script beyond the admin API's own. */

/* The script of the path's first parameter (a UUID) as the admin API gives
 * it, code included, read in ctx's transaction; answers 404 and returns
 * NULL when there is none. *id points to the parameter. */
json_t *rp_script_admin_load(rp_ctx_t *ctx, const char **id);

/* POST /api/v1/scripts/{id}/dry-run: runs the script in a transaction that
 * is rolled back and answers its outcome, result, log and limits used. */
void rp_script_dry_run(rp_ctx_t *ctx);

/* POST /api/v1/scripts/{name}/run: runs an enabled endpoint script for the
 * roles it allows and answers its result. */
void rp_script_endpoint_run(rp_ctx_t *ctx);

#endif
