/* Pipeline stages: positions and names unique within their pipeline, a
 * pipeline that never changes, a forecast category that agrees with the
 * kind (won stages are closed, lost ones omitted), a kind that does not
 * change under opportunities, and a rename that reaches the opportunities
 * in the stage (their read-only `stage` field holds its name). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* The caller's raw value of an integer field (hooks see the input before
 * the engine normalises it); false when it is not one, which the engine
 * then refuses on its own. */
static bool as_integer(const rp_json_t *v, long long *out)
{
    const rp_host_api_t *h = sales_host;
    switch (v ? h->json_kind(v) : RP_JSON_NULL) {
    case RP_JSON_INTEGER:
        *out = h->json_integer(v);
        return true;
    case RP_JSON_REAL: {
        double d = h->json_real(v);
        if (d != (double)(long long)d)
            return false;
        *out = (long long)d;
        return true;
    }
    case RP_JSON_STRING: {
        const char *s = h->json_string(v), *p = s;
        if (*p == '+' || *p == '-')
            p++;
        if (*p == '\0' || strlen(p) > 18)
            return false;
        for (const char *q = p; *q; q++)
            if (*q < '0' || *q > '9')
                return false;
        *out = strtoll(s, NULL, 10);
        return true;
    }
    default:
        return false;
    }
}

static bool is_kind(const char *k)
{
    return k != NULL && (strcmp(k, SALES_KIND_OPEN) == 0 || strcmp(k, SALES_KIND_WON) == 0 ||
                         strcmp(k, SALES_KIND_LOST) == 0);
}

/* The forecast category a stage of kind has unless told otherwise. */
static const char *category_of(const char *kind)
{
    return strcmp(kind, SALES_KIND_WON) == 0    ? "closed"
           : strcmp(kind, SALES_KIND_LOST) == 0 ? "omitted"
                                                : "pipeline";
}

/* Why category does not fit kind, or NULL when it does. */
static const char *category_misfit(const char *kind, const char *category)
{
    if (strcmp(kind, SALES_KIND_WON) == 0 && strcmp(category, "closed") != 0)
        return "must be closed for a won stage";
    if (strcmp(kind, SALES_KIND_LOST) == 0 && strcmp(category, "omitted") != 0)
        return "must be omitted for a lost stage";
    if (strcmp(kind, SALES_KIND_OPEN) == 0 && strcmp(category, "closed") == 0)
        return "cannot be closed for an open stage";
    return NULL;
}

/* Refuses field when another stage of pipeline_id has value (taken) for
 * it. *refused tells whether it did. */
static rp_mstatus_t check_unique(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *pipeline_id,
                                 const char *field, rp_json_t *value, bool *refused)
{
    const rp_host_api_t *h = sales_host;
    const char *self = h->record_id(rec);
    rp_json_t *filter = sales_pipeline_and(
        sales_pipeline_cond("pipeline_id", "eq", h->json_string_new(pipeline_id)),
        sales_pipeline_cond(field, "eq", value));
    if (filter != NULL && self != NULL)
        filter =
            sales_pipeline_and(filter, sales_pipeline_cond("id", "ne", h->json_string_new(self)));
    if (filter == NULL)
        return RP_M_ENOMEM;
    rp_json_t *other = NULL;
    rp_mstatus_t st = sales_pipeline_first(ctx, "pipeline_stage", filter, NULL, &other);
    if (st == RP_M_OK && other != NULL) {
        const char *name = sales_pipeline_str(other, "name");
        char msg[200];
        snprintf(msg, sizeof msg, "is already used by stage %.80s of this pipeline",
                 name ? name : "?");
        h->reject_field(rec, field, msg);
        *refused = true;
    }
    h->json_free(other);
    return st;
}

/* Position and name unique within the pipeline. Writes to one pipeline's
 * stages queue on a transaction lock so that two concurrent ones cannot
 * both take a free position. */
static rp_mstatus_t check_uniques(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *pipeline_id,
                                  const rp_json_t *fields, bool *refused)
{
    const rp_host_api_t *h = sales_host;
    long long position;
    bool has_position = as_integer(h->json_get(fields, "position"), &position);
    const char *name = h->json_string(h->json_get(fields, "name"));
    if (!has_position && name == NULL)
        return RP_M_OK;
    const char *params[] = {pipeline_id};
    rp_mstatus_t st = h->sql_exec(ctx,
                                  "SELECT pg_advisory_xact_lock(hashtext('rapport.sales.stages'), "
                                  "hashtext($1))",
                                  1, params, NULL);
    if (st == RP_M_OK && has_position)
        st =
            check_unique(ctx, rec, pipeline_id, "position", h->json_integer_new(position), refused);
    if (st == RP_M_OK && name != NULL)
        st = check_unique(ctx, rec, pipeline_id, "name", h->json_string_new(name), refused);
    return st;
}

/* True when an opportunity (that the caller can see) is in stage id. */
static rp_mstatus_t stage_in_use(rp_mctx_t *ctx, const char *id, bool *used)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *opp = NULL;
    rp_mstatus_t st = sales_pipeline_first(
        ctx, "opportunity", sales_pipeline_cond("stage_id", "eq", h->json_string_new(id)), NULL,
        &opp);
    *used = opp != NULL;
    h->json_free(opp);
    return st;
}

