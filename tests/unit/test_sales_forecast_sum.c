/* The forecast's sums (modules/sales/forecast_sum.c): which amounts each
 * opportunity adds to pipeline, best case, commit, closed won and lost and
 * the weighted amount; weighted sums exact until they are formatted;
 * totals merged before rounding; groups per period, owner and currency. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "forecast.h"

static sales_fc_item_t item(const char *status, const char *category, const char *amount,
                            const char *probability)
{
    return (sales_fc_item_t){status, category, amount, probability};
}

static void add_ok(sales_fc_sums_t *s, sales_fc_item_t it)
{
    assert_int_equal(sales_fc_sums_add_item(s, &it), SALES_FC_OK);
}

static void categories_and_weighted(void **state)
{
    (void)state;
    sales_fc_sums_t s;
    sales_fc_sums_init(&s);
    add_ok(&s, item("open", "pipeline", "1000.5", "10"));    /* weighted 100.05 */
    add_ok(&s, item("open", "best_case", "333.33", "33.3")); /* 110.99889 */
    add_ok(&s, item("open", "commit", "0.01", "50"));        /* 0.005 */
    add_ok(&s, item("won", "closed", "200", "90"));          /* won counts whole */
    add_ok(&s, item("lost", "omitted", "50", "0"));
    add_ok(&s, item("open", "omitted", "999", "90")); /* out of every amount */
    add_ok(&s, item("open", NULL, NULL, NULL));       /* no amount: counted only */
    add_ok(&s, item(NULL, NULL, "1", NULL));          /* no status: open, 0 % */
    assert_int_equal(s.count, 8);
    assert_int_equal(s.open, 6);
    assert_int_equal(s.won, 1);
    assert_int_equal(s.lost, 1);
    sales_fc_text_t t;
    sales_fc_sums_format(&s, 2, &t);
    assert_string_equal(t.pipeline, "1334.84");
    assert_string_equal(t.best_case, "533.34");
    assert_string_equal(t.commit, "200.01");
    assert_string_equal(t.closed_won, "200.00");
    assert_string_equal(t.closed_lost, "50.00");
    /* 411.05389 exactly: rounding each product first would give 411.06. */
    assert_string_equal(t.weighted, "411.05");
    sales_fc_sums_format(&s, 4, &t);
    assert_string_equal(t.weighted, "411.0539");
}

static void rounding_at_the_end(void **state)
{
    (void)state;
    /* Two halves of a yen make one yen, not two. */
    sales_fc_sums_t s;
    sales_fc_sums_init(&s);
    add_ok(&s, item("open", "pipeline", "5", "10"));
    add_ok(&s, item("open", "pipeline", "5", "10"));
    sales_fc_text_t t;
    sales_fc_sums_format(&s, sales_currency_places("JPY"), &t);
    assert_string_equal(t.weighted, "1");
    assert_string_equal(t.pipeline, "10");
    /* Half away from zero at the currency's places. */
    sales_fc_sums_init(&s);
    add_ok(&s, item("open", "pipeline", "0.0005", "100"));
    sales_fc_sums_format(&s, sales_currency_places("KWD"), &t);
    assert_string_equal(t.weighted, "0.001");
    assert_string_equal(t.pipeline, "0.001");
    /* Totals merge the exact sums: 0.005 + 0.005 is 0.01, where the
     * rounded groups would add up to 0.02. */
    sales_fc_sums_t a, b;
    sales_fc_sums_init(&a);
    sales_fc_sums_init(&b);
    add_ok(&a, item("open", "pipeline", "0.01", "50"));
    add_ok(&b, item("open", "pipeline", "0.01", "50"));
    sales_fc_sums_format(&a, 2, &t);
    assert_string_equal(t.weighted, "0.01");
    assert_int_equal(sales_fc_sums_merge(&a, &b), SALES_FC_OK);
    sales_fc_sums_format(&a, 2, &t);
    assert_string_equal(t.weighted, "0.01");
    assert_string_equal(t.pipeline, "0.02");
    assert_int_equal(a.count, 2);
    assert_int_equal(a.open, 2);
}

