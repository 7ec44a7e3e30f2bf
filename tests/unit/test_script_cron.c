/* Cron expressions of scheduled scripts: fields, ranges, steps, lists,
 * names, shorthands, the two day fields, and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "script/cron.h"

/* A UTC moment: year, month 1-12, day, hour, minute. */
static struct tm at(int y, int mon, int d, int h, int min)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = min;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    return tm;
}

static bool match(const char *expr, struct tm tm)
{
    rp_cron_t c;
    char err[200];
    if (rp_cron_parse(expr, &c, err, sizeof err) != RP_OK)
        fail_msg("%s: %s", expr, err);
    return rp_cron_matches(&c, &tm);
}

static void refused(const char *expr, const char *needle)
{
    rp_cron_t c;
    char err[200] = "";
    if (rp_cron_parse(expr, &c, err, sizeof err) != RP_EINVAL)
        fail_msg("'%s' was accepted", expr);
    if (needle && strstr(err, needle) == NULL)
        fail_msg("'%s': message '%s' does not mention '%s'", expr, err, needle);
}

static void test_every_minute(void **state)
{
    (void)state;
    assert_true(match("* * * * *", at(2026, 11, 23, 14, 5)));
    assert_true(match("  *  *\t* * *  ", at(2030, 1, 1, 0, 0)));
}

static void test_values_and_ranges(void **state)
{
    (void)state;
    assert_true(match("5 14 * * *", at(2026, 11, 23, 14, 5)));
    assert_false(match("5 14 * * *", at(2026, 11, 23, 14, 6)));
    assert_false(match("5 14 * * *", at(2026, 11, 23, 15, 5)));
    assert_true(match("0-10 * * * *", at(2026, 1, 1, 3, 10)));
    assert_false(match("0-10 * * * *", at(2026, 1, 1, 3, 11)));
    assert_true(match("1,15,30-32 * * * *", at(2026, 1, 1, 3, 31)));
    assert_false(match("1,15,30-32 * * * *", at(2026, 1, 1, 3, 16)));
}

static void test_steps(void **state)
{
    (void)state;
    assert_true(match("*/15 * * * *", at(2026, 1, 1, 3, 45)));
    assert_false(match("*/15 * * * *", at(2026, 1, 1, 3, 46)));
    assert_true(match("10-50/20 * * * *", at(2026, 1, 1, 3, 50)));
    assert_false(match("10-50/20 * * * *", at(2026, 1, 1, 3, 40)));
    assert_true(match("5/30 * * * *", at(2026, 1, 1, 3, 35)));
    assert_false(match("5/30 * * * *", at(2026, 1, 1, 3, 30)));
    assert_true(match("0 */6 * * *", at(2026, 1, 1, 18, 0)));
}

static void test_names(void **state)
{
    (void)state;
    /* 2026-11-23 is a Monday. */
    assert_true(match("0 9 * * mon-fri", at(2026, 11, 23, 9, 0)));
    assert_false(match("0 9 * * sat,sun", at(2026, 11, 23, 9, 0)));
    assert_true(match("0 9 * NOV mon", at(2026, 11, 23, 9, 0)));
    assert_false(match("0 9 * jan-oct *", at(2026, 11, 23, 9, 0)));
    /* 7 is Sunday, like 0: 2026-11-22 is a Sunday. */
    assert_true(match("0 0 * * 7", at(2026, 11, 22, 0, 0)));
    assert_true(match("0 0 * * 0", at(2026, 11, 22, 0, 0)));
}

static void test_day_fields(void **state)
{
    (void)state;
    /* Both restricted: either matches (the 1st, or any Monday). */
    assert_true(match("0 0 1 * mon", at(2026, 11, 23, 0, 0)));
    assert_true(match("0 0 1 * mon", at(2026, 12, 1, 0, 0)));
    assert_false(match("0 0 1 * mon", at(2026, 11, 24, 0, 0)));
    /* One restricted: only it counts. */
    assert_false(match("0 0 1 * *", at(2026, 11, 23, 0, 0)));
    assert_true(match("0 0 * * mon", at(2026, 11, 23, 0, 0)));
}

static void test_shorthands(void **state)
{
    (void)state;
    assert_true(match("@hourly", at(2026, 1, 1, 7, 0)));
    assert_false(match("@hourly", at(2026, 1, 1, 7, 1)));
    assert_true(match("@daily", at(2026, 5, 9, 0, 0)));
    assert_true(match("@monthly", at(2026, 5, 1, 0, 0)));
    assert_false(match("@monthly", at(2026, 5, 2, 0, 0)));
    assert_true(match("@yearly", at(2027, 1, 1, 0, 0)));
    assert_true(match("@weekly", at(2026, 11, 22, 0, 0)));
}

static void test_refusals(void **state)
{
    (void)state;
    refused("", "5 fields");
    refused("* * * *", "5 fields");
    refused("* * * * * *", "more");
    refused("60 * * * *", "minute");
    refused("* 24 * * *", "hour");
    refused("* * 0 * *", "day of month");
    refused("* * 32 * *", "day of month");
    refused("* * * 13 *", "month");
    refused("* * * * 8", "day of week");
    refused("5-1 * * * *", "minute");
    refused("*/0 * * * *", "minute");
    refused("1,,2 * * * *", "minute");
    refused("1, * * * *", "minute");
    refused("a * * * *", "minute");
    refused("* * * foo *", "month");
    refused("@sometimes", "shorthand");
    refused("0001 * * * *", "minute");
    rp_cron_t c;
    char err[64];
    assert_int_equal(rp_cron_parse(NULL, &c, err, sizeof err), RP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_minute), cmocka_unit_test(test_values_and_ranges),
        cmocka_unit_test(test_steps),        cmocka_unit_test(test_names),
        cmocka_unit_test(test_day_fields),   cmocka_unit_test(test_shorthands),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
