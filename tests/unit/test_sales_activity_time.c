/* The sales module's time helpers: RFC 3339 datetimes and dates read as the
 * records engine reads them, written in the form it stores, and record ids
 * recognised. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>
#include <time.h>

#include "activities.h"

static long long ms_of(const char *s)
{
    long long ms = -1;
    if (!sales_time_parse(s, &ms))
        fail_msg("%s should parse", s);
    return ms;
}

static void parses_rfc3339(void **state)
{
    (void)state;
    assert_int_equal(ms_of("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(ms_of("1970-01-01T00:00:01.5Z"), 1500);
    assert_int_equal(ms_of("1970-01-01T00:00:00.05Z"), 50);
    assert_int_equal(ms_of("1970-01-01T00:00:00.123456789Z"), 123);
    /* Offsets move the instant; lower-case t and z as RFC 3339 allows. */
    assert_int_equal(ms_of("1970-01-01T01:00:00+01:00"), 0);
    assert_int_equal(ms_of("1970-01-01t00:00:00z"), 0);
    assert_int_equal(ms_of("1969-12-31T23:30:00-00:30"), 0);
    assert_int_equal(ms_of("2026-11-23T11:52:01.5+01:00"), ms_of("2026-11-23T10:52:01.500Z"));
    assert_int_equal(ms_of("2024-02-29T12:00:00z"), 1709208000000LL);
    assert_true(ms_of("0001-01-01T00:00:00Z") < 0);
}

static void refuses_what_is_not_a_datetime(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2026-11-23",
        "2026-11-23T10:52Z",
        "2026-11-23 10:52:01Z",
        "2026-11-23T10:52:01",
        "2026-11-23T24:00:00Z",
        "2026-11-23T10:60:00Z",
        "2026-11-23T10:52:60Z",
        "2026-02-29T10:52:01Z",
        "2026-13-01T10:52:01Z",
        "2026-00-01T10:52:01Z",
        "0000-01-01T00:00:00Z",
        "2026-11-23T10:52:01.Z",
        "2026-11-23T10:52:01+0100",
        "2026-11-23T10:52:01+24:00",
        "2026-11-23T10:52:01Zjunk",
        "20261123T105201Z",
        "2026-1-23T10:52:01Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long ms;
        if (sales_time_parse(bad[i], &ms))
            fail_msg("'%s' should be refused", bad[i]);
    }
    long long ms;
    assert_false(sales_time_parse(NULL, &ms));
}

static void dates(void **state)
{
    (void)state;
    long long ms;
    assert_true(sales_time_parse_date("1970-01-02", &ms));
    assert_int_equal(ms, 86400000LL);
    assert_true(sales_time_parse_date("2000-02-29", &ms));
    assert_false(sales_time_parse_date("1900-02-29", &ms));
    assert_false(sales_time_parse_date("2026-04-31", &ms));
    assert_false(sales_time_parse_date("2026-04-30T00:00:00Z", &ms));
    assert_false(sales_time_parse_date("2026-4-30", &ms));
    assert_false(sales_time_parse_date(NULL, &ms));
}

static void formats_the_stored_form(void **state)
{
    (void)state;
    char out[SALES_TIME_LEN + 1];
    assert_true(sales_time_format(0, out));
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    assert_true(sales_time_format(ms_of("2026-11-23T11:52:01.5+01:00"), out));
    assert_string_equal(out, "2026-11-23T10:52:01.500Z");
    assert_true(sales_time_format(-1, out));
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    assert_true(sales_time_format(ms_of("9999-12-31T23:59:59.999Z"), out));
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    assert_true(sales_time_format(ms_of("0001-01-01T00:00:00Z"), out));
    assert_string_equal(out, "0001-01-01T00:00:00.000Z");
    assert_false(sales_time_format(ms_of("9999-12-31T23:59:59.999Z") + 1, out));
    /* Every day of four years goes round trip. */
    long long start = ms_of("2023-01-01T00:00:00Z");
    for (long long day = 0; day < 4 * 366; day++) {
        long long ms = start + day * 86400000LL + 45296789LL;
        assert_true(sales_time_format(ms, out));
        assert_int_equal(ms_of(out), ms);
    }
}

static void now_is_now(void **state)
{
    (void)state;
    char out[SALES_TIME_LEN + 1];
    sales_time_now(out);
    assert_int_equal(strlen(out), SALES_TIME_LEN);
    long long ms = ms_of(out);
    long long wall = (long long)time(NULL) * 1000;
    assert_true(ms > wall - 5000 && ms < wall + 5000);
}

static void uuids(void **state)
{
    (void)state;
    assert_true(sales_is_uuid("0190f5a4-7c2e-7b3a-9f00-1234567890ab"));
    assert_true(sales_is_uuid("0190F5A4-7C2E-7B3A-9F00-1234567890AB"));
    assert_false(sales_is_uuid("0190f5a4-7c2e-7b3a-9f00-1234567890a"));
    assert_false(sales_is_uuid("0190f5a4-7c2e-7b3a-9f00-1234567890abc"));
    assert_false(sales_is_uuid("0190f5a47c2e-7b3a-9f00-1234567890ab-"));
    assert_false(sales_is_uuid("0190f5a4-7c2e-7b3a-9f00-1234567890ag"));
    assert_false(sales_is_uuid(""));
    assert_false(sales_is_uuid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_rfc3339), cmocka_unit_test(refuses_what_is_not_a_datetime),
        cmocka_unit_test(dates),          cmocka_unit_test(formats_the_stored_form),
        cmocka_unit_test(now_is_now),     cmocka_unit_test(uuids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
