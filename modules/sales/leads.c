/* Leads: a lead becomes "converted" only through the convert action
 * (lead_convert.c), and a converted lead is the record of what happened:
 * nobody edits it afterwards. */

#include <stdbool.h>
#include <string.h>

#include "leads.h"

#define H sales_host

_Thread_local int sales_leads_converting;

static const char HOW[] = "is set by converting the lead "
                          "(POST /api/v1/m/sales/leads/{id}/convert)";

static bool is_converted(const rp_json_t *v)
{
    const char *s = H->json_string(v);
    return s != NULL && strcmp(s, "converted") == 0;
}

static rp_hook_result_t lead_before_create(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    if (!is_converted(H->json_get(H->record_fields(rec), "status")))
        return RP_HOOK_CONTINUE;
    H->reject_field(rec, "status", HOW);
    return RP_HOOK_REJECT;
}

static rp_hook_result_t lead_before_update(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    if (sales_leads_converting)
        return RP_HOOK_CONTINUE;
    const rp_json_t *old = H->record_old(rec);
    if (old != NULL && is_converted(H->json_get(old, "status"))) {
        H->reject_field(rec, "status", "the lead is converted and can no longer be changed");
        return RP_HOOK_REJECT;
    }
    if (is_converted(H->json_get(H->record_fields(rec), "status"))) {
        H->reject_field(rec, "status", HOW);
        return RP_HOOK_REJECT;
    }
    return RP_HOOK_CONTINUE;
}

rp_mstatus_t sales_leads_init(rp_mreg_t *reg)
{
    rp_mstatus_t st =
        H->register_hook(reg, "lead", RP_HOOK_BEFORE_CREATE, lead_before_create, NULL);
    if (st == RP_M_OK)
        st = H->register_hook(reg, "lead", RP_HOOK_BEFORE_UPDATE, lead_before_update, NULL);
    if (st == RP_M_OK)
        st = H->register_action(reg, RP_ACTION_POST, "leads/{id}/convert", RP_ACTION_USER,
                                sales_lead_convert, NULL);
    return st;
}
