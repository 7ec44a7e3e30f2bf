/* The forecast's calendar (modules/sales/forecast_period.c): days, periods
 * by month and quarter, and the ranges a forecast resolves from its
 * parameters. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "forecast.h"

static sales_day_t day(const char *s)
{
    sales_day_t d;
    assert_true(sales_day_parse(s, &d));
    return d;
}

static void assert_day(sales_day_t d, const char *want)
{
    char buf[SALES_DAY_BUF];
    sales_day_format(d, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void days_parse_strictly(void **state)
{
    (void)state;
    sales_day_t d;
    assert_true(sales_day_parse("2024-02-29", &d));
    assert_int_equal(d.y, 2024);
    assert_int_equal(d.m, 2);
    assert_int_equal(d.d, 29);
    assert_true(sales_day_parse("2000-02-29", &d));
    assert_true(sales_day_parse("0001-01-01", &d));
    assert_true(sales_day_parse("9999-12-31", &d));
    const char *bad[] = {"2023-02-29", "1900-02-29",  "2026-04-31", "2026-13-01",
                         "2026-00-10", "2026-01-00",  "0000-01-01", "2026-1-01",
                         "2026-01-1",  "2026/01/01",  "20260101",   "2026-01-01T00:00:00Z",
                         "",           " 2026-01-01", "2026-0a-01", "-026-01-01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sales_day_parse(bad[i], &d));
    assert_false(sales_day_parse(NULL, &d));
    assert_int_equal(sales_day_cmp(day("2026-01-31"), day("2026-02-01")), -1);
    assert_int_equal(sales_day_cmp(day("2026-02-01"), day("2026-02-01")), 0);
    assert_int_equal(sales_day_cmp(day("2027-01-01"), day("2026-12-31")), 1);
}

static void periods_bucket_days(void **state)
{
    (void)state;
    sales_period_t p;
    assert_true(sales_period_parse("month", &p));
    assert_int_equal(p, SALES_PERIOD_MONTH);
    assert_true(sales_period_parse("quarter", &p));
    assert_int_equal(p, SALES_PERIOD_QUARTER);
    assert_false(sales_period_parse("Month", &p));
    assert_false(sales_period_parse("year", &p));
    assert_false(sales_period_parse("", &p));
    assert_false(sales_period_parse(NULL, &p));
    assert_string_equal(sales_period_name(SALES_PERIOD_QUARTER), "quarter");

    /* Months: consecutive indexes across a year's end. */
    int dec = sales_period_index(SALES_PERIOD_MONTH, day("2025-12-31"));
    int jan = sales_period_index(SALES_PERIOD_MONTH, day("2026-01-01"));
    assert_int_equal(jan, dec + 1);
    assert_int_equal(sales_period_index(SALES_PERIOD_MONTH, day("2026-01-31")), jan);
    char key[SALES_DAY_BUF];
    sales_period_key(SALES_PERIOD_MONTH, jan, key, sizeof key);
    assert_string_equal(key, "2026-01");
    sales_period_key(SALES_PERIOD_MONTH, dec, key, sizeof key);
    assert_string_equal(key, "2025-12");
    assert_day(sales_period_start(SALES_PERIOD_MONTH, jan + 1), "2026-02-01");
    assert_day(sales_period_end(SALES_PERIOD_MONTH, jan + 1), "2026-02-28");
    int feb24 = sales_period_index(SALES_PERIOD_MONTH, day("2024-02-10"));
    assert_day(sales_period_end(SALES_PERIOD_MONTH, feb24), "2024-02-29");

    /* Quarters: Q1 is January to March, and so on. */
    const struct {
        const char *day, *key, *start, *end;
    } q[] = {
        {"2026-01-01", "2026-Q1", "2026-01-01", "2026-03-31"},
        {"2026-03-31", "2026-Q1", "2026-01-01", "2026-03-31"},
        {"2026-04-01", "2026-Q2", "2026-04-01", "2026-06-30"},
        {"2026-08-15", "2026-Q3", "2026-07-01", "2026-09-30"},
        {"2026-12-31", "2026-Q4", "2026-10-01", "2026-12-31"},
    };
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        int idx = sales_period_index(SALES_PERIOD_QUARTER, day(q[i].day));
        sales_period_key(SALES_PERIOD_QUARTER, idx, key, sizeof key);
        assert_string_equal(key, q[i].key);
        assert_day(sales_period_start(SALES_PERIOD_QUARTER, idx), q[i].start);
        assert_day(sales_period_end(SALES_PERIOD_QUARTER, idx), q[i].end);
    }
    assert_int_equal(sales_period_index(SALES_PERIOD_QUARTER, day("2027-01-01")),
                     sales_period_index(SALES_PERIOD_QUARTER, day("2026-12-31")) + 1);
}