static void bad_values_and_overflow(void **state)
{
    (void)state;
    sales_fc_sums_t s;
    sales_fc_sums_init(&s);
    sales_fc_item_t bad = item("open", "pipeline", "12,5", "10");
    assert_int_equal(sales_fc_sums_add_item(&s, &bad), SALES_FC_BAD_VALUE);
    bad = item("open", "pipeline", "12.5", "ten");
    assert_int_equal(sales_fc_sums_add_item(&s, &bad), SALES_FC_BAD_VALUE);
    assert_int_equal(s.count, 0);
    /* 38 nines fit; twice that does not. */
    const char *big = "99999999999999999999999999999999999999";
    add_ok(&s, item("won", "closed", big, "100"));
    sales_fc_item_t more = item("won", "closed", big, "100");
    assert_int_equal(sales_fc_sums_add_item(&s, &more), SALES_FC_OVERFLOW);
}

static void groups_by_period_owner_currency(void **state)
{
    (void)state;
    sales_fc_t fc = {0};
    sales_fc_item_t a = item("open", "pipeline", "100", "50");
    sales_fc_item_t w = item("won", "closed", "10", "100");
    const char *bob = "0190a8c4-0000-7000-8000-00000000000b";
    const char *amy = "0190a8c4-0000-7000-8000-00000000000a";
    assert_int_equal(sales_fc_add(&fc, 7, bob, "USD", &a), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, bob, "EUR", &a), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, amy, "EUR", &a), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, bob, "EUR", &w), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, bob, NULL, &a), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, bob, "CHF", &a), SALES_FC_OK);
    assert_int_equal(sales_fc_add(&fc, 5, NULL, "EUR", &a), SALES_FC_OK);
    /* Enough groups to grow the array more than once. */
    for (int p = 100; p < 140; p++)
        assert_int_equal(sales_fc_add(&fc, p, amy, "EUR", &a), SALES_FC_OK);
    assert_int_equal(fc.n, 46);
    sales_fc_sort(&fc);
    const struct {
        int period;
        const char *owner, *currency;
        long long count;
    } want[] = {{5, "", "EUR", 1},  {5, amy, "EUR", 1}, {5, bob, "CHF", 1},
                {5, bob, "EUR", 2}, {5, bob, "", 1},    {7, bob, "USD", 1}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(fc.groups[i].period, want[i].period);
        assert_string_equal(fc.groups[i].owner, want[i].owner);
        assert_string_equal(fc.groups[i].currency, want[i].currency);
        assert_int_equal(fc.groups[i].sums.count, want[i].count);
    }
    sales_fc_text_t t;
    sales_fc_sums_format(&fc.groups[3].sums, 2, &t);
    assert_string_equal(t.weighted, "60.00");
    assert_string_equal(t.closed_won, "10.00");
    assert_int_equal(fc.groups[45].period, 139);

    /* Totals per currency over every group. */
    sales_fc_t all = {0};
    for (size_t i = 0; i < fc.n; i++)
        assert_int_equal(sales_fc_merge(&all, 0, NULL, fc.groups[i].currency, &fc.groups[i].sums),
                         SALES_FC_OK);
    sales_fc_sort(&all);
    assert_int_equal(all.n, 4);
    assert_string_equal(all.groups[0].currency, "CHF");
    assert_string_equal(all.groups[1].currency, "EUR");
    assert_int_equal(all.groups[1].sums.count, 44);
    assert_string_equal(all.groups[2].currency, "USD");
    assert_string_equal(all.groups[3].currency, "");
    sales_fc_sums_format(&all.groups[1].sums, 2, &t);
    assert_string_equal(t.pipeline, "4300.00");
    assert_string_equal(t.weighted, "2160.00");
    /* An owner or currency too long for a key is refused. */
    assert_int_equal(sales_fc_add(&all, 0, NULL, "EURO-DOLLAR", &a), SALES_FC_BAD_VALUE);
    sales_fc_free(&all);
    sales_fc_free(&fc);
    assert_null(fc.groups);
    assert_int_equal(fc.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(categories_and_weighted),
        cmocka_unit_test(rounding_at_the_end),
        cmocka_unit_test(bad_values_and_overflow),
        cmocka_unit_test(groups_by_period_owner_currency),
    };
    return cmocka_run_group_tests_name("sales_forecast_sum", tests, NULL, NULL);
}
