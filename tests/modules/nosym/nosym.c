/* Has the magic and the descriptor but no init: refused for the missing
 * symbol. */
#include "rapport/module.h"

RP_MODULE_MAGIC

static const rp_module_info_t INFO = {sizeof INFO, "nosym", "1.0.0", "no init", NULL, NULL};
RP_MODULE_INFO(INFO)
