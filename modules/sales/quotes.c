/* Quotes: the header's rules (status flow, validity, defaults from the
 * opportunity or contact), quote lines (quote_lines.c), the printable view
 * (quote_print.c) and ordering an accepted quote (order_create.c). */

#include <stdio.h>
#include <string.h>

#include "quote_actions.h"
#include "quote_header.h"
#include "quote_lines.h"

#define H sales_host

/* A new quote for an opportunity or a contact is for their account unless
 * the caller names one. */
static rp_hook_result_t default_account(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    bool given;
    sales_c_value(rec, "account_id", &given);
    if (given)
        return RP_HOOK_CONTINUE;
    static const struct {
        const char *field, *object;
    } from[] = {{"opportunity_id", "opportunity"}, {"contact_id", "contact"}};
    for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
        const char *id = sales_c_value_str(rec, from[i].field, NULL);
        if (id == NULL)
            continue;
        rp_json_t *r = NULL;
        rp_mstatus_t st = H->record_get(ctx, from[i].object, id, &r);
        if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL)
            continue; /* the records engine refuses a reference that does not exist */
        if (st != RP_M_OK)
            return RP_HOOK_FAIL;
        const char *account = sales_c_str(sales_c_fields(r), "account_id");
        bool ok =
            account == NULL || sales_c_set(ctx, rec, "account_id", H->json_string_new(account));
        H->json_free(r);
        if (!ok)
            return RP_HOOK_FAIL;
        if (account != NULL)
            break;
    }
    return RP_HOOK_CONTINUE;
}

/* A new quote is valid for the tenant's quote_validity_days (30 unless
 * set) unless the caller says until when. */
static rp_hook_result_t default_validity(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    bool given;
    sales_c_value(rec, "valid_until", &given);
    if (given)
        return RP_HOOK_CONTINUE;
    char today[11], until[11];
    sales_c_today(today);
    int days = sales_c_setting_int(ctx, "quote_validity_days", 0, 3650, 30);
    if (!sales_c_add_days(today, days, until))
        return RP_HOOK_CONTINUE;
    return sales_c_set(ctx, rec, "valid_until", H->json_string_new(until)) ? RP_HOOK_CONTINUE
                                                                           : RP_HOOK_FAIL;
}

static rp_hook_result_t before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    const sales_doc_desc_t *d = user;
    rp_hook_result_t r = sales_header_before_write(ctx, rec, d);
    if (r != RP_HOOK_CONTINUE)
        return r;
    if (H->record_event(rec) == RP_HOOK_BEFORE_CREATE) {
        if ((r = default_account(ctx, rec)) != RP_HOOK_CONTINUE)
            return r;
        return default_validity(ctx, rec);
    }
    const char *to = sales_header_new_status(rec);
    const char *until = sales_c_value_str(rec, "valid_until", NULL);
    char today[11];
    sales_c_today(today);
    /* Dates are YYYY-MM-DD, so they compare as text. */
    if (to != NULL && strcmp(to, "accepted") == 0 && until != NULL && strcmp(until, today) < 0) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the quote expired on %s: revise it (back to draft) with a new validity date",
                 until);
        return sales_c_reject(rec, "status", msg);
    }
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t before_delete(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    return sales_header_before_delete(ctx, rec, user);
}

rp_mstatus_t sales_quotes_init(rp_mreg_t *reg)
{
    const sales_doc_desc_t *d = sales_doc_desc(SALES_DOC_QUOTE);
    void *u = (void *)d;
    rp_mstatus_t st = H->register_hook(reg, "quote", RP_HOOK_BEFORE_CREATE, before_write, u);
    if (st == RP_M_OK)
        st = H->register_hook(reg, "quote", RP_HOOK_BEFORE_UPDATE, before_write, u);
    if (st == RP_M_OK)
        st = H->register_hook(reg, "quote", RP_HOOK_BEFORE_DELETE, before_delete, u);
    if (st == RP_M_OK)
        st = sales_lines_register(reg, d);
    if (st == RP_M_OK)
        st = H->register_action(reg, RP_ACTION_GET, "quotes/{id}/print", RP_ACTION_READONLY,
                                sales_quote_print, NULL);
    if (st == RP_M_OK)
        st = H->register_action(reg, RP_ACTION_POST, "quotes/{id}/order", RP_ACTION_USER,
                                sales_quote_order, NULL);
    return st;
}
