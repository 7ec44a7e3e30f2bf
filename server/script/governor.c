#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/log.h"
#include "core/uuid.h"
#include "db/db.h"
#include "script/internal.h"

/* Consecutive failures that disable a script. */
#define FAILURES_MAX 20

void rp_script_limits_get(const rp_ctx_t *ctx, rp_script_limits_t *out)
{
    const rp_config_t *cfg = ctx && ctx->app ? &ctx->app->cfg : NULL;
    out->instructions =
        cfg && cfg->script_instructions > 0 ? cfg->script_instructions : RP_SCRIPT_DEF_INSTRUCTIONS;
    out->timeout_ms =
        cfg && cfg->script_timeout_ms > 0 ? cfg->script_timeout_ms : RP_SCRIPT_DEF_TIMEOUT_MS;
    out->memory = (size_t)(cfg && cfg->script_memory_kib > 0 ? cfg->script_memory_kib
                                                             : RP_SCRIPT_DEF_MEMORY_KIB)
                  << 10;
    out->queries = cfg && cfg->script_queries > 0 ? cfg->script_queries : RP_SCRIPT_DEF_QUERIES;
    out->reads = cfg && cfg->script_reads > 0 ? cfg->script_reads : RP_SCRIPT_DEF_READS;
    out->writes = cfg && cfg->script_writes > 0 ? cfg->script_writes : RP_SCRIPT_DEF_WRITES;
    out->cache = cfg && cfg->script_cache > 0 ? cfg->script_cache : RP_SCRIPT_DEF_CACHE;
}

/* The governor lives in the request's pool and is found through its
 * context; the pool outlives every use of it. */
rp_script_gov_t *rp_script_gov(rp_ctx_t *ctx)
{
    if (ctx->script != NULL)
        return ctx->script;
    rp_script_gov_t *g = rp_pool_alloc(&ctx->pool, sizeof *g);
    if (g == NULL)
        return NULL;
    memset(g, 0, sizeof *g);
    g->runs_tail = &g->runs;
    ctx->script = g;
    return g;
}

rp_status_t rp_script_meta(rp_ctx_t *ctx, const rp_meta_t **out)
{
    rp_script_gov_t *g = rp_script_gov(ctx);
    if (g == NULL)
        return RP_ENOMEM;
    if (g->meta == NULL) {
        rp_status_t st = rp_meta_acquire(ctx, &g->meta);
        if (st != RP_OK)
            return st;
    }
    *out = g->meta;
    return RP_OK;
}

void rp_script_share_meta(rp_ctx_t *ctx, const rp_meta_t *m)
{
    /* Only a request that runs scripts has a governor; others pay nothing. */
    rp_script_gov_t *g = ctx->script;
    if (g != NULL && g->meta == NULL)
        g->meta = m;
}

bool rp_script_gov_take(rp_ctx_t *ctx, int queries, int reads, int writes, const char **limit)
{
    rp_script_gov_t *g = rp_script_gov(ctx);
    rp_script_limits_t lim;
    rp_script_limits_get(ctx, &lim);
    *limit = NULL;
    if (g == NULL) {
        *limit = "memory";
        return false;
    }
    g->queries += queries;
    g->reads += reads;
    g->writes += writes;
    if (g->queries > lim.queries)
        *limit = "queries";
    else if (g->reads > lim.reads)
        *limit = "records_read";
    else if (g->writes > lim.writes)
        *limit = "records_written";
    return *limit == NULL;
}

void rp_script_gov_log(rp_ctx_t *ctx, const char *script_id, const char *via, bool dry_run,
                       rp_status_t st, const rp_sbox_run_t *run, bool rejected)
{
    rp_script_gov_t *g = rp_script_gov(ctx);
    /* A bulk write firing a trigger per record logs at most this many runs
     * per request. */
    if (g == NULL || g->nruns >= 1000)
        return;
    rp_script_runlog_t *r = rp_pool_alloc(&ctx->pool, sizeof *r);
    if (r == NULL)
        return;
    memset(r, 0, sizeof *r);
    snprintf(r->script_id, sizeof r->script_id, "%s", script_id);
    snprintf(r->via, sizeof r->via, "%s", via);
    r->dry_run = dry_run;
    r->outcome = st == RP_OK ? (rejected ? "rejected" : "ok") : st == RP_ELIMIT ? "limit" : "error";
    if (st == RP_EINVAL && run->nested != NULL)
        r->outcome = "rejected";
    if (st != RP_OK)
        snprintf(r->error, sizeof r->error, "%s", run->error);
    r->duration_ms = run->duration_ms;
    r->instructions = run->instructions;
    r->memory = (long long)run->memory;
    *g->runs_tail = r;
    g->runs_tail = &r->next;
    g->nruns++;
}

