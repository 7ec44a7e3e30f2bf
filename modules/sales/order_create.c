/* POST /api/v1/m/sales/quotes/{id}/order: an order and its lines from an
 * accepted quote, in one transaction. */

#include <stdio.h>
#include <string.h>

#include "order_copy.h"
#include "quote_actions.h"

#define H sales_host

/* The order already made from quote id, or NULL. */
static rp_mstatus_t existing_order(rp_mctx_t *ctx, const char *id, rp_json_t **out)
{
    rp_json_t *f = sales_c_cond("quote_id", "eq", H->json_string_new(id));
    if (f == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = sales_c_first(ctx, "order", f, NULL, out);
    H->json_free(f);
    return st;
}

static rp_mstatus_t order_exists(rp_mctx_t *ctx, const rp_json_t *order)
{
    char detail[200];
    const char *num = order ? sales_c_str(sales_c_fields(order), "number") : NULL;
    if (num != NULL)
        snprintf(detail, sizeof detail, "the quote already has order %s", num);
    else
        snprintf(detail, sizeof detail, "the quote already has an order");
    return sales_c_problem(ctx, 409, "order_exists", detail);
}

/* A refused copy: a refusal on the quote link is another request that
 * ordered the quote first (its claim is unique); anything else is the
 * order or one of its lines not being valid. */
static rp_mstatus_t refused(rp_mctx_t *ctx, sales_copy_t *c)
{
    if (c->header_refused && c->refused == RP_M_EINVAL && c->errors != NULL &&
        H->json_get(c->errors, "quote_id") != NULL)
        return order_exists(ctx, NULL);
    char what[64];
    if (c->header_refused)
        snprintf(what, sizeof what, "order");
    else
        snprintf(what, sizeof what, "order line copied from quote line %lld", c->line_position);
    rp_json_t *errors = c->errors;
    c->errors = NULL;
    return sales_c_refused(ctx, c->refused, errors, what);
}

rp_mstatus_t sales_quote_order(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *id = H->path_param(ctx, 0);
    rp_json_t *quote = NULL, *order = NULL;
    sales_copy_t c;
    memset(&c, 0, sizeof c);
    rp_mstatus_t st = H->record_get(ctx, "quote", id, &quote);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL) {
        st = sales_c_problem(ctx, 404, "not_found", "no quote with this id");
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    const char *status = sales_c_str(sales_c_fields(quote), "status");
    if (status == NULL || strcmp(status, "accepted") != 0) {
        char detail[200];
        snprintf(detail, sizeof detail, "the quote is %s: only an accepted quote can be ordered",
                 status ? status : "draft");
        st = sales_c_problem(ctx, 409, "quote_not_accepted", detail);
        goto done;
    }
    if ((st = existing_order(ctx, id, &order)) != RP_M_OK)
        goto done;
    if (order != NULL) {
        st = order_exists(ctx, order);
        goto done;
    }
    st = sales_copy_document(ctx, sales_doc_desc(SALES_DOC_QUOTE), quote,
                             sales_doc_desc(SALES_DOC_ORDER), "quote_id", &c);
    if (st != RP_M_OK)
        goto done;
    st = c.refused != RP_M_OK ? refused(ctx, &c)
                              : sales_copy_respond(ctx, sales_doc_desc(SALES_DOC_ORDER), &c);
done:
    sales_copy_clear(&c);
    H->json_free(quote);
    H->json_free(order);
    return st;
}
