#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quote_common.h"
#include "totals.h"

#define H sales_host

/* ---- values ------------------------------------------------------------ */

bool sales_c_dec(const rp_json_t *v, sales_dec_t *out)
{
    switch (v ? H->json_kind(v) : RP_JSON_NULL) {
    case RP_JSON_STRING:
        return sales_dec_parse(H->json_string(v), out);
    case RP_JSON_INTEGER:
        *out = sales_dec_int(H->json_integer(v));
        return true;
    case RP_JSON_REAL:
        return sales_dec_from_real(H->json_real(v), out);
    default:
        return false;
    }
}

sales_money_read_t sales_c_money(const rp_json_t *v, sales_dec_t *amount, char code[4])
{
    code[0] = '\0';
    if (v == NULL || H->json_kind(v) == RP_JSON_NULL)
        return SALES_MONEY_NONE;
    /* A bare amount is in the currency of its record (the caller's
     * shorthand: "unit_price": "12.50"). */
    if (H->json_kind(v) != RP_JSON_OBJECT)
        return sales_c_dec(v, amount) ? SALES_MONEY_NO_CODE : SALES_MONEY_BAD;
    if (!sales_c_dec(H->json_get(v, "amount"), amount))
        return SALES_MONEY_BAD;
    const rp_json_t *c = H->json_get(v, "currency");
    if (c == NULL || H->json_kind(c) == RP_JSON_NULL)
        return SALES_MONEY_NO_CODE;
    const char *s = H->json_string(c);
    if (s == NULL || strlen(s) != 3)
        return SALES_MONEY_BAD;
    for (int i = 0; i < 3; i++)
        code[i] = (char)toupper((unsigned char)s[i]);
    code[3] = '\0';
    return SALES_MONEY_OK;
}

rp_json_t *sales_c_money_new(sales_dec_t amount, int places, const char *code)
{
    char text[SALES_DEC_BUF];
    sales_dec_format(places < 0 ? amount : sales_dec_round(amount, places), text, sizeof text);
    rp_json_t *o = H->json_object_new();
    if (o == NULL)
        return NULL;
    if (H->json_set(o, "amount", H->json_string_new(text)) != RP_M_OK ||
        H->json_set(o, "currency", H->json_string_new(code)) != RP_M_OK) {
        H->json_free(o);
        return NULL;
    }
    return o;
}

const char *sales_c_str(const rp_json_t *f, const char *field)
{
    return f ? H->json_string(H->json_get(f, field)) : NULL;
}

const rp_json_t *sales_c_fields(const rp_json_t *record)
{
    return record ? H->json_get(record, "fields") : NULL;
}

const char *sales_c_id(const rp_json_t *record)
{
    return record ? H->json_string(H->json_get(record, "id")) : NULL;
}

const rp_json_t *sales_c_value(rp_mrecord_t *rec, const char *field, bool *given)
{
    const rp_json_t *f = H->record_fields(rec);
    const rp_json_t *v = f ? H->json_get(f, field) : NULL;
    if (given)
        *given = v != NULL;
    if (v != NULL)
        return v;
    const rp_json_t *old = H->record_old(rec);
    return old ? H->json_get(old, field) : NULL;
}

const char *sales_c_value_str(rp_mrecord_t *rec, const char *field, bool *given)
{
    return H->json_string(sales_c_value(rec, field, given));
}

bool sales_c_changes(rp_mrecord_t *rec, const char *field)
{
    const rp_json_t *f = H->record_fields(rec);
    const rp_json_t *v = f ? H->json_get(f, field) : NULL;
    if (v == NULL)
        return false;
    const rp_json_t *old = H->record_old(rec);
    const rp_json_t *o = old ? H->json_get(old, field) : NULL;
    bool v_null = H->json_kind(v) == RP_JSON_NULL,
         o_null = o == NULL || H->json_kind(o) == RP_JSON_NULL;
    if (v_null || o_null)
        return v_null != o_null;
    char *a = H->json_dump(v), *b = H->json_dump(o);
    bool differ = a == NULL || b == NULL || strcmp(a, b) != 0;
    H->mem_free(a);
    H->mem_free(b);
    return differ;
}

