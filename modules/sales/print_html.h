#ifndef SALES_PRINT_HTML_H
#define SALES_PRINT_HTML_H

/* The printable HTML page of a sales document, built from plain strings:
 * every value is HTML-escaped on the way in, so a name holding markup
 * prints as text. Pure C (no host call), unit-tested on its own; the page
 * is self-contained (inline style, no script, no external resource) and
 * the same for every tenant. */

#include <stdbool.h>
#include <stddef.h>

/* A growing text buffer; failed is set once an allocation fails. */
typedef struct sales_html {
    char *data; /* NUL-terminated once anything was written */
    size_t len, cap;
    bool failed;
} sales_html_t;

/* An empty buffer. */
void sales_html_init(sales_html_t *h);

/* Releases the buffer's memory. */
void sales_html_free(sales_html_t *h);

/* Appends markup as it is (the page's own tags, never a value). */
void sales_html_raw(sales_html_t *h, const char *s);

/* Appends text with &, <, >, " and ' escaped; NULL appends nothing. */
void sales_html_text(sales_html_t *h, const char *s);

/* One line of the document, as display strings (NULL shows empty). */
typedef struct sales_print_line {
    const char *position, *product, *code, *description;
    const char *quantity, *unit, *unit_price, *discount, *tax_rate;
    const char *net, *tax, *total;
} sales_print_line_t;

/* The document, as display strings (NULL shows empty or leaves a row
 * out). */
typedef struct sales_print_doc {
    const char *kind;   /* "Quote" */
    const char *number; /* "Q-00042" */
    const char *name, *status, *date_label, *date, *valid_until;
    const char *account, *contact, *currency;
    const char *subtotal, *discount_total, *tax_total, *total;
    const char *terms, *notes;
    const sales_print_line_t *lines;
    size_t nlines;
} sales_print_doc_t;

/* Writes the whole page into h; false when memory ran out. */
bool sales_print_render(const sales_print_doc_t *doc, sales_html_t *h);

#endif
