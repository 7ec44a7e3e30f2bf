/* Orders and invoices: their headers' rules (status flows, one order per
 * quote, one live invoice per order, issue and due dates, payments), their
 * lines (quote_lines.c) and invoicing an order (invoice_create.c). */

#include <stdio.h>
#include <string.h>

#include "quote_actions.h"
#include "quote_header.h"
#include "quote_lines.h"
#include "totals.h"

#define H sales_host

/* The first invoice of order that is not void (other than the record
 * written, self), or NULL. */
static rp_mstatus_t live_invoice(rp_mctx_t *ctx, const char *order, const char *self,
                                 rp_json_t **out)
{
    rp_json_t *f = sales_c_and(sales_c_cond("order_id", "eq", H->json_string_new(order)),
                               sales_c_cond("status", "ne", H->json_string_new("void")),
                               self ? sales_c_cond("id", "ne", H->json_string_new(self)) : NULL);
    if (f == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = sales_c_first(ctx, "invoice", f, "number", out);
    H->json_free(f);
    return st;
}

/* A new document made by hand from another (an order naming its quote, an
 * invoice naming its order) takes the source's currency, price book and
 * customer unless the caller gives them. */
static bool inherit(rp_mctx_t *ctx, rp_mrecord_t *rec, const rp_json_t *src)
{
    static const char *const names[] = {"currency", "price_book_id", "account_id", "contact_id",
                                        "opportunity_id"};
    if (H->record_event(rec) != RP_HOOK_BEFORE_CREATE)
        return true;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        bool given;
        sales_c_value(rec, names[i], &given);
        const rp_json_t *v = H->json_get(src, names[i]);
        if (given || v == NULL || H->json_kind(v) == RP_JSON_NULL)
            continue;
        if (!sales_c_set(ctx, rec, names[i], H->json_copy(v)))
            return false;
    }
    return true;
}

/* ---- orders ------------------------------------------------------------ */

/* An order made from a quote needs an accepted quote without an order. */
static rp_hook_result_t check_quote(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    bool create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE;
    const char *quote = sales_c_value_str(rec, "quote_id", NULL);
    if (quote == NULL || (!create && !sales_c_changes(rec, "quote_id")))
        return RP_HOOK_CONTINUE;
    rp_json_t *q = NULL, *other = NULL, *f = NULL;
    rp_mstatus_t st = H->record_get(ctx, "quote", quote, &q);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL)
        return RP_HOOK_CONTINUE; /* the records engine refuses the reference */
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    char msg[200];
    const char *status = sales_c_str(sales_c_fields(q), "status");
    if (status == NULL || strcmp(status, "accepted") != 0) {
        snprintf(msg, sizeof msg, "the quote is %s: only an accepted quote can be ordered",
                 status ? status : "draft");
        r = sales_c_reject(rec, "quote_id", msg);
        goto done;
    }
    f = sales_c_and(
        sales_c_cond("quote_id", "eq", H->json_string_new(quote)),
        H->record_id(rec) ? sales_c_cond("id", "ne", H->json_string_new(H->record_id(rec))) : NULL,
        NULL);
    if (f == NULL || sales_c_first(ctx, "order", f, NULL, &other) != RP_M_OK) {
        r = RP_HOOK_FAIL;
        goto done;
    }
    if (other != NULL) {
        const char *num = sales_c_str(sales_c_fields(other), "number");
        snprintf(msg, sizeof msg, "already has order %s", num ? num : sales_c_id(other));
        r = sales_c_reject(rec, "quote_id", msg);
    } else if (!inherit(ctx, rec, sales_c_fields(q))) {
        r = RP_HOOK_FAIL;
    }
done:
    H->json_free(q);
    H->json_free(other);
    H->json_free(f);
    return r;
}