/* ---- queries ----------------------------------------------------------- */

rp_json_t *sales_c_cond(const char *field, const char *op, rp_json_t *value)
{
    rp_json_t *c = H->json_object_new();
    if (c == NULL || value == NULL ||
        H->json_set(c, "field", H->json_string_new(field)) != RP_M_OK ||
        H->json_set(c, "op", H->json_string_new(op)) != RP_M_OK) {
        H->json_free(c);
        H->json_free(value);
        return NULL;
    }
    if (H->json_set(c, "value", value) != RP_M_OK) {
        H->json_free(c);
        return NULL;
    }
    return c;
}

rp_json_t *sales_c_and(rp_json_t *a, rp_json_t *b, rp_json_t *c)
{
    rp_json_t *all = H->json_array_new(), *o = H->json_object_new();
    rp_json_t *parts[] = {a, b, c};
    bool ok = all != NULL && o != NULL;
    for (int i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        if (ok)
            ok = H->json_array_append(all, parts[i]) == RP_M_OK;
        else
            H->json_free(parts[i]);
    }
    if (ok && H->json_set(o, "and", all) == RP_M_OK)
        return o;
    if (!ok)
        H->json_free(all);
    H->json_free(o);
    return NULL;
}

rp_mstatus_t sales_c_first(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                           const char *sort, rp_json_t **out)
{
    *out = NULL;
    rp_json_t *list = NULL;
    rp_mstatus_t st = H->record_query(ctx, object, filter, sort, 1, &list);
    if (st == RP_M_OK && H->json_array_size(list) > 0) {
        *out = H->json_copy(H->json_array_get(list, 0));
        if (*out == NULL)
            st = RP_M_ENOMEM;
    }
    H->json_free(list);
    return st;
}

rp_mstatus_t sales_c_each(rp_mctx_t *ctx, const char *object, const char *field, const char *value,
                          const char *sort,
                          rp_mstatus_t (*fn)(rp_mctx_t *ctx, const rp_json_t *record, void *arg),
                          void *arg)
{
    rp_json_t *filter = sales_c_cond(field, "eq", H->json_string_new(value));
    if (filter == NULL)
        return RP_M_ENOMEM;
    char *cursor = NULL;
    rp_mstatus_t st = RP_M_OK;
    do {
        rp_json_t *page = NULL;
        char *next = NULL;
        st = H->record_query_page(ctx, object, filter, sort, 200, cursor, &page, &next);
        H->mem_free(cursor);
        cursor = next;
        for (size_t i = 0; st == RP_M_OK && i < H->json_array_size(page); i++)
            st = fn(ctx, H->json_array_get(page, i), arg);
        H->json_free(page);
    } while (st == RP_M_OK && cursor != NULL);
    H->mem_free(cursor);
    H->json_free(filter);
    return st;
}

/* ---- concurrency ------------------------------------------------------- */

rp_mstatus_t sales_c_lock(rp_mctx_t *ctx, const char *id, bool wait, bool *got)
{
    char key[96];
    snprintf(key, sizeof key, "rapport.sales.document:%s", id ? id : "");
    const char *params[] = {key};
    rp_mrows_t *rows = NULL;
    /* A transaction-scoped advisory lock: it needs no table, and the
     * transaction's end (commit or rollback) releases it. */
    rp_mstatus_t st = H->sql_exec(
        ctx,
        wait ? "SELECT 't' FROM pg_advisory_xact_lock(hashtextextended($1, 0))"
             : "SELECT CASE WHEN pg_try_advisory_xact_lock(hashtextextended($1, 0)) THEN 't' "
               "ELSE 'f' END",
        1, params, &rows);
    if (got)
        *got =
            st == RP_M_OK && H->rows_count(rows) == 1 && strcmp(H->rows_get(rows, 0, 0), "t") == 0;
    H->rows_free(rows);
    return st;
}

