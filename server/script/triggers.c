#include <stdio.h>
#include <string.h>

#include "script/internal.h"

/* The old record's fields with the patch over them: what a before_update
 * trigger sees as "new". */
static json_t *merged(const json_t *old_record, const json_t *patch)
{
    json_t *fields = json_object_get(old_record, "fields");
    json_t *m = json_is_object(fields) ? json_deep_copy(fields) : json_object();
    if (m != NULL && patch != NULL && json_object_update(m, (json_t *)patch) != 0) {
        json_decref(m);
        return NULL;
    }
    return m;
}

/* Drops null members: a script sees an empty field as nil, as Lua has it. */
static json_t *strip_nulls(json_t *o)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(o, tmp, k, v) if (json_is_null(v)) json_object_del(o, k);
    return o;
}

/* Puts back into patch what a before_update trigger changed in its merged
 * view: the members it was given, any other that now differs from the old
 * record, and null for those it set to nil. */
static rp_status_t write_back_update(json_t *patch, const json_t *old_record, const json_t *seen)
{
    json_t *old = json_object_get(old_record, "fields");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)seen, k, v)
    {
        json_t *was = json_object_get(old, k);
        bool given = json_object_get(patch, k) != NULL;
        if (given || !(was ? json_equal(was, v) : json_is_null(v)))
            if (json_object_set(patch, k, v) != 0)
                return RP_ENOMEM;
    }
    json_object_foreach(old, k, v)
    {
        if (!json_is_null(v) && json_object_get(seen, k) == NULL &&
            json_object_set_new(patch, k, json_null()) != 0)
            return RP_ENOMEM;
    }
    json_object_foreach(patch, k, v)
    {
        if (json_object_get(seen, k) == NULL && !json_is_null(v) &&
            json_object_set_new(patch, k, json_null()) != 0)
            return RP_ENOMEM;
    }
    return RP_OK;
}

static rp_status_t write_back_create(json_t *fields, const json_t *seen)
{
    json_object_clear(fields);
    return json_object_update(fields, (json_t *)seen) == 0 ? RP_OK : RP_ENOMEM;
}

rp_status_t rp_script_triggers_run(rp_ctx_t *ctx, const char *object, rp_script_event_t ev,
                                   const char *record_id, json_t *new_fields,
                                   const json_t *old_record, rp_script_refusal_t *out)
{
    memset(out, 0, sizeof *out);
    rp_script_tenant_t *t;
    rp_status_t st = rp_script_tenant(ctx, &t);
    if (st != RP_OK)
        return st;
    /* Copied: a nested write may rebuild nothing while the state is busy,
     * but the list must not be walked while it could change. */
    int n = 0;
    const char *ids[64];
    for (int i = 0; i < t->ndefs && n < 64; i++)
        if (t->defs[i].kind == RP_SCRIPT_TRIGGER && (t->defs[i].events & (unsigned)ev) &&
            strcmp(t->defs[i].object, object) == 0)
            ids[n++] = rp_pool_strdup(&ctx->pool, t->defs[i].id);
    if (n == 0)
        return RP_OK;
    rp_script_gov_t *g = rp_script_gov(ctx);
    if (g == NULL)
        return RP_ENOMEM;
    if (g->depth >= RP_SCRIPT_MAX_DEPTH) {
        rp_script_refuse(out, "script_limit", "trigger_depth",
                         "triggers of %s nested deeper than %d (a trigger that keeps updating "
                         "records that fire it?)",
                         object, RP_SCRIPT_MAX_DEPTH);
        return RP_EINVAL;
    }
    const char *evname = rp_script_event_name(ev);
    bool before = ev == RP_SCRIPT_BEFORE_CREATE || ev == RP_SCRIPT_BEFORE_UPDATE ||
                  ev == RP_SCRIPT_BEFORE_DELETE;
    g->depth++;
    for (int i = 0; i < n && st == RP_OK; i++) {
        /* Look the definition up again: the cache entry is stable while a
         * script of the tenant runs, but not across the loop's own calls. */
        if ((st = rp_script_tenant(ctx, &t)) != RP_OK)
            break;
        const rp_script_def_t *d = NULL;
        for (int k = 0; k < t->ndefs && d == NULL; k++)
            if (ids[i] && strcmp(t->defs[k].id, ids[i]) == 0)
                d = &t->defs[k];
        if (d == NULL)
            continue;
        json_t *view = NULL;
        if (ev == RP_SCRIPT_BEFORE_UPDATE)
            view = merged(old_record, new_fields);
        else if (ev == RP_SCRIPT_BEFORE_CREATE)
            view = new_fields ? json_deep_copy(new_fields) : json_object();
        else if (ev == RP_SCRIPT_AFTER_CREATE || ev == RP_SCRIPT_AFTER_UPDATE)
            view = json_deep_copy(json_object_get(new_fields, "fields"));
        json_t *arg =
            json_pack("{s:s, s:s, s:i}", "event", evname, "object", object, "depth", g->depth);
        if (arg == NULL ||
            (ev != RP_SCRIPT_BEFORE_DELETE && ev != RP_SCRIPT_AFTER_DELETE && view == NULL)) {
            json_decref(arg);
            json_decref(view);
            st = RP_ENOMEM;
            break;
        }
        if (view)
            json_object_set_new(arg, "new", strip_nulls(view));
        if (record_id)
            json_object_set_new(arg, "id", json_string(record_id));
        if (old_record) {
            json_t *copy = json_deep_copy(old_record);
            rp_script_record_for_lua(copy);
            json_object_set_new(arg, "old", copy);
        }
        if (ev == RP_SCRIPT_AFTER_CREATE || ev == RP_SCRIPT_AFTER_UPDATE) {
            json_t *copy = json_deep_copy(new_fields);
            rp_script_record_for_lua(copy);
            json_object_set_new(arg, "record", copy);
        }
        json_t *seen = NULL;
        char *code = rp_pool_strdup(&ctx->pool, d->code);
        char *name = rp_pool_strdup(&ctx->pool, d->name);
        if (code == NULL || name == NULL) {
            json_decref(arg);
            st = RP_ENOMEM;
            break;
        }
        st = rp_script_invoke(ctx, ids[i], name, d->version, code, evname, false, arg, out, NULL,
                              before ? &seen : NULL, NULL);
        json_decref(arg);
        if (st == RP_OK && seen != NULL && json_is_object(seen) && new_fields != NULL) {
            if (ev == RP_SCRIPT_BEFORE_CREATE)
                st = write_back_create(new_fields, seen);
            else if (ev == RP_SCRIPT_BEFORE_UPDATE)
                st = write_back_update(new_fields, old_record, seen);
        }
        json_decref(seen);
    }
    g->depth--;
    return st;
}
