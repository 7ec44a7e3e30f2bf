#ifndef SALES_CALL_SCRIPTS_H
#define SALES_CALL_SCRIPTS_H

/* What the call-script files share: call_scripts.c registers everything
 * from sales_call_scripts_init (sales.h), including the actions that
 * call_script_answers.c serves. */

#include "rapport/module.h"

/* Registers POST and GET /api/v1/m/sales/calls/{id}/script-answers. */
rp_mstatus_t sales_call_script_answers_init(rp_mreg_t *reg);

#endif
