#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "quote_header.h"

#define H sales_host

const char *sales_header_old_status(rp_mrecord_t *rec)
{
    const rp_json_t *old = H->record_old(rec);
    return old ? sales_c_str(old, "status") : NULL;
}

const char *sales_header_new_status(rp_mrecord_t *rec)
{
    if (H->record_event(rec) == RP_HOOK_BEFORE_CREATE || !sales_c_changes(rec, "status"))
        return NULL;
    return sales_c_str(H->record_fields(rec), "status");
}

const char *sales_header_currency(rp_mrecord_t *rec)
{
    return sales_c_value_str(rec, "currency", NULL);
}

static long long old_line_count(rp_mrecord_t *rec)
{
    const rp_json_t *old = H->record_old(rec);
    return old ? H->json_integer(H->json_get(old, "line_count")) : 0;
}

/* The status checks of an update: the transition, then what leaving the
 * draft needs. */
static rp_hook_result_t check_status(rp_mctx_t *ctx, rp_mrecord_t *rec, const sales_doc_desc_t *d)
{
    char msg[256];
    bool given;
    const rp_json_t *v = sales_c_value(rec, "status", &given);
    if (!given)
        return RP_HOOK_CONTINUE;
    const char *to = H->json_string(v), *from = sales_header_old_status(rec);
    if (to == NULL)
        return sales_c_reject(rec, "status", "is required");
    if (from == NULL) /* a record stored without status: it was a draft */
        from = d->initial;
    if (strcmp(from, to) == 0)
        return RP_HOOK_CONTINUE;
    if (!sales_flow_allowed(d->kind, from, to)) {
        sales_flow_refusal(d->kind, from, to, msg, sizeof msg);
        return sales_c_reject(rec, "status", msg);
    }
    if (sales_flow_lines_open(d->kind, from) && !sales_flow_lines_open(d->kind, to)) {
        /* Lines must not change under a document leaving its draft. Not
         * waiting keeps the lock order (record, then document lock) free
         * of deadlocks: a line write holding the lock wins, this write is
         * refused and may be retried. */
        bool got = false;
        if (sales_c_lock(ctx, H->record_id(rec), false, &got) != RP_M_OK)
            return RP_HOOK_FAIL;
        if (!got) {
            snprintf(msg, sizeof msg, "the %s's lines are being changed right now; try again",
                     d->object);
            return sales_c_reject(rec, "status", msg);
        }
        if (sales_flow_needs_lines(d->kind, to) && old_line_count(rec) <= 0) {
            snprintf(msg, sizeof msg, "a%s %s without lines cannot be %s",
                     d->kind == SALES_DOC_QUOTE ? "" : "n", d->object, to);
            return sales_c_reject(rec, "status", msg);
        }
    }
    return RP_HOOK_CONTINUE;
}

/* Fields the status guards: editable in the old status, or when the write
 * takes the document back to its draft (a revision). */
static rp_hook_result_t check_fields(rp_mrecord_t *rec, const sales_doc_desc_t *d)
{
    const char *from = sales_header_old_status(rec);
    const char *to = sales_c_value_str(rec, "status", NULL);
    if (from == NULL)
        from = d->initial;
    if (to == NULL)
        to = from;
    bool revision = strcmp(to, d->initial) == 0 && !sales_flow_final(d->kind, from);
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    for (const char *const *f = sales_flow_header_fields(d->kind); *f; f++) {
        if (!sales_c_changes(rec, *f) || revision || sales_flow_field_editable(d->kind, from, *f))
            continue;
        char msg[200];
        if (sales_flow_final(d->kind, from))
            snprintf(msg, sizeof msg, "cannot change: the %s is %s, which is final", d->object,
                     from);
        else
            snprintf(msg, sizeof msg, "cannot change while the %s is %s", d->object, from);
        r = sales_c_reject(rec, *f, msg);
        if (r == RP_HOOK_FAIL)
            return r;
    }
    return r;
}

/* Sets the derived amounts of a document with no lines yet (or a new
 * currency) to zero in code. */