static rp_status_t log_one(rp_ctx_t *ctx, const rp_script_runlog_t *r, bool *disabled)
{
    char id[RP_UUID_LEN + 1], dur[32], ins[32], mem[32];
    rp_uuid_v7(id);
    snprintf(dur, sizeof dur, "%.3f", r->duration_ms);
    snprintf(ins, sizeof ins, "%lld", r->instructions);
    snprintf(mem, sizeof mem, "%lld", r->memory);
    const char *tid = ctx->principal.tenant_id;
    const char *p[] = {
        tid, id,     r->script_id,           dur,        ins,
        mem, r->via, r->dry_run ? "t" : "f", r->outcome, r->error[0] ? r->error : NULL};
    rp_status_t st = rp_db_exec(ctx->db,
                                "INSERT INTO script_runs (tenant_id, id, script_id, duration_ms, "
                                "instructions, memory, via, dry_run, outcome, error) "
                                "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS "
                                "(SELECT 1 FROM scripts WHERE tenant_id = $1 AND id = $3)",
                                10, p, NULL);
    if (st != RP_OK || r->dry_run)
        return st;
    bool failed = strcmp(r->outcome, "error") == 0 || strcmp(r->outcome, "limit") == 0;
    char max[16];
    snprintf(max, sizeof max, "%d", FAILURES_MAX);
    rp_dbres_t *res = NULL;
    if (!failed) {
        const char *q[] = {tid, r->script_id};
        return rp_db_exec(ctx->db,
                          "UPDATE scripts SET failures = 0 WHERE tenant_id = $1 AND id = $2 "
                          "AND failures <> 0",
                          2, q, NULL);
    }
    const char *q[] = {tid, r->script_id, max, r->error};
    st = rp_db_exec(ctx->db,
                    "UPDATE scripts SET failures = failures + 1, "
                    "enabled = CASE WHEN failures + 1 >= $3::int THEN false ELSE enabled END, "
                    "disabled_reason = CASE WHEN failures + 1 >= $3::int AND enabled THEN "
                    "'disabled after ' || $3 || ' consecutive failed runs; the last one: ' || "
                    "left($4, 400) ELSE disabled_reason END "
                    "WHERE tenant_id = $1 AND id = $2 RETURNING failures, enabled",
                    4, q, &res);
    bool now_off = st == RP_OK && rp_dbres_rows(res) == 1 &&
                   atoi(rp_dbres_get(res, 0, 0)) == FAILURES_MAX &&
                   strcmp(rp_dbres_get(res, 0, 1), "f") == 0;
    rp_dbres_free(res);
    if (now_off) {
        /* The run log says so too, on the run that did it. */
        *disabled = true;
        rp_log_warn("script %s of tenant %s disabled after %d consecutive failures", r->script_id,
                    tid, FAILURES_MAX);
        const char *u[] = {tid, r->script_id, id};
        st = rp_db_exec(ctx->db,
                        "UPDATE script_runs SET error = left(coalesce(error, '') || ' (the script "
                        "is now disabled after ' || (SELECT failures FROM scripts WHERE "
                        "tenant_id = $1 AND id = $2) || ' consecutive failures)', 2000) "
                        "WHERE tenant_id = $1 AND script_id = $2 AND id = $3",
                        3, u, NULL);
    }
    return st;
}

rp_status_t rp_script_runs_flush(rp_ctx_t *ctx)
{
    rp_script_gov_t *g = ctx->script;
    if (g == NULL || g->runs == NULL)
        return RP_OK;
    rp_script_runlog_t *runs = g->runs;
    g->runs = NULL;
    g->runs_tail = &g->runs;
    g->nruns = 0;
    if (rp_db_in_tx(ctx->db))
        return RP_EINVAL;
    /* The common case, runs that went well: each is one statement in one
     * round trip (the row, and the failure count back to zero). */
    bool plain = true;
    for (rp_script_runlog_t *r = runs; plain && r; r = r->next)
        plain = !r->dry_run && strcmp(r->outcome, "error") != 0 && strcmp(r->outcome, "limit") != 0;
    if (plain) {
        rp_status_t st = RP_OK;
        for (rp_script_runlog_t *r = runs; st == RP_OK && r; r = r->next)
            if (!rp_script_runlog_enqueue(ctx->principal.tenant_id, r))
                st = rp_script_runlog_write(ctx->db, ctx->principal.tenant_id, r);
        if (st != RP_OK)
            rp_log_warn("script run log of tenant %s not written: %s", ctx->principal.tenant_id,
                        rp_db_error(ctx->db));
        return st;
    }
    rp_status_t st = rp_db_begin(ctx->db, ctx->principal.tenant_id);
    /* Earlier runs still queued go first: the failure count must see them. */
    if (st == RP_OK)
        st = rp_script_runlog_drain(ctx->db, ctx->principal.tenant_id);
    bool disabled = false;
    for (rp_script_runlog_t *r = runs; st == RP_OK && r; r = r->next)
        st = log_one(ctx, r, &disabled);
    if (st == RP_OK && disabled)
        st = rp_meta_changed(ctx);
    if (st == RP_OK)
        st = rp_db_commit(ctx->db);
    else
        rp_db_rollback(ctx->db);
    if (st == RP_OK && disabled)
        rp_meta_invalidate(ctx->principal.tenant_id);
    if (st != RP_OK)
        rp_log_warn("script run log of tenant %s not written: %s", ctx->principal.tenant_id,
                    rp_db_error(ctx->db));
    return st;
}
