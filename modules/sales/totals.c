#include "totals.h"

static bool in_percent_range(sales_dec_t v)
{
    return sales_dec_sign(v) >= 0 && sales_dec_cmp(v, sales_dec_int(100)) <= 0;
}

static bool amount_ok(sales_dec_t v)
{
    return sales_dec_fits(v, SALES_AMOUNT_DIGITS_MAX);
}

sales_line_error_t sales_line_compute(const sales_line_in_t *in, int places,
                                      sales_line_amounts_t *out)
{
    if (sales_dec_sign(in->quantity) <= 0)
        return SALES_LINE_QUANTITY;
    if (sales_dec_sign(in->unit_price) < 0)
        return SALES_LINE_PRICE;
    if (!in_percent_range(in->discount))
        return SALES_LINE_DISCOUNT;
    if (!in_percent_range(in->tax_rate))
        return SALES_LINE_TAX_RATE;
    if (places < 0 || places > 4)
        return SALES_LINE_OVERFLOW;
    sales_dec_t keep;
    if (!sales_dec_sub(sales_dec_int(100), in->discount, &keep))
        return SALES_LINE_OVERFLOW;
    const sales_dec_t gross_f[2] = {in->quantity, in->unit_price};
    const sales_dec_t net_f[3] = {in->quantity, in->unit_price, keep};
    if (!sales_dec_product_round(gross_f, 2, 0, places, &out->gross) ||
        !sales_dec_product_round(net_f, 3, 2, places, &out->net))
        return SALES_LINE_OVERFLOW;
    const sales_dec_t tax_f[2] = {out->net, in->tax_rate};
    if (!sales_dec_product_round(tax_f, 2, 2, places, &out->tax) ||
        !sales_dec_sub(out->gross, out->net, &out->discount) ||
        !sales_dec_add(out->net, out->tax, &out->total))
        return SALES_LINE_OVERFLOW;
    if (!amount_ok(out->gross) || !amount_ok(out->net) || !amount_ok(out->tax) ||
        !amount_ok(out->total))
        return SALES_LINE_OVERFLOW;
    return SALES_LINE_OK;
}

const char *sales_line_error_field(sales_line_error_t e)
{
    switch (e) {
    case SALES_LINE_PRICE:
        return "unit_price";
    case SALES_LINE_DISCOUNT:
        return "discount";
    case SALES_LINE_TAX_RATE:
        return "tax_rate";
    default:
        return "quantity";
    }
}

const char *sales_line_error_message(sales_line_error_t e)
{
    switch (e) {
    case SALES_LINE_OK:
        return "is valid";
    case SALES_LINE_QUANTITY:
        return "must be greater than 0";
    case SALES_LINE_PRICE:
        return "must not be negative";
    case SALES_LINE_DISCOUNT:
    case SALES_LINE_TAX_RATE:
        return "must be between 0 and 100";
    default:
        return "gives an amount too large to keep";
    }
}

void sales_totals_start(sales_doc_totals_t *t, int places)
{
    sales_dec_t zero = sales_dec_round(sales_dec_zero(), places);
    t->places = places;
    t->subtotal = t->discount = t->tax = t->total = zero;
}

bool sales_totals_add(sales_doc_totals_t *t, const sales_line_amounts_t *line)
{
    sales_doc_totals_t n = *t;
    if (!sales_dec_add(t->subtotal, line->gross, &n.subtotal) ||
        !sales_dec_add(t->discount, line->discount, &n.discount) ||
        !sales_dec_add(t->tax, line->tax, &n.tax) ||
        !sales_dec_add(t->total, line->total, &n.total))
        return false;
    if (!amount_ok(n.subtotal) || !amount_ok(n.discount) || !amount_ok(n.tax) ||
        !amount_ok(n.total))
        return false;
    /* Lines always come at the document's places; keep that scale. */
    n.subtotal = sales_dec_round(n.subtotal, t->places);
    n.discount = sales_dec_round(n.discount, t->places);
    n.tax = sales_dec_round(n.tax, t->places);
    n.total = sales_dec_round(n.total, t->places);
    *t = n;
    return true;
}
