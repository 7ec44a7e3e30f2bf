#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/app.h"
#include "core/log.h"
#include "core/thread.h"
#include "db/db.h"
#include "modules/modules.h"
#include "script/cron.h"
#include "script/internal.h"

/* The scheduler: one thread per instance, with its own connection. Every
 * tick it visits the active tenants, and runs each enabled scheduled script
 * whose cron expression matches the current minute, after claiming the
 * tick on the script's row: of several instances, only the one whose
 * UPDATE moves last_tick runs it. The claim commits before the script runs,
 * so a script that fails is not retried by another instance in the same
 * tick. */

#define SLICE_MS 200

static pthread_t thread;
static bool running;
static atomic_bool stopping;
static rp_db_t *db;
static const rp_app_t *app;
static int tick_seconds;

/* A request context on the scheduler's connection for tenant tid, its
 * acting user still to be filled. */
static void ctx_for(rp_ctx_t *ctx, const char *tid)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->db = db;
    ctx->app = app;
    ctx->principal.authenticated = true;
    snprintf(ctx->principal.tenant_id, sizeof ctx->principal.tenant_id, "%s", tid);
    snprintf(ctx->req.request_id, sizeof ctx->req.request_id, "scheduler");
    ctx->req.path = "/scheduler";
}

/* Fills the acting user of a scheduled script: run_as when set and active,
 * else the tenant's first admin. False when there is none. */
static bool acting_user(rp_ctx_t *ctx, const char *run_as)
{
    const char *p[] = {ctx->principal.tenant_id, run_as[0] ? run_as : NULL};
    rp_dbres_t *res = NULL;
    rp_status_t st =
        rp_db_exec(ctx->db,
                   "SELECT u.id::text, u.role, coalesce(r.base, '') FROM users u LEFT JOIN roles r "
                   "ON r.tenant_id = u.tenant_id AND r.name = u.role WHERE u.tenant_id = $1 AND "
                   "u.status = 'active' AND (u.id = $2::uuid OR ($2 IS NULL AND u.role = 'admin')) "
                   "ORDER BY u.created_at, u.id LIMIT 1",
                   2, p, &res);
    bool ok = st == RP_OK && rp_dbres_rows(res) == 1;
    if (ok) {
        snprintf(ctx->principal.user_id, sizeof ctx->principal.user_id, "%s",
                 rp_dbres_get(res, 0, 0));
        const char *role = rp_dbres_get(res, 0, 1);
        rp_role_t r = rp_role_parse(role);
        if (r == RP_ROLE_NONE) {
            r = rp_role_parse(rp_dbres_get(res, 0, 2));
            snprintf(ctx->principal.access_role, sizeof ctx->principal.access_role, "%s", role);
        }
        ctx->principal.role = r;
        ok = r != RP_ROLE_NONE;
    }
    rp_dbres_free(res);
    return ok;
}

/* Claims tick for script id in a transaction of its own. */
static bool claim(rp_ctx_t *ctx, const char *id, const char *tick)
{
    const char *p[] = {ctx->principal.tenant_id, id, tick};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_begin(ctx->db, ctx->principal.tenant_id);
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "UPDATE scripts SET last_tick = $3::bigint WHERE tenant_id = $1 AND "
                        "id = $2::uuid AND enabled AND last_tick < $3::bigint RETURNING 1",
                        3, p, &res);
    bool won = st == RP_OK && rp_dbres_rows(res) == 1;
    rp_dbres_free(res);
    if (won && rp_db_commit(ctx->db) == RP_OK)
        return true;
    rp_db_rollback(ctx->db);
    return false;
}

