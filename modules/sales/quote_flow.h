#ifndef SALES_QUOTE_FLOW_H
#define SALES_QUOTE_FLOW_H

/* The life cycle of the three sales documents (quote, order, invoice): their
 * objects and line objects, the status transitions each allows, and what
 * may still change in each status. Pure tables and lookups, no host call:
 * the hooks ask here, the unit tests check the rules. */

#include <stdbool.h>
#include <stddef.h>

/* The three documents. */
typedef enum sales_doc_kind {
    SALES_DOC_QUOTE = 0,
    SALES_DOC_ORDER = 1,
    SALES_DOC_INVOICE = 2,
    SALES_DOC_COUNT /* not a document: their number */
} sales_doc_kind_t;

/* One document type: its header object, its line object and the line's
 * reference to the header. */
typedef struct sales_doc_desc {
    sales_doc_kind_t kind;
    const char *object;      /* "quote" */
    const char *line_object; /* "quote_line" */
    const char *line_ref;    /* "quote_id" */
    const char *initial;     /* the status a new document has: "draft" */
} sales_doc_desc_t;

/* The description of kind (never NULL for a valid kind). */
const sales_doc_desc_t *sales_doc_desc(sales_doc_kind_t kind);

/* The document whose header object is object, or NULL. */
const sales_doc_desc_t *sales_doc_by_object(const char *object);

/* The document whose line object is object, or NULL. */
const sales_doc_desc_t *sales_doc_by_line(const char *object);

/* True when status is one of kind's statuses. */
bool sales_flow_known(sales_doc_kind_t kind, const char *status);

/* True when a document of kind may go from status from to status to (a
 * status to itself is no transition and always allowed). */
bool sales_flow_allowed(sales_doc_kind_t kind, const char *from, const char *to);

/* Writes why from -> to is refused, naming the transition and the ones
 * allowed from from ("cannot go from accepted to draft: an accepted quote
 * is final"). */
void sales_flow_refusal(sales_doc_kind_t kind, const char *from, const char *to, char *buf,
                        size_t size);

/* True when lines may be added, changed or removed in status. */
bool sales_flow_lines_open(sales_doc_kind_t kind, const char *status);

/* True when a document in status may no longer change at all (accepted or
 * rejected quote, fulfilled or cancelled order, paid or void invoice). */
bool sales_flow_final(sales_doc_kind_t kind, const char *status);

/* True when the caller may change header field field of a document in
 * status: every field in the editable status, only the status (and for an
 * invoice the amount paid) afterwards, nothing once final. Fields the
 * module derives are not asked about. */
bool sales_flow_field_editable(sales_doc_kind_t kind, const char *status, const char *field);

/* True when a document in status may be deleted: drafts of quotes and
 * orders; invoices never (their numbers must stay without gaps: a wrong
 * invoice is voided instead). */
bool sales_flow_deletable(sales_doc_kind_t kind, const char *status);

/* True when field is one the module derives on a header (totals, balance,
 * the invoice's claim on its order): callers cannot write them (they are
 * read-only) and the status rules leave them alone. */
bool sales_flow_header_derived(const char *field);

/* True when a document must have at least one line to go to status to (a
 * quote being sent, an order activated, an invoice issued). */
bool sales_flow_needs_lines(sales_doc_kind_t kind, const char *to);

/* The header fields of kind that callers write (NULL-ended): the ones the
 * status rules guard. A tenant's own custom fields are not among them and
 * stay editable. */
const char *const *sales_flow_header_fields(sales_doc_kind_t kind);

/* The fields of a line that callers write (NULL-ended), the reference to
 * the header included. */
const char *const *sales_flow_line_fields(void);

#endif
