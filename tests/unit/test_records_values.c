/* Value validation and normalisation of every field type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "records/decimal.h"
#include "records/field.h"

static rp_field_t field_of(const char *def)
{
    rp_field_t f;
    json_error_t e;
    json_t *j = json_loads(def, 0, &e);
    if (j == NULL)
        fail_msg("bad test definition %s: %s", def, e.text);
    json_t *errors = json_object();
    rp_status_t st = rp_field_parse(j, &f, errors);
    if (st != RP_OK) {
        char *dump = json_dumps(errors, 0);
        print_error("definition %s rejected: %s\n", def, dump);
        free(dump);
    }
    assert_int_equal(st, RP_OK);
    json_decref(errors);
    json_decref(j);
    return f;
}

/* Normalises in (JSON text) and checks the stored value equals expect. */
#define OK(f, in, expect) check_ok(f, in, expect, __LINE__)
static void check_ok(const rp_field_t *f, const char *in, const char *expect, int line)
{
    json_t *v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    json_t *want = json_loads(expect, JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    assert_non_null(want);
    json_t *out = NULL;
    char why[256] = "";
    rp_status_t st = rp_field_normalize(f, v, &out, why, sizeof why);
    if (st != RP_OK)
        fail_msg("line %d: %s rejected: %s", line, in, why);
    if (!json_equal(out, want)) {
        char *got = json_dumps(out, JSON_ENCODE_ANY);
        print_error("line %d: %s gave %s, want %s\n", line, in, got, expect);
        free(got);
        fail();
    }
    json_decref(out);
    json_decref(v);
    json_decref(want);
}

/* Checks in (JSON text) is refused with a message containing msg. */
#define BAD(f, in, msg) check_bad(f, in, msg, __LINE__)
static void check_bad(const rp_field_t *f, const char *in, const char *msg, int line)
{
    json_t *v = json_loads(in, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_non_null(v);
    json_t *out = NULL;
    char why[256] = "";
    rp_status_t st = rp_field_normalize(f, v, &out, why, sizeof why);
    if (st != RP_EINVAL) {
        char *got = json_dumps(out, JSON_ENCODE_ANY);
        print_error("line %d: %s accepted as %s\n", line, in, got ? got : "(null)");
        free(got);
        fail();
    }
    assert_null(out);
    if (strstr(why, msg) == NULL)
        fail_msg("line %d: %s: message \"%s\" lacks \"%s\"", line, in, why, msg);
    json_decref(v);
}

static void text_length_counts_code_points(void **state)
{
    rp_field_t f = field_of("{\"name\":\"t\",\"type\":\"text\",\"max_length\":3}");
    OK(&f, "\"abc\"", "\"abc\"");
    OK(&f, "\"\\u00e9t\\u00e9\"", "\"\\u00e9t\\u00e9\"");   /* 3 code points, 5 bytes */
    OK(&f, "\"\\ud83d\\ude00ab\"", "\"\\ud83d\\ude00ab\""); /* emoji: 4 bytes, 1 point */
    BAD(&f, "\"abcd\"", "must be at most 3 characters");
    BAD(&f, "\"\\u00e9t\\u00e9s\"", "must be at most 3 characters");
    OK(&f, "\"  a\"", "\"  a\""); /* nothing trimmed */
    OK(&f, "\"\"", "\"\"");       /* text keeps the empty string */
    OK(&f, "null", "null");
    BAD(&f, "12", "must be text");
    BAD(&f, "\"a\\u0000b\"", "NUL");
    rp_field_free(&f);

    rp_field_t d = field_of("{\"name\":\"t\",\"type\":\"text\"}");
    char buf[300];
    memset(buf, 0, sizeof buf);
    buf[0] = '"';
    memset(buf + 1, 'x', 255);
    buf[256] = '"';
    OK(&d, buf, buf);
    buf[256] = 'x';
    buf[257] = '"';
    BAD(&d, buf, "must be at most 255 characters");
    rp_field_free(&d);
}

static void text_pattern_matches_whole_string(void **state)
{
    rp_field_t f = field_of("{\"name\":\"sku\",\"type\":\"text\",\"pattern\":\"[A-Z]{3}-[0-9]+\"}");
    OK(&f, "\"ABC-12\"", "\"ABC-12\"");
    BAD(&f, "\"xABC-12\"", "must match the pattern [A-Z]{3}-[0-9]+");
    BAD(&f, "\"ABC-12x\"", "must match the pattern");
    BAD(&f, "\"AB-12\"", "must match the pattern");
    rp_field_free(&f);
    /* An alternation stays inside the anchors. */
    rp_field_t g = field_of("{\"name\":\"g\",\"type\":\"textarea\",\"pattern\":\"a|b\"}");
    OK(&g, "\"a\"", "\"a\"");
    BAD(&g, "\"ab\"", "must match");
    BAD(&g, "\"xb\"", "must match");
    rp_field_free(&g);
}

static void email(void **state)
{
    rp_field_t f = field_of("{\"name\":\"email\",\"type\":\"email\"}");
    OK(&f, "\" Jane.Doe+crm@Example.COM \"", "\"Jane.Doe+crm@example.com\"");
    OK(&f, "\"a@b.co\"", "\"a@b.co\"");
    OK(&f, "\"x@mail.xn--p1ai\"", "\"x@mail.xn--p1ai\"");
    OK(&f, "\"\"", "null");
    BAD(&f, "\"jane\"", "must be a valid e-mail address");
    BAD(&f, "\"a@@b.co\"", "e-mail");
    BAD(&f, "\"a@b@c.co\"", "e-mail");
    BAD(&f, "\"@b.co\"", "e-mail");
    BAD(&f, "\"a@localhost\"", "e-mail");
    BAD(&f, "\"a..b@c.co\"", "e-mail");
    BAD(&f, "\".a@c.co\"", "e-mail");
    BAD(&f, "\"a b@c.co\"", "e-mail");
    BAD(&f, "\"a@-c.co\"", "e-mail");
    BAD(&f, "\"a@c..co\"", "e-mail");
    BAD(&f, "\"a@10.0.0.1\"", "e-mail");
    BAD(&f, "\"j\\u00e9@c.co\"", "e-mail");
    BAD(&f, "5", "e-mail");
    /* 254 bytes is the limit: "a@" and a 252-byte domain. */
    char addr[300], label[64];
    memset(label, 'x', 63);
    label[63] = '\0';
    snprintf(addr, sizeof addr, "\"a@%s.%s.%s.%.57s.co\"", label, label, label, label);
    assert_int_equal(strlen(addr), 254 + 2);
    OK(&f, addr, addr);
    snprintf(addr, sizeof addr, "\"ab@%s.%s.%s.%.57s.co\"", label, label, label, label);
    BAD(&f, addr, "e-mail");
    /* A label of 64 bytes is one too many. */
    snprintf(addr, sizeof addr, "\"a@%sx.co\"", label);
    BAD(&f, addr, "e-mail");
    rp_field_free(&f);
}

static void phone(void **state)
{
    rp_field_t f = field_of("{\"name\":\"phone\",\"type\":\"phone\"}");
    OK(&f, "\"+33 1 23 45 67 89\"", "\"+33123456789\"");
    OK(&f, "\"+33 (0)1 23 45 67 89\"", "\"+33123456789\"");
    OK(&f, "\"0033.1.23.45.67.89\"", "\"+33123456789\"");
    OK(&f, "\"+1 (415) 555-0100\"", "\"+14155550100\"");
    OK(&f, "\"+12345678\"", "\"+12345678\"");               /* 8 digits */
    OK(&f, "\"+123456789012345\"", "\"+123456789012345\""); /* 15 digits */
    BAD(&f, "\"+1234567\"", "international form");
    BAD(&f, "\"+1234567890123456\"", "international form");
    BAD(&f, "\"01 23 45 67 89\"", "international form");
    BAD(&f, "\"+33 1 23 45 67 8A\"", "international form");
    BAD(&f, "\"+1 800 FLOWERS\"", "international form");
    BAD(&f, "\"+0123456789\"", "international form");
    BAD(&f, "\"++33123456789\"", "international form");
    BAD(&f, "\"33+123456789\"", "international form");
    BAD(&f, "\"+33123456789 ext 5\"", "international form");
    BAD(&f, "33123456789", "international form");
    rp_field_free(&f);
}

static void url(void **state)
{
    rp_field_t f = field_of("{\"name\":\"website\",\"type\":\"url\"}");
    OK(&f, "\"HTTPS://Example.COM/Path?Q=A#F\"", "\"https://example.com/Path?Q=A#F\"");
    OK(&f, "\"http://localhost:8080\"", "\"http://localhost:8080\"");
    OK(&f, "\"http://[::1]:80/x\"", "\"http://[::1]:80/x\"");
    OK(&f, "\"https://192.168.0.1\"", "\"https://192.168.0.1\"");
    BAD(&f, "\"ftp://example.com\"", "must be a valid http or https URL");
    BAD(&f, "\"javascript:alert(1)\"", "URL");
    BAD(&f, "\"example.com\"", "URL");
    BAD(&f, "\"https://\"", "URL");
    BAD(&f, "\"https:///path\"", "URL");
    BAD(&f, "\"https://exa mple.com\"", "URL");
    BAD(&f, "\"https://example.com/a b\"", "URL");
    BAD(&f, "\"https://user:pw@example.com\"", "URL");
    BAD(&f, "\"https://example.com:0\"", "URL");
    BAD(&f, "\"https://example.com:65536\"", "URL");
    BAD(&f, "\"https://ex_ample.com\"", "URL");
    char big[2100];
    strcpy(big, "\"https://e.co/");
    size_t n = strlen(big);
    memset(big + n, 'a', 2048 - (n - 1));
    big[2049] = '"';
    big[2050] = '\0';
    OK(&f, big, big);
    big[2050] = 'a';
    big[2049] = 'a';
    big[2050] = '"';
    big[2051] = '\0';
    BAD(&f, big, "at most 2048 characters");
    rp_field_free(&f);
}

static void integer(void **state)
{
    rp_field_t f = field_of("{\"name\":\"n\",\"type\":\"integer\"}");
    OK(&f, "42", "42");
    OK(&f, "-7", "-7");
    OK(&f, "9223372036854775807", "9223372036854775807");
    OK(&f, "-9223372036854775808", "-9223372036854775808");
    OK(&f, "\"9223372036854775807\"", "9223372036854775807");
    OK(&f, "\"-9223372036854775808\"", "-9223372036854775808");
    OK(&f, "\"+12\"", "12");
    OK(&f, "12.0", "12");
    OK(&f, "\"\"", "null");
    BAD(&f, "\"9223372036854775808\"", "must be between");
    BAD(&f, "\"-9223372036854775809\"", "must be between");
    BAD(&f, "9.3e18", "must be between");
    BAD(&f, "12.5", "must be a whole number");
    BAD(&f, "\"12.5\"", "whole number");
    BAD(&f, "\"1e3\"", "whole number");
    BAD(&f, "\" 12\"", "whole number");
    BAD(&f, "\"-\"", "whole number");
    BAD(&f, "true", "whole number");
    rp_field_free(&f);

    rp_field_t r = field_of("{\"name\":\"n\",\"type\":\"integer\",\"min\":-5,\"max\":\"10\"}");
    OK(&r, "-5", "-5");
    OK(&r, "10", "10");
    BAD(&r, "-6", "must be at least -5");
    BAD(&r, "11", "must be at most 10");
    rp_field_free(&r);
}

static void decimal_canonical_forms(void **state)
{
    rp_field_t f = field_of("{\"name\":\"d\",\"type\":\"decimal\"}");
    OK(&f, "\"123.45\"", "\"123.45\"");
    OK(&f, "\"1.50\"", "\"1.5\"");
    OK(&f, "\"-0.5\"", "\"-0.5\"");
    OK(&f, "\"-0.000\"", "\"0\"");
    OK(&f, "\"007.100\"", "\"7.1\"");
    OK(&f, "\"+3\"", "\"3\"");
    OK(&f, "\".5\"", "\"0.5\"");
    OK(&f, "\"5.\"", "\"5\"");
    OK(&f, "12", "\"12\"");
    OK(&f, "12.5", "\"12.5\"");
    OK(&f, "0.1", "\"0.1\"");
    OK(&f, "-0.0", "\"0\"");
    OK(&f, "1e20", "\"100000000000000000000\"");
    OK(&f, "1.5e-7", "\"0.00000015\"");
    /* 38 digits, 18 of them decimals, exactly as written. */
    OK(&f, "\"12345678901234567890.123456789012345678\"",
       "\"12345678901234567890.123456789012345678\"");
    OK(&f, "\"-99999999999999999999999999999999999999\"",
       "\"-99999999999999999999999999999999999999\"");
    OK(&f, "\"0.000000000000000001\"", "\"0.000000000000000001\"");
    OK(&f, "\"1.0000000000000000000000\"", "\"1\""); /* trailing zeros do not count */
    BAD(&f, "\"0.0000000000000000001\"", "at most 18 digits after the decimal point");
    BAD(&f, "\"999999999999999999999999999999999999999\"", "at most 38 digits");
    BAD(&f, "\"123456789012345678901.123456789012345678\"", "at most 38 digits");
    BAD(&f, "\"1e5\"", "must be a decimal number");
    BAD(&f, "\"1,5\"", "decimal number");
    BAD(&f, "\" 1\"", "decimal number");
    BAD(&f, "\"-\"", "decimal number");
    BAD(&f, "\".\"", "decimal number");
    BAD(&f, "\"1.2.3\"", "decimal number");
    BAD(&f, "\"NaN\"", "decimal number");
    BAD(&f, "true", "decimal number");
    BAD(&f, "[1]", "decimal number");
    rp_field_free(&f);
}

static void decimal_compare(void **state)
{
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"1", "1", 0},
        {"1.5", "1.49", 1},
        {"-1.5", "-1.49", -1},
        {"-1", "1", -1},
        {"0", "-0.000001", 1},
        {"10", "9.99", 1},
        {"-10", "-9.99", -1},
        {"0.1", "0.10000000000000000001", -1},
        {"99999999999999999999999999999999999999", "100000000000000000000", 1},
        {"-99999999999999999999999999999999999999", "-100000000000000000000", -1},
        {"123.456", "123.4561", -1},
        {"2", "10", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c = rp_decimal_cmp(cases[i].a, cases[i].b);
        int sign = (c > 0) - (c < 0);
        if (sign != cases[i].want)
            fail_msg("cmp(%s, %s) = %d, want %d", cases[i].a, cases[i].b, c, cases[i].want);
        c = rp_decimal_cmp(cases[i].b, cases[i].a);
        assert_int_equal((c > 0) - (c < 0), -cases[i].want);
    }
}

static void decimal_and_percent_bounds(void **state)
{
    rp_field_t f =
        field_of("{\"name\":\"d\",\"type\":\"decimal\",\"min\":\"-10.5\",\"max\":\"1000.25\"}");
    OK(&f, "\"-10.50\"", "\"-10.5\"");
    OK(&f, "\"1000.25\"", "\"1000.25\"");
    BAD(&f, "\"-10.500001\"", "must be at least -10.5");
    BAD(&f, "\"1000.2500001\"", "must be at most 1000.25");
    BAD(&f, "-11", "at least -10.5");
    rp_field_free(&f);

    rp_field_t p = field_of("{\"name\":\"p\",\"type\":\"percent\",\"min\":0,\"max\":100}");
    OK(&p, "12.5", "\"12.5\"");
    OK(&p, "\"100.000\"", "\"100\"");
    BAD(&p, "\"100.01\"", "at most 100");
    BAD(&p, "\"-0.01\"", "at least 0");
    rp_field_free(&p);
}

static void currency(void **state)
{
    rp_field_t f = field_of("{\"name\":\"annual_revenue\",\"type\":\"currency\",\"min\":0}");
    OK(&f, "{\"amount\":\"1250.50\",\"currency\":\"EUR\"}",
       "{\"amount\":\"1250.5\",\"currency\":\"EUR\"}");
    OK(&f, "{\"currency\":\"usd\",\"amount\":12}", "{\"amount\":\"12\",\"currency\":\"USD\"}");
    OK(&f, "{\"amount\":\"0.0001\",\"currency\":\"JPY\"}",
       "{\"amount\":\"0.0001\",\"currency\":\"JPY\"}");
    OK(&f, "{\"amount\":\"1\",\"currency\":\"CHF\"}", "{\"amount\":\"1\",\"currency\":\"CHF\"}");
    OK(&f, "{\"amount\":\"1\",\"currency\":\"ZWG\"}", "{\"amount\":\"1\",\"currency\":\"ZWG\"}");
    OK(&f, "{\"amount\":\"1\",\"currency\":\"AED\"}", "{\"amount\":\"1\",\"currency\":\"AED\"}");
    BAD(&f, "{\"amount\":\"0.00001\",\"currency\":\"EUR\"}",
        "has an amount that must have at most 4 digits after the decimal point");
    BAD(&f, "{\"amount\":\"-1\",\"currency\":\"EUR\"}", "must be at least 0");
    BAD(&f, "{\"amount\":\"1\",\"currency\":\"XXX\"}", "ISO 4217");
    BAD(&f, "{\"amount\":\"1\",\"currency\":\"HRK\"}", "ISO 4217"); /* withdrawn 2023 */
    BAD(&f, "{\"amount\":\"1\",\"currency\":\"EU\"}", "ISO 4217");
    BAD(&f, "{\"amount\":\"1\",\"currency\":\"EURO\"}", "ISO 4217");
    BAD(&f, "{\"amount\":\"1\",\"currency\":3}", "ISO 4217");
    BAD(&f, "{\"amount\":\"abc\",\"currency\":\"EUR\"}", "amount that must be a decimal number");
    BAD(&f, "{\"amount\":\"1\"}", "must be an object with an amount and a currency code");
    BAD(&f, "{\"amount\":\"1\",\"currency\":\"EUR\",\"rate\":1}", "must be an object");
    BAD(&f, "{\"amount\":\"1\",\"code\":\"EUR\"}", "must be an object");
    BAD(&f, "\"12 EUR\"", "must be an object");
    rp_field_free(&f);
}

static void boolean(void **state)
{
    rp_field_t f = field_of("{\"name\":\"b\",\"type\":\"boolean\"}");
    OK(&f, "true", "true");
    OK(&f, "false", "false");
    BAD(&f, "1", "must be true or false");
    BAD(&f, "\"true\"", "must be true or false");
    rp_field_free(&f);
}

static void date(void **state)
{
    rp_field_t f = field_of("{\"name\":\"d\",\"type\":\"date\"}");
    OK(&f, "\"2026-11-23\"", "\"2026-11-23\"");
    OK(&f, "\"2024-02-29\"", "\"2024-02-29\"");
    OK(&f, "\"2000-02-29\"", "\"2000-02-29\"");
    OK(&f, "\"0001-01-01\"", "\"0001-01-01\"");
    OK(&f, "\"9999-12-31\"", "\"9999-12-31\"");
    BAD(&f, "\"2023-02-29\"", "must be a valid date in the form YYYY-MM-DD");
    BAD(&f, "\"1900-02-29\"", "valid date");
    BAD(&f, "\"2026-04-31\"", "valid date");
    BAD(&f, "\"2026-13-01\"", "valid date");
    BAD(&f, "\"2026-00-10\"", "valid date");
    BAD(&f, "\"2026-01-00\"", "valid date");
    BAD(&f, "\"0000-01-01\"", "valid date");
    BAD(&f, "\"2026-1-5\"", "valid date");
    BAD(&f, "\"2026-11-23T00:00:00Z\"", "valid date");
    BAD(&f, "\"23/11/2026\"", "valid date");
    BAD(&f, "20261123", "valid date");
    rp_field_free(&f);

    rp_field_t r = field_of(
        "{\"name\":\"d\",\"type\":\"date\",\"min\":\"2024-02-29\",\"max\":\"2024-12-31\"}");
    OK(&r, "\"2024-02-29\"", "\"2024-02-29\"");
    BAD(&r, "\"2024-02-28\"", "must be on or after 2024-02-29");
    BAD(&r, "\"2025-01-01\"", "must be on or before 2024-12-31");
    rp_field_free(&r);
}

static void datetime(void **state)
{
    rp_field_t f = field_of("{\"name\":\"at\",\"type\":\"datetime\"}");
    OK(&f, "\"2026-11-23T10:52:01Z\"", "\"2026-11-23T10:52:01.000Z\"");
    OK(&f, "\"2026-11-23T11:52:01.5+01:00\"", "\"2026-11-23T10:52:01.500Z\"");
    OK(&f, "\"2026-11-23t10:52:01.123456789z\"", "\"2026-11-23T10:52:01.123Z\"");
    /* Offsets that cross midnight, month ends, year ends and Feb 29. */
    OK(&f, "\"2026-11-24T00:30:00+01:00\"", "\"2026-11-23T23:30:00.000Z\"");
    OK(&f, "\"2026-11-23T23:30:00-05:30\"", "\"2026-11-24T05:00:00.000Z\"");
    OK(&f, "\"2027-01-01T00:15:00+02:00\"", "\"2026-12-31T22:15:00.000Z\"");
    OK(&f, "\"2024-02-28T22:00:00-03:00\"", "\"2024-02-29T01:00:00.000Z\"");
    OK(&f, "\"2023-02-28T22:00:00-03:00\"", "\"2023-03-01T01:00:00.000Z\"");
    OK(&f, "\"2024-03-01T01:00:00+14:00\"", "\"2024-02-29T11:00:00.000Z\"");
    BAD(&f, "\"2026-11-23T10:52:01\"", "must be an RFC 3339 date and time with a time zone");
    BAD(&f, "\"2026-11-23 10:52:01Z\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T24:00:00Z\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:60:00Z\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:52:60Z\"", "RFC 3339");
    BAD(&f, "\"2023-02-29T10:00:00Z\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:52:01.Z\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:52:01+0100\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:52:01+24:00\"", "RFC 3339");
    BAD(&f, "\"2026-11-23T10:52:01Zjunk\"", "RFC 3339");
    BAD(&f, "\"0001-01-01T00:30:00+01:00\"", "RFC 3339"); /* before year 1 in UTC */
    rp_field_free(&f);

    rp_field_t r = field_of("{\"name\":\"at\",\"type\":\"datetime\",\"min\":"
                            "\"2026-01-01T00:00:00+01:00\"}");
    OK(&r, "\"2025-12-31T23:00:00Z\"", "\"2025-12-31T23:00:00.000Z\"");
    BAD(&r, "\"2025-12-31T22:59:59.999Z\"", "on or after 2025-12-31T23:00:00.000Z");
    rp_field_free(&r);
}

static void picklists(void **state)
{
    rp_field_t f = field_of(
        "{\"name\":\"industry\",\"type\":\"picklist\",\"values\":[\"tech\",\"retail\",\"bank\"]}");
    OK(&f, "\"retail\"", "\"retail\"");
    OK(&f, "\"\"", "null");
    BAD(&f, "\"Retail\"", "must be one of: tech, retail, bank");
    BAD(&f, "[\"tech\"]", "must be one of: tech, retail, bank");
    rp_field_free(&f);

    rp_field_t m = field_of(
        "{\"name\":\"tags\",\"type\":\"multipicklist\",\"values\":[\"a\",\"b\",\"c\",\"d\"]}");
    OK(&m, "[\"d\",\"a\",\"c\"]", "[\"a\",\"c\",\"d\"]");
    OK(&m, "[]", "[]");
    OK(&m, "[\"b\"]", "[\"b\"]");
    BAD(&m, "[\"a\",\"b\",\"a\"]", "lists \"a\" more than once");
    BAD(&m, "[\"a\",\"e\"]", "must contain only values from: a, b, c, d");
    BAD(&m, "[\"a\",1]", "must contain only values from");
    BAD(&m, "\"a\"", "must be an array of values from: a, b, c, d");
    rp_field_free(&m);
}

static void picklist_message_is_cut_to_fit(void **state)
{
    char def[8192] = "{\"name\":\"p\",\"type\":\"picklist\",\"values\":[";
    for (int i = 0; i < 200; i++)
        snprintf(def + strlen(def), sizeof def - strlen(def), "%s\"value_%03d\"", i ? "," : "", i);
    strcat(def, "]}");
    rp_field_t f = field_of(def);
    json_t *v = json_string("nope"), *out = NULL;
    char why[100];
    assert_int_equal(rp_field_normalize(&f, v, &out, why, sizeof why), RP_EINVAL);
    assert_true(strlen(why) < sizeof why);
    assert_non_null(strstr(why, "must be one of: value_000, value_001"));
    assert_non_null(strstr(why, "..."));
    json_decref(v);
    rp_field_free(&f);
}

static void reference(void **state)
{
    rp_field_t f =
        field_of("{\"name\":\"account_id\",\"type\":\"reference\",\"reference\":\"account\"}");
    OK(&f, "\"0190F5A3-7B2C-7D4E-8F10-0123456789AB\"", "\"0190f5a3-7b2c-7d4e-8f10-0123456789ab\"");
    OK(&f, "null", "null");
    BAD(&f, "\"0190f5a3-7b2c-7d4e-8f10-0123456789a\"", "must be a record id (a UUID)");
    BAD(&f, "\"0190f5a37b2c7d4e8f100123456789ab\"", "UUID");
    BAD(&f, "\"0190f5a3-7b2c-7d4e-8f10-0123456789ag\"", "UUID");
    BAD(&f, "42", "UUID");
    rp_field_free(&f);
}

static void autonumber_is_read_only(void **state)
{
    rp_field_t f =
        field_of("{\"name\":\"number\",\"type\":\"autonumber\",\"format\":\"INV-{00000}\"}");
    BAD(&f, "\"INV-00001\"", "is read-only");
    BAD(&f, "null", "is read-only");
    BAD(&f, "1", "is read-only");
    rp_field_free(&f);
}

static void emptiness(void **state)
{
    json_t *v;
    assert_true(rp_field_is_empty(NULL));
    assert_true(rp_field_is_empty(v = json_null()));
    json_decref(v);
    assert_true(rp_field_is_empty(v = json_string("")));
    json_decref(v);
    assert_true(rp_field_is_empty(v = json_array()));
    json_decref(v);
    assert_false(rp_field_is_empty(v = json_string(" ")));
    json_decref(v);
    assert_false(rp_field_is_empty(v = json_false()));
    json_decref(v);
    assert_false(rp_field_is_empty(v = json_integer(0)));
    json_decref(v);
    assert_false(rp_field_is_empty(v = json_pack("[s]", "a")));
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_length_counts_code_points),
        cmocka_unit_test(text_pattern_matches_whole_string),
        cmocka_unit_test(email),
        cmocka_unit_test(phone),
        cmocka_unit_test(url),
        cmocka_unit_test(integer),
        cmocka_unit_test(decimal_canonical_forms),
        cmocka_unit_test(decimal_compare),
        cmocka_unit_test(decimal_and_percent_bounds),
        cmocka_unit_test(currency),
        cmocka_unit_test(boolean),
        cmocka_unit_test(date),
        cmocka_unit_test(datetime),
        cmocka_unit_test(picklists),
        cmocka_unit_test(picklist_message_is_cut_to_fit),
        cmocka_unit_test(reference),
        cmocka_unit_test(autonumber_is_read_only),
        cmocka_unit_test(emptiness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
