#include <stdio.h>
#include <string.h>

#include "pipeline.h"

/* The standard pipeline a tenant gets the first time it needs one. Positions
 * leave room for stages an admin inserts between them. */
static const char DEFAULT_NAME[] = "Sales";

static const struct {
    const char *name, *label;
    int position;
    const char *probability, *kind, *category;
} STAGES[] = {
    {"prospecting", "Prospecting", 10, "10", SALES_KIND_OPEN, "pipeline"},
    {"qualification", "Qualification", 20, "20", SALES_KIND_OPEN, "pipeline"},
    {"needs_analysis", "Needs analysis", 30, "40", SALES_KIND_OPEN, "pipeline"},
    {"proposal", "Proposal", 40, "60", SALES_KIND_OPEN, "best_case"},
    {"negotiation", "Negotiation", 50, "80", SALES_KIND_OPEN, "commit"},
    {"closed_won", "Closed won", 60, "100", SALES_KIND_WON, "closed"},
    {"closed_lost", "Closed lost", 70, "0", SALES_KIND_LOST, "omitted"},
};

static rp_mstatus_t find_default(rp_mctx_t *ctx, char id[SALES_ID_LEN + 1], bool *found)
{
    const rp_host_api_t *h = sales_host;
    *found = false;
    rp_json_t *filter = sales_pipeline_cond("is_default", "eq", h->json_bool_new(1));
    if (filter == NULL)
        return RP_M_ENOMEM;
    rp_json_t *rec = NULL;
    rp_mstatus_t st = sales_pipeline_first(ctx, "pipeline", filter, "created_at", &rec);
    const char *pid = rec ? h->json_string(h->json_get(rec, "id")) : NULL;
    if (st == RP_M_OK && pid != NULL && strlen(pid) == SALES_ID_LEN) {
        memcpy(id, pid, SALES_ID_LEN + 1);
        *found = true;
    }
    h->json_free(rec);
    return st;
}

/* Creates a record of object as a derived (system) record; *id receives
 * its id when id is not NULL. */
static rp_mstatus_t create_derived(rp_mctx_t *ctx, const char *object, rp_json_t *fields, char *id)
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *rec = NULL, *errors = NULL;
    rp_mstatus_t st = h->record_create_ex(ctx, object, fields, RP_MWRITE_DERIVED, &rec, &errors);
    if (st == RP_M_OK && id != NULL) {
        const char *rid = h->json_string(h->json_get(rec, "id"));
        if (rid == NULL || strlen(rid) != SALES_ID_LEN)
            st = RP_M_ERR;
        else
            memcpy(id, rid, SALES_ID_LEN + 1);
    }
    if (st != RP_M_OK) {
        char *text = errors ? h->json_dump(errors) : NULL;
        char msg[256];
        snprintf(msg, sizeof msg, "creating the default %s failed: %.180s", object,
                 text ? text : "");
        h->mem_free(text);
        h->set_error(ctx, msg);
    }
    h->json_free(rec);
    h->json_free(errors);
    h->json_free(fields);
    return st;
}

static rp_mstatus_t create_standard(rp_mctx_t *ctx, char id[SALES_ID_LEN + 1])
{
    const rp_host_api_t *h = sales_host;
    rp_json_t *p = h->json_object_new();
    if (p == NULL || h->json_set(p, "name", h->json_string_new(DEFAULT_NAME)) != RP_M_OK ||
        h->json_set(p, "is_default", h->json_bool_new(1)) != RP_M_OK ||
        h->json_set(p, "active", h->json_bool_new(1)) != RP_M_OK ||
        h->json_set(p, "description",
                    h->json_string_new("The standard sales pipeline, created with the "
                                       "tenant's first opportunity.")) != RP_M_OK) {
        h->json_free(p);
        return RP_M_ENOMEM;
    }
    rp_mstatus_t st = create_derived(ctx, "pipeline", p, id);
    for (size_t i = 0; st == RP_M_OK && i < sizeof STAGES / sizeof STAGES[0]; i++) {
        rp_json_t *s = h->json_object_new();
        if (s == NULL || h->json_set(s, "pipeline_id", h->json_string_new(id)) != RP_M_OK ||
            h->json_set(s, "name", h->json_string_new(STAGES[i].name)) != RP_M_OK ||
            h->json_set(s, "label", h->json_string_new(STAGES[i].label)) != RP_M_OK ||
            h->json_set(s, "position", h->json_integer_new(STAGES[i].position)) != RP_M_OK ||
            h->json_set(s, "probability", h->json_string_new(STAGES[i].probability)) != RP_M_OK ||
            h->json_set(s, "kind", h->json_string_new(STAGES[i].kind)) != RP_M_OK ||
            h->json_set(s, "forecast_category", h->json_string_new(STAGES[i].category)) !=
                RP_M_OK) {
            h->json_free(s);
            return RP_M_ENOMEM;
        }
        st = create_derived(ctx, "pipeline_stage", s, NULL);
    }
    return st;
}

rp_mstatus_t sales_pipeline_default(rp_mctx_t *ctx, char id[SALES_ID_LEN + 1])
{
    const rp_host_api_t *h = sales_host;
    bool found;
    rp_mstatus_t st = find_default(ctx, id, &found);
    if (st != RP_M_OK || found)
        return st;
    /* Two first requests of a tenant racing here would both create the
     * standard pipeline: the second waits for the first to commit, then
     * finds its pipeline. */
    const char *params[] = {h->tenant_id(ctx)};
    st = h->sql_exec(ctx,
                     "SELECT pg_advisory_xact_lock(hashtext('rapport.sales.default_pipeline'), "
                     "hashtext($1))",
                     1, params, NULL);
    if (st == RP_M_OK)
        st = find_default(ctx, id, &found);
    if (st != RP_M_OK || found)
        return st;
    rp_json_t *any = NULL;
    if ((st = sales_pipeline_first(ctx, "pipeline", NULL, "created_at", &any)) != RP_M_OK)
        return st;
    bool has_pipelines = any != NULL;
    h->json_free(any);
    /* A tenant that set up its own pipelines and marked none as default
     * chooses one on each opportunity: guessing one for it would file
     * opportunities in the wrong pipeline. */
    if (has_pipelines)
        return RP_M_ENOTFOUND;
    return create_standard(ctx, id);
}