static void run_one(const char *tid, const char *id, const char *name, int version,
                    const char *code, const char *run_as, long long tick)
{
    rp_ctx_t ctx;
    ctx_for(&ctx, tid);
    char tickbuf[32];
    snprintf(tickbuf, sizeof tickbuf, "%lld", tick);
    if (!claim(&ctx, id, tickbuf))
        goto done;
    rp_status_t st = rp_db_begin(db, tid);
    if (st != RP_OK)
        goto done;
    if (!acting_user(&ctx, run_as)) {
        rp_db_rollback(db);
        rp_log_warn("scheduled script %s of tenant %s: no active user to act as", name, tid);
        goto done;
    }
    json_t *arg = json_pack("{s:I, s:b}", "minute", (json_int_t)tick, "dry_run", 0);
    rp_script_refusal_t ref = {0};
    st = arg ? rp_script_invoke(&ctx, id, name, version, code, "scheduled", false, arg, &ref, NULL,
                                NULL, NULL)
             : RP_ENOMEM;
    json_decref(arg);
    if (st == RP_OK)
        st = rp_db_commit(db);
    else
        rp_db_rollback(db);
    if (st == RP_EINVAL)
        rp_log_info("scheduled script %s of tenant %s: %s", name, tid, ref.detail);
    rp_script_refusal_clear(&ref);
    rp_script_runs_flush(&ctx);
done:
    if (rp_db_in_tx(db))
        rp_db_rollback(db);
    rp_pool_clear(&ctx.pool);
}

/* The claim key of a module job due now, or -1 when it is not due: for
 * "every N<unit>", the index of the current period (so it runs once per
 * period whatever the tick); for a cron line, the scheduler's tick when the
 * line matches this minute. */
static long long job_due(const rp_mjob_t *j, time_t now, long long tick, const struct tm *tm)
{
    if (strncmp(j->schedule, "every ", 6) == 0) {
        char *end;
        long long n = strtoll(j->schedule + 6, &end, 10);
        long long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : 86400;
        return n > 0 ? (long long)now / (n * unit) : -1;
    }
    rp_cron_t c;
    char err[200];
    if (rp_cron_parse(j->schedule, &c, err, sizeof err) != RP_OK || !rp_cron_matches(&c, tm))
        return -1;
    return tick;
}

/* Claims period key of a module job for the tenant of ctx, in a
 * transaction of its own: the first instance to move last_tick runs it. */
static bool claim_job(rp_ctx_t *ctx, const char *module, const char *job, long long key)
{
    char keybuf[32];
    snprintf(keybuf, sizeof keybuf, "%lld", key);
    const char *p[] = {ctx->principal.tenant_id, module, job, keybuf};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_begin(ctx->db, ctx->principal.tenant_id);
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "INSERT INTO module_job_ticks AS t (tenant_id, module, job, last_tick) "
                        "VALUES ($1, $2, $3, $4::bigint) ON CONFLICT (tenant_id, module, job) DO "
                        "UPDATE SET last_tick = EXCLUDED.last_tick, last_run_at = now() "
                        "WHERE t.last_tick < EXCLUDED.last_tick RETURNING 1",
                        4, p, &res);
    bool won = st == RP_OK && rp_dbres_rows(res) == 1;
    rp_dbres_free(res);
    if (won && rp_db_commit(ctx->db) == RP_OK)
        return true;
    rp_db_rollback(ctx->db);
    return false;
}

/* Runs the due jobs of the modules tenant tid enabled, each in its own
 * transaction acting as the tenant's first admin (records they write
 * are owned by and attributed to that admin). */
static void module_jobs(const char *tid, long long tick, const struct tm *tm)
{
    if (rp_modules_count() == 0)
        return;
    rp_dbres_t *res = NULL;
    const char *p[] = {tid};
    if (rp_db_read(db, tid, "SELECT module FROM tenant_modules WHERE tenant_id = $1", 1, p, &res) !=
        RP_OK) {
        rp_dbres_free(res);
        return;
    }
    time_t now = time(NULL);
    for (int r = 0; r < rp_dbres_rows(res) && !atomic_load(&stopping); r++) {
        const rp_module_t *m = rp_modules_find(rp_dbres_get(res, r, 0));
        for (int i = 0; m != NULL && i < m->njobs && !atomic_load(&stopping); i++) {
            long long key = job_due(&m->jobs[i], now, tick, tm);
            if (key < 0)
                continue;
            rp_ctx_t ctx;
            ctx_for(&ctx, tid);
            if (claim_job(&ctx, m->name, m->jobs[i].name, key) && rp_db_begin(db, tid) == RP_OK) {
                if (!acting_user(&ctx, "")) {
                    rp_log_warn("module %s: job %s of tenant %s: no active admin to act as",
                                m->name, m->jobs[i].name, tid);
                    rp_db_rollback(db);
                } else if (rp_modules_run_job(&ctx, m, i) == RP_OK) {
                    if (rp_db_commit(db) != RP_OK)
                        rp_log_warn("module %s: job %s of tenant %s: commit failed: %s", m->name,
                                    m->jobs[i].name, tid, rp_db_error(db));
                } else {
                    rp_db_rollback(db);
                }
            }
            if (rp_db_in_tx(db))
                rp_db_rollback(db);
            rp_pool_clear(&ctx.pool);
        }
    }
    rp_dbres_free(res);
}

