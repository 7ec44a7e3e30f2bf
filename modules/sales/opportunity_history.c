/* Stage history: every stay of an opportunity in a stage is a row of
 * sales_stage_history, opened by the write that enters the stage and closed
 * by the one that leaves it (after hooks, in the write's transaction).
 * GET /api/v1/m/sales/opportunities/{id}/stages answers it with the time
 * spent in each stay and in each stage. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

static const char *or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

static rp_mstatus_t open_stay(rp_mctx_t *ctx, const char *opp, const rp_json_t *fields)
{
    const rp_host_api_t *h = sales_host;
    const char *params[] = {
        h->tenant_id(ctx),
        opp,
        sales_pipeline_str(fields, "pipeline_id"),
        sales_pipeline_str(fields, "stage_id"),
        sales_pipeline_str(fields, "stage") ? sales_pipeline_str(fields, "stage") : "",
        or_null(h->user_id(ctx))};
    return h->sql_exec(ctx,
                       "INSERT INTO sales_stage_history (tenant_id, opportunity_id, pipeline_id, "
                       "stage_id, stage, entered_by) VALUES ($1::uuid, $2::uuid, $3::uuid, "
                       "$4::uuid, $5, $6::uuid)",
                       6, params, NULL);
}

/* Closes the open stay of opp. An opportunity written without hooks (a CSV
 * import) has none: its stay in the stage it leaves then starts when it
 * was created. */
static rp_mstatus_t close_stay(rp_mctx_t *ctx, const char *opp, const rp_json_t *old)
{
    const rp_host_api_t *h = sales_host;
    const char *params[6] = {h->tenant_id(ctx), opp};
    rp_mrows_t *rows = NULL;
    rp_mstatus_t st = h->sql_exec(ctx,
                                  "UPDATE sales_stage_history SET left_at = "
                                  "greatest(clock_timestamp(), entered_at) WHERE tenant_id = "
                                  "$1::uuid AND opportunity_id = $2::uuid AND left_at IS NULL "
                                  "RETURNING id",
                                  2, params, &rows);
    int closed = h->rows_count(rows);
    h->rows_free(rows);
    if (st != RP_M_OK || closed > 0 || sales_pipeline_str(old, "stage_id") == NULL)
        return st;
    rp_json_t *rec = NULL;
    if (h->record_get(ctx, "opportunity", opp, &rec) != RP_M_OK)
        return RP_M_OK; /* no start to tell: the history begins now */
    params[2] = sales_pipeline_str(old, "pipeline_id");
    params[3] = sales_pipeline_str(old, "stage_id");
    params[4] = sales_pipeline_str(old, "stage") ? sales_pipeline_str(old, "stage") : "";
    params[5] = h->json_string(h->json_get(rec, "created_at"));
    st = h->sql_exec(ctx,
                     "INSERT INTO sales_stage_history (tenant_id, opportunity_id, pipeline_id, "
                     "stage_id, stage, entered_at, left_at) VALUES ($1::uuid, $2::uuid, $3::uuid, "
                     "$4::uuid, $5, least($6::timestamptz, clock_timestamp()), clock_timestamp())",
                     6, params, NULL);
    h->json_free(rec);
    return st;
}

static rp_hook_result_t record_stage(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    const char *opp = h->record_id(rec);
    const rp_json_t *fields = h->record_fields(rec);
    const rp_json_t *old = h->record_old(rec);
    const char *stage = sales_pipeline_str(fields, "stage_id");
    const char *was = old ? sales_pipeline_str(old, "stage_id") : NULL;
    /* No stage (a field the caller may not see) or the same one: nothing
     * to record. */
    if (opp == NULL || stage == NULL || (was != NULL && strcmp(stage, was) == 0))
        return RP_HOOK_CONTINUE;
    rp_mstatus_t st = old ? close_stay(ctx, opp, old) : RP_M_OK;
    if (st == RP_M_OK)
        st = open_stay(ctx, opp, fields);
    return st == RP_M_OK ? RP_HOOK_CONTINUE : RP_HOOK_FAIL;
}

/* ---- GET opportunities/{id}/stages ------------------------------------ */

/* One stage's total over its stays, in the order first entered. */
typedef struct stage_total {
    const char *stage_id, *stage; /* borrowed from the rows */
    long long ms;
    int visits;
} stage_total_t;

static bool put(rp_json_t *obj, const char *key, rp_json_t *value)
{
    return sales_host->json_set(obj, key, value) == RP_M_OK;
}

static rp_json_t *text(const char *s)
{
    return s != NULL ? sales_host->json_string_new(s) : sales_host->json_null_new();
}

