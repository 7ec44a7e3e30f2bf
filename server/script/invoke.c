#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/problem.h"
#include "script/internal.h"

static const char *const event_names[] = {"before_create", "after_create",  "before_update",
                                          "after_update",  "before_delete", "after_delete"};

const char *rp_script_event_name(rp_script_event_t ev)
{
    for (int i = 0; i < 6; i++)
        if ((unsigned)ev == 1u << i)
            return event_names[i];
    return NULL;
}

rp_script_event_t rp_script_event_parse(const char *name)
{
    for (int i = 0; name && i < 6; i++)
        if (strcmp(name, event_names[i]) == 0)
            return (rp_script_event_t)(1u << i);
    return 0;
}

void rp_script_refusal_clear(rp_script_refusal_t *r)
{
    json_decref(r->errors);
    memset(r, 0, sizeof *r);
}

void rp_script_refusal_answer(rp_ctx_t *ctx, rp_script_refusal_t *r)
{
    int status = r->status ? r->status : 500;
    json_t *errors = r->errors;
    r->errors = NULL;
    if (r->limit[0] == '\0') {
        rp_resp_problem_fields(ctx, status, r->code[0] ? r->code : "internal", r->detail, errors);
        rp_script_refusal_clear(r);
        return;
    }
    /* A limit names itself in a member of its own, for clients that act on
     * it without parsing the detail. */
    rp_buf_t buf = {0};
    json_t *doc = NULL;
    if (rp_problem_render(&buf, status, r->code, r->detail, ctx->req.path, ctx->req.request_id,
                          errors) == RP_OK)
        doc = json_loadb(buf.data, buf.len, 0, NULL);
    rp_buf_free(&buf);
    json_decref(errors);
    if (doc == NULL || json_object_set_new(doc, "limit", json_string(r->limit)) != 0) {
        json_decref(doc);
        rp_resp_problem(ctx, status, r->code, r->detail);
    } else {
        rp_resp_json(ctx, status, doc);
        ctx->res.content_type = RP_PROBLEM_CONTENT_TYPE;
    }
    rp_script_refusal_clear(r);
}

rp_status_t rp_script_invoke(rp_ctx_t *ctx, const char *id, const char *name, int version,
                             const char *code, const char *via, bool dry_run, const json_t *arg,
                             rp_script_refusal_t *out, json_t **result, json_t **new_fields,
                             json_t **report)
{
    rp_script_tenant_t *t;
    rp_status_t st = rp_script_tenant(ctx, &t);
    if (st != RP_OK)
        return st;
    if (t->sb == NULL) {
        rp_script_limits_t lim;
        rp_script_limits_get(ctx, &lim);
        if ((st = rp_sbox_new(&lim, &t->sb)) != RP_OK)
            return st;
    }
    char key[80];
    snprintf(key, sizeof key, "%s:%d", id, version);
    rp_sbox_run_t run = {.script_id = id, .script_name = name};
    st = rp_sbox_call(t->sb, ctx, key, code, arg, &run);
    bool rejected = st == RP_OK && json_object_size(run.errors) > 0;
    if (st == RP_ENOMEM) {
        rp_sbox_run_clear(&run);
        return st;
    }
    rp_script_gov_log(ctx, id, via, dry_run, st, &run, rejected);
    if (report != NULL) {
        rp_script_limits_t lim;
        rp_script_limits_get(ctx, &lim);
        rp_script_gov_t *g = rp_script_gov(ctx);
        *report =
            json_pack("{s:O, s:{s:I, s:I, s:f, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:i}}", "logs",
                      run.logs, "limits", "instructions", (json_int_t)run.instructions,
                      "instructions_max", (json_int_t)lim.instructions, "duration_ms",
                      run.duration_ms, "memory", (json_int_t)run.memory, "memory_max",
                      (json_int_t)lim.memory, "queries", g ? g->queries : 0, "queries_max",
                      lim.queries, "records_read", g ? g->reads : 0, "records_read_max", lim.reads,
                      "records_written", g ? g->writes : 0, "records_written_max", lim.writes);
    }
    if (st == RP_ELIMIT) {
        rp_script_refuse(out, "script_limit", run.limit, "script %s stopped: %s", name, run.error);
    } else if (st == RP_ERR) {
        rp_script_refuse(out, "script_error", NULL, "script %s failed: %s", name, run.error);
    } else if (st == RP_EINVAL) {
        *out = *run.nested;
        memset(run.nested, 0, sizeof *run.nested);
    } else if (rejected) {
        rp_script_refuse(out, "validation_failed", NULL, "script %s refused the write", name);
        out->errors = json_incref(run.errors);
        st = RP_EINVAL;
    }
    if (st == RP_OK || st == RP_EINVAL) {
        if (result)
            *result = json_incref(run.result);
        if (new_fields)
            *new_fields = json_incref(run.new_fields);
    }
    if (st == RP_ELIMIT || st == RP_ERR)
        st = RP_EINVAL;
    rp_sbox_run_clear(&run);
    rp_script_tenant_release(ctx);
    return st;
}
