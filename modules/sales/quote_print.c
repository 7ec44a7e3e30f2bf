/* GET /api/v1/m/sales/quotes/{id}/print: the quote as a printable HTML
 * page (print_html.c does the page; this file gathers the values). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print_html.h"
#include "quote_actions.h"
#include "quote_common.h"

#define H sales_host

/* Room for an amount and its currency: "-123...4.5678 EUR". */
#define AMOUNT_BUF (SALES_DEC_BUF + 8)

/* The display strings of one line that are not in its record. */
typedef struct shown_line {
    char position[24];
    char unit_price[AMOUNT_BUF], net[AMOUNT_BUF], tax[AMOUNT_BUF], total[AMOUNT_BUF];
} shown_line_t;

/* Everything the page is built from; the strings point into records. */
typedef struct gather {
    rp_json_t *lines;    /* copies of the line records (owned array) */
    rp_json_t *products; /* product id -> product record (owned object) */
} gather_t;

/* "1234.50 EUR": an amount with its currency's minor-unit digits. */
static void show_amount(const rp_json_t *v, char out[AMOUNT_BUF])
{
    sales_dec_t a;
    char code[4], num[SALES_DEC_BUF];
    out[0] = '\0';
    if (sales_c_money(v, &a, code) != SALES_MONEY_OK)
        return;
    int places = sales_currency_places(code);
    /* A unit price may carry more places than the currency: keep them. */
    sales_dec_format(a.scale > places ? a : sales_dec_round(a, places), num, sizeof num);
    snprintf(out, AMOUNT_BUF, "%s %s", num, code);
}

static rp_mstatus_t keep_line(rp_mctx_t *ctx, const rp_json_t *record, void *arg)
{
    (void)ctx;
    gather_t *g = arg;
    return H->json_array_append(g->lines, H->json_copy(record));
}

/* The product of a line, read once per product. Unreadable products show
 * the line's own description only. */
static const rp_json_t *product_of(rp_mctx_t *ctx, gather_t *g, const char *id)
{
    if (id == NULL)
        return NULL;
    const rp_json_t *have = H->json_get(g->products, id);
    if (have != NULL)
        return H->json_kind(have) == RP_JSON_NULL ? NULL : sales_c_fields(have);
    rp_json_t *p = NULL;
    rp_mstatus_t st = H->record_get(ctx, "product", id, &p);
    if (st != RP_M_OK || p == NULL) {
        H->json_free(p);
        H->json_set(g->products, id, H->json_null_new());
        return NULL;
    }
    if (H->json_set(g->products, id, p) != RP_M_OK)
        return NULL;
    return sales_c_fields(H->json_get(g->products, id));
}

/* A field of another record the quote points to, as the page shows it:
 * an account's name, a contact's full name. owned receives the record. */
static const char *linked_name(rp_mctx_t *ctx, const char *object, const char *id,
                               rp_json_t **owned, char *buf, size_t size)
{
    *owned = NULL;
    if (id == NULL || H->record_get(ctx, object, id, owned) != RP_M_OK)
        return NULL;
    const rp_json_t *f = sales_c_fields(*owned);
    if (strcmp(object, "contact") != 0)
        return sales_c_str(f, "name");
    const char *first = sales_c_str(f, "first_name"), *last = sales_c_str(f, "last_name");
    snprintf(buf, size, "%s%s%s", first ? first : "", first && last ? " " : "", last ? last : "");
    return buf;
}

static const char *status_label(const char *s)
{
    static const char *const labels[][2] = {
        {"draft", "Draft"}, {"sent", "Sent"}, {"accepted", "Accepted"}, {"rejected", "Rejected"}};
    for (size_t i = 0; s && i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(labels[i][0], s) == 0)
            return labels[i][1];
    return s;
}

