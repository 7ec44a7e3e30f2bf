/* Depends on a module nobody has: refused for the unknown dependency. */
#include "rapport/module.h"

RP_MODULE_MAGIC

static const char *const DEPS[] = {"nosuchmodule", NULL};
static const rp_module_info_t INFO = {sizeof INFO,          "orphan", "1.0.0",
                                      "missing dependency", DEPS,     NULL};
RP_MODULE_INFO(INFO)

RP_MODULE_INIT(reg, api)
{
    (void)reg;
    (void)api;
    return RP_M_OK;
}
