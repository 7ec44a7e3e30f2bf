/* Products and price books: a price book has one ISO 4217 currency (kept in
 * upper case), at most one book is the standard one per currency, a book
 * has at most one entry per product, and an entry's list price is in its
 * book's currency. The two "one per" rules are checked first for a clear
 * message, and held under concurrency by read-only unique keys the hooks
 * set (standard_key, entry_key), which the records engine claims. */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "quote_common.h"

#define H sales_host

/* The first record of object whose field equals value, other than the
 * record being written. */
static rp_mstatus_t other_with(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *object,
                               const char *field, const char *value, rp_json_t **out)
{
    const char *self = H->record_id(rec);
    rp_json_t *f =
        sales_c_and(sales_c_cond(field, "eq", H->json_string_new(value)),
                    self ? sales_c_cond("id", "ne", H->json_string_new(self)) : NULL, NULL);
    if (f == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = sales_c_first(ctx, object, f, NULL, out);
    H->json_free(f);
    return st;
}

static bool has_entries(rp_mctx_t *ctx, const char *book, bool *yes)
{
    rp_json_t *f = sales_c_cond("price_book_id", "eq", H->json_string_new(book)), *e = NULL;
    rp_mstatus_t st = f ? sales_c_first(ctx, "price_book_entry", f, NULL, &e) : RP_M_ENOMEM;
    *yes = e != NULL;
    H->json_free(f);
    H->json_free(e);
    return st == RP_M_OK;
}

/* ---- price books ------------------------------------------------------- */

static rp_hook_result_t book_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    bool create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE;
    bool cur_given, std_given;
    const rp_json_t *cv = sales_c_value(rec, "currency", &cur_given);
    const rp_json_t *sv = sales_c_value(rec, "is_standard", &std_given);
    char code[4] = "", msg[256];
    const char *s = H->json_string(cv);
    if (s == NULL)
        return RP_HOOK_CONTINUE; /* required: the records engine says so */
    if (strlen(s) == 3) {
        for (int i = 0; i < 3; i++)
            code[i] = (char)toupper((unsigned char)s[i]);
        code[3] = '\0';
    }
    if (!sales_currency_valid(code))
        return sales_c_reject(rec, "currency", "must be an ISO 4217 currency code such as EUR");
    if (cur_given && !sales_c_set(ctx, rec, "currency", H->json_string_new(code)))
        return RP_HOOK_FAIL;
    const char *old = create ? NULL : sales_c_str(H->record_old(rec), "currency");
    if (old != NULL && strcmp(old, code) != 0) {
        bool yes;
        if (!has_entries(ctx, H->record_id(rec), &yes))
            return RP_HOOK_FAIL;
        if (yes)
            return sales_c_reject(rec, "currency",
                                  "cannot change while the book has prices in its currency");
    }
    if (!create && !cur_given && !std_given)
        return RP_HOOK_CONTINUE;
    bool standard = sv != NULL && H->json_kind(sv) == RP_JSON_BOOL && H->json_bool(sv);
    if (standard) {
        rp_json_t *other = NULL;
        if (other_with(ctx, rec, "price_book", "standard_key", code, &other) != RP_M_OK)
            return RP_HOOK_FAIL;
        if (other != NULL) {
            const char *name = sales_c_str(sales_c_fields(other), "name");
            snprintf(msg, sizeof msg, "\"%s\" is already the standard price book for %s",
                     name ? name : "another book", code);
            H->json_free(other);
            return sales_c_reject(rec, "is_standard", msg);
        }
    }
    return sales_c_set(ctx, rec, "standard_key",
                       standard ? H->json_string_new(code) : H->json_null_new())
               ? RP_HOOK_CONTINUE
               : RP_HOOK_FAIL;
}

/* ---- price book entries ------------------------------------------------ */

static rp_hook_result_t entry_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    bool create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE;
    const char *book_id = sales_c_value_str(rec, "price_book_id", NULL);
    const char *product_id = sales_c_value_str(rec, "product_id", NULL);
    bool keys_change =
        create || sales_c_changes(rec, "price_book_id") || sales_c_changes(rec, "product_id");
    bool price_given;
    const rp_json_t *pv = sales_c_value(rec, "list_price", &price_given);
    if (book_id == NULL || product_id == NULL || (!keys_change && !price_given))
        return RP_HOOK_CONTINUE; /* required fields: the records engine says so */
    char msg[256], code[4];
    rp_json_t *book = NULL;
    rp_mstatus_t st = H->record_get(ctx, "price_book", book_id, &book);
    if (st == RP_M_ENOTFOUND || st == RP_M_EINVAL)
        return RP_HOOK_CONTINUE; /* the records engine refuses the reference */
    if (st != RP_M_OK)
        return RP_HOOK_FAIL;
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    const char *bc = sales_c_str(sales_c_fields(book), "currency");
    sales_dec_t amount;
    sales_money_read_t read = sales_c_money(pv, &amount, code);
    if (bc == NULL) {
        r = sales_c_reject(rec, "price_book_id", "has no currency");
    } else if (read == SALES_MONEY_OK && strcmp(code, bc) != 0) {
        snprintf(msg, sizeof msg, "must be in %s, the price book's currency", bc);
        r = sales_c_reject(rec, "list_price", msg);
    } else if (read == SALES_MONEY_NO_CODE &&
               !sales_c_set(ctx, rec, "list_price", sales_c_money_new(amount, -1, bc))) {
        r = RP_HOOK_FAIL;
    }
    H->json_free(book);
    if (r != RP_HOOK_CONTINUE || !keys_change)
        return r;
    char key[80];
    snprintf(key, sizeof key, "%.36s:%.36s", book_id, product_id);
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    rp_json_t *other = NULL;
    if (other_with(ctx, rec, "price_book_entry", "entry_key", key, &other) != RP_M_OK)
        return RP_HOOK_FAIL;
    if (other != NULL) {
        H->json_free(other);
        return sales_c_reject(rec, "product_id", "already has a price in this price book");
    }
    return sales_c_set(ctx, rec, "entry_key", H->json_string_new(key)) ? RP_HOOK_CONTINUE
                                                                       : RP_HOOK_FAIL;
}

rp_mstatus_t sales_products_init(rp_mreg_t *reg)
{
    static const struct {
        const char *object;
        rp_hook_event_t ev;
        rp_hook_fn fn;
    } hooks[] = {
        {"price_book", RP_HOOK_BEFORE_CREATE, book_before_write},
        {"price_book", RP_HOOK_BEFORE_UPDATE, book_before_write},
        {"price_book_entry", RP_HOOK_BEFORE_CREATE, entry_before_write},
        {"price_book_entry", RP_HOOK_BEFORE_UPDATE, entry_before_write},
    };
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        rp_mstatus_t st = H->register_hook(reg, hooks[i].object, hooks[i].ev, hooks[i].fn, NULL);
        if (st != RP_M_OK)
            return st;
    }
    return RP_M_OK;
}
