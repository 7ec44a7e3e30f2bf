#include <stdio.h>

#include "core/log.h"
#include "modules/internal.h"

/* Calling a module's Lua functions and jobs, for the Lua bindings and the
 * job runner (which own when and how often). */

rp_status_t rp_modules_call_lua(rp_ctx_t *ctx, const rp_module_t *m, int i, const json_t *args,
                                json_t **out, char *why, size_t whylen)
{
    *out = NULL;
    if (m == NULL || i < 0 || i >= m->nluas || !json_is_array(args)) {
        snprintf(why, whylen, "no such function");
        return RP_EINVAL;
    }
    rp_mctx_t mc = {.ctx = ctx, .mod = m};
    rp_json_t *r = m->luas[i].fn(&mc, (const rp_json_t *)args, m->luas[i].user);
    if (r == NULL) {
        snprintf(why, whylen, "%s.%s failed%s%s", m->name, m->luas[i].name,
                 mc.failure[0] ? ": " : "", mc.failure);
        return RP_ERR;
    }
    *out = (json_t *)r;
    return RP_OK;
}

rp_status_t rp_modules_run_job(rp_ctx_t *ctx, const rp_module_t *m, int i)
{
    if (m == NULL || i < 0 || i >= m->njobs)
        return RP_EINVAL;
    rp_mctx_t mc = {.ctx = ctx, .mod = m};
    rp_mstatus_t st = m->jobs[i].fn(&mc, m->jobs[i].user);
    if (st != RP_M_OK) {
        rp_log_error("module %s: job %s failed (status %d)%s%s", m->name, m->jobs[i].name, (int)st,
                     mc.failure[0] ? ": " : "", mc.failure);
        return RP_ERR;
    }
    return RP_OK;
}