static bool zero_totals(rp_mctx_t *ctx, rp_mrecord_t *rec, const sales_doc_desc_t *d,
                        const char *code, bool create)
{
    static const char *const names[] = {"subtotal", "discount_total", "tax_total", "total"};
    int places = sales_currency_places(code);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!sales_c_set(ctx, rec, names[i], sales_c_money_new(sales_dec_zero(), places, code)))
            return false;
    if (d->kind == SALES_DOC_INVOICE &&
        !sales_c_set(ctx, rec, "balance_due", sales_c_money_new(sales_dec_zero(), places, code)))
        return false;
    return !create || sales_c_set(ctx, rec, "line_count", H->json_integer_new(0));
}

/* The caller's currency in upper case into code (""), or false after a
 * rejection when it is not an ISO 4217 code. */
static bool given_currency(rp_mrecord_t *rec, bool *given, char code[4])
{
    code[0] = '\0';
    const rp_json_t *v = sales_c_value(rec, "currency", given);
    if (!*given || v == NULL || H->json_kind(v) == RP_JSON_NULL)
        return true;
    const char *s = H->json_string(v);
    if (s != NULL && strlen(s) == 3) {
        for (int i = 0; i < 3; i++)
            code[i] = (char)toupper((unsigned char)s[i]);
        code[3] = '\0';
    }
    if (sales_currency_valid(code))
        return true;
    code[0] = '\0';
    sales_c_reject(rec, "currency", "must be an ISO 4217 currency code such as EUR");
    return false;
}

/* The tenant's default_currency setting, when it is a valid code. */
static void default_currency(rp_mctx_t *ctx, char code[4])
{
    rp_json_t *v = H->tenant_setting(ctx, "default_currency");
    const char *s = v ? H->json_string(v) : NULL;
    code[0] = '\0';
    if (s != NULL && strlen(s) == 3) {
        for (int i = 0; i < 3; i++)
            code[i] = (char)toupper((unsigned char)s[i]);
        code[3] = '\0';
        if (!sales_currency_valid(code))
            code[0] = '\0';
    }
    H->json_free(v);
}

