#ifndef SALES_ORDER_COPY_H
#define SALES_ORDER_COPY_H

/* Making one sales document from another (an order from its quote, an
 * invoice from its order): the header's shared fields and every line, in
 * the request's transaction, as the caller (its permissions apply). */

#include "quote_common.h"

/* The outcome of a copy that the caller answers. */
typedef struct sales_copy {
    rp_json_t *header;       /* the new document as stored after its lines (owned) */
    rp_json_t *lines;        /* its lines (owned array) */
    rp_mstatus_t refused;    /* the status of a refused write, RP_M_OK otherwise */
    rp_json_t *errors;       /* that write's per-field errors (owned) */
    bool header_refused;     /* true when the header, false when a line, was refused */
    long long line_position; /* the refused line's position in the source */
} sales_copy_t;

/* Creates a document of dd from the source document src (a record of
 * sd->object as record_get gives it): the header gets the source's shared
 * fields plus link = the source's id (quote_id, order_id), then each line
 * of the source is copied in position order. RP_M_OK with c->refused set
 * when a write was refused (the caller answers and so rolls back); other
 * failures are returned. Release c with sales_copy_clear. */
rp_mstatus_t sales_copy_document(rp_mctx_t *ctx, const sales_doc_desc_t *sd, const rp_json_t *src,
                                 const sales_doc_desc_t *dd, const char *link, sales_copy_t *c);

/* Releases what c holds. */
void sales_copy_clear(sales_copy_t *c);

/* Answers 201 {"<object>": header, "lines": [...]}, taking c's header and
 * lines. */
rp_mstatus_t sales_copy_respond(rp_mctx_t *ctx, const sales_doc_desc_t *dd, sales_copy_t *c);

#endif