static rp_mstatus_t render(rp_mctx_t *ctx, const rp_json_t *quote, gather_t *g)
{
    const rp_json_t *q = sales_c_fields(quote);
    size_t n = H->json_array_size(g->lines);
    sales_print_line_t *lines = calloc(n ? n : 1, sizeof *lines);
    shown_line_t *shown = calloc(n ? n : 1, sizeof *shown);
    rp_json_t *account = NULL, *contact = NULL;
    sales_html_t html;
    sales_html_init(&html);
    rp_mstatus_t st = RP_M_ENOMEM;
    if (lines == NULL || shown == NULL)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const rp_json_t *f = sales_c_fields(H->json_array_get(g->lines, i));
        const rp_json_t *p = product_of(ctx, g, sales_c_str(f, "product_id"));
        const rp_json_t *pos = H->json_get(f, "position");
        if (pos != NULL && H->json_kind(pos) == RP_JSON_INTEGER)
            snprintf(shown[i].position, sizeof shown[i].position, "%lld", H->json_integer(pos));
        show_amount(H->json_get(f, "unit_price"), shown[i].unit_price);
        show_amount(H->json_get(f, "net_amount"), shown[i].net);
        show_amount(H->json_get(f, "tax_amount"), shown[i].tax);
        show_amount(H->json_get(f, "total"), shown[i].total);
        const char *disc = sales_c_str(f, "discount"), *tax = sales_c_str(f, "tax_rate");
        lines[i] = (sales_print_line_t){
            .position = shown[i].position,
            .product = sales_c_str(p, "name"),
            .code = sales_c_str(p, "code"),
            .description = sales_c_str(f, "description"),
            .quantity = sales_c_str(f, "quantity"),
            .unit = sales_c_str(p, "unit"),
            .unit_price = shown[i].unit_price,
            .discount = disc ? disc : "0",
            .tax_rate = tax ? tax : "0",
            .net = shown[i].net,
            .tax = shown[i].tax,
            .total = shown[i].total,
        };
    }
    char subtotal[AMOUNT_BUF], discount[AMOUNT_BUF], taxes[AMOUNT_BUF], total[AMOUNT_BUF];
    char created[11] = "", contact_buf[512];
    show_amount(H->json_get(q, "subtotal"), subtotal);
    show_amount(H->json_get(q, "discount_total"), discount);
    show_amount(H->json_get(q, "tax_total"), taxes);
    show_amount(H->json_get(q, "total"), total);
    const char *at = H->json_string(H->json_get(quote, "created_at"));
    if (at != NULL)
        snprintf(created, sizeof created, "%.10s", at);
    sales_print_doc_t doc = {
        .kind = "Quote",
        .number = sales_c_str(q, "number"),
        .name = sales_c_str(q, "name"),
        .status = status_label(sales_c_str(q, "status")),
        .date_label = "Date",
        .date = created,
        .valid_until = sales_c_str(q, "valid_until"),
        .account = linked_name(ctx, "account", sales_c_str(q, "account_id"), &account, NULL, 0),
        .contact = linked_name(ctx, "contact", sales_c_str(q, "contact_id"), &contact, contact_buf,
                               sizeof contact_buf),
        .currency = sales_c_str(q, "currency"),
        .subtotal = subtotal,
        .discount_total = discount,
        .tax_total = taxes,
        .total = total,
        .terms = sales_c_str(q, "terms"),
        .notes = sales_c_str(q, "notes"),
        .lines = lines,
        .nlines = n,
    };
    if (!sales_print_render(&doc, &html))
        goto done;
    H->respond_text(ctx, 200, "text/html; charset=utf-8", html.data, html.len);
    st = RP_M_OK;
done:
    sales_html_free(&html);
    H->json_free(account);
    H->json_free(contact);
    free(lines);
    free(shown);
    return st;
}

rp_mstatus_t sales_quote_print(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *id = H->path_param(ctx, 0);
    rp_json_t *quote = NULL;
    gather_t g = {.lines = H->json_array_new(), .products = H->json_object_new()};
    rp_mstatus_t st = RP_M_ENOMEM;
    if (g.lines == NULL || g.products == NULL)
        goto done;
    st = H->record_get(ctx, "quote", id, &quote);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL) {
        st = sales_c_problem(ctx, 404, "not_found", "no quote with this id");
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    st = sales_c_each(ctx, "quote_line", "quote_id", id, "position", keep_line, &g);
    if (st == RP_M_OK)
        st = render(ctx, quote, &g);
done:
    H->json_free(quote);
    H->json_free(g.lines);
    H->json_free(g.products);
    return st;
}