static void assert_range(sales_range_t r, const char *from, const char *to, int count)
{
    assert_day(r.from, from);
    assert_day(r.to, to);
    assert_int_equal(r.count, count);
}

static void ranges_resolve(void **state)
{
    (void)state;
    sales_day_t today = day("2026-11-23");
    sales_range_t r;
    /* Default: the current period and the next three. */
    assert_int_equal(sales_forecast_range(SALES_PERIOD_MONTH, today, NULL, NULL, &r),
                     SALES_RANGE_OK);
    assert_range(r, "2026-11-01", "2027-02-28", 4);
    assert_int_equal(r.first, sales_period_index(SALES_PERIOD_MONTH, today));
    assert_int_equal(sales_forecast_range(SALES_PERIOD_QUARTER, today, NULL, NULL, &r),
                     SALES_RANGE_OK);
    assert_range(r, "2026-10-01", "2027-09-30", 4);
    /* From alone: to the end of the fourth period. */
    assert_int_equal(sales_forecast_range(SALES_PERIOD_MONTH, today, "2026-01-15", NULL, &r),
                     SALES_RANGE_OK);
    assert_range(r, "2026-01-15", "2026-04-30", 4);
    /* To alone: from the start of the fourth period back. */
    assert_int_equal(sales_forecast_range(SALES_PERIOD_QUARTER, today, NULL, "2026-05-10", &r),
                     SALES_RANGE_OK);
    assert_range(r, "2025-07-01", "2026-05-10", 4);
    /* Both: as given; one day is one period. */
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_MONTH, today, "2026-01-31", "2026-03-01", &r),
        SALES_RANGE_OK);
    assert_range(r, "2026-01-31", "2026-03-01", 3);
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_QUARTER, today, "2026-02-02", "2026-02-02", &r),
        SALES_RANGE_OK);
    assert_range(r, "2026-02-02", "2026-02-02", 1);
    /* Refusals. */
    assert_int_equal(sales_forecast_range(SALES_PERIOD_MONTH, today, "2026-02-30", NULL, &r),
                     SALES_RANGE_BAD_FROM);
    assert_int_equal(sales_forecast_range(SALES_PERIOD_MONTH, today, NULL, "tomorrow", &r),
                     SALES_RANGE_BAD_TO);
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_MONTH, today, "2026-03-01", "2026-02-28", &r),
        SALES_RANGE_REVERSED);
    /* Ten years of months is the most; quarters go further. */
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_MONTH, today, "2020-01-01", "2029-12-31", &r),
        SALES_RANGE_OK);
    assert_int_equal(r.count, SALES_FORECAST_PERIODS_MAX);
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_MONTH, today, "2020-01-01", "2030-01-01", &r),
        SALES_RANGE_TOO_LONG);
    assert_int_equal(
        sales_forecast_range(SALES_PERIOD_QUARTER, today, "2020-01-01", "2030-01-01", &r),
        SALES_RANGE_OK);
    assert_int_equal(r.count, 41);
    /* The calendar's edges do not wrap. */
    assert_int_equal(sales_forecast_range(SALES_PERIOD_MONTH, today, "9999-11-10", NULL, &r),
                     SALES_RANGE_OK);
    assert_range(r, "9999-11-10", "9999-12-31", 2);
    assert_int_equal(sales_forecast_range(SALES_PERIOD_QUARTER, today, NULL, "0001-02-01", &r),
                     SALES_RANGE_OK);
    assert_range(r, "0001-01-01", "0001-02-01", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_parse_strictly),
        cmocka_unit_test(periods_bucket_days),
        cmocka_unit_test(ranges_resolve),
    };
    return cmocka_run_group_tests_name("sales_forecast_period", tests, NULL, NULL);
}
