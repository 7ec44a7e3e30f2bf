#ifndef SALES_LEADS_H
#define SALES_LEADS_H

/* What leads.c and lead_convert.c share. */

#include "sales.h"

/* Set while the convert action writes the lead on this thread: the lead's
 * before-update hook lets that one write through (a converted lead is
 * otherwise frozen, and status "converted" cannot be set by hand). Hooks
 * run synchronously on the worker that serves the action. */
extern _Thread_local int sales_leads_converting;

/* POST /api/v1/m/sales/leads/{id}/convert (lead_convert.c). */
rp_mstatus_t sales_lead_convert(rp_mctx_t *ctx, void *user);

#endif
