#include <stdio.h>
#include <string.h>

#include "records/meta_api.h"
#include "records/perm.h"
#include "records/role_doc.h"

const rp_meta_t *rp_meta_api_snapshot(rp_ctx_t *ctx)
{
    const rp_meta_t *m = NULL;
    rp_status_t st = rp_meta_acquire(ctx, &m);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return NULL;
    }
    return m;
}

const rp_object_t *rp_meta_api_object(rp_ctx_t *ctx, const rp_meta_t *m)
{
    const char *name = ctx->req.nparams > 0 ? ctx->req.params[0] : NULL;
    const rp_object_t *o = rp_meta_object(m, name);
    if (o == NULL) {
        char *detail =
            rp_pool_printf(&ctx->pool, "there is no object named \"%.64s\"", name ? name : "");
        rp_resp_problem(ctx, 404, "unknown_object", detail ? detail : "unknown object");
    }
    return o;
}

bool rp_meta_api_require_custom(rp_ctx_t *ctx, bool custom, const char *what, const char *name)
{
    if (custom)
        return true;
    char *detail = rp_pool_printf(&ctx->pool,
                                  "%s %s comes from a module and cannot be changed or deleted "
                                  "here; only custom ones (ending in __c) can",
                                  what, name);
    rp_resp_problem(ctx, 409, "not_custom", detail ? detail : "not a custom definition");
    return false;
}

bool rp_meta_api_confirmed(rp_ctx_t *ctx)
{
    const char *v = rp_req_query_param(ctx, "confirm");
    return v != NULL && strcmp(v, "true") == 0;
}

json_t *rp_meta_api_field_json(const rp_field_t *f)
{
    json_t *j = rp_field_describe(f);
    if (j != NULL &&
        json_object_set_new(j, "custom", json_boolean(rp_field_name_valid(f->name, true))) != 0) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* What the caller's role lets it do with o's records and fields. */
static json_t *permissions(rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o)
{
    rp_access_t a;
    rp_perm_access(ctx, m, o, &a);
    return rp_role_doc_access_json(&a, o);
}

json_t *rp_meta_api_object_json(rp_ctx_t *ctx, const rp_meta_t *m, const rp_object_t *o)
{
    json_t *j = json_pack("{s:s, s:b, s:o}", "name", o->name, "custom", o->custom, "module",
                          o->module ? json_string(o->module) : json_null());
    json_t *fields = json_array(), *related = json_array();
    if (j == NULL || fields == NULL || related == NULL || rp_object_labels_json(o, j) != 0)
        goto fail;
    for (int i = 0; i < o->nfields; i++)
        if (json_array_append_new(fields, rp_meta_api_field_json(&o->fields[i])) != 0)
            goto fail;
    /* The objects whose reference fields point here: the related lists. */
    const rp_object_t *const *objs = NULL;
    int n = m ? rp_meta_objects(m, &objs) : 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < objs[i]->nfields; k++) {
            const rp_field_t *f = &objs[i]->fields[k];
            if (f->type != RP_FIELD_REFERENCE || f->reference == NULL ||
                strcmp(f->reference, o->name) != 0)
                continue;
            if (json_array_append_new(related, json_pack("{s:s, s:s, s:s}", "object", objs[i]->name,
                                                         "field", f->name, "on_delete",
                                                         rp_on_delete_name(f->on_delete))) != 0)
                goto fail;
        }
    if (json_object_set_new(j, "fields", fields) != 0) {
        fields = NULL;
        goto fail;
    }
    fields = NULL;
    if (json_object_set_new(j, "related", related) != 0) {
        related = NULL;
        goto fail;
    }
    related = NULL;
    if (json_object_set_new(j, "permissions", permissions(ctx, m, o)) != 0)
        goto fail;
    return j;
fail:
    json_decref(fields);
    json_decref(related);
    json_decref(j);
    return NULL;
}

void rp_meta_api_error(json_t *errors, const char *key, const char *msg)
{
    if (errors != NULL && json_object_get(errors, key) == NULL)
        json_object_set_new(errors, key, json_string(msg));
}

void rp_meta_api_nest_errors(json_t *errors, const char *prefix, json_t *sub)
{
    const char *key;
    json_t *v;
    json_object_foreach(sub, key, v)
    {
        char full[256];
        if (prefix != NULL)
            snprintf(full, sizeof full, "%s.%s", prefix, key);
        else
            snprintf(full, sizeof full, "%s", key);
        rp_meta_api_error(errors, full, json_string_value(v));
    }
}

void rp_meta_api_check_field(const rp_meta_t *m, const char *new_object, const rp_field_t *f,
                             const char *prefix, json_t *errors)
{
    json_t *sub = json_object();
    if (sub == NULL)
        return;
    if (!rp_field_name_valid(f->name, true))
        rp_meta_api_error(sub, "name",
                          "must end in __c: the fields a tenant adds are custom fields");
    if (f->type == RP_FIELD_REFERENCE && f->reference != NULL &&
        rp_meta_object(m, f->reference) == NULL &&
        (new_object == NULL || strcmp(new_object, f->reference) != 0))
        rp_meta_api_error(sub, "reference", "must name an existing object");
    rp_meta_api_nest_errors(errors, prefix, sub);
    json_decref(sub);
}

bool rp_meta_api_changed(rp_ctx_t *ctx)
{
    rp_status_t st = rp_meta_changed(ctx);
    if (st != RP_OK) {
        rp_resp_fail(ctx, st);
        return false;
    }
    /* The transaction commits after the handler returns; dropping the entry
     * now is still right, because the version check refreshes a snapshot
     * that another request rebuilds before the commit. */
    rp_meta_invalidate(ctx->principal.tenant_id);
    return true;
}
