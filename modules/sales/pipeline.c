/* Pipelines: at most one is the default (marking one clears the others),
 * and the default one stays active. Also registers the hooks and actions of
 * the stage, opportunity and stage-history files. */

#include <string.h>

#include "pipeline.h"

/* A boolean member of fields: given or not, and its value (null and
 * anything but true read as false). */
static bool flag(const rp_json_t *fields, const char *name, bool *given)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *v = h->json_get(fields, name);
    if (given != NULL)
        *given = v != NULL;
    return v != NULL && h->json_kind(v) == RP_JSON_BOOL && h->json_bool(v);
}

static rp_hook_result_t check_pipeline(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    const rp_host_api_t *h = sales_host;
    rp_json_t *fields = h->record_fields(rec);
    const rp_json_t *old = h->record_old(rec);
    bool given_default, given_active;
    bool is_default = flag(fields, "is_default", &given_default);
    bool active = flag(fields, "active", &given_active);
    if (old != NULL) {
        if (!given_default)
            is_default = flag(old, "is_default", NULL);
        if (!given_active)
            active = flag(old, "active", NULL);
    } else if (!given_active) {
        active = true; /* the field's default */
    }
    if (is_default && !active) {
        h->reject_field(rec, given_active ? "active" : "is_default",
                        "the default pipeline must be active");
        return RP_HOOK_REJECT;
    }
    return RP_HOOK_CONTINUE;
}

/* Clears is_default on every other pipeline, so that the one just marked
 * is the only default. */
static rp_hook_result_t single_default(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    const char *id = h->record_id(rec);
    if (!flag(h->record_fields(rec), "is_default", NULL) || id == NULL)
        return RP_HOOK_CONTINUE;
    const rp_json_t *old = h->record_old(rec);
    if (old != NULL && flag(old, "is_default", NULL))
        return RP_HOOK_CONTINUE;
    rp_json_t *change = h->json_object_new();
    if (change == NULL || h->json_set(change, "is_default", h->json_bool_new(0)) != RP_M_OK) {
        h->json_free(change);
        return RP_HOOK_FAIL;
    }
    rp_hook_result_t result = RP_HOOK_CONTINUE;
    /* Each pass clears what it finds; a bound keeps a write that somehow
     * leaves the flag set from looping. */
    for (int pass = 0; pass < 50; pass++) {
        rp_json_t *filter =
            sales_pipeline_and(sales_pipeline_cond("is_default", "eq", h->json_bool_new(1)),
                               sales_pipeline_cond("id", "ne", h->json_string_new(id)));
        rp_json_t *list = NULL;
        rp_mstatus_t st =
            filter ? h->record_query(ctx, "pipeline", filter, NULL, 200, &list) : RP_M_ENOMEM;
        h->json_free(filter);
        size_t n = h->json_array_size(list);
        for (size_t i = 0; st == RP_M_OK && i < n; i++) {
            const char *other = h->json_string(h->json_get(h->json_array_get(list, i), "id"));
            st = h->record_update_ex(ctx, "pipeline", other, change, RP_MWRITE_DERIVED, NULL, NULL);
        }
        h->json_free(list);
        if (st != RP_M_OK) {
            h->set_error(ctx, "clearing the previous default pipeline failed");
            result = RP_HOOK_FAIL;
            break;
        }
        if (n == 0)
            break;
    }
    h->json_free(change);
    return result;
}

rp_mstatus_t sales_pipeline_init(rp_mreg_t *reg)
{
    const rp_host_api_t *h = sales_host;
    rp_mstatus_t st =
        h->register_hook(reg, "pipeline", RP_HOOK_BEFORE_CREATE, check_pipeline, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "pipeline", RP_HOOK_BEFORE_UPDATE, check_pipeline, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "pipeline", RP_HOOK_AFTER_CREATE, single_default, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "pipeline", RP_HOOK_AFTER_UPDATE, single_default, NULL);
    if (st == RP_M_OK)
        st = sales_pipeline_stage_init(reg);
    if (st == RP_M_OK)
        st = sales_opportunity_stage_init(reg);
    if (st == RP_M_OK)
        st = sales_opportunity_history_init(reg);
    return st;
}
