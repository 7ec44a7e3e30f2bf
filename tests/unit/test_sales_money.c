/* The sales module's exact decimal arithmetic (modules/sales/money.c):
 * parsing the records API's decimal text, numbers read as doubles, sums and
 * products with overflow reported, rounding half away from zero done once
 * on exact products, exact comparisons, and ISO 4217 minor units. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "money.h"

static const char *fmt(sales_dec_t a)
{
    static char buf[4][SALES_DEC_BUF];
    static int i;
    char *b = buf[i++ % 4];
    sales_dec_format(a, b, SALES_DEC_BUF);
    return b;
}

static sales_dec_t dec(const char *s)
{
    sales_dec_t d;
    assert_true(sales_dec_parse(s, &d));
    return d;
}

static void parse(void **state)
{
    (void)state;
    assert_string_equal(fmt(dec("12.50")), "12.50");
    assert_int_equal(dec("12.50").scale, 2);
    assert_string_equal(fmt(dec(".5")), "0.5");
    assert_string_equal(fmt(dec("5.")), "5");
    assert_string_equal(fmt(dec("+3")), "3");
    assert_string_equal(fmt(dec("-0.05")), "-0.05");
    assert_string_equal(fmt(dec("000123.4")), "123.4");
    assert_string_equal(fmt(dec("-0.0")), "0.0");
    /* 38 significant digits fit, 39 do not. */
    assert_string_equal(fmt(dec("12345678901234567890123456789012345678")),
                        "12345678901234567890123456789012345678");
    sales_dec_t d;
    assert_false(sales_dec_parse("123456789012345678901234567890123456789", &d));
    /* Leading zeros of a value below one do not count. */
    assert_true(sales_dec_parse("0.00000000000000000000000000001", &d));
    assert_int_equal(d.scale, 29);
    /* 30 places fit; trailing zeros beyond are dropped, other digits not. */
    assert_true(sales_dec_parse("1.000000000000000000000000000000000000", &d));
    assert_int_equal(d.scale, 30);
    assert_false(sales_dec_parse("0.0000000000000000000000000000001", &d));
    const char *bad[] = {"",   ".",     "-",   "+",   "1e5", " 1",
                         "1 ", "1.2.3", "abc", "--1", "1,5", "0x10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sales_dec_parse(bad[i], &d));
    assert_false(sales_dec_parse(NULL, &d));
}

