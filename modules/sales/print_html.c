#include <stdlib.h>
#include <string.h>

#include "print_html.h"

void sales_html_init(sales_html_t *h)
{
    memset(h, 0, sizeof *h);
}

void sales_html_free(sales_html_t *h)
{
    free(h->data);
    memset(h, 0, sizeof *h);
}

static void append(sales_html_t *h, const char *p, size_t n)
{
    if (h->failed || n == 0)
        return;
    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 4096;
        while (cap < h->len + n + 1)
            cap *= 2;
        char *d = realloc(h->data, cap);
        if (d == NULL) {
            h->failed = true;
            return;
        }
        h->data = d;
        h->cap = cap;
    }
    memcpy(h->data + h->len, p, n);
    h->len += n;
    h->data[h->len] = '\0';
}

void sales_html_raw(sales_html_t *h, const char *s)
{
    if (s != NULL)
        append(h, s, strlen(s));
}

void sales_html_text(sales_html_t *h, const char *s)
{
    if (s == NULL)
        return;
    const char *run = s;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        append(h, run, (size_t)(s - run));
        sales_html_raw(h, rep);
        run = s + 1;
    }
    append(h, run, (size_t)(s - run));
}

/* <tag class="cls">text</tag> */
static void element(sales_html_t *h, const char *open, const char *text, const char *close)
{
    sales_html_raw(h, open);
    sales_html_text(h, text);
    sales_html_raw(h, close);
}

/* A row of the header table, left out when there is no value. */
static void fact(sales_html_t *h, const char *label, const char *value)
{
    if (value == NULL || *value == '\0')
        return;
    element(h, "<tr><th>", label, "</th>");
    element(h, "<td>", value, "</td></tr>\n");
}

static void money_cell(sales_html_t *h, const char *amount)
{
    element(h, "<td class=\"num\">", amount, "</td>");
}

static void line_row(sales_html_t *h, const sales_print_line_t *l)
{
    element(h, "<tr><td class=\"num\">", l->position, "</td><td>");
    if (l->product && *l->product) {
        element(h, "<strong>", l->product, "</strong>");
        if (l->code && *l->code)
            element(h, " <span class=\"code\">", l->code, "</span>");
        if (l->description && *l->description)
            sales_html_raw(h, "<br>");
    }
    element(h, "<span class=\"desc\">", l->description, "</span></td>");
    sales_html_raw(h, "<td class=\"num\">");
    sales_html_text(h, l->quantity);
    if (l->unit && *l->unit)
        element(h, " ", l->unit, "");
    sales_html_raw(h, "</td>");
    money_cell(h, l->unit_price);
    element(h, "<td class=\"num\">", l->discount, " %</td>");
    element(h, "<td class=\"num\">", l->tax_rate, " %</td>");
    money_cell(h, l->net);
    money_cell(h, l->tax);
    money_cell(h, l->total);
    sales_html_raw(h, "</tr>\n");
}

static void total_row(sales_html_t *h, const char *label, const char *amount, const char *cls)
{
    sales_html_raw(h, "<tr");
    sales_html_raw(h, cls);
    element(h, "><th>", label, "</th>");
    money_cell(h, amount);
    sales_html_raw(h, "</tr>\n");
}

static void paragraph(sales_html_t *h, const char *title, const char *text)
{
    if (text == NULL || *text == '\0')
        return;
    element(h, "<section><h2>", title, "</h2>");
    element(h, "<p class=\"text\">", text, "</p></section>\n");
}

static const char STYLE[] =
    "<style>\n"
    "body{font-family:Helvetica,Arial,sans-serif;font-size:11pt;color:#222;margin:2em;}\n"
    "h1{font-size:18pt;margin:0 0 .2em}h2{font-size:12pt;margin:1.5em 0 .3em}\n"
    "table{border-collapse:collapse}th{text-align:left;padding:.2em 1em .2em 0;"
    "font-weight:600}td{padding:.2em .6em}\n"
    "table.lines{width:100%;margin-top:1.5em}table.lines th,table.lines td{border-bottom:1px "
    "solid #ccc;padding:.4em .5em;vertical-align:top}\n"
    ".num{text-align:right;white-space:nowrap}.code{color:#666;font-size:9pt}"
    ".desc{white-space:pre-wrap}\n"
    "table.totals{margin:1em 0 0 auto}table.totals th{text-align:right}"
    "tr.grand th,tr.grand td{font-size:13pt;border-top:2px solid #222}\n"
    ".status{display:inline-block;border:1px solid #222;padding:0 .5em;font-size:9pt;"
    "text-transform:uppercase;letter-spacing:.05em}\n"
    ".text{white-space:pre-wrap}\n"
    "@media print{body{margin:0}}\n"
    "</style>\n";

bool sales_print_render(const sales_print_doc_t *d, sales_html_t *h)
{
    sales_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                      "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
    sales_html_text(h, d->kind);
    sales_html_raw(h, " ");
    sales_html_text(h, d->number);
    sales_html_raw(h, "</title>\n");
    sales_html_raw(h, STYLE);
    sales_html_raw(h, "</head><body>\n<header>");
    element(h, "<h1>", d->kind, " ");
    sales_html_text(h, d->number);
    sales_html_raw(h, "</h1>\n");
    element(h, "<p class=\"name\">", d->name, "</p>\n");
    element(h, "<p><span class=\"status\">", d->status, "</span></p>\n");
    sales_html_raw(h, "</header>\n<table class=\"facts\">\n");
    fact(h, "Customer", d->account);
    fact(h, "Contact", d->contact);
    fact(h, d->date_label ? d->date_label : "Date", d->date);
    fact(h, "Valid until", d->valid_until);
    fact(h, "Currency", d->currency);
    sales_html_raw(h, "</table>\n<table class=\"lines\">\n<thead><tr><th class=\"num\">#</th>"
                      "<th>Item</th><th class=\"num\">Quantity</th><th class=\"num\">Unit "
                      "price</th><th class=\"num\">Discount</th><th class=\"num\">Tax</th>"
                      "<th class=\"num\">Net</th><th class=\"num\">Tax amount</th>"
                      "<th class=\"num\">Total</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < d->nlines; i++)
        line_row(h, &d->lines[i]);
    if (d->nlines == 0)
        sales_html_raw(h, "<tr><td colspan=\"9\">No lines.</td></tr>\n");
    sales_html_raw(h, "</tbody></table>\n<table class=\"totals\">\n");
    total_row(h, "Subtotal", d->subtotal, "");
    total_row(h, "Discount", d->discount_total, "");
    total_row(h, "Tax", d->tax_total, "");
    total_row(h, "Total", d->total, " class=\"grand\"");
    sales_html_raw(h, "</table>\n");
    paragraph(h, "Terms", d->terms);
    paragraph(h, "Notes", d->notes);
    sales_html_raw(h, "</body></html>\n");
    return !h->failed;
}
