#ifndef SALES_QUOTE_HEADER_H
#define SALES_QUOTE_HEADER_H

/* The rules every document header (quote, order, invoice) shares, run by
 * each document's before hooks ahead of its own rules. */

#include "quote_common.h"

/* Before a create or an update of a header of d: a new document starts in
 * its initial status; a status change must be an allowed transition (a
 * document leaving its draft takes the document lock without waiting and
 * must have lines when its next status needs them); fields the status
 * guards may not change; the currency comes from the price book (or the
 * caller, or the tenant's default_currency setting) and may not change
 * once there are lines; a new document gets zero totals. */
rp_hook_result_t sales_header_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec,
                                           const sales_doc_desc_t *d);

/* Before a delete of a header of d: only what sales_flow_deletable
 * allows. */
rp_hook_result_t sales_header_before_delete(rp_mctx_t *ctx, rp_mrecord_t *rec,
                                            const sales_doc_desc_t *d);

/* The status the header has before the write (NULL on create). */
const char *sales_header_old_status(rp_mrecord_t *rec);

/* The status the caller moves the header to, or NULL when the write does
 * not change it. */
const char *sales_header_new_status(rp_mrecord_t *rec);

/* The currency the header will have (set by sales_header_before_write), or
 * NULL. */
const char *sales_header_currency(rp_mrecord_t *rec);

#endif
