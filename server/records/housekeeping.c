#include "records/housekeeping.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/thread.h"
#include "core/uuid.h"
#include "records/crud.h"

/* The advisory lock key of a pass: "rp-house" in ASCII, unlikely to meet any
 * other lock of the database. */
#define LOCK_KEY "8246330866396951653"

/* How long one sleep slice lasts: the bound on how late a stop is noticed. */
#define SLICE_MS 200

static pthread_t thread;
static bool running;
static atomic_bool stopping;
static rp_db_t *hk_db;
static int interval;

static rp_status_t one_tenant(rp_db_t *db, const char *tenant_id, rp_housekeeping_stats_t *stats)
{
    long purged = 0;
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_begin(db, tenant_id);
    if (st == RP_OK)
        st = rp_records_purge(db, tenant_id, -1, &purged);
    if (st == RP_OK) {
        const char *p[] = {tenant_id};
        st = rp_db_exec(db,
                        "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND "
                        "created_at <= now() - make_interval(hours => 24)",
                        1, p, &res);
    }
    if (st == RP_OK)
        st = rp_db_commit(db);
    if (st != RP_OK) {
        rp_db_rollback(db);
        rp_dbres_free(res);
        return st;
    }
    stats->records_purged += purged;
    stats->keys_expired += rp_dbres_affected(res);
    rp_dbres_free(res);
    return RP_OK;
}

rp_status_t rp_housekeeping_run(rp_db_t *db, rp_housekeeping_stats_t *stats, bool *ran)
{
    memset(stats, 0, sizeof *stats);
    *ran = false;
    rp_dbres_t *res = NULL;
    const char *key[] = {LOCK_KEY};
    rp_status_t st = rp_db_exec(db, "SELECT pg_try_advisory_lock($1::bigint)", 1, key, &res);
    if (st != RP_OK)
        return st;
    bool locked = strcmp(rp_dbres_get(res, 0, 0), "t") == 0;
    rp_dbres_free(res);
    res = NULL;
    if (!locked)
        return RP_OK;
    *ran = true;
    st = rp_db_exec(db, "SELECT id::text FROM tenants WHERE status = 'active' ORDER BY id", 0, NULL,
                    &res);
    for (int i = 0; st == RP_OK && i < rp_dbres_rows(res) && !atomic_load(&stopping); i++) {
        const char *tid = rp_dbres_get(res, i, 0);
        stats->tenants++;
        rp_status_t tst = one_tenant(db, tid, stats);
        if (tst == RP_EDB_UNAVAILABLE) {
            st = tst;
        } else if (tst != RP_OK) {
            /* A tenant suspended meanwhile, or a statement that failed:
             * the next pass tries again. */
            stats->failed++;
            rp_log_warn("housekeeping: tenant %s: %s", tid, rp_db_error(db));
        }
    }
    rp_dbres_free(res);
    if (st != RP_EDB_UNAVAILABLE)
        rp_db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, key, NULL);
    return st;
}

static void sleep_slice(void)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = SLICE_MS * 1000000L};
    nanosleep(&ts, NULL);
}

static void *hk_main(void *arg)
{
    (void)arg;
    long long waited_ms = 0;
    while (!atomic_load(&stopping)) {
        sleep_slice();
        waited_ms += SLICE_MS;
        if (waited_ms < (long long)interval * 1000)
            continue;
        waited_ms = 0;
        /* rp_db_ensure paces reconnection attempts after a lost database. */
        if (rp_db_ensure(hk_db) != RP_OK)
            continue;
        rp_housekeeping_stats_t s;
        bool ran;
        rp_status_t st = rp_housekeeping_run(hk_db, &s, &ran);
        if (st != RP_OK)
            rp_log_warn("housekeeping: pass stopped: %s", rp_db_error(hk_db));
        else if (ran && (s.records_purged > 0 || s.keys_expired > 0 || s.failed > 0))
            rp_log_info("housekeeping: %d tenants, %ld records purged, %ld idempotency keys "
                        "expired, %d failed",
                        s.tenants, s.records_purged, s.keys_expired, s.failed);
    }
    return NULL;
}

rp_status_t rp_housekeeping_start(const char *conninfo, const char *set_role, int interval_seconds)
{
    if (running || interval_seconds <= 0)
        return RP_OK;
    interval = interval_seconds;
    /* A database that is down now is retried by the thread. */
    rp_status_t st = rp_db_open(&hk_db, conninfo, set_role);
    if (hk_db == NULL)
        return st;
    atomic_store(&stopping, false);
    int rc = rp_thread_start(&thread, hk_main, NULL);
    if (rc != 0) {
        rp_db_close(hk_db);
        hk_db = NULL;
        return RP_ERR;
    }
    running = true;
    return RP_OK;
}

void rp_housekeeping_stop(void)
{
    if (!running)
        return;
    atomic_store(&stopping, true);
    pthread_join(thread, NULL);
    running = false;
    rp_db_close(hk_db);
    hk_db = NULL;
}