static rp_json_t *stay_json(const rp_mrows_t *rows, int i, long long ms)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *o = h->json_object_new();
    bool ok = o != NULL;
    ok = ok &&
         put(o, "stage_id", text(h->rows_is_null(rows, i, 0) ? NULL : h->rows_get(rows, i, 0)));
    ok = ok && put(o, "stage", text(h->rows_get(rows, i, 1)));
    ok = ok && put(o, "entered_at", text(h->rows_get(rows, i, 2)));
    ok =
        ok && put(o, "left_at", text(h->rows_is_null(rows, i, 3) ? NULL : h->rows_get(rows, i, 3)));
    ok = ok &&
         put(o, "entered_by", text(h->rows_is_null(rows, i, 4) ? NULL : h->rows_get(rows, i, 4)));
    ok = ok && put(o, "seconds", h->json_integer_new(ms / 1000));
    ok = ok && put(o, "current", h->json_bool_new(h->rows_is_null(rows, i, 3)));
    if (!ok) {
        h->json_free(o);
        return NULL;
    }
    return o;
}

static rp_json_t *totals_json(const stage_total_t *t, int n)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *list = h->json_array_new();
    for (int i = 0; list != NULL && i < n; i++) {
        rp_json_t *o = h->json_object_new();
        bool ok = o != NULL && put(o, "stage_id", text(or_null(t[i].stage_id))) &&
                  put(o, "stage", text(t[i].stage)) &&
                  put(o, "visits", h->json_integer_new(t[i].visits)) &&
                  put(o, "seconds", h->json_integer_new(t[i].ms / 1000));
        if (!ok || h->json_array_append(list, o) != RP_M_OK) {
            if (!ok)
                h->json_free(o);
            h->json_free(list);
            return NULL;
        }
    }
    return list;
}

static rp_mstatus_t stages(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    const char *id = h->path_param(ctx, 0);
    rp_json_t *opp = NULL, *body = NULL, *data = NULL;
    rp_mrows_t *rows = NULL;
    stage_total_t *totals = NULL;
    /* The history table knows nothing of record permissions: the
     * opportunity itself must be readable by the caller. */
    rp_mstatus_t st = h->record_get(ctx, "opportunity", id, &opp);
    if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN) {
        h->respond_problem(ctx, 404, "not_found", "no such opportunity", NULL);
        return RP_M_OK;
    }
    if (st != RP_M_OK)
        return st;
    const char *params[] = {h->tenant_id(ctx), id};
    st = h->sql_exec(
        ctx,
        "WITH t AS (SELECT clock_timestamp() AS now) "
        "SELECT h.stage_id::text, h.stage, "
        "to_char(h.entered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        "to_char(h.left_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
        "h.entered_by::text, "
        "greatest(0, floor(extract(epoch FROM coalesce(h.left_at, t.now) - h.entered_at) * "
        "1000))::bigint "
        "FROM sales_stage_history h, t WHERE h.tenant_id = $1::uuid AND h.opportunity_id = "
        "$2::uuid ORDER BY h.entered_at, h.id",
        2, params, &rows);
    if (st != RP_M_OK)
        goto done;
    int n = h->rows_count(rows), ntotals = 0;
    long long all_ms = 0;
    st = RP_M_ENOMEM;
    if ((data = h->json_array_new()) == NULL ||
        (n > 0 && (totals = calloc((size_t)n, sizeof *totals)) == NULL))
        goto done;
    for (int i = 0; i < n; i++) {
        long long ms = atoll(h->rows_get(rows, i, 5));
        if (h->json_array_append(data, stay_json(rows, i, ms)) != RP_M_OK)
            goto done;
        all_ms += ms;
        const char *sid = h->rows_get(rows, i, 0);
        int k = 0;
        while (k < ntotals && strcmp(totals[k].stage_id, sid) != 0)
            k++;
        if (k == ntotals)
            totals[ntotals++] = (stage_total_t){.stage_id = sid};
        totals[k].stage = h->rows_get(rows, i, 1); /* the latest name */
        totals[k].ms += ms;
        totals[k].visits++;
    }
    const rp_json_t *f = h->json_get(opp, "fields");
    bool ok = (body = h->json_object_new()) != NULL;
    ok = ok && put(body, "opportunity_id", text(id));
    ok = ok && put(body, "stage_id", text(sales_pipeline_str(f, "stage_id")));
    ok = ok && put(body, "stage", text(sales_pipeline_str(f, "stage")));
    ok = ok && put(body, "status", text(sales_pipeline_str(f, "status")));
    ok = ok && put(body, "total_seconds", h->json_integer_new(all_ms / 1000));
    ok = ok && put(body, "totals", totals_json(totals, ntotals));
    if (ok) {
        ok = put(body, "data", data);
        data = NULL;
    }
    if (!ok)
        goto done;
    h->respond_json(ctx, 200, body);
    body = NULL;
    st = RP_M_OK;
done:
    free(totals);
    h->rows_free(rows);
    h->json_free(data);
    h->json_free(body);
    h->json_free(opp);
    return st;
}

rp_mstatus_t sales_opportunity_history_init(rp_mreg_t *reg)
{
    const rp_host_api_t *h = sales_host;
    rp_mstatus_t st =
        h->register_hook(reg, "opportunity", RP_HOOK_AFTER_CREATE, record_stage, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "opportunity", RP_HOOK_AFTER_UPDATE, record_stage, NULL);
    if (st == RP_M_OK)
        st = h->register_action(reg, RP_ACTION_GET, "opportunities/{id}/stages", RP_ACTION_READONLY,
                                stages, NULL);
    return st;
}
