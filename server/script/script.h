#ifndef RP_SCRIPT_SCRIPT_H
#define RP_SCRIPT_SCRIPT_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "http/router.h"
#include "records/meta.h"

/* Tenant Lua scripts: the sandbox, the crm API, triggers, scheduled scripts
 * and custom endpoints. Only server/script sees lua_State; the rest of the
 * server uses these calls. See server/script/README.md. */

/* The six trigger events, as bits so a script can listen to several. */
typedef enum rp_script_event {
    RP_SCRIPT_BEFORE_CREATE = 1,
    RP_SCRIPT_AFTER_CREATE = 2,
    RP_SCRIPT_BEFORE_UPDATE = 4,
    RP_SCRIPT_AFTER_UPDATE = 8,
    RP_SCRIPT_BEFORE_DELETE = 16,
    RP_SCRIPT_AFTER_DELETE = 32,
} rp_script_event_t;

/* Deepest chain of triggers firing triggers (a trigger's crm.update firing
 * the triggers of the record it updates, and so on). */
#define RP_SCRIPT_MAX_DEPTH 16

/* Why scripts refused a write or failed. status 0: nothing refused. */
typedef struct rp_script_refusal {
    int status;       /* 422 */
    char code[32];    /* "validation_failed", "script_error", "script_limit" */
    char detail[512]; /* for people: which script, what happened */
    char limit[32];   /* for script_limit: "instructions", "time", "memory", "queries",
                         "records_read", "records_written", "trigger_depth"; else "" */
    json_t *errors;   /* validation_failed: {field: message}; owned, may be NULL */
} rp_script_refusal_t;

/* Releases what r holds and zeroes it. */
void rp_script_refusal_clear(rp_script_refusal_t *r);

/* Answers r as a problem+json (with "limit" and "script" members for a
 * limit). Hands r->errors over. */
void rp_script_refusal_answer(rp_ctx_t *ctx, rp_script_refusal_t *r);

/* The name of one event ("before_create", ...); NULL for a value that is not
 * exactly one event. */
const char *rp_script_event_name(rp_script_event_t ev);

/* Parses an event name; 0 when unknown. */
rp_script_event_t rp_script_event_parse(const char *name);

/* Runs the tenant's enabled triggers of object for ev, in name order, in
 * ctx's transaction and with the caller's rights; the records write path
 * calls it around each write.
 *   record_id  the record's id (NULL for before_create).
 *   new_fields before_create: the fields given, which scripts may change (the
 *              changes are what gets written); before_update: the patch, which
 *              scripts may change likewise (they see it merged over the old
 *              record); after_create/after_update: the saved record as the API
 *              gives it; NULL for deletes.
 *   old_record the record before the write as the API gives it (update and
 *              delete), else NULL.
 * Returns RP_OK; RP_EINVAL when a script refused the write (crm.error), hit
 * a limit or failed: out says how, and the request's transaction must roll
 * back; or the status of a lower-layer failure. A request without triggers
 * for object costs no query beyond the cached metadata version. */
rp_status_t rp_script_triggers_run(rp_ctx_t *ctx, const char *object, rp_script_event_t ev,
                                   const char *record_id, json_t *new_fields,
                                   const json_t *old_record, rp_script_refusal_t *out);

/* Lets the scripts of ctx's request use the metadata snapshot m that the
 * caller already holds for the request (the records write path has one),
 * instead of acquiring it again: saves a query per write. Optional. */
void rp_script_share_meta(rp_ctx_t *ctx, const rp_meta_t *m);

/* Writes the run log (script_runs), the consecutive failure counts and any
 * automatic disabling for the runs ctx made, in a transaction of its own on
 * ctx->db: call it after the request's transaction has ended, so that the
 * runs of a rolled-back request are logged too. Without a call, the runs of
 * the request are forgotten when its pool is cleared. */
rp_status_t rp_script_runs_flush(rp_ctx_t *ctx);

/* Starts the thread that writes the logs of runs that went well, on its
 * own connection, a few times a second. Without it every run is written by
 * its request. */
rp_status_t rp_script_runlog_start(const char *conninfo, const char *set_role);

/* Writes what is queued and stops the thread. */
void rp_script_runlog_stop(void);

/* Frees the calling thread's cached Lua states (threads that end free
 * theirs by themselves). */
void rp_script_cache_clear(void);

/* Registers the admin API, dry-run and custom endpoint routes. */
rp_status_t rp_script_routes_register(rp_router_t *r);

/* Starts the scheduler thread: every tick (RAPPORT_SCRIPT_TICK_SECONDS,
 * default 60; 0 starts nothing) it runs, on its own connection, the
 * scheduled scripts whose cron expression matches the current minute, each
 * at most once per minute across every instance. app must outlive it. */
rp_status_t rp_script_scheduler_start(const struct rp_app *app);

/* Stops the scheduler (a script under way finishes first). */
void rp_script_scheduler_stop(void);

#endif
