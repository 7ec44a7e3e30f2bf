#include <stdio.h>
#include <string.h>

#include "modules/modules.h"
#include "records/crud_internal.h"
#include "script/script.h"

/* Module hooks run first (in module load order), then the tenant's Lua
 * triggers: a module's rule is the vertical's contract, a tenant script
 * customises on top of it. Both run in the write's transaction, so a
 * refusal or a failure anywhere leaves nothing written. */

static const rp_script_event_t script_event[RP_CRUD_EVENT_COUNT] = {
    RP_SCRIPT_BEFORE_CREATE, RP_SCRIPT_AFTER_CREATE,  RP_SCRIPT_BEFORE_UPDATE,
    RP_SCRIPT_AFTER_UPDATE,  RP_SCRIPT_BEFORE_DELETE, RP_SCRIPT_AFTER_DELETE,
};

static const rp_hook_event_t module_event[RP_CRUD_EVENT_COUNT] = {
    RP_HOOK_BEFORE_CREATE, RP_HOOK_AFTER_CREATE,  RP_HOOK_BEFORE_UPDATE,
    RP_HOOK_AFTER_UPDATE,  RP_HOOK_BEFORE_DELETE, RP_HOOK_AFTER_DELETE,
};

static bool is_before(rp_crud_event_t ev)
{
    return ev == RP_CRUD_BEFORE_CREATE || ev == RP_CRUD_BEFORE_UPDATE ||
           ev == RP_CRUD_BEFORE_DELETE;
}

static rp_status_t from_modules(rp_crud_t *c, rp_crud_event_t ev, const rp_object_t *o,
                                const char *id, json_t *fields, const json_t *record,
                                const json_t *old, rp_crud_fail_t *fail)
{
    rp_modset_t on;
    rp_meta_modules(c->meta, &on);
    if (on.bits == 0 || !rp_modules_hooked(&on, o->name, module_event[ev]))
        return RP_OK;
    const json_t *old_fields = old ? json_object_get(old, "fields") : NULL;
    if (!is_before(ev))
        return rp_modules_run_after(c->ctx, &on, module_event[ev], o->name, id,
                                    record ? json_object_get(record, "fields") : NULL,
                                    old_fields) == RP_OK
                   ? RP_OK
                   : RP_ERR;
    json_t *errors = json_object();
    if (errors == NULL)
        return RP_ENOMEM;
    rp_status_t st = rp_modules_run_before(c->ctx, &on, module_event[ev], o->name, id, fields,
                                           old_fields, errors);
    if (st == RP_EINVAL)
        return rp_crud_refuse(fail, 422, "validation_failed", errors,
                              "a rule of this %s record was not met", o->name);
    json_decref(errors);
    return st;
}

static rp_status_t from_scripts(rp_crud_t *c, rp_crud_event_t ev, const rp_object_t *o,
                                const char *id, json_t *fields, const json_t *record,
                                const json_t *old, rp_crud_fail_t *fail)
{
    rp_script_refusal_t ref;
    memset(&ref, 0, sizeof ref);
    json_t *given = is_before(ev) ? fields : (json_t *)record;
    rp_status_t st =
        rp_script_triggers_run(c->ctx, o->name, script_event[ev], id, given, old, &ref);
    if (st == RP_EINVAL) {
        const char *code = rp_pool_strdup(&c->ctx->pool, ref.code);
        st = rp_crud_refuse(fail, ref.status ? ref.status : 422, code ? code : "script_error",
                            ref.errors, "%s", ref.detail);
        ref.errors = NULL;
        snprintf(fail->limit, sizeof fail->limit, "%s", ref.limit);
    }
    rp_script_refusal_clear(&ref);
    return st;
}

rp_status_t rp_crud_hooks_run(rp_crud_t *c, rp_crud_event_t ev, const rp_object_t *o,
                              const char *id, json_t *fields, const json_t *record,
                              const json_t *old, rp_crud_fail_t *fail)
{
    rp_status_t st = from_modules(c, ev, o, id, fields, record, old, fail);
    if (st == RP_OK)
        st = from_scripts(c, ev, o, id, fields, record, old, fail);
    return st;
}
