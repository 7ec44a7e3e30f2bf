#ifndef SALES_QUOTE_LINES_H
#define SALES_QUOTE_LINES_H

/* The lines of quotes, orders and invoices: one set of hooks for the three
 * line objects. Before a write they check that the document is a draft
 * (under the document lock), fill the unit price from the document's price
 * book, the tax rate and description from the product, the position, and
 * compute the line's amounts (totals.h); after a write they move the
 * document's totals by the line's amounts, under the same lock. */

#include "quote_common.h"

/* Registers the six hooks on the line object of d. */
rp_mstatus_t sales_lines_register(rp_mreg_t *reg, const sales_doc_desc_t *d);

#endif