/* ---- dates and settings ----------------------------------------------- */

void sales_c_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

bool sales_c_add_days(const char *date, int days, char out[11])
{
    int y, m, d;
    char tail;
    if (date == NULL || sscanf(date, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1 || m < 1 ||
        m > 12 || d < 1 || d > 31)
        return false;
    /* timegm normalises the day overflow into the following months. */
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + days, .tm_hour = 12};
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return false;
    struct tm res;
    gmtime_r(&t, &res);
    if (res.tm_year + 1900 > 9999 || res.tm_year + 1900 < 1)
        return false;
    strftime(out, 11, "%Y-%m-%d", &res);
    return true;
}

int sales_c_setting_int(rp_mctx_t *ctx, const char *key, int lo, int hi, int def)
{
    rp_json_t *v = H->tenant_setting(ctx, key);
    int n = def;
    if (v != NULL && H->json_kind(v) == RP_JSON_INTEGER) {
        long long x = H->json_integer(v);
        if (x >= lo && x <= hi)
            n = (int)x;
    }
    H->json_free(v);
    return n;
}

/* ---- answers ----------------------------------------------------------- */

rp_hook_result_t sales_c_reject(rp_mrecord_t *rec, const char *field, const char *msg)
{
    return H->reject_field(rec, field, msg) == RP_M_OK ? RP_HOOK_REJECT : RP_HOOK_FAIL;
}

bool sales_c_set(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *field, rp_json_t *v)
{
    if (v == NULL || H->record_set(rec, field, v) != RP_M_OK) {
        H->set_error(ctx, "cannot set a derived field");
        return false;
    }
    return true;
}

rp_mstatus_t sales_c_problem(rp_mctx_t *ctx, int status, const char *code, const char *detail)
{
    H->respond_problem(ctx, status, code, detail, NULL);
    return RP_M_OK;
}

rp_mstatus_t sales_c_refused(rp_mctx_t *ctx, rp_mstatus_t st, rp_json_t *errors, const char *what)
{
    char detail[160];
    switch (st) {
    case RP_M_EFORBIDDEN:
        H->json_free(errors);
        snprintf(detail, sizeof detail, "you may not write this %s", what);
        return sales_c_problem(ctx, 403, "forbidden", detail);
    case RP_M_ENOTFOUND:
        H->json_free(errors);
        snprintf(detail, sizeof detail, "a record this %s needs does not exist", what);
        return sales_c_problem(ctx, 404, "not_found", detail);
    case RP_M_ECONFLICT:
        H->json_free(errors);
        snprintf(detail, sizeof detail, "the %s changed meanwhile; try again", what);
        return sales_c_problem(ctx, 409, "conflict", detail);
    case RP_M_EINVAL:
        snprintf(detail, sizeof detail, "the %s is not valid", what);
        H->respond_problem(ctx, 422, "validation_failed", detail, errors);
        return RP_M_OK;
    default:
        H->json_free(errors);
        return st == RP_M_OK ? RP_M_ERR : st;
    }
}

/* ---- line amounts ------------------------------------------------------ */

/* The amounts stored on a line (its fields); false when one is missing or
 * unreadable. */
static bool line_stored(const rp_json_t *fields, sales_line_amounts_t *out)
{
    char code[4];
    sales_dec_t net, disc, tax, total;
    if (sales_c_money(H->json_get(fields, "net_amount"), &net, code) != SALES_MONEY_OK ||
        sales_c_money(H->json_get(fields, "tax_amount"), &tax, code) != SALES_MONEY_OK ||
        sales_c_money(H->json_get(fields, "total"), &total, code) != SALES_MONEY_OK)
        return false;
    /* A line written before discount_amount existed counts no discount. */
    if (sales_c_money(H->json_get(fields, "discount_amount"), &disc, code) != SALES_MONEY_OK)
        disc = sales_dec_zero();
    out->net = net;
    out->discount = disc;
    out->tax = tax;
    out->total = total;
    return sales_dec_add(net, disc, &out->gross);
}

