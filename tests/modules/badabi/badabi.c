/* Built for an ABI major the server does not have: refused before anything
 * else of it runs. */
#include "rapport/module.h"

RP_MODULE_EXPORT const rp_abi_magic_t *rapport_module_magic(void)
{
    static const rp_abi_magic_t magic = {
        sizeof(rp_abi_magic_t),   RAPPORT_ABI_MAJOR + 1, 0,
        sizeof(rp_module_info_t), sizeof(void *),        sizeof(rp_host_api_t)};
    return &magic;
}

static const rp_module_info_t INFO = {sizeof INFO, "badabi", "1.0.0", "wrong ABI", NULL, NULL};
RP_MODULE_INFO(INFO)

RP_MODULE_INIT(reg, api)
{
    (void)reg;
    (void)api;
    return RP_M_OK;
}
