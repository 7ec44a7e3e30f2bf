/* Ships a migration whose table has tenant_id but no forced row-level
 * security: the install is refused and nothing of the migration stays. */
#include "rapport/module.h"

RP_MODULE_MAGIC

static const rp_module_info_t INFO = {sizeof INFO, "badtable", "1.0.0", "unsafe table", NULL, NULL};
RP_MODULE_INFO(INFO)

RP_MODULE_INIT(reg, api)
{
    (void)reg;
    (void)api;
    return RP_M_OK;
}