static void one_tenant(const char *tid, long long tick, const struct tm *tm)
{
    char tickbuf[32];
    snprintf(tickbuf, sizeof tickbuf, "%lld", tick);
    const char *p[] = {tid, tickbuf};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_read(db, tid,
                                "SELECT id::text, name, version, code, cron, "
                                "coalesce(run_as::text, '') FROM scripts WHERE tenant_id = $1 "
                                "AND kind = 'scheduled' AND enabled AND last_tick < $2::bigint "
                                "ORDER BY name",
                                2, p, &res);
    for (int i = 0; st == RP_OK && i < rp_dbres_rows(res) && !atomic_load(&stopping); i++) {
        rp_cron_t c;
        char err[200];
        if (rp_cron_parse(rp_dbres_get(res, i, 4), &c, err, sizeof err) != RP_OK ||
            !rp_cron_matches(&c, tm))
            continue;
        run_one(tid, rp_dbres_get(res, i, 0), rp_dbres_get(res, i, 1),
                atoi(rp_dbres_get(res, i, 2)), rp_dbres_get(res, i, 3), rp_dbres_get(res, i, 5),
                tick);
    }
    rp_dbres_free(res);
    module_jobs(tid, tick, tm);
}

static void tick_once(long long tick)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    rp_dbres_t *res = NULL;
    if (rp_db_exec(db, "SELECT id::text FROM tenants WHERE status = 'active' ORDER BY id", 0, NULL,
                   &res) != RP_OK) {
        rp_log_warn("scheduler: %s", rp_db_error(db));
        return;
    }
    for (int i = 0; i < rp_dbres_rows(res) && !atomic_load(&stopping); i++)
        one_tenant(rp_dbres_get(res, i, 0), tick, &tm);
    rp_dbres_free(res);
}

static void *sched_main(void *arg)
{
    (void)arg;
    long long last = -1;
    while (!atomic_load(&stopping)) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = SLICE_MS * 1000000L};
        nanosleep(&ts, NULL);
        long long tick = (long long)time(NULL) / tick_seconds;
        if (tick == last)
            continue;
        if (rp_db_ensure(db) != RP_OK)
            continue;
        last = tick;
        tick_once(tick);
    }
    rp_script_cache_clear();
    return NULL;
}

rp_status_t rp_script_scheduler_start(const rp_app_t *a)
{
    int t = a->cfg.script_tick == 0 ? 60 : a->cfg.script_tick;
    if (running || t < 0)
        return RP_OK;
    app = a;
    tick_seconds = t;
    rp_status_t st = rp_db_open(&db, a->app_conninfo, a->app_set_role);
    if (db == NULL) {
        rp_log_warn("scheduled scripts will not run: %s", rp_status_name(st));
        return st;
    }
    atomic_store(&stopping, false);
    int rc = rp_thread_start(&thread, sched_main, NULL);
    if (rc != 0) {
        rp_log_warn("scheduled scripts will not run: no thread");
        rp_db_close(db);
        db = NULL;
        return RP_ERR;
    }
    running = true;
    return RP_OK;
}

void rp_script_scheduler_stop(void)
{
    if (!running)
        return;
    atomic_store(&stopping, true);
    pthread_join(thread, NULL);
    running = false;
    rp_db_close(db);
    db = NULL;
}
