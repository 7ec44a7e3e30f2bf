/* The amounts of quote, order and invoice lines and of whole documents
 * (modules/sales/totals.c): the documented rule with exact strings,
 * rounding half away from zero once per amount, currencies with 0, 2 and 3
 * minor-unit digits, refused inputs, large quantities and overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "totals.h"

static sales_dec_t dec(const char *s)
{
    sales_dec_t d;
    assert_true(sales_dec_parse(s, &d));
    return d;
}

static const char *fmt(sales_dec_t a)
{
    static char buf[8][SALES_DEC_BUF];
    static int i;
    char *b = buf[i++ % 8];
    sales_dec_format(a, b, SALES_DEC_BUF);
    return b;
}

static sales_line_error_t line(const char *q, const char *p, const char *d, const char *t,
                               int places, sales_line_amounts_t *a)
{
    sales_line_in_t in = {dec(q), dec(p), dec(d), dec(t)};
    return sales_line_compute(&in, places, a);
}

/* Checks gross, discount, net, tax and total of one line. */
static void expect(const char *q, const char *p, const char *d, const char *t, int places,
                   const char *gross, const char *disc, const char *net, const char *tax,
                   const char *total)
{
    sales_line_amounts_t a;
    assert_int_equal(line(q, p, d, t, places, &a), SALES_LINE_OK);
    assert_string_equal(fmt(a.gross), gross);
    assert_string_equal(fmt(a.discount), disc);
    assert_string_equal(fmt(a.net), net);
    assert_string_equal(fmt(a.tax), tax);
    assert_string_equal(fmt(a.total), total);
}

static void the_rule(void **state)
{
    (void)state;
    /* 3 x 19.99 = 59.97; less 10 % = 53.973 -> 53.97; tax 20 % = 10.794 ->
     * 10.79. */
    expect("3", "19.99", "10", "20", 2, "59.97", "6.00", "53.97", "10.79", "64.76");
    expect("7", "0.0715", "15", "19.6", 2, "0.50", "0.07", "0.43", "0.08", "0.51");
    expect("2.5", "4.01", "33.3333", "7.7", 2, "10.03", "3.35", "6.68", "0.51", "7.19");
    /* Nothing to round. */
    expect("1", "100", "0", "0", 2, "100.00", "0.00", "100.00", "0.00", "100.00");
    /* A full discount. */
    expect("4", "25", "100", "20", 2, "100.00", "100.00", "0.00", "0.00", "0.00");
}

static void half_away_from_zero(void **state)
{
    (void)state;
    /* Exactly half a cent rounds up (away from zero), at every step. */
    expect("1", "0.125", "0", "50", 2, "0.13", "0.00", "0.13", "0.07", "0.20");
    expect("1", "0.005", "0", "0", 2, "0.01", "0.00", "0.01", "0.00", "0.01");
    /* Just below half rounds down. */
    expect("1", "0.0049", "0", "0", 2, "0.00", "0.00", "0.00", "0.00", "0.00");
    /* Each amount starts from the exact inputs: the net is 5.0025 (5.00)
     * while the gross is 10.005 (10.01), so the discount shown is 5.01. */
    expect("1", "10.005", "50", "0", 2, "10.01", "5.01", "5.00", "0.00", "5.00");
    /* Three times a third is one, not 0.99. */
    expect("0.333333333333333333", "3", "0", "0", 2, "1.00", "0.00", "1.00", "0.00", "1.00");
}

static void minor_units(void **state)
{
    (void)state;
    /* JPY has no minor unit: 3 x 333.5 = 1000.5 -> 1001. */
    expect("3", "333.5", "0", "10", 0, "1001", "0", "1001", "100", "1101");
    /* KWD has three: 2 x 1.2345 = 2.469; 5 % = 0.12345 -> 0.123. */
    expect("2", "1.2345", "0", "5", 3, "2.469", "0.000", "2.469", "0.123", "2.592");
    expect("1", "0.0005", "0", "0", 3, "0.001", "0.000", "0.001", "0.000", "0.001");
    /* CLF has four. */
    expect("3", "0.33335", "0", "0", 4, "1.0001", "0.0000", "1.0001", "0.0000", "1.0001");
    assert_int_equal(sales_currency_places("JPY"), 0);
    assert_int_equal(sales_currency_places("KWD"), 3);
}

