/* POST /api/v1/m/sales/orders/{id}/invoice: an invoice and its lines from
 * an activated or fulfilled order, in one transaction. Its number comes
 * from the invoice's autonumber: per tenant, without gaps (the counter row
 * stays locked until the transaction ends and a rollback gives the number
 * back; invoices are never deleted, only voided). */

#include <stdio.h>
#include <string.h>

#include "order_copy.h"
#include "quote_actions.h"

#define H sales_host

/* The order's invoice that is not void, or NULL. */
static rp_mstatus_t live_invoice(rp_mctx_t *ctx, const char *order, rp_json_t **out)
{
    rp_json_t *f = sales_c_and(sales_c_cond("order_id", "eq", H->json_string_new(order)),
                               sales_c_cond("status", "ne", H->json_string_new("void")), NULL);
    if (f == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = sales_c_first(ctx, "invoice", f, "number", out);
    H->json_free(f);
    return st;
}

static rp_mstatus_t already_invoiced(rp_mctx_t *ctx, const rp_json_t *invoice)
{
    char detail[200];
    const char *num = invoice ? sales_c_str(sales_c_fields(invoice), "number") : NULL;
    if (num != NULL)
        snprintf(detail, sizeof detail,
                 "the order already has invoice %s: void it to invoice the order again", num);
    else
        snprintf(detail, sizeof detail, "the order already has an invoice");
    return sales_c_problem(ctx, 409, "already_invoiced", detail);
}

/* A refused copy: a refusal on the order link or its claim is another
 * request that invoiced the order first; anything else is the invoice or
 * one of its lines not being valid. */
static rp_mstatus_t refused(rp_mctx_t *ctx, sales_copy_t *c)
{
    if (c->header_refused && c->refused == RP_M_EINVAL && c->errors != NULL &&
        (H->json_get(c->errors, "order_id") != NULL ||
         H->json_get(c->errors, "open_order_id") != NULL))
        return already_invoiced(ctx, NULL);
    char what[64];
    if (c->header_refused)
        snprintf(what, sizeof what, "invoice");
    else
        snprintf(what, sizeof what, "invoice line copied from order line %lld", c->line_position);
    rp_json_t *errors = c->errors;
    c->errors = NULL;
    return sales_c_refused(ctx, c->refused, errors, what);
}

rp_mstatus_t sales_order_invoice(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *id = H->path_param(ctx, 0);
    rp_json_t *order = NULL, *invoice = NULL;
    sales_copy_t c;
    memset(&c, 0, sizeof c);
    rp_mstatus_t st = H->record_get(ctx, "order", id, &order);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL) {
        st = sales_c_problem(ctx, 404, "not_found", "no order with this id");
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    const char *status = sales_c_str(sales_c_fields(order), "status");
    if (status != NULL && strcmp(status, "cancelled") == 0) {
        st = sales_c_problem(ctx, 409, "order_cancelled", "a cancelled order cannot be invoiced");
        goto done;
    }
    if (status == NULL || (strcmp(status, "activated") != 0 && strcmp(status, "fulfilled") != 0)) {
        st = sales_c_problem(ctx, 409, "order_not_activated",
                             "the order is a draft: activate it before invoicing it");
        goto done;
    }
    if ((st = live_invoice(ctx, id, &invoice)) != RP_M_OK)
        goto done;
    if (invoice != NULL) {
        st = already_invoiced(ctx, invoice);
        goto done;
    }
    st = sales_copy_document(ctx, sales_doc_desc(SALES_DOC_ORDER), order,
                             sales_doc_desc(SALES_DOC_INVOICE), "order_id", &c);
    if (st != RP_M_OK)
        goto done;
    st = c.refused != RP_M_OK ? refused(ctx, &c)
                              : sales_copy_respond(ctx, sales_doc_desc(SALES_DOC_INVOICE), &c);
done:
    sales_copy_clear(&c);
    H->json_free(order);
    H->json_free(invoice);
    return st;
}
