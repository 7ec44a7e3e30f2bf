#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "records/crud.h"

/* The tenant's purge_after_days, or the default when unset or not a
 * positive whole number of days. */
static rp_status_t purge_days(rp_db_t *db, const char *tenant_id, long long *days)
{
    const char *p[] = {tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(
        db, "SELECT settings ->> 'purge_after_days' FROM tenants WHERE id = $1", 1, p, &res);
    *days = RP_RECORDS_PURGE_DAYS_DEFAULT;
    if (st == RP_OK && rp_dbres_rows(res) == 1 && !rp_dbres_null(res, 0, 0)) {
        const char *s = rp_dbres_get(res, 0, 0);
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && end != s && *end == '\0' && v > 0 && v <= 36500)
            *days = v;
    }
    rp_dbres_free(res);
    return st;
}

rp_status_t rp_records_purge(rp_db_t *db, const char *tenant_id, long long older_than_seconds,
                             long *purged)
{
    if (purged != NULL)
        *purged = 0;
    rp_status_t st;
    if (older_than_seconds < 0) {
        long long days;
        if ((st = purge_days(db, tenant_id, &days)) != RP_OK)
            return st;
        older_than_seconds = days * 86400;
    }
    char secs[32];
    snprintf(secs, sizeof secs, "%lld", older_than_seconds);
    const char *p[] = {tenant_id, secs};
    rp_dbres_t *res = NULL;
    /* History, index and unique rows go with their record (ON DELETE
     * CASCADE). */
    st = rp_db_exec(db,
                    "DELETE FROM records WHERE tenant_id = $1 AND deleted_at IS NOT NULL AND "
                    "deleted_at < now() - make_interval(secs => $2::double precision)",
                    2, p, &res);
    if (st == RP_OK && purged != NULL)
        *purged = rp_dbres_affected(res);
    rp_dbres_free(res);
    return st;
}