static rp_hook_result_t check_stage(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    rp_json_t *fields = h->record_fields(rec);
    const rp_json_t *old = h->record_old(rec);
    const char *pipeline_id = h->json_string(h->json_get(fields, "pipeline_id"));
    bool refused = false;
    rp_mstatus_t st = RP_M_OK;
    if (old != NULL) {
        const char *was = sales_pipeline_str(old, "pipeline_id");
        if (h->json_get(fields, "pipeline_id") != NULL &&
            (pipeline_id == NULL || was == NULL || strcmp(pipeline_id, was) != 0)) {
            h->reject_field(rec, "pipeline_id", "cannot change: a stage stays in its pipeline");
            return RP_HOOK_REJECT;
        }
        pipeline_id = was;
    }
    /* The kind and the forecast category, as they will be stored. */
    const rp_json_t *given_kind = h->json_get(fields, "kind");
    const char *kind = h->json_string(given_kind);
    if (given_kind == NULL)
        kind = old ? sales_pipeline_str(old, "kind") : SALES_KIND_OPEN;
    if (!is_kind(kind))
        return RP_HOOK_CONTINUE; /* the engine refuses the value */
    const char *old_kind = old ? sales_pipeline_str(old, "kind") : NULL;
    bool kind_changes = old == NULL || old_kind == NULL || strcmp(kind, old_kind) != 0;
    if (old != NULL && kind_changes) {
        bool used = false;
        if ((st = stage_in_use(ctx, h->record_id(rec), &used)) != RP_M_OK)
            return RP_HOOK_FAIL;
        if (used) {
            h->reject_field(rec, "kind",
                            "cannot change while opportunities are in this stage: move them "
                            "to another stage first");
            return RP_HOOK_REJECT;
        }
    }
    const rp_json_t *given_cat = h->json_get(fields, "forecast_category");
    const char *category = h->json_string(given_cat);
    if (category == NULL && (given_cat != NULL || kind_changes || old == NULL)) {
        category = category_of(kind);
        if (h->record_set(rec, "forecast_category", h->json_string_new(category)) != RP_M_OK)
            return RP_HOOK_FAIL;
    } else if (category == NULL) {
        category = sales_pipeline_str(old, "forecast_category");
    }
    const char *misfit = category ? category_misfit(kind, category) : NULL;
    if (misfit != NULL) {
        h->reject_field(rec, "forecast_category", misfit);
        refused = true;
    }
    /* Closed stages are certain: a won stage is 100 %, a lost one 0 %,
     * unless the admin says otherwise. */
    if (old == NULL && h->json_get(fields, "probability") == NULL &&
        strcmp(kind, SALES_KIND_OPEN) != 0 &&
        h->record_set(rec, "probability",
                      h->json_string_new(strcmp(kind, SALES_KIND_WON) == 0 ? "100" : "0")) !=
            RP_M_OK)
        return RP_HOOK_FAIL;
    if (pipeline_id != NULL &&
        (st = check_uniques(ctx, rec, pipeline_id, fields, &refused)) != RP_M_OK)
        return RP_HOOK_FAIL;
    return refused ? RP_HOOK_REJECT : RP_HOOK_CONTINUE;
}

/* Opportunities keep their stage's name in `stage`: a rename reaches every
 * opportunity in the stage, as a derived write. */
static rp_hook_result_t renamed(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    const char *id = h->record_id(rec);
    const char *name = sales_pipeline_str(h->record_fields(rec), "name");
    const char *was = sales_pipeline_str(h->record_old(rec), "name");
    if (id == NULL || name == NULL || (was != NULL && strcmp(name, was) == 0))
        return RP_HOOK_CONTINUE;
    rp_json_t *filter = sales_pipeline_cond("stage_id", "eq", h->json_string_new(id));
    rp_json_t *change = h->json_object_new();
    rp_mstatus_t st =
        filter && change && h->json_set(change, "stage", h->json_string_new(name)) == RP_M_OK
            ? RP_M_OK
            : RP_M_ENOMEM;
    char *cursor = NULL;
    do {
        rp_json_t *page = NULL;
        char *next = NULL;
        if (st == RP_M_OK)
            st = h->record_query_page(ctx, "opportunity", filter, "created_at", 200, cursor, &page,
                                      &next);
        h->mem_free(cursor);
        cursor = next;
        size_t n = h->json_array_size(page);
        for (size_t i = 0; st == RP_M_OK && i < n; i++) {
            const char *opp = h->json_string(h->json_get(h->json_array_get(page, i), "id"));
            st =
                h->record_update_ex(ctx, "opportunity", opp, change, RP_MWRITE_DERIVED, NULL, NULL);
        }
        h->json_free(page);
    } while (st == RP_M_OK && cursor != NULL);
    h->mem_free(cursor);
    h->json_free(filter);
    h->json_free(change);
    if (st != RP_M_OK) {
        h->set_error(ctx, "renaming the stage on its opportunities failed");
        return RP_HOOK_FAIL;
    }
    return RP_HOOK_CONTINUE;
}

rp_mstatus_t sales_pipeline_stage_init(rp_mreg_t *reg)
{
    const rp_host_api_t *h = sales_host;
    rp_mstatus_t st =
        h->register_hook(reg, "pipeline_stage", RP_HOOK_BEFORE_CREATE, check_stage, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "pipeline_stage", RP_HOOK_BEFORE_UPDATE, check_stage, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "pipeline_stage", RP_HOOK_AFTER_UPDATE, renamed, NULL);
    return st;
}
