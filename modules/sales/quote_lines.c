#include <stdio.h>
#include <string.h>

#include "quote_lines.h"
#include "totals.h"

#define H sales_host

/* What a line write works with: its document and product, loaded once. */
typedef struct line_ctx {
    rp_mctx_t *ctx;
    rp_mrecord_t *rec;
    const sales_doc_desc_t *d;
    bool create;
    const char *doc_id;
    rp_json_t *doc;     /* owned */
    rp_json_t *product; /* owned, or NULL */
    const char *code;   /* the document's currency */
    int places;
} line_ctx_t;

/* True for the canonical text of a UUID (either case); anything else is
 * left for the records engine to refuse with its own message. */
static bool uuid_like(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

/* Loads the line's document under the document lock and checks it takes
 * line changes; RP_HOOK_CONTINUE with lc->doc NULL when there is nothing to
 * check (the records engine refuses the reference itself). */
static rp_hook_result_t open_document(line_ctx_t *lc)
{
    const sales_doc_desc_t *d = lc->d;
    char msg[256];
    if (!uuid_like(lc->doc_id))
        return RP_HOOK_CONTINUE;
    if (sales_c_lock(lc->ctx, lc->doc_id, true, NULL) != RP_M_OK)
        return RP_HOOK_FAIL;
    rp_mstatus_t st = H->record_get(lc->ctx, d->object, lc->doc_id, &lc->doc);
    if (st == RP_M_ENOTFOUND)
        return sales_c_reject(lc->rec, d->line_ref, "refers to a record that does not exist");
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    const rp_json_t *f = sales_c_fields(lc->doc);
    const char *status = sales_c_str(f, "status");
    if (status == NULL)
        status = d->initial;
    if (!sales_flow_lines_open(d->kind, status)) {
        snprintf(msg, sizeof msg, "lines can only change while the %s is a %s; it is %s", d->object,
                 d->initial, status);
        return sales_c_reject(lc->rec, d->line_ref, msg);
    }
    lc->code = sales_c_str(f, "currency");
    if (lc->code == NULL || !sales_currency_valid(lc->code)) {
        snprintf(msg, sizeof msg, "the %s has no currency", d->object);
        return sales_c_reject(lc->rec, d->line_ref, msg);
    }
    lc->places = sales_currency_places(lc->code);
    return RP_HOOK_CONTINUE;
}

/* Loads the line's product when it has one. */
static rp_hook_result_t load_product(line_ctx_t *lc, bool changes)
{
    const char *id = sales_c_value_str(lc->rec, "product_id", NULL);
    if (id == NULL || !uuid_like(id))
        return RP_HOOK_CONTINUE;
    rp_mstatus_t st = H->record_get(lc->ctx, "product", id, &lc->product);
    if (st == RP_M_ENOTFOUND)
        return sales_c_reject(lc->rec, "product_id", "refers to a record that does not exist");
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    const rp_json_t *active = H->json_get(sales_c_fields(lc->product), "active");
    /* Documents made from others (an order from its quote) keep products
     * that were retired since; only new offers need active ones. */
    if (changes && lc->d->kind == SALES_DOC_QUOTE && active != NULL &&
        H->json_kind(active) == RP_JSON_BOOL && !H->json_bool(active))
        return sales_c_reject(lc->rec, "product_id", "is not active");
    return RP_HOOK_CONTINUE;
}

/* The list price of the product in the document's price book. */
static rp_hook_result_t list_price(line_ctx_t *lc, sales_dec_t *price)
{
    char msg[256];
    const char *book = sales_c_str(sales_c_fields(lc->doc), "price_book_id");
    if (lc->product == NULL)
        return sales_c_reject(lc->rec, "unit_price", "is required when the line has no product");
    if (book == NULL) {
        snprintf(msg, sizeof msg,
                 "is required: the %s has no price book to take the product's price from",
                 lc->d->object);
        return sales_c_reject(lc->rec, "unit_price", msg);
    }
    rp_json_t *filter =
        sales_c_and(sales_c_cond("price_book_id", "eq", H->json_string_new(book)),
                    sales_c_cond("product_id", "eq", H->json_string_new(sales_c_id(lc->product))),
                    sales_c_cond("active", "eq", H->json_bool_new(1)));
    rp_json_t *entry = NULL;
    rp_mstatus_t st =
        filter ? sales_c_first(lc->ctx, "price_book_entry", filter, NULL, &entry) : RP_M_ENOMEM;
    H->json_free(filter);
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    char code[4];
    if (entry == NULL) {
        snprintf(msg, sizeof msg,
                 "is required: the product has no active price in the %s's price book",
                 lc->d->object);
        r = sales_c_reject(lc->rec, "unit_price", msg);
    } else if (sales_c_money(H->json_get(sales_c_fields(entry), "list_price"), price, code) !=
                   SALES_MONEY_OK ||
               strcmp(code, lc->code) != 0) {
        snprintf(msg, sizeof msg, "is required: the price book's price is not in %s", lc->code);
        r = sales_c_reject(lc->rec, "unit_price", msg);
    } else if (!sales_c_set(lc->ctx, lc->rec, "unit_price",
                            sales_c_money_new(*price, -1, lc->code))) {
        r = RP_HOOK_FAIL;
    }
    H->json_free(entry);
    return r;
}

/* The unit price: the caller's (in the document's currency), the stored
 * one, or the price book's when there is none or the product changes. */
static rp_hook_result_t unit_price(line_ctx_t *lc, bool product_changes, sales_dec_t *price,
                                   bool *known)
{
    char code[4], msg[200];
    bool given;
    const rp_json_t *v = sales_c_value(lc->rec, "unit_price", &given);
    *known = false;
    /* A new product brings its own price, unless the caller gives one; a
     * product taken off the line leaves the price as it was. */
    bool reprice = product_changes && lc->product != NULL;
    sales_money_read_t read = SALES_MONEY_NONE;
    if (given || (!lc->create && !reprice))
        read = sales_c_money(v, price, code);
    switch (read) {
    case SALES_MONEY_BAD:
        return RP_HOOK_CONTINUE; /* the records engine says what is wrong */
    case SALES_MONEY_NONE:
        *known = true;
        return list_price(lc, price);
    case SALES_MONEY_NO_CODE:
        *known = true;
        return sales_c_set(lc->ctx, lc->rec, "unit_price", sales_c_money_new(*price, -1, lc->code))
                   ? RP_HOOK_CONTINUE
                   : RP_HOOK_FAIL;
    case SALES_MONEY_OK:
        if (strcmp(code, lc->code) != 0) {
            snprintf(msg, sizeof msg, "must be in %s, the %s's currency", lc->code, lc->d->object);
            return sales_c_reject(lc->rec, "unit_price", msg);
        }
        *known = true;
        return RP_HOOK_CONTINUE;
    }
    return RP_HOOK_CONTINUE;
}

/* A percentage of the line (discount, tax_rate): the given or stored one,
 * else the product's default (tax rate) or zero. *ok false when it does
 * not read as a decimal (the engine refuses it). */
static rp_hook_result_t percentage(line_ctx_t *lc, const char *field, const char *from_product,
                                   sales_dec_t *out, bool *ok)
{
    bool given;
    const rp_json_t *v = sales_c_value(lc->rec, field, &given);
    *ok = true;
    if (v != NULL && H->json_kind(v) != RP_JSON_NULL) {
        *ok = sales_c_dec(v, out);
        return RP_HOOK_CONTINUE;
    }
    *out = sales_dec_zero();
    if (!lc->create || given || from_product == NULL || lc->product == NULL)
        return RP_HOOK_CONTINUE;
    const rp_json_t *pv = H->json_get(sales_c_fields(lc->product), from_product);
    if (pv == NULL || H->json_kind(pv) == RP_JSON_NULL || !sales_c_dec(pv, out))
        return RP_HOOK_CONTINUE;
    return sales_c_set(lc->ctx, lc->rec, field, H->json_copy(pv)) ? RP_HOOK_CONTINUE : RP_HOOK_FAIL;
}

/* The next free position among the document's lines. */
static rp_hook_result_t next_position(line_ctx_t *lc)
{
    bool given;
    sales_c_value(lc->rec, "position", &given);
    if (given)
        return RP_HOOK_CONTINUE;
    rp_json_t *filter = sales_c_cond(lc->d->line_ref, "eq", H->json_string_new(lc->doc_id));
    rp_json_t *last = NULL;
    rp_mstatus_t st = filter
                          ? sales_c_first(lc->ctx, lc->d->line_object, filter, "-position", &last)
                          : RP_M_ENOMEM;
    H->json_free(filter);
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    long long pos = 1;
    const rp_json_t *p = last ? H->json_get(sales_c_fields(last), "position") : NULL;
    if (p != NULL && H->json_kind(p) == RP_JSON_INTEGER && H->json_integer(p) >= 1)
        pos = H->json_integer(p) + 1;
    H->json_free(last);
    return sales_c_set(lc->ctx, lc->rec, "position", H->json_integer_new(pos)) ? RP_HOOK_CONTINUE
                                                                               : RP_HOOK_FAIL;
}

/* A new line without a description takes its product's name. */
static rp_hook_result_t default_description(line_ctx_t *lc)
{
    bool given;
    sales_c_value(lc->rec, "description", &given);
    const char *name = lc->product ? sales_c_str(sales_c_fields(lc->product), "name") : NULL;
    if (!lc->create || given || name == NULL)
        return RP_HOOK_CONTINUE;
    return sales_c_set(lc->ctx, lc->rec, "description", H->json_string_new(name)) ? RP_HOOK_CONTINUE
                                                                                  : RP_HOOK_FAIL;
}

static rp_hook_result_t set_amounts(line_ctx_t *lc, const sales_line_amounts_t *a)
{
    if (!sales_c_set(lc->ctx, lc->rec, "discount_amount",
                     sales_c_money_new(a->discount, lc->places, lc->code)) ||
        !sales_c_set(lc->ctx, lc->rec, "net_amount",
                     sales_c_money_new(a->net, lc->places, lc->code)) ||
        !sales_c_set(lc->ctx, lc->rec, "tax_amount",
                     sales_c_money_new(a->tax, lc->places, lc->code)) ||
        !sales_c_set(lc->ctx, lc->rec, "total", sales_c_money_new(a->total, lc->places, lc->code)))
        return RP_HOOK_FAIL;
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t compute(line_ctx_t *lc)
{
    const sales_doc_desc_t *d = lc->d;
    char msg[200];
    if (!lc->create && sales_c_changes(lc->rec, d->line_ref)) {
        snprintf(msg, sizeof msg, "cannot move a line to another %s", d->object);
        return sales_c_reject(lc->rec, d->line_ref, msg);
    }
    lc->doc_id = sales_c_value_str(lc->rec, d->line_ref, NULL);
    rp_hook_result_t r = open_document(lc);
    if (r != RP_HOOK_CONTINUE || lc->doc == NULL)
        return r;
    bool product_changes = lc->create ? sales_c_value_str(lc->rec, "product_id", NULL) != NULL
                                      : sales_c_changes(lc->rec, "product_id");
    if ((r = load_product(lc, product_changes)) != RP_HOOK_CONTINUE)
        return r;
    sales_line_in_t in;
    bool price_known, disc_ok, tax_ok;
    if ((r = unit_price(lc, product_changes, &in.unit_price, &price_known)) != RP_HOOK_CONTINUE ||
        (r = percentage(lc, "discount", NULL, &in.discount, &disc_ok)) != RP_HOOK_CONTINUE ||
        (r = percentage(lc, "tax_rate", "tax_rate", &in.tax_rate, &tax_ok)) != RP_HOOK_CONTINUE)
        return r;
    if (lc->create && ((r = next_position(lc)) != RP_HOOK_CONTINUE ||
                       (r = default_description(lc)) != RP_HOOK_CONTINUE))
        return r;
    /* A value that does not read as a decimal is refused by the records
     * engine with its own message; nothing is stored then. */
    if (!price_known || !disc_ok || !tax_ok ||
        !sales_c_dec(sales_c_value(lc->rec, "quantity", NULL), &in.quantity))
        return RP_HOOK_CONTINUE;
    sales_line_amounts_t a;
    sales_line_error_t e = sales_line_compute(&in, lc->places, &a);
    if (e != SALES_LINE_OK)
        return sales_c_reject(lc->rec, sales_line_error_field(e), sales_line_error_message(e));
    return set_amounts(lc, &a);
}

static rp_hook_result_t before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    line_ctx_t lc = {
        .ctx = ctx, .rec = rec, .d = user, .create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE};
    rp_hook_result_t r = compute(&lc);
    H->json_free(lc.doc);
    H->json_free(lc.product);
    return r;
}

static rp_hook_result_t before_delete(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    const sales_doc_desc_t *d = user;
    line_ctx_t lc = {.ctx = ctx, .rec = rec, .d = d, .create = false};
    lc.doc_id = sales_c_str(H->record_old(rec), d->line_ref);
    rp_hook_result_t r = open_document(&lc);
    H->json_free(lc.doc);
    return r;
}

static rp_hook_result_t after_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    const sales_doc_desc_t *d = user;
    rp_hook_event_t ev = H->record_event(rec);
    const rp_json_t *now = ev == RP_HOOK_AFTER_DELETE ? NULL : H->record_fields(rec);
    const rp_json_t *old = ev == RP_HOOK_AFTER_CREATE ? NULL : H->record_old(rec);
    const char *doc_id = sales_c_str(now ? now : old, d->line_ref);
    if (doc_id == NULL)
        return RP_HOOK_CONTINUE;
    int delta = ev == RP_HOOK_AFTER_CREATE ? 1 : ev == RP_HOOK_AFTER_DELETE ? -1 : 0;
    return sales_c_adjust(ctx, d, doc_id, now, old, delta) == RP_M_OK ? RP_HOOK_CONTINUE
                                                                      : RP_HOOK_FAIL;
}

rp_mstatus_t sales_lines_register(rp_mreg_t *reg, const sales_doc_desc_t *d)
{
    static const struct {
        rp_hook_event_t ev;
        rp_hook_fn fn;
    } hooks[] = {
        {RP_HOOK_BEFORE_CREATE, before_write},  {RP_HOOK_BEFORE_UPDATE, before_write},
        {RP_HOOK_BEFORE_DELETE, before_delete}, {RP_HOOK_AFTER_CREATE, after_write},
        {RP_HOOK_AFTER_UPDATE, after_write},    {RP_HOOK_AFTER_DELETE, after_write},
    };
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        rp_mstatus_t st =
            H->register_hook(reg, d->line_object, hooks[i].ev, hooks[i].fn, (void *)d);
        if (st != RP_M_OK)
            return st;
    }
    return RP_M_OK;
}
