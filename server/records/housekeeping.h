#ifndef RP_RECORDS_HOUSEKEEPING_H
#define RP_RECORDS_HOUSEKEEPING_H

#include "db/db.h"

/* The records engine's periodic upkeep, until the job runner takes it over:
 * for every active tenant, the purge of records soft-deleted longer ago than
 * the tenant's purge_after_days (rp_records_purge), and the removal of
 * Idempotency-Key replays older than their 24 hours. Each tenant is done in
 * its own short transaction, so one tenant's failure never holds up the
 * others. */

/* What one pass did. */
typedef struct rp_housekeeping_stats {
    int tenants;         /* tenants visited */
    int failed;          /* of which ended in an error (logged) */
    long records_purged; /* records deleted for good */
    long keys_expired;   /* idempotency keys removed */
} rp_housekeeping_stats_t;

/* Runs one pass with db (the serving role's connection, no transaction
 * open). Several instances may run it at once: a session advisory lock lets
 * one pass through at a time and the others skip (*ran = false). Returns
 * RP_EDB_UNAVAILABLE when the database is lost (the pass stops there). */
rp_status_t rp_housekeeping_run(rp_db_t *db, rp_housekeeping_stats_t *stats, bool *ran);

/* Starts a thread that runs a pass every interval_seconds (the first one
 * interval_seconds after start) on its own connection. interval_seconds <=
 * 0 starts nothing. */
rp_status_t rp_housekeeping_start(const char *conninfo, const char *set_role, int interval_seconds);

/* Stops the thread (a pass under way finishes its current tenant first). */
void rp_housekeeping_stop(void);

#endif
