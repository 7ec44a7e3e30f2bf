/* Registers an action, then fails its init: refused, and the action must
 * not exist. */
#include "rapport/module.h"

RP_MODULE_MAGIC

static const rp_module_info_t INFO = {sizeof INFO, "failinit", "1.0.0", "init fails", NULL, NULL};
RP_MODULE_INFO(INFO)

static rp_mstatus_t never(rp_mctx_t *ctx, void *user)
{
    (void)ctx;
    (void)user;
    return RP_M_ERR;
}

RP_MODULE_INIT(reg, api)
{
    api->register_action(reg, RP_ACTION_GET, "never", RP_ACTION_READONLY, never, NULL);
    return RP_M_ERR;
}