static rp_hook_result_t order_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    rp_hook_result_t r = check_quote(ctx, rec);
    if (r != RP_HOOK_CONTINUE ||
        (r = sales_header_before_write(ctx, rec, user)) != RP_HOOK_CONTINUE)
        return r;
    if (H->record_event(rec) == RP_HOOK_BEFORE_CREATE) {
        bool given;
        sales_c_value(rec, "order_date", &given);
        char today[11];
        sales_c_today(today);
        if (!given && !sales_c_set(ctx, rec, "order_date", H->json_string_new(today)))
            return RP_HOOK_FAIL;
        return RP_HOOK_CONTINUE;
    }
    const char *to = sales_header_new_status(rec);
    if (to == NULL || strcmp(to, "cancelled") != 0)
        return RP_HOOK_CONTINUE;
    rp_json_t *inv = NULL;
    if (live_invoice(ctx, H->record_id(rec), NULL, &inv) != RP_M_OK)
        return RP_HOOK_FAIL;
    if (inv != NULL) {
        char msg[200];
        const char *num = sales_c_str(sales_c_fields(inv), "number");
        snprintf(msg, sizeof msg, "the order has invoice %s: void it before cancelling the order",
                 num ? num : sales_c_id(inv));
        r = sales_c_reject(rec, "status", msg);
    }
    H->json_free(inv);
    return r;
}

/* ---- invoices ---------------------------------------------------------- */

/* An invoice of an order needs an activated or fulfilled order without
 * another live invoice; it then holds the order's claim (open_order_id,
 * unique) until it is voided, which keeps concurrent invoicing to one. */
static rp_hook_result_t check_order(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    bool create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE;
    const char *order = sales_c_value_str(rec, "order_id", NULL);
    const char *status = sales_c_value_str(rec, "status", NULL);
    bool live = status == NULL || strcmp(status, "void") != 0;
    if (!create && !sales_c_changes(rec, "order_id") && !sales_c_changes(rec, "status"))
        return RP_HOOK_CONTINUE;
    if (!sales_c_set(ctx, rec, "open_order_id",
                     order && live ? H->json_string_new(order) : H->json_null_new()))
        return RP_HOOK_FAIL;
    if (order == NULL || (!create && !sales_c_changes(rec, "order_id")))
        return RP_HOOK_CONTINUE;
    rp_json_t *o = NULL, *other = NULL;
    rp_mstatus_t st = H->record_get(ctx, "order", order, &o);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL)
        return RP_HOOK_CONTINUE; /* the records engine refuses the reference */
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    char msg[200];
    const char *os = sales_c_str(sales_c_fields(o), "status");
    if (os == NULL || (strcmp(os, "activated") != 0 && strcmp(os, "fulfilled") != 0)) {
        snprintf(msg, sizeof msg,
                 "the order is %s: only an activated or fulfilled order can be invoiced",
                 os ? os : "draft");
        r = sales_c_reject(rec, "order_id", msg);
    } else if (live_invoice(ctx, order, H->record_id(rec), &other) != RP_M_OK) {
        r = RP_HOOK_FAIL;
    } else if (other != NULL) {
        const char *num = sales_c_str(sales_c_fields(other), "number");
        snprintf(msg, sizeof msg, "already has invoice %s", num ? num : sales_c_id(other));
        r = sales_c_reject(rec, "order_id", msg);
    } else if (!inherit(ctx, rec, sales_c_fields(o))) {
        r = RP_HOOK_FAIL;
    }
    H->json_free(o);
    H->json_free(other);
    return r;
}

/* An invoice being issued gets today's issue date and a due date the
 * tenant's invoice_due_days (30 unless set) later, unless given. */
static rp_hook_result_t issue_dates(rp_mctx_t *ctx, rp_mrecord_t *rec)
{
    const char *issued = sales_c_value_str(rec, "issue_date", NULL);
    char today[11], due[11];
    if (issued == NULL) {
        sales_c_today(today);
        issued = today;
        if (!sales_c_set(ctx, rec, "issue_date", H->json_string_new(today)))
            return RP_HOOK_FAIL;
    }
    if (sales_c_value_str(rec, "due_date", NULL) != NULL)
        return RP_HOOK_CONTINUE;
    int days = sales_c_setting_int(ctx, "invoice_due_days", 0, 3650, 30);
    if (sales_c_add_days(issued, days, due) &&
        !sales_c_set(ctx, rec, "due_date", H->json_string_new(due)))
        return RP_HOOK_FAIL;
    return RP_HOOK_CONTINUE;
}