static void refused(void **state)
{
    (void)state;
    sales_line_amounts_t a;
    assert_int_equal(line("0", "1", "0", "0", 2, &a), SALES_LINE_QUANTITY);
    assert_int_equal(line("-1", "1", "0", "0", 2, &a), SALES_LINE_QUANTITY);
    assert_int_equal(line("1", "-0.01", "0", "0", 2, &a), SALES_LINE_PRICE);
    assert_int_equal(line("1", "1", "-5", "0", 2, &a), SALES_LINE_DISCOUNT);
    assert_int_equal(line("1", "1", "-0.0001", "0", 2, &a), SALES_LINE_DISCOUNT);
    assert_int_equal(line("1", "1", "100.0001", "0", 2, &a), SALES_LINE_DISCOUNT);
    assert_int_equal(line("1", "1", "0", "-1", 2, &a), SALES_LINE_TAX_RATE);
    assert_int_equal(line("1", "1", "0", "101", 2, &a), SALES_LINE_TAX_RATE);
    assert_int_equal(line("1", "1", "0", "0", 5, &a), SALES_LINE_OVERFLOW);
    assert_string_equal(sales_line_error_field(SALES_LINE_DISCOUNT), "discount");
    assert_string_equal(sales_line_error_field(SALES_LINE_TAX_RATE), "tax_rate");
    assert_string_equal(sales_line_error_field(SALES_LINE_PRICE), "unit_price");
    assert_string_equal(sales_line_error_field(SALES_LINE_QUANTITY), "quantity");
    assert_string_equal(sales_line_error_field(SALES_LINE_OVERFLOW), "quantity");
    assert_string_equal(sales_line_error_message(SALES_LINE_QUANTITY), "must be greater than 0");
    assert_string_equal(sales_line_error_message(SALES_LINE_DISCOUNT), "must be between 0 and 100");
    /* Free lines are fine. */
    expect("1", "0", "0", "20", 2, "0.00", "0.00", "0.00", "0.00", "0.00");
}

static void large(void **state)
{
    (void)state;
    /* 10^20 x 10^10 = 10^30: 33 digits with the cents, kept exactly. */
    expect("100000000000000000000", "10000000000", "0", "0", 2,
           "1000000000000000000000000000000.00", "0.00", "1000000000000000000000000000000.00",
           "0.00", "1000000000000000000000000000000.00");
    /* Quantities with 18 places and prices with 4 multiply past 128 bits
     * before rounding; the result is still exact. */
    expect("123456789.123456789012345678", "9999.9999", "12.5", "19.6", 2, "1234567878888.89",
           "154320984861.11", "1080246894027.78", "211728391229.44", "1291975285257.22");
    /* 10^30 x 10^9 does not fit 38 digits with its cents. */
    sales_line_amounts_t a;
    assert_int_equal(line("1000000000000000000000000000000", "1000000000", "0", "0", 2, &a),
                     SALES_LINE_OVERFLOW);
    assert_int_equal(
        line("99999999999999999999999999999999999999", "99999999999999999999", "0", "0", 0, &a),
        SALES_LINE_OVERFLOW);
    /* The tax alone can be what overflows the total. */
    assert_int_equal(line("1", "900000000000000000000000000000000000", "0", "20", 2, &a),
                     SALES_LINE_OVERFLOW);
}

static void document(void **state)
{
    (void)state;
    sales_doc_totals_t t;
    sales_totals_start(&t, 2);
    assert_string_equal(fmt(t.total), "0.00");
    sales_line_amounts_t a, b, c;
    assert_int_equal(line("3", "19.99", "10", "20", 2, &a), SALES_LINE_OK);
    assert_int_equal(line("1", "0.125", "0", "50", 2, &b), SALES_LINE_OK);
    assert_int_equal(line("1", "10.005", "50", "0", 2, &c), SALES_LINE_OK);
    assert_true(sales_totals_add(&t, &a));
    assert_true(sales_totals_add(&t, &b));
    assert_true(sales_totals_add(&t, &c));
    /* Sums of what the lines show. */
    assert_string_equal(fmt(t.subtotal), "70.11");
    assert_string_equal(fmt(t.discount), "11.01");
    assert_string_equal(fmt(t.tax), "10.86");
    assert_string_equal(fmt(t.total), "69.96");
    /* total = subtotal - discount + tax. */
    sales_dec_t x;
    assert_true(sales_dec_sub(t.subtotal, t.discount, &x));
    assert_true(sales_dec_add(x, t.tax, &x));
    assert_int_equal(sales_dec_cmp(x, t.total), 0);
    /* Rounding per line, then summing: three lines of 0.005 give 0.03, not
     * round(0.015) = 0.02. */
    sales_totals_start(&t, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(line("1", "0.005", "0", "0", 2, &a), SALES_LINE_OK);
        assert_true(sales_totals_add(&t, &a));
    }
    assert_string_equal(fmt(t.total), "0.03");
    /* A sum past 38 digits is refused and leaves the totals as they were. */
    sales_totals_start(&t, 2);
    assert_int_equal(line("1", "600000000000000000000000000000000000", "0", "0", 2, &a),
                     SALES_LINE_OK);
    assert_true(sales_totals_add(&t, &a));
    assert_false(sales_totals_add(&t, &a));
    assert_string_equal(fmt(t.total), "600000000000000000000000000000000000.00");
    /* Zero-digit currency totals keep no decimals. */
    sales_totals_start(&t, 0);
    assert_string_equal(fmt(t.total), "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rule),    cmocka_unit_test(half_away_from_zero),
        cmocka_unit_test(minor_units), cmocka_unit_test(refused),
        cmocka_unit_test(large),       cmocka_unit_test(document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
