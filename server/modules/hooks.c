#include <string.h>

#include "core/log.h"
#include "modules/internal.h"

static bool matches(const rp_mhook_t *h, const char *object, rp_hook_event_t event)
{
    return h->event == event && (strcmp(h->object, "*") == 0 || strcmp(h->object, object) == 0);
}

bool rp_modules_hooked(const rp_modset_t *enabled, const char *object, rp_hook_event_t event)
{
    if (enabled == NULL || enabled->bits == 0 || object == NULL)
        return false;
    for (int i = 0; i < rp_modules_nloaded; i++) {
        const rp_module_t *m = rp_modules_loaded[i];
        if (!rp_modset_has(enabled, m))
            continue;
        for (int k = 0; k < m->nhooks; k++)
            if (matches(&m->hooks[k], object, event))
                return true;
    }
    return false;
}

static bool is_before(rp_hook_event_t ev)
{
    return ev == RP_HOOK_BEFORE_CREATE || ev == RP_HOOK_BEFORE_UPDATE ||
           ev == RP_HOOK_BEFORE_DELETE;
}

/* Runs the hooks of event in registry order; the registry is in load order,
 * which puts a module after everything it depends on. */
static rp_status_t run(rp_ctx_t *ctx, const rp_modset_t *enabled, rp_hook_event_t event,
                       const char *object, rp_mrecord_t *rec)
{
    for (int i = 0; i < rp_modules_nloaded; i++) {
        const rp_module_t *m = rp_modules_loaded[i];
        if (!rp_modset_has(enabled, m))
            continue;
        for (int k = 0; k < m->nhooks; k++) {
            const rp_mhook_t *h = &m->hooks[k];
            if (!matches(h, object, event))
                continue;
            rp_mctx_t mc = {.ctx = ctx, .mod = m};
            rp_hook_result_t r = h->fn(&mc, rec, h->user);
            if (r == RP_HOOK_CONTINUE)
                continue;
            if (r == RP_HOOK_REJECT && rec->writable) {
                /* A rejection without a reason still says who refused. */
                if (json_object_size(rec->errors) == 0)
                    rp_modules_host_api.reject_field(rec, "_", "refused by module");
                return RP_EINVAL;
            }
            rp_log_error("module %s: %s hook on %s failed%s%s", m->name,
                         is_before(event) ? "before" : "after", object, mc.failure[0] ? ": " : "",
                         mc.failure);
            return RP_ERR;
        }
    }
    return RP_OK;
}

rp_status_t rp_modules_run_before(rp_ctx_t *ctx, const rp_modset_t *enabled, rp_hook_event_t event,
                                  const char *object, const char *id, json_t *fields,
                                  const json_t *old, json_t *errors)
{
    if (!is_before(event) || object == NULL || errors == NULL ||
        (event != RP_HOOK_BEFORE_DELETE && !json_is_object(fields)))
        return RP_ERR;
    rp_mrecord_t rec = {.object = object,
                        .id = id,
                        .event = event,
                        .fields = fields,
                        .old = old,
                        .errors = errors,
                        .writable = true};
    return run(ctx, enabled, event, object, &rec);
}

rp_status_t rp_modules_run_after(rp_ctx_t *ctx, const rp_modset_t *enabled, rp_hook_event_t event,
                                 const char *object, const char *id, const json_t *rec,
                                 const json_t *old)
{
    if (is_before(event) || object == NULL)
        return RP_ERR;
    json_t *errors = json_object();
    if (errors == NULL)
        return RP_ENOMEM;
    /* After hooks read the stored record; they cannot change or refuse the
     * write (only fail it), so they get no writable fields. */
    rp_mrecord_t r = {.object = object,
                      .id = id,
                      .event = event,
                      .fields = (json_t *)rec,
                      .old = old,
                      .errors = errors,
                      .writable = false};
    rp_status_t st = run(ctx, enabled, event, object, &r);
    json_decref(errors);
    return st;
}
