/* An opportunity's place in its pipeline, before each create and update:
 * the pipeline (the default one unless given), the stage (the pipeline's
 * first open stage unless given; it must belong to the pipeline), and what
 * follows from the stage: its name, the status from its kind, the
 * probability and forecast category (unless the caller gives them in the
 * same write), closed_at, and the lost reason a lost opportunity needs. */

#include <stdio.h>
#include <string.h>

#include "pipeline.h"

/* What one write is about, gathered before anything is decided. */
typedef struct opp_write {
    rp_mctx_t *ctx;
    rp_mrecord_t *rec;
    rp_json_t *fields;    /* the caller's fields (changeable) */
    const rp_json_t *old; /* the stored fields on update, else NULL */
    char pipeline[SALES_ID_LEN + 1];
    rp_json_t *stage; /* the stage entered by this write (owned), or NULL */
    bool refused;
    bool malformed; /* a value the engine refuses by itself: leave it to it */
} opp_write_t;

static bool given(const opp_write_t *w, const char *field)
{
    return sales_host->json_get(w->fields, field) != NULL;
}

static const char *old_str(const opp_write_t *w, const char *field)
{
    return w->old ? sales_pipeline_str(w->old, field) : NULL;
}

static bool same(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static void refuse(opp_write_t *w, const char *field, const char *msg)
{
    sales_host->reject_field(w->rec, field, msg);
    w->refused = true;
}

static bool set(opp_write_t *w, const char *field, rp_json_t *value)
{
    return value != NULL && sales_host->record_set(w->rec, field, value) == RP_M_OK;
}

static bool set_str(opp_write_t *w, const char *field, const char *s)
{
    return set(w, field, s ? sales_host->json_string_new(s) : sales_host->json_null_new());
}

static bool copy_id(char dst[SALES_ID_LEN + 1], const char *src)
{
    if (src == NULL || strlen(src) != SALES_ID_LEN)
        return false;
    memcpy(dst, src, SALES_ID_LEN + 1);
    return true;
}

/* Reads a record the caller can see into *out (NULL when there is none). */
static rp_mstatus_t lookup(opp_write_t *w, const char *object, const char *id, rp_json_t **out)
{
    rp_mstatus_t st = sales_host->record_get(w->ctx, object, id, out);
    return st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN ? RP_M_OK : st;
}

/* Settles w->pipeline; refuses the write when it cannot. Returns
 * RP_M_OK also after a refusal (w->refused tells). */
static rp_mstatus_t settle_pipeline(opp_write_t *w, bool *changed)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *v = h->json_get(w->fields, "pipeline_id");
    const char *was = old_str(w, "pipeline_id");
    *changed = false;
    if (v != NULL && h->json_kind(v) != RP_JSON_NULL) {
        if (!copy_id(w->pipeline, h->json_string(v))) {
            w->malformed = true;
            return RP_M_OK;
        }
        *changed = !same(w->pipeline, was);
    } else if (v != NULL && w->old != NULL) {
        refuse(w, "pipeline_id", "is required");
        return RP_M_OK;
    } else if (was != NULL) {
        return copy_id(w->pipeline, was) ? RP_M_OK : RP_M_ERR;
    } else {
        /* A new opportunity (or an old one outside any pipeline): the
         * pipeline of the stage given, else the default one. */
        const char *stage_id = h->json_string(h->json_get(w->fields, "stage_id"));
        rp_json_t *stage = NULL;
        if (stage_id != NULL) {
            rp_mstatus_t st = lookup(w, "pipeline_stage", stage_id, &stage);
            if (st != RP_M_OK)
                return st;
        }
        const char *of_stage = stage ? sales_pipeline_str(stage, "pipeline_id") : NULL;
        bool ok = of_stage != NULL && copy_id(w->pipeline, of_stage);
        h->json_free(stage);
        if (!ok) {
            rp_mstatus_t st = sales_pipeline_default(w->ctx, w->pipeline);
            if (st == RP_M_ENOTFOUND) {
                refuse(w, "pipeline_id", "is required: no pipeline is marked as the default one");
                return RP_M_OK;
            }
            /* A role that cannot read pipelines, or a standard pipeline
             * that cannot be made (its name taken by one the caller does
             * not see): the caller must name the pipeline. */
            if (st == RP_M_EFORBIDDEN || st == RP_M_EINVAL || st == RP_M_ECONFLICT) {
                refuse(w, "pipeline_id", "is required: no default pipeline is available to you");
                return RP_M_OK;
            }
            if (st != RP_M_OK)
                return st;
        }
        *changed = true;
        if (!set_str(w, "pipeline_id", w->pipeline))
            return RP_M_ENOMEM;
    }
    if (!*changed)
        return RP_M_OK;
    rp_json_t *p = NULL;
    rp_mstatus_t st = lookup(w, "pipeline", w->pipeline, &p);
    if (st != RP_M_OK)
        return st;
    if (p == NULL) {
        refuse(w, "pipeline_id", "refers to a pipeline that does not exist");
    } else {
        const rp_json_t *active = h->json_get(h->json_get(p, "fields"), "active");
        if (active != NULL && h->json_kind(active) == RP_JSON_BOOL && !h->json_bool(active))
            refuse(w, "pipeline_id", "is not active: new opportunities cannot be put in it");
    }
    h->json_free(p);
    return RP_M_OK;
}

/* Settles the stage this write enters into w->stage (NULL when it stays
 * where it was). */
