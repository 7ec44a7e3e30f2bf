#ifndef SALES_QUOTE_ACTIONS_H
#define SALES_QUOTE_ACTIONS_H

/* The actions of the quote-to-cash flow, registered by quotes.c and
 * orders.c. */

#include "sales.h"

/* GET /api/v1/m/sales/quotes/{id}/print: the quote as a self-contained
 * printable HTML page (quote_print.c). */
rp_mstatus_t sales_quote_print(rp_mctx_t *ctx, void *user);

/* POST /api/v1/m/sales/quotes/{id}/order: an order and its lines from an
 * accepted quote, 201 (order_create.c). */
rp_mstatus_t sales_quote_order(rp_mctx_t *ctx, void *user);

/* POST /api/v1/m/sales/orders/{id}/invoice: an invoice and its lines from
 * an activated or fulfilled order, 201 (invoice_create.c). */
rp_mstatus_t sales_order_invoice(rp_mctx_t *ctx, void *user);

#endif
