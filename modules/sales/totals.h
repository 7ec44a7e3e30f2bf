#ifndef SALES_TOTALS_H
#define SALES_TOTALS_H

/* The amounts of a quote, order or invoice line and of the whole document,
 * in exact decimal arithmetic (money.h). Pure computation: no host call, so
 * that the rule is unit-tested on its own and is the same for quotes,
 * orders and invoices.
 *
 * The rule, per line, in the document's currency with m minor-unit digits
 * (sales_currency_places), every rounding half away from zero:
 *
 *   gross    = round(quantity * unit_price, m)
 *   net      = round(quantity * unit_price * (100 - discount) / 100, m)
 *   discount = gross - net
 *   tax      = round(net * tax_rate / 100, m)
 *   total    = net + tax
 *
 * Each rounding starts from the exact product of the line's own inputs
 * (never from a rounded intermediate). The document's subtotal, discount
 * total, tax total and total are the sums of the lines' rounded gross,
 * discount, tax and total, so the document always equals the sum of what
 * its lines show. */

#include <stdbool.h>

#include "money.h"

/* Most digits an amount may have (the records API keeps 38). */
#define SALES_AMOUNT_DIGITS_MAX 38

/* The inputs of one line. Percentages are numbers of percent (12.5 means
 * 12.5 %). */
typedef struct sales_line_in {
    sales_dec_t quantity;   /* > 0 */
    sales_dec_t unit_price; /* >= 0, in the document's currency */
    sales_dec_t discount;   /* 0..100 */
    sales_dec_t tax_rate;   /* 0..100 */
} sales_line_in_t;

/* The derived amounts of one line, each with exactly the currency's
 * minor-unit digits. */
typedef struct sales_line_amounts {
    sales_dec_t gross;    /* before the discount */
    sales_dec_t discount; /* gross - net */
    sales_dec_t net;      /* after the discount, before tax */
    sales_dec_t tax;
    sales_dec_t total; /* net + tax */
} sales_line_amounts_t;

/* Why a line cannot be computed. */
typedef enum sales_line_error {
    SALES_LINE_OK = 0,
    SALES_LINE_QUANTITY, /* quantity <= 0 */
    SALES_LINE_PRICE,    /* unit_price < 0 */
    SALES_LINE_DISCOUNT, /* discount outside 0..100 */
    SALES_LINE_TAX_RATE, /* tax_rate outside 0..100 */
    SALES_LINE_OVERFLOW  /* an amount needs more than SALES_AMOUNT_DIGITS_MAX digits */
} sales_line_error_t;

/* Computes a line's amounts with places minor-unit digits (0..4). On an
 * error *out is left unspecified. */
sales_line_error_t sales_line_compute(const sales_line_in_t *in, int places,
                                      sales_line_amounts_t *out);

/* The input field an error is about ("quantity", "unit_price", "discount",
 * "tax_rate"), or "quantity" for an overflow (the usual culprit). */
const char *sales_line_error_field(sales_line_error_t e);

/* A sentence for the client ("must be greater than 0"). */
const char *sales_line_error_message(sales_line_error_t e);

/* The running totals of a document. */
typedef struct sales_doc_totals {
    int places;           /* the currency's minor-unit digits */
    sales_dec_t subtotal; /* sum of gross */
    sales_dec_t discount; /* sum of discount */
    sales_dec_t tax;      /* sum of tax */
    sales_dec_t total;    /* sum of total */
} sales_doc_totals_t;

/* Starts totals at zero with places digits. */
void sales_totals_start(sales_doc_totals_t *t, int places);

/* Adds one line's amounts; false (t unchanged) when a sum would need more
 * than SALES_AMOUNT_DIGITS_MAX digits. */
bool sales_totals_add(sales_doc_totals_t *t, const sales_line_amounts_t *line);

#endif