/* Reads a stored total of a document, zero when it has none. */
static sales_dec_t stored_total(const rp_json_t *f, const char *field)
{
    sales_dec_t v;
    char code[4];
    return sales_c_money(H->json_get(f, field), &v, code) == SALES_MONEY_OK ? v : sales_dec_zero();
}

/* totals +/- one line's stored amounts; false on overflow. A line without
 * amounts (written around the hooks, by a CSV import) counts nothing. */
static bool apply_line(sales_doc_totals_t *t, const rp_json_t *line, bool add)
{
    sales_line_amounts_t a;
    if (line == NULL || !line_stored(line, &a))
        return true;
    if (!add) {
        a.gross.m = -a.gross.m;
        a.discount.m = -a.discount.m;
        a.tax.m = -a.tax.m;
        a.total.m = -a.total.m;
    }
    return sales_totals_add(t, &a);
}

rp_mstatus_t sales_c_adjust(rp_mctx_t *ctx, const sales_doc_desc_t *d, const char *id,
                            const rp_json_t *plus, const rp_json_t *minus, int count_delta)
{
    rp_json_t *doc = NULL, *fields = NULL, *out = NULL, *errors = NULL;
    rp_mstatus_t st = H->record_get(ctx, d->object, id, &doc);
    if (st == RP_M_ENOTFOUND)
        return RP_M_OK; /* deleted with its lines: nothing to keep */
    if (st != RP_M_OK)
        return st;
    const rp_json_t *f = sales_c_fields(doc);
    const char *code = sales_c_str(f, "currency");
    if (code == NULL || !sales_currency_valid(code)) {
        H->set_error(ctx, "a document without currency has lines");
        st = RP_M_EINVAL;
        goto done;
    }
    int places = sales_currency_places(code);
    sales_doc_totals_t t;
    sales_totals_start(&t, places);
    sales_line_amounts_t now = {.gross = stored_total(f, "subtotal"),
                                .discount = stored_total(f, "discount_total"),
                                .tax = stored_total(f, "tax_total"),
                                .total = stored_total(f, "total")};
    long long count = H->json_integer(H->json_get(f, "line_count")) + count_delta;
    if (!sales_totals_add(&t, &now) || !apply_line(&t, minus, false) ||
        !apply_line(&t, plus, true)) {
        H->set_error(ctx, "document totals too large to keep");
        st = RP_M_EINVAL;
        goto done;
    }
    st = RP_M_ENOMEM;
    if ((fields = H->json_object_new()) == NULL ||
        H->json_set(fields, "subtotal", sales_c_money_new(t.subtotal, places, code)) != RP_M_OK ||
        H->json_set(fields, "discount_total", sales_c_money_new(t.discount, places, code)) !=
            RP_M_OK ||
        H->json_set(fields, "tax_total", sales_c_money_new(t.tax, places, code)) != RP_M_OK ||
        H->json_set(fields, "total", sales_c_money_new(t.total, places, code)) != RP_M_OK ||
        H->json_set(fields, "line_count", H->json_integer_new(count < 0 ? 0 : count)) != RP_M_OK)
        goto done;
    st = H->record_update_ex(ctx, d->object, id, fields, RP_MWRITE_DERIVED, &out, &errors);
    if (st != RP_M_OK) {
        char *e = errors ? H->json_dump(errors) : NULL;
        char msg[512];
        snprintf(msg, sizeof msg, "cannot store the %s totals: %s", d->object, e ? e : "");
        H->mem_free(e);
        H->set_error(ctx, msg);
    }
done:
    H->json_free(doc);
    H->json_free(fields);
    H->json_free(out);
    H->json_free(errors);
    return st;
}
