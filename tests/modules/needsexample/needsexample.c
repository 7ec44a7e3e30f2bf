/* Depends on the example module: a tenant must enable example first, and
 * cannot disable example while this one is enabled. */
#include "rapport/module.h"

RP_MODULE_MAGIC

static const char *const DEPS[] = {"example", NULL};
static const rp_module_info_t INFO = {sizeof INFO,          "needsexample", "1.0.0",
                                      "depends on example", DEPS,           NULL};
RP_MODULE_INFO(INFO)

RP_MODULE_INIT(reg, api)
{
    (void)reg;
    (void)api;
    return RP_M_OK;
}