/* The active standard price book of code, or NULL. */
static rp_mstatus_t standard_book(rp_mctx_t *ctx, const char *code, rp_json_t **out)
{
    rp_json_t *f = sales_c_and(sales_c_cond("standard_key", "eq", H->json_string_new(code)),
                               sales_c_cond("active", "eq", H->json_bool_new(1)), NULL);
    if (f == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = sales_c_first(ctx, "price_book", f, NULL, out);
    H->json_free(f);
    return st;
}

static bool currency_changes(rp_mrecord_t *rec)
{
    const rp_json_t *f = H->record_fields(rec), *old = H->record_old(rec);
    const rp_json_t *v = f ? H->json_get(f, "currency") : NULL;
    if (v == NULL)
        return false;
    const char *a = H->json_string(v), *b = old ? sales_c_str(old, "currency") : NULL;
    if (a == NULL || b == NULL)
        return (a == NULL) != (b == NULL);
    return strcasecmp(a, b) != 0;
}

/* The currency and price book of a new document, or of one whose caller
 * changes either. */
static rp_hook_result_t resolve_currency(rp_mctx_t *ctx, rp_mrecord_t *rec,
                                         const sales_doc_desc_t *d, bool create)
{
    bool book_changes = !create && sales_c_changes(rec, "price_book_id");
    bool cur_changes = !create && currency_changes(rec);
    if (!create && !book_changes && !cur_changes)
        return RP_HOOK_CONTINUE;
    char msg[200], code[4];
    if (!create && old_line_count(rec) > 0) {
        snprintf(msg, sizeof msg, "cannot change while the %s has lines", d->object);
        return sales_c_reject(rec, book_changes ? "price_book_id" : "currency", msg);
    }
    bool cur_given, book_given;
    if (!given_currency(rec, &cur_given, code))
        return RP_HOOK_REJECT;
    const char *book_id = sales_c_value_str(rec, "price_book_id", &book_given);
    rp_json_t *book = NULL;
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    if (book_id != NULL) {
        rp_mstatus_t st = H->record_get(ctx, "price_book", book_id, &book);
        if (st == RP_M_ENOTFOUND) {
            r = sales_c_reject(rec, "price_book_id", "refers to a record that does not exist");
            goto done;
        }
        if (st != RP_M_OK) {
            r = RP_HOOK_FAIL;
            goto done;
        }
        const rp_json_t *bf = sales_c_fields(book);
        const char *bc = sales_c_str(bf, "currency");
        /* New offers use active books; orders and invoices follow their
         * quote or order whatever became of its book since. */
        if ((create || book_changes) && d->kind == SALES_DOC_QUOTE &&
            H->json_kind(H->json_get(bf, "active")) == RP_JSON_BOOL &&
            !H->json_bool(H->json_get(bf, "active"))) {
            r = sales_c_reject(rec, "price_book_id", "is not active");
            goto done;
        }
        if (bc == NULL || strlen(bc) != 3) {
            r = sales_c_reject(rec, "price_book_id", "has no currency");
            goto done;
        }
        if (code[0] != '\0' && strcmp(code, bc) != 0) {
            snprintf(msg, sizeof msg, "must be %s, the currency of the price book", bc);
            r = sales_c_reject(rec, "currency", msg);
            goto done;
        }
        memcpy(code, bc, 4);
    } else if (code[0] == '\0') {
        if (!create && !cur_given) {
            const char *oc = sales_c_str(H->record_old(rec), "currency");
            if (oc != NULL && strlen(oc) == 3)
                memcpy(code, oc, 4);
        } else if (create) {
            default_currency(ctx, code);
        }
        if (code[0] == '\0') {
            r = sales_c_reject(rec, "currency", "is required: give a currency or a price book");
            goto done;
        }
    }
    if (!sales_c_set(ctx, rec, "currency", H->json_string_new(code))) {
        r = RP_HOOK_FAIL;
        goto done;
    }
    if (create && !book_given) {
        /* A document in a currency takes that currency's standard book. */
        rp_json_t *std = NULL;
        if (standard_book(ctx, code, &std) != RP_M_OK) {
            r = RP_HOOK_FAIL;
            goto done;
        }
        if (std != NULL &&
            !sales_c_set(ctx, rec, "price_book_id", H->json_string_new(sales_c_id(std))))
            r = RP_HOOK_FAIL;
        H->json_free(std);
        if (r != RP_HOOK_CONTINUE)
            goto done;
    }
    if (!zero_totals(ctx, rec, d, code, create))
        r = RP_HOOK_FAIL;
done:
    H->json_free(book);
    return r;
}

rp_hook_result_t sales_header_before_write(rp_mctx_t *ctx, rp_mrecord_t *rec,
                                           const sales_doc_desc_t *d)
{
    bool create = H->record_event(rec) == RP_HOOK_BEFORE_CREATE;
    rp_hook_result_t r;
    if (create) {
        bool given;
        const char *status = sales_c_value_str(rec, "status", &given);
        if (given && status != NULL && strcmp(status, d->initial) != 0) {
            char msg[160];
            snprintf(msg, sizeof msg, "a new %s starts as %s", d->object, d->initial);
            return sales_c_reject(rec, "status", msg);
        }
    } else {
        if ((r = check_status(ctx, rec, d)) != RP_HOOK_CONTINUE)
            return r;
        if ((r = check_fields(rec, d)) != RP_HOOK_CONTINUE)
            return r;
    }
    return resolve_currency(ctx, rec, d, create);
}

rp_hook_result_t sales_header_before_delete(rp_mctx_t *ctx, rp_mrecord_t *rec,
                                            const sales_doc_desc_t *d)
{
    (void)ctx;
    const char *status = sales_header_old_status(rec);
    if (status == NULL)
        status = d->initial;
    if (sales_flow_deletable(d->kind, status))
        return RP_HOOK_CONTINUE;
    char msg[200];
    if (d->kind == SALES_DOC_INVOICE)
        snprintf(msg, sizeof msg,
                 "an invoice cannot be deleted (its number must stay): void it "
                 "instead");
    else
        snprintf(msg, sizeof msg, "only a %s %s can be deleted; this one is %s", d->initial,
                 d->object, status);
    return sales_c_reject(rec, "status", msg);
}