static void from_real(void **state)
{
    (void)state;
    sales_dec_t d;
    const struct {
        double v;
        const char *text;
    } cases[] = {{0.1, "0.1"},
                 {1e-5, "0.00001"},
                 {100.0, "100"},
                 {-2.5, "-2.5"},
                 {1e20, "100000000000000000000"},
                 {19.99, "19.99"},
                 {0.0, "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(sales_dec_from_real(cases[i].v, &d));
        assert_string_equal(fmt(d), cases[i].text);
    }
    assert_false(sales_dec_from_real(NAN, &d));
    assert_false(sales_dec_from_real(INFINITY, &d));
    assert_false(sales_dec_from_real(1e300, &d));
    assert_false(sales_dec_from_real(1e-40, &d));
}

static void sums(void **state)
{
    (void)state;
    sales_dec_t r;
    assert_true(sales_dec_add(dec("1.5"), dec("2.25"), &r));
    assert_string_equal(fmt(r), "3.75");
    assert_true(sales_dec_sub(dec("1.5"), dec("2.25"), &r));
    assert_string_equal(fmt(r), "-0.75");
    sales_dec_t big = dec("99999999999999999999999999999999999999");
    assert_true(sales_dec_add(big, dec("1"), &r));
    assert_string_equal(fmt(r), "100000000000000000000000000000000000000");
    /* The limit is about 1.7 * 10^38. */
    assert_true(sales_dec_add(r, dec("70000000000000000000000000000000000000"), &r));
    assert_false(sales_dec_add(r, dec("1000000000000000000000000000000000000"), &r));
    /* Aligning scales can overflow too. */
    assert_false(sales_dec_add(big, dec("0.1"), &r));
    sales_dec_t neg = {-big.m, 0};
    assert_true(sales_dec_sub(neg, dec("70000000000000000000000000000000000000"), &r));
    assert_false(sales_dec_sub(r, dec("1000000000000000000000000000000000000"), &r));
}

static void products(void **state)
{
    (void)state;
    sales_dec_t r;
    assert_true(sales_dec_mul(dec("3"), dec("19.99"), &r));
    assert_string_equal(fmt(r), "59.97");
    assert_true(sales_dec_mul(dec("-1.5"), dec("1.5"), &r));
    assert_string_equal(fmt(r), "-2.25");
    /* More than 30 places: rounded to 30. */
    assert_true(sales_dec_mul(dec("0.000000000000000000000000000001"), dec("0.5"), &r));
    assert_int_equal(r.scale, 30);
    assert_string_equal(fmt(r), "0.000000000000000000000000000001");
    /* A product whose exact mantissa overflows but whose rounded value
     * fits. */
    assert_true(sales_dec_mul(dec("12345.123456789012345678901234"),
                              dec("12345.123456789012345678901234"), &r));
    assert_int_equal(r.scale, 30);
    assert_string_equal(fmt(r), "152402073.163362293568050908217955211343");
    assert_false(sales_dec_mul(dec("99999999999999999999999999999999999999"), dec("10"), &r));
    assert_true(sales_dec_percent(dec("200"), dec("12.5"), &r));
    assert_string_equal(fmt(r), "25.000");
    assert_true(sales_dec_percent(dec("-19.99"), dec("20"), &r));
    assert_string_equal(fmt(r), "-3.9980");
}

static void rounding(void **state)
{
    (void)state;
    assert_string_equal(fmt(sales_dec_round(dec("2.345"), 2)), "2.35");
    assert_string_equal(fmt(sales_dec_round(dec("-2.345"), 2)), "-2.35");
    assert_string_equal(fmt(sales_dec_round(dec("2.3449999"), 2)), "2.34");
    assert_string_equal(fmt(sales_dec_round(dec("0.5"), 0)), "1");
    assert_string_equal(fmt(sales_dec_round(dec("-0.5"), 0)), "-1");
    assert_string_equal(fmt(sales_dec_round(dec("0.4999"), 0)), "0");
    assert_string_equal(fmt(sales_dec_round(dec("1.5"), 2)), "1.50");
    assert_string_equal(fmt(sales_dec_round(dec("7"), 3)), "7.000");
    assert_string_equal(fmt(sales_dec_round(dec("0"), 2)), "0.00");
    assert_string_equal(fmt(sales_dec_round(dec("0.00000000000000000000000049999"), 0)), "0");
    /* Dropping the whole 38-digit mantissa. */
    sales_dec_t tiny = {(__int128)5 * (__int128)1000000000000000000 * 10000000000000000000ULL, 30};
    assert_string_equal(fmt(sales_dec_round(tiny, 0)), "50000000");
}

static void round_once(void **state)
{
    (void)state;
    sales_dec_t r;
    /* 0.004999...95 (33 places): rounding to 30 places first would give
     * 0.005 and then 0.01; rounding the exact value once gives 0.00. */
    sales_dec_t x = {(__int128)4999999999999999999ULL * 100000000000000ULL + 99999999999995ULL, 35};
    sales_dec_t one = dec("1");
    const sales_dec_t f[2] = {x, one};
    assert_true(sales_dec_product_round(f, 2, 0, 2, &r));
    assert_string_equal(fmt(r), "0.00");
    /* Three wide factors: the product needs more than 256 bits. */
    sales_dec_t w = dec("99999999999999999999999999999999999999");
    const sales_dec_t g[3] = {w, w, {1, 38}};
    assert_false(sales_dec_product_round(g, 3, 0, 2, &r));
    const sales_dec_t h[3] = {dec("12345678901234567890.123456789012345678"),
                              dec("0.000000000000000000000000000001"),
                              dec("0.000000000000000000000000000001")};
    assert_true(sales_dec_product_round(h, 3, 2, 2, &r));
    assert_string_equal(fmt(r), "0.00");
    /* Half away from zero, on both sides. */
    const sales_dec_t p[3] = {dec("1"), dec("0.125"), dec("100")};
    assert_true(sales_dec_product_round(p, 3, 2, 2, &r));
    assert_string_equal(fmt(r), "0.13");
    const sales_dec_t n[3] = {dec("-1"), dec("0.125"), dec("100")};
    assert_true(sales_dec_product_round(n, 3, 2, 2, &r));
    assert_string_equal(fmt(r), "-0.13");
    /* Padding when the product has fewer places. */
    assert_true(sales_dec_mul_round(dec("3"), dec("7"), 3, &r));
    assert_string_equal(fmt(r), "21.000");
    /* Bad arguments. */
    assert_false(sales_dec_product_round(p, 0, 0, 2, &r));
    assert_false(sales_dec_product_round(p, 4, 0, 2, &r));
    assert_false(sales_dec_product_round(p, 2, 0, 31, &r));
}

static void compare(void **state)
{
    (void)state;
    assert_int_equal(sales_dec_cmp(dec("1.50"), dec("1.5")), 0);
    assert_int_equal(sales_dec_cmp(dec("-1"), dec("-2")), 1);
    assert_int_equal(sales_dec_cmp(dec("-2"), dec("1")), -1);
    assert_int_equal(sales_dec_cmp(dec("0"), dec("-0.0")), 0);
    /* Scales too far apart to align: still exact. */
    assert_int_equal(sales_dec_cmp(dec("1.5"), dec("99999999999999999999999999999999999999")), -1);
    assert_int_equal(sales_dec_cmp(dec("99999999999999999999999999999999999999"), dec("1.5")), 1);
    assert_int_equal(sales_dec_cmp(dec("0.000000000000000000000000000002"),
                                   dec("0.000000000000000000000000000001")),
                     1);
    assert_int_equal(sales_dec_sign(dec("-0.01")), -1);
    assert_int_equal(sales_dec_sign(dec("0.00")), 0);
    assert_true(sales_dec_fits(dec("99.99"), 4));
    assert_false(sales_dec_fits(dec("100.00"), 4));
    assert_true(sales_dec_fits(dec("99999999999999999999999999999999999999"), 38));
}

static void currencies(void **state)
{
    (void)state;
    assert_int_equal(sales_currency_places("EUR"), 2);
    assert_int_equal(sales_currency_places("USD"), 2);
    assert_int_equal(sales_currency_places("JPY"), 0);
    assert_int_equal(sales_currency_places("KRW"), 0);
    assert_int_equal(sales_currency_places("KWD"), 3);
    assert_int_equal(sales_currency_places("BHD"), 3);
    assert_int_equal(sales_currency_places("CLF"), 4);
    assert_int_equal(sales_currency_places("XAU"), 4);
    assert_int_equal(sales_currency_places(NULL), 2);
    assert_true(sales_currency_valid("EUR"));
    assert_true(sales_currency_valid("JPY"));
    assert_true(sales_currency_valid("ZWG"));
    assert_false(sales_currency_valid("eur"));
    assert_false(sales_currency_valid("XXX"));
    assert_false(sales_currency_valid("XTS"));
    assert_false(sales_currency_valid("HRK"));
    assert_false(sales_currency_valid("EURO"));
    assert_false(sales_currency_valid(""));
    assert_false(sales_currency_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse),    cmocka_unit_test(from_real),  cmocka_unit_test(sums),
        cmocka_unit_test(products), cmocka_unit_test(rounding),   cmocka_unit_test(round_once),
        cmocka_unit_test(compare),  cmocka_unit_test(currencies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
