#ifndef RP_RECORDS_CRUD_H
#define RP_RECORDS_CRUD_H

#include "db/db.h"

/* What the records write API offers beyond its routes. */

/* Purge after this many days when the tenant's settings say nothing
 * (tenants.settings->>'purge_after_days'). */
#define RP_RECORDS_PURGE_DAYS_DEFAULT 30

/* Deletes for good the records of tenant_id that were soft-deleted more than
 * older_than_seconds ago (< 0: the tenant's purge_after_days setting, or
 * RP_RECORDS_PURGE_DAYS_DEFAULT), with their history, index and unique rows.
 * Runs in db's current transaction, which the caller opened for tenant_id
 * (rp_db_begin) and commits. *purged, when not NULL, receives the number of
 * records removed. */
rp_status_t rp_records_purge(rp_db_t *db, const char *tenant_id, long long older_than_seconds,
                             long *purged);

#endif