/* Payments: amount_paid in the invoice's currency, the full total when an
 * invoice is marked paid, and balance_due = total - amount_paid. */
static rp_hook_result_t payments(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *to)
{
    const char *code = sales_header_currency(rec);
    if (code == NULL || !sales_currency_valid(code))
        return RP_HOOK_CONTINUE;
    int places = sales_currency_places(code);
    char msg[200], pc[4];
    sales_dec_t total = sales_dec_zero(), paid = sales_dec_zero(), balance;
    sales_c_money(sales_c_value(rec, "total", NULL), &total, pc);
    bool given;
    sales_money_read_t read = sales_c_money(sales_c_value(rec, "amount_paid", &given), &paid, pc);
    if (read == SALES_MONEY_BAD)
        return RP_HOOK_CONTINUE; /* the records engine says what is wrong */
    if (read == SALES_MONEY_OK && strcmp(pc, code) != 0) {
        snprintf(msg, sizeof msg, "must be in %s, the invoice's currency", code);
        return sales_c_reject(rec, "amount_paid", msg);
    }
    if (read == SALES_MONEY_NONE)
        paid = sales_dec_zero();
    bool paying = to != NULL && strcmp(to, "paid") == 0;
    if (paying && given && sales_dec_cmp(paid, total) < 0)
        return sales_c_reject(rec, "amount_paid",
                              "is less than the total: an invoice is paid once paid in full");
    if (paying && !given && sales_dec_cmp(paid, total) < 0) {
        paid = total;
        given = true;
        read = SALES_MONEY_NO_CODE;
    }
    if (given && read == SALES_MONEY_NO_CODE &&
        !sales_c_set(ctx, rec, "amount_paid", sales_c_money_new(paid, -1, code)))
        return RP_HOOK_FAIL;
    if (!sales_dec_sub(total, paid, &balance))
        return sales_c_reject(rec, "amount_paid", "is too large");
    return sales_c_set(ctx, rec, "balance_due", sales_c_money_new(balance, places, code))
               ? RP_HOOK_CONTINUE
               : RP_HOOK_FAIL;
}

static rp_hook_result_t invoice_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    rp_hook_result_t r = check_order(ctx, rec);
    if (r != RP_HOOK_CONTINUE ||
        (r = sales_header_before_write(ctx, rec, user)) != RP_HOOK_CONTINUE)
        return r;
    const char *to = sales_header_new_status(rec);
    if (to != NULL && strcmp(to, "issued") == 0 && (r = issue_dates(ctx, rec)) != RP_HOOK_CONTINUE)
        return r;
    return payments(ctx, rec, to);
}

static rp_hook_result_t before_delete(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    return sales_header_before_delete(ctx, rec, user);
}

static rp_mstatus_t register_doc(rp_mreg_t *reg, sales_doc_kind_t kind, rp_hook_fn write)
{
    const sales_doc_desc_t *d = sales_doc_desc(kind);
    void *u = (void *)d;
    rp_mstatus_t st = H->register_hook(reg, d->object, RP_HOOK_BEFORE_CREATE, write, u);
    if (st == RP_M_OK)
        st = H->register_hook(reg, d->object, RP_HOOK_BEFORE_UPDATE, write, u);
    if (st == RP_M_OK)
        st = H->register_hook(reg, d->object, RP_HOOK_BEFORE_DELETE, before_delete, u);
    if (st == RP_M_OK)
        st = sales_lines_register(reg, d);
    return st;
}

rp_mstatus_t sales_orders_init(rp_mreg_t *reg)
{
    rp_mstatus_t st = register_doc(reg, SALES_DOC_ORDER, order_before_write);
    if (st == RP_M_OK)
        st = register_doc(reg, SALES_DOC_INVOICE, invoice_before_write);
    if (st == RP_M_OK)
        st = H->register_action(reg, RP_ACTION_POST, "orders/{id}/invoice", RP_ACTION_USER,
                                sales_order_invoice, NULL);
    return st;
}
