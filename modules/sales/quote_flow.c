#include <stdio.h>
#include <string.h>

#include "quote_flow.h"

static const sales_doc_desc_t docs[SALES_DOC_COUNT] = {
    {SALES_DOC_QUOTE, "quote", "quote_line", "quote_id", "draft"},
    {SALES_DOC_ORDER, "order", "order_line", "order_id", "draft"},
    {SALES_DOC_INVOICE, "invoice", "invoice_line", "invoice_id", "draft"},
};

/* One allowed transition. */
typedef struct edge {
    const char *from, *to;
} edge_t;

static const edge_t quote_edges[] = {
    {"draft", "sent"}, {"sent", "draft"}, {"sent", "accepted"}, {"sent", "rejected"}, {NULL, NULL}};
static const edge_t order_edges[] = {{"draft", "activated"},
                                     {"draft", "cancelled"},
                                     {"activated", "fulfilled"},
                                     {"activated", "cancelled"},
                                     {NULL, NULL}};
static const edge_t invoice_edges[] = {
    {"draft", "issued"}, {"draft", "void"}, {"issued", "paid"}, {"issued", "void"}, {NULL, NULL}};

static const edge_t *const edges[SALES_DOC_COUNT] = {quote_edges, order_edges, invoice_edges};

static const char *const quote_statuses[] = {"draft", "sent", "accepted", "rejected", NULL};
static const char *const order_statuses[] = {"draft", "activated", "fulfilled", "cancelled", NULL};
static const char *const invoice_statuses[] = {"draft", "issued", "paid", "void", NULL};

static const char *const *const statuses[SALES_DOC_COUNT] = {quote_statuses, order_statuses,
                                                             invoice_statuses};

static const char *const finals[SALES_DOC_COUNT][3] = {
    {"accepted", "rejected", NULL}, {"fulfilled", "cancelled", NULL}, {"paid", "void", NULL}};

static bool valid_kind(sales_doc_kind_t kind)
{
    return (int)kind >= 0 && kind < SALES_DOC_COUNT;
}

static bool eq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

const sales_doc_desc_t *sales_doc_desc(sales_doc_kind_t kind)
{
    return valid_kind(kind) ? &docs[kind] : NULL;
}

const sales_doc_desc_t *sales_doc_by_object(const char *object)
{
    for (int i = 0; i < SALES_DOC_COUNT; i++)
        if (eq(docs[i].object, object))
            return &docs[i];
    return NULL;
}

const sales_doc_desc_t *sales_doc_by_line(const char *object)
{
    for (int i = 0; i < SALES_DOC_COUNT; i++)
        if (eq(docs[i].line_object, object))
            return &docs[i];
    return NULL;
}

bool sales_flow_known(sales_doc_kind_t kind, const char *status)
{
    if (!valid_kind(kind))
        return false;
    for (const char *const *s = statuses[kind]; *s; s++)
        if (eq(*s, status))
            return true;
    return false;
}

bool sales_flow_allowed(sales_doc_kind_t kind, const char *from, const char *to)
{
    if (!sales_flow_known(kind, from) || !sales_flow_known(kind, to))
        return false;
    if (eq(from, to))
        return true;
    for (const edge_t *e = edges[kind]; e->from; e++)
        if (eq(e->from, from) && eq(e->to, to))
            return true;
    return false;
}

/* "a" or "an" before word. */
static const char *article(const char *word)
{
    return word && strchr("aeiou", word[0]) && word[0] ? "an" : "a";
}

void sales_flow_refusal(sales_doc_kind_t kind, const char *from, const char *to, char *buf,
                        size_t size)
{
    if (size == 0)
        return;
    const char *what = valid_kind(kind) ? docs[kind].object : "document";
    if (!sales_flow_known(kind, to)) {
        snprintf(buf, size, "\"%s\" is not a %s status", to ? to : "", what);
        return;
    }
    char allowed[160] = "";
    size_t n = 0;
    for (const edge_t *e = valid_kind(kind) ? edges[kind] : NULL; e && e->from; e++) {
        if (!eq(e->from, from))
            continue;
        int w = snprintf(allowed + n, sizeof allowed - n, "%s%s", n ? " or " : "", e->to);
        if (w < 0 || (size_t)w >= sizeof allowed - n)
            break;
        n += (size_t)w;
    }
    const char *f = from ? from : "";
    if (n == 0)
        snprintf(buf, size, "cannot go from %s to %s: %s %s %s is final", f, to, article(f), f,
                 what);
    else
        snprintf(buf, size, "cannot go from %s to %s: %s %s %s can only go to %s", f, to,
                 article(f), f, what, allowed);
}

bool sales_flow_lines_open(sales_doc_kind_t kind, const char *status)
{
    return valid_kind(kind) && eq(status, docs[kind].initial);
}

bool sales_flow_final(sales_doc_kind_t kind, const char *status)
{
    if (!valid_kind(kind))
        return false;
    for (int i = 0; finals[kind][i]; i++)
        if (eq(finals[kind][i], status))
            return true;
    return false;
}

bool sales_flow_field_editable(sales_doc_kind_t kind, const char *status, const char *field)
{
    if (!valid_kind(kind) || sales_flow_final(kind, status))
        return false;
    if (eq(status, docs[kind].initial))
        return true;
    /* A document out of its draft keeps what was agreed: only its status
     * moves on, and an issued invoice records its payments. */
    if (eq(field, "status"))
        return true;
    return kind == SALES_DOC_INVOICE && eq(field, "amount_paid");
}

bool sales_flow_deletable(sales_doc_kind_t kind, const char *status)
{
    if (!valid_kind(kind) || kind == SALES_DOC_INVOICE)
        return false;
    return eq(status, docs[kind].initial);
}

bool sales_flow_header_derived(const char *field)
{
    static const char *const derived[] = {"subtotal",    "discount_total", "tax_total", "total",
                                          "balance_due", "open_order_id",  "line_count"};
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (eq(derived[i], field))
            return true;
    return false;
}

bool sales_flow_needs_lines(sales_doc_kind_t kind, const char *to)
{
    static const char *const targets[SALES_DOC_COUNT] = {"sent", "activated", "issued"};
    return valid_kind(kind) && eq(targets[kind], to);
}

const char *const *sales_flow_header_fields(sales_doc_kind_t kind)
{
    static const char *const quote[] = {
        "name",     "account_id",  "contact_id", "opportunity_id", "price_book_id",
        "currency", "valid_until", "terms",      "notes",          NULL};
    static const char *const order[] = {
        "name",           "quote_id",      "account_id", "contact_id",
        "opportunity_id", "price_book_id", "currency",   "order_date",
        "terms",          "notes",         NULL};
    static const char *const invoice[] = {
        "name",          "order_id", "account_id", "contact_id", "opportunity_id",
        "price_book_id", "currency", "issue_date", "due_date",   "amount_paid",
        "terms",         "notes",    NULL};
    static const char *const *const all[SALES_DOC_COUNT] = {quote, order, invoice};
    static const char *const none[] = {NULL};
    return valid_kind(kind) ? all[kind] : none;
}

const char *const *sales_flow_line_fields(void)
{
    static const char *const fields[] = {"position",   "product_id", "description", "quantity",
                                         "unit_price", "discount",   "tax_rate",    NULL};
    return fields;
}