static rp_mstatus_t settle_stage(opp_write_t *w, bool pipeline_changed)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *v = h->json_get(w->fields, "stage_id");
    const char *was = old_str(w, "stage_id");
    if (v != NULL && h->json_kind(v) == RP_JSON_NULL) {
        refuse(w, "stage_id", "is required");
        return RP_M_OK;
    }
    const char *id = h->json_string(v);
    if (v != NULL && id == NULL) {
        w->malformed = true;
        return RP_M_OK;
    }
    if (id != NULL) {
        if (same(id, was) && !pipeline_changed)
            return RP_M_OK;
        rp_mstatus_t st = lookup(w, "pipeline_stage", id, &w->stage);
        if (st != RP_M_OK)
            return st;
        if (w->stage == NULL) {
            refuse(w, "stage_id", "refers to a stage that does not exist");
        } else if (!same(sales_pipeline_str(w->stage, "pipeline_id"), w->pipeline)) {
            refuse(w, "stage_id", "belongs to another pipeline than the opportunity's");
        } else if (same(id, was)) {
            h->json_free(w->stage); /* the same stage: nothing is entered */
            w->stage = NULL;
        }
        return RP_M_OK;
    }
    if (!pipeline_changed && was != NULL)
        return RP_M_OK;
    rp_mstatus_t st = sales_pipeline_first_open_stage(w->ctx, w->pipeline, &w->stage);
    if (st != RP_M_OK)
        return st;
    if (w->stage == NULL) {
        refuse(w, "stage_id", "cannot be chosen: the pipeline has no open stage");
        return RP_M_OK;
    }
    return set_str(w, "stage_id", h->json_string(h->json_get(w->stage, "id"))) ? RP_M_OK
                                                                               : RP_M_ENOMEM;
}

/* What entering w->stage sets: its name, the status, the probability and
 * forecast category unless given, and closed_at. */
static rp_mstatus_t enter_stage(opp_write_t *w, const char **status)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *sf = h->json_get(w->stage, "fields");
    const char *kind = sales_pipeline_str(sf, "kind");
    if (kind == NULL)
        kind = SALES_KIND_OPEN;
    *status = kind;
    bool ok = set_str(w, "stage", sales_pipeline_str(sf, "name")) && set_str(w, "status", kind);
    const rp_json_t *prob = h->json_get(sf, "probability");
    if (ok && !given(w, "probability"))
        ok = set(w, "probability", prob ? h->json_copy(prob) : h->json_null_new());
    if (ok && !given(w, "forecast_category"))
        ok = set_str(w, "forecast_category", sales_pipeline_str(sf, "forecast_category"));
    const char *was_status = old_str(w, "status");
    const char *was_closed = old_str(w, "closed_at");
    if (ok && strcmp(kind, SALES_KIND_OPEN) != 0) {
        /* Closing stamps the time; moving between two stages of the same
         * closed kind keeps it. */
        if (!same(kind, was_status) || was_closed == NULL) {
            char now[40];
            sales_pipeline_now(now, sizeof now);
            ok = set_str(w, "closed_at", now);
        }
    } else if (ok && was_closed != NULL) {
        ok = set_str(w, "closed_at", NULL); /* reopened */
    }
    return ok ? RP_M_OK : RP_M_ENOMEM;
}

/* A lost opportunity says why; any other has no lost reason. */
static rp_mstatus_t settle_lost_reason(opp_write_t *w, const char *status)
{
    const rp_host_api_t *h = sales_host;
    const rp_json_t *v = h->json_get(w->fields, "lost_reason");
    const char *reason = v ? h->json_string(v) : old_str(w, "lost_reason");
    bool has = reason != NULL && reason[0] != '\0';
    if (status != NULL && strcmp(status, SALES_KIND_LOST) == 0) {
        if (!has)
            refuse(w, "lost_reason", "is required when the opportunity is lost");
        return RP_M_OK;
    }
    if (v != NULL && has) {
        refuse(w, "lost_reason", "applies only to lost opportunities");
        return RP_M_OK;
    }
    if (v == NULL && has) /* reopened or won: the old reason no longer holds */
        return set_str(w, "lost_reason", NULL) ? RP_M_OK : RP_M_ENOMEM;
    return RP_M_OK;
}

static rp_hook_result_t place(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const rp_host_api_t *h = sales_host;
    opp_write_t w = {
        .ctx = ctx, .rec = rec, .fields = h->record_fields(rec), .old = h->record_old(rec)};
    bool creating = w.old == NULL;
    /* An update that touches neither the pipeline, the stage nor the lost
     * reason leaves the placement as it is. */
    if (!creating && !given(&w, "pipeline_id") && !given(&w, "stage_id") &&
        !given(&w, "lost_reason"))
        return RP_HOOK_CONTINUE;
    bool pipeline_changed = false;
    const char *status = old_str(&w, "status");
    rp_mstatus_t st = settle_pipeline(&w, &pipeline_changed);
    if (st == RP_M_OK && !w.refused && !w.malformed)
        st = settle_stage(&w, pipeline_changed);
    if (st == RP_M_OK && !w.refused && !w.malformed && w.stage != NULL)
        st = enter_stage(&w, &status);
    if (st == RP_M_OK && !w.refused && !w.malformed)
        st = settle_lost_reason(&w, status);
    h->json_free(w.stage);
    if (st != RP_M_OK) {
        char msg[120];
        snprintf(msg, sizeof msg, "placing the opportunity in its pipeline failed (%d)", (int)st);
        h->set_error(ctx, msg);
        return RP_HOOK_FAIL;
    }
    return w.refused ? RP_HOOK_REJECT : RP_HOOK_CONTINUE;
}

rp_mstatus_t sales_opportunity_stage_init(rp_mreg_t *reg)
{
    const rp_host_api_t *h = sales_host;
    rp_mstatus_t st = h->register_hook(reg, "opportunity", RP_HOOK_BEFORE_CREATE, place, NULL);
    if (st == RP_M_OK)
        st = h->register_hook(reg, "opportunity", RP_HOOK_BEFORE_UPDATE, place, NULL);
    return st;
}
