/* The sales timeline's order (newest first, undated last, ties by id) and
 * its page cursor: round trips, and every kind of forged cursor refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "timeline_cursor.h"

#define ID1 "0190f5a4-7c2e-7b3a-9f00-000000000001"
#define ID2 "0190f5a4-7c2e-7b3a-9f00-000000000002"
#define AT1 "2026-11-23T10:52:01.500Z"
#define AT2 "2026-11-24T08:00:00.000Z"

static void order_newest_first(void **state)
{
    (void)state;
    assert_true(sales_timeline_order(AT2, ID1, AT1, ID2) < 0);
    assert_true(sales_timeline_order(AT1, ID2, AT2, ID1) > 0);
    /* Same time: the greater (later) id first. */
    assert_true(sales_timeline_order(AT1, ID2, AT1, ID1) < 0);
    assert_true(sales_timeline_order(AT1, ID1, AT1, ID2) > 0);
    assert_int_equal(sales_timeline_order(AT1, ID1, AT1, ID1), 0);
    /* Undated after dated, then by id. */
    assert_true(sales_timeline_order(AT1, ID1, NULL, ID2) < 0);
    assert_true(sales_timeline_order(NULL, ID2, AT1, ID1) > 0);
    assert_true(sales_timeline_order(NULL, ID2, NULL, ID1) < 0);
}

static void round_trips(void **state)
{
    (void)state;
    char c[SALES_CURSOR_MAX], at[SALES_CURSOR_PART_MAX], id[SALES_CURSOR_PART_MAX];
    assert_true(sales_timeline_cursor_encode(AT1, ID1, c, sizeof c));
    assert_true(strlen(c) < SALES_CURSOR_MAX);
    /* URL-safe as it is. */
    for (const char *p = c; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    assert_true(sales_timeline_cursor_decode(c, at, id));
    assert_string_equal(at, AT1);
    assert_string_equal(id, ID1);
    assert_true(sales_timeline_cursor_encode(NULL, ID2, c, sizeof c));
    assert_true(sales_timeline_cursor_decode(c, at, id));
    assert_string_equal(at, "");
    assert_string_equal(id, ID2);
}

static void encode_refuses_bad_parts(void **state)
{
    (void)state;
    char c[SALES_CURSOR_MAX];
    assert_false(sales_timeline_cursor_encode("2026-11-23T10:52:01Z", ID1, c, sizeof c));
    assert_false(
        sales_timeline_cursor_encode(AT1, "0190F5A4-7C2E-7B3A-9F00-000000000001", c, sizeof c));
    assert_false(sales_timeline_cursor_encode(AT1, "not-an-id", c, sizeof c));
    assert_false(sales_timeline_cursor_encode(AT1, NULL, c, sizeof c));
    assert_false(sales_timeline_cursor_encode(AT1, ID1, c, 20));
}

static void decode_refuses_forgeries(void **state)
{
    (void)state;
    char good[SALES_CURSOR_MAX], at[SALES_CURSOR_PART_MAX], id[SALES_CURSOR_PART_MAX];
    assert_true(sales_timeline_cursor_encode(AT1, ID1, good, sizeof good));
    static const char *const bad[] = {
        "",
        "x",
        "!!!!",
        "dDF8fA", /* "t1||" : no id */
        "dDJ8MjAyNi0xMS0yM1QxMDo1MjowMS41MDBafDAxOTBmNWE0LTdjMmUtN2IzYS05ZjAwLTAwMDAwMDAwMDAwMQ",
        "eDF8MjAyNi0xMS0yM1QxMDo1MjowMS41MDBafDAxOTBmNWE0LTdjMmUtN2IzYS05ZjAwLTAwMDAwMDAwMDAwMQ",
        "dDF8MjAyNi0xMS0yM1QxMDo1MjowMSdfDAxOTBmNWE0LTdjMmUtN2IzYS05ZjAwLTAwMDAwMDAwMDAwMQ",
        "dDF8J3wwMTkwZjVhNC03YzJlLTdiM2EtOWYwMC0wMDAwMDAwMDAwMDE", /* at "'" */
        "dDF8fDAxOTBmNWE0LTdjMmUtN2IzYS05ZjAwLTAwMDAwMDAwMDAwMSc", /* id with a quote */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sales_timeline_cursor_decode(bad[i], at, id))
            fail_msg("cursor '%s' should be refused", bad[i]);
    assert_false(sales_timeline_cursor_decode(NULL, at, id));
    /* Every one-character change of a good cursor is refused or decodes
     * to something encode would write the same way. */
    size_t n = strlen(good);
    for (size_t i = 0; i < n; i++) {
        char c[SALES_CURSOR_MAX];
        strcpy(c, good);
        c[i] = c[i] == 'A' ? 'B' : 'A';
        if (sales_timeline_cursor_decode(c, at, id)) {
            char again[SALES_CURSOR_MAX];
            assert_true(sales_timeline_cursor_encode(at[0] ? at : NULL, id, again, sizeof again));
            assert_string_equal(again, c);
        }
    }
    /* Truncated and overlong. */
    char cut[SALES_CURSOR_MAX];
    strcpy(cut, good);
    cut[n - 1] = '\0';
    assert_false(sales_timeline_cursor_decode(cut, at, id));
    char *longer = malloc(400);
    memset(longer, 'A', 399);
    longer[399] = '\0';
    assert_false(sales_timeline_cursor_decode(longer, at, id));
    free(longer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_newest_first),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(encode_refuses_bad_parts),
        cmocka_unit_test(decode_refuses_forgeries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
