/* Field definitions: names, parsing, refusals, describe, autonumber formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "records/field.h"

/* Parses def and expects it refused with a message under member that
 * contains msg. */
#define REFUSED(def, member, msg) check_refused(def, member, msg, __LINE__)
static void check_refused(const char *def, const char *member, const char *msg, int line)
{
    json_t *j = json_loads(def, 0, NULL);
    if (j == NULL)
        fail_msg("line %d: bad test JSON %s", line, def);
    json_t *errors = json_object();
    rp_field_t f;
    rp_status_t st = rp_field_parse(j, &f, errors);
    if (st != RP_EINVAL)
        fail_msg("line %d: %s accepted", line, def);
    const char *got = json_string_value(json_object_get(errors, member));
    if (got == NULL || strstr(got, msg) == NULL) {
        char *dump = json_dumps(errors, 0);
        print_error("line %d: %s: errors %s lack %s: %s\n", line, def, dump, member, msg);
        free(dump);
        fail();
    }
    /* A refused definition leaves nothing behind. */
    assert_null(f.label);
    assert_null(f.values);
    assert_null(f.pattern);
    json_decref(errors);
    json_decref(j);
}

static rp_field_t parsed(const char *def)
{
    json_t *j = json_loads(def, 0, NULL);
    assert_non_null(j);
    json_t *errors = json_object();
    rp_field_t f;
    rp_status_t st = rp_field_parse(j, &f, errors);
    if (st != RP_OK) {
        char *dump = json_dumps(errors, 0);
        print_error("%s refused: %s\n", def, dump);
        free(dump);
    }
    assert_int_equal(st, RP_OK);
    assert_int_equal(json_object_size(errors), 0);
    json_decref(errors);
    json_decref(j);
    return f;
}

static void names(void **state)
{
    assert_true(rp_field_name_valid("name", false));
    assert_true(rp_field_name_valid("annual_revenue2", false));
    assert_true(rp_field_name_valid("a", false));
    assert_false(rp_field_name_valid("", false));
    assert_false(rp_field_name_valid(NULL, false));
    assert_false(rp_field_name_valid("Name", false));
    assert_false(rp_field_name_valid("1abc", false));
    assert_false(rp_field_name_valid("_abc", false));
    assert_false(rp_field_name_valid("ab-c", false));
    assert_false(rp_field_name_valid("ab c", false));
    assert_false(rp_field_name_valid("caf\xc3\xa9", false));
    assert_false(rp_field_name_valid("score__c", false)); /* reserved for custom names */
    assert_true(rp_field_name_valid("score__c", true));
    assert_true(rp_field_name_valid("x__c", true));
    assert_false(rp_field_name_valid("score", true));
    assert_false(rp_field_name_valid("__c", true));
    assert_false(rp_field_name_valid("score__C", true));
    char name[80];
    memset(name, 'a', 63);
    name[63] = '\0';
    assert_true(rp_field_name_valid(name, false));
    memcpy(name + 60, "__c", 4);
    assert_true(rp_field_name_valid(name, true));
    memset(name, 'a', 64);
    name[64] = '\0';
    assert_false(rp_field_name_valid(name, false));
    memcpy(name + 61, "__c", 4);
    assert_false(rp_field_name_valid(name, true));
}

static void type_names(void **state)
{
    for (int t = 0; t < RP_FIELD_TYPE_COUNT; t++) {
        const char *n = rp_field_type_name((rp_field_type_t)t);
        assert_string_not_equal(n, "unknown");
        assert_int_equal(rp_field_type_parse(n), t);
    }
    assert_string_equal(rp_field_type_name(RP_FIELD_MULTIPICKLIST), "multipicklist");
    assert_int_equal(rp_field_type_parse("currency"), RP_FIELD_CURRENCY);
    assert_int_equal(rp_field_type_parse("Text"), -1);
    assert_int_equal(rp_field_type_parse("string"), -1);
    assert_int_equal(rp_field_type_parse(NULL), -1);
    assert_string_equal(rp_field_type_name(RP_FIELD_TYPE_COUNT), "unknown");
}

static void full_definition(void **state)
{
    rp_field_t f = parsed("{\"name\":\"name\",\"type\":\"text\",\"label\":\"Account name\","
                          "\"labels\":{\"fr\":\"Nom du compte\",\"es\":\"Nombre\"},"
                          "\"required\":true,\"unique\":true,\"indexed\":true,"
                          "\"searchable\":true,\"read_only\":false,\"help\":\"Legal name\","
                          "\"max_length\":120,\"pattern\":\"[A-Za-z ]+\",\"default\":\"Acme\"}");
    assert_string_equal(f.name, "name");
    assert_int_equal(f.type, RP_FIELD_TEXT);
    assert_string_equal(f.label, "Account name");
    assert_null(f.labels[RP_LOCALE_EN]);
    assert_string_equal(f.labels[RP_LOCALE_FR], "Nom du compte");
    assert_string_equal(f.labels[RP_LOCALE_ES], "Nombre");
    assert_string_equal(f.help, "Legal name");
    assert_true(f.required);
    assert_true(f.unique);
    assert_true(f.indexed);
    assert_true(f.searchable);
    assert_false(f.read_only);
    assert_int_equal(f.max_length, 120);
    assert_true(f.max_length_set);
    assert_string_equal(f.pattern, "[A-Za-z ]+");
    assert_string_equal(json_string_value(f.default_value), "Acme");
    rp_field_free(&f);
    assert_null(f.label);
    rp_field_free(&f); /* twice is harmless */

    rp_field_t t = parsed("{\"name\":\"notes\",\"type\":\"textarea\"}");
    assert_int_equal(t.max_length, RP_FIELD_TEXTAREA_DEFAULT_LENGTH);
    assert_false(t.max_length_set);
    assert_false(t.required);
    rp_field_free(&t);

    rp_field_t r = parsed("{\"name\":\"account_id\",\"type\":\"reference\",\"reference\":"
                          "\"account\",\"on_delete\":\"set_null\"}");
    assert_string_equal(r.reference, "account");
    assert_int_equal(r.on_delete, RP_ON_DELETE_SET_NULL);
    rp_field_free(&r);
    rp_field_t r2 = parsed("{\"name\":\"parent__c\",\"type\":\"reference\",\"reference\":"
                           "\"project__c\"}");
    assert_int_equal(r2.on_delete, RP_ON_DELETE_RESTRICT);
    rp_field_free(&r2);

    rp_field_t a =
        parsed("{\"name\":\"number\",\"type\":\"autonumber\",\"format\":\"INV-{00000}\"}");
    assert_true(a.read_only);
    assert_string_equal(a.format, "INV-{00000}");
    rp_field_free(&a);

    rp_field_t d = parsed("{\"name\":\"when\",\"type\":\"datetime\",\"default\":"
                          "\"2026-01-01T01:00:00+01:00\",\"min\":\"2020-01-01T00:00:00Z\"}");
    assert_string_equal(json_string_value(d.default_value), "2026-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(d.min), "2020-01-01T00:00:00.000Z");
    assert_null(d.max);
    rp_field_free(&d);

    rp_field_t n = parsed("{\"name\":\"x\",\"type\":\"integer\",\"default\":null}");
    assert_null(n.default_value);
    rp_field_free(&n);
}

static void refusals(void **state)
{
    REFUSED("[]", "definition", "must be a JSON object");
    REFUSED("{\"type\":\"text\"}", "name", "is required");
    REFUSED("{\"name\":\"x\"}", "type", "is required");
    REFUSED("{\"name\":\"x\",\"type\":\"string\"}", "type", "must be one of: text, textarea");
    REFUSED("{\"name\":\"x\",\"type\":5}", "type", "must be one of");
    REFUSED("{\"name\":\"Bad Name\",\"type\":\"text\"}", "name", "must start with a lower-case");
    REFUSED("{\"name\":7,\"type\":\"text\"}", "name", "must start with a lower-case");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"colour\":\"red\"}", "colour",
            "is not a field option");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"required\":\"yes\"}", "required",
            "must be true or false");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"read_only\":1}", "read_only", "true or false");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"label\":\"\"}", "label", "1 to 255 characters");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"label\":3}", "label", "must be a string");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"labels\":{\"de\":\"X\"}}", "labels",
            "unknown locale \"de\"");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"labels\":[\"X\"]}", "labels", "must be an object");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"help\":false}", "help", "must be a string");
    /* Options that do not fit the type. */
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"values\":[\"a\"]}", "values",
            "is not available for text fields");
    REFUSED("{\"name\":\"x\",\"type\":\"boolean\",\"max_length\":5}", "max_length",
            "is not available for boolean fields");
    REFUSED("{\"name\":\"x\",\"type\":\"email\",\"pattern\":\"a\"}", "pattern",
            "is not available for email fields");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"min\":1}", "min", "is not available for text");
    REFUSED("{\"name\":\"x\",\"type\":\"boolean\",\"max\":1}", "max", "is not available");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"reference\":\"account\"}", "reference",
            "is not available");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"on_delete\":\"cascade\"}", "on_delete",
            "is not available");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"format\":\"A{0}\"}", "format", "is not available");
    REFUSED("{\"name\":\"x\",\"type\":\"boolean\",\"unique\":true}", "unique",
            "is not available for boolean");
    REFUSED("{\"name\":\"x\",\"type\":\"integer\",\"searchable\":true}", "searchable",
            "is not available for integer");
    REFUSED("{\"name\":\"x\",\"type\":\"autonumber\",\"format\":\"A{0}\",\"default\":\"A1\"}",
            "default", "is not available for autonumber");
    /* max_length and pattern. */
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"max_length\":0}", "max_length", "from 1 to 1024");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"max_length\":1025}", "max_length", "1 to 1024");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"max_length\":\"10\"}", "max_length", "1 to 1024");
    REFUSED("{\"name\":\"x\",\"type\":\"textarea\",\"max_length\":131073}", "max_length",
            "1 to 131072");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"pattern\":\"[a-\"}", "pattern",
            "is not a valid POSIX extended regular expression");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"pattern\":\"(a\"}", "pattern", "not a valid");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"pattern\":\"a)|(b\"}", "pattern", "not a valid");
    /* Picklists. */
    REFUSED("{\"name\":\"x\",\"type\":\"picklist\"}", "values", "is required for picklist");
    REFUSED("{\"name\":\"x\",\"type\":\"multipicklist\",\"values\":[]}", "values",
            "must be an array of 1 to 1000 strings");
    REFUSED("{\"name\":\"x\",\"type\":\"picklist\",\"values\":[\"a\",\"b\",\"a\"]}", "values",
            "lists \"a\" more than once");
    REFUSED("{\"name\":\"x\",\"type\":\"picklist\",\"values\":[\"a\",2]}", "values",
            "must be a string");
    REFUSED("{\"name\":\"x\",\"type\":\"picklist\",\"values\":[\"\"]}", "values", "1 to 255");
    /* References. */
    REFUSED("{\"name\":\"x\",\"type\":\"reference\"}", "reference", "is required for reference");
    REFUSED("{\"name\":\"x\",\"type\":\"reference\",\"reference\":\"Account\"}", "reference",
            "must be the API name of an object");
    REFUSED("{\"name\":\"x\",\"type\":\"reference\",\"reference\":\"account\",\"on_delete\":"
            "\"nullify\"}",
            "on_delete", "must be one of: restrict, set_null, cascade");
    REFUSED("{\"name\":\"x\",\"type\":\"reference\",\"reference\":\"account\",\"required\":true,"
            "\"on_delete\":\"set_null\"}",
            "on_delete", "cannot be set_null on a required field");
    /* Autonumbers. */
    REFUSED("{\"name\":\"x\",\"type\":\"autonumber\"}", "format", "is required for autonumber");
    REFUSED("{\"name\":\"x\",\"type\":\"autonumber\",\"format\":\"INV-\"}", "format",
            "one {0...0} placeholder");
    /* Bounds and defaults. */
    REFUSED("{\"name\":\"x\",\"type\":\"integer\",\"min\":10,\"max\":9}", "min",
            "must not be greater than max");
    REFUSED("{\"name\":\"x\",\"type\":\"decimal\",\"min\":\"-1.5\",\"max\":\"-1.51\"}", "min",
            "greater than max");
    REFUSED("{\"name\":\"x\",\"type\":\"date\",\"min\":\"2026-02-01\",\"max\":\"2026-01-31\"}",
            "min", "greater than max");
    REFUSED("{\"name\":\"x\",\"type\":\"date\",\"min\":\"2026-02-30\"}", "min", "valid date");
    REFUSED("{\"name\":\"x\",\"type\":\"integer\",\"max\":1.5}", "max", "whole number");
    REFUSED("{\"name\":\"x\",\"type\":\"currency\",\"max\":\"1.00001\"}", "max",
            "at most 4 digits after");
    REFUSED("{\"name\":\"x\",\"type\":\"integer\",\"min\":0,\"default\":-1}", "default",
            "must be at least 0");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"max_length\":2,\"default\":\"abc\"}", "default",
            "must be at most 2 characters");
    REFUSED("{\"name\":\"x\",\"type\":\"text\",\"pattern\":\"[0-9]+\",\"default\":\"abc\"}",
            "default", "must match the pattern");
    REFUSED("{\"name\":\"x\",\"type\":\"picklist\",\"values\":[\"a\"],\"default\":\"b\"}",
            "default", "must be one of: a");
    REFUSED("{\"name\":\"x\",\"type\":\"email\",\"default\":\"nobody\"}", "default", "e-mail");
    REFUSED("{\"name\":\"x\",\"type\":\"boolean\",\"default\":\"true\"}", "default",
            "true or false");
}

static void every_error_is_reported(void **state)
{
    json_t *def = json_loads("{\"name\":\"X\",\"type\":\"text\",\"values\":[\"a\"],\"size\":3,"
                             "\"required\":1}",
                             0, NULL);
    json_t *errors = json_object();
    rp_field_t f;
    assert_int_equal(rp_field_parse(def, &f, errors), RP_EINVAL);
    assert_non_null(json_object_get(errors, "name"));
    assert_non_null(json_object_get(errors, "values"));
    assert_non_null(json_object_get(errors, "size"));
    assert_non_null(json_object_get(errors, "required"));
    assert_int_equal(json_object_size(errors), 4);
    /* errors may be NULL when only the verdict matters. */
    assert_int_equal(rp_field_parse(def, &f, NULL), RP_EINVAL);
    json_decref(errors);
    json_decref(def);
}

/* describe(parse(def)) parses back to the same description. */
static void round_trip(const char *def, const char *expect)
{
    rp_field_t f = parsed(def);
    json_t *d = rp_field_describe(&f);
    assert_non_null(d);
    json_t *want = json_loads(expect, 0, NULL);
    assert_non_null(want);
    if (!json_equal(d, want)) {
        char *got = json_dumps(d, JSON_SORT_KEYS);
        print_error("describe gave %s\n", got);
        free(got);
        fail();
    }
    rp_field_t g;
    assert_int_equal(rp_field_parse(d, &g, NULL), RP_OK);
    json_t *d2 = rp_field_describe(&g);
    assert_true(json_equal(d, d2));
    json_decref(d2);
    rp_field_free(&g);
    json_decref(want);
    json_decref(d);
    rp_field_free(&f);
}

static void describe(void **state)
{
    static const char flags[] =
        "\"required\":false,\"unique\":false,\"indexed\":false,\"searchable\":false";
    char want[1024];
    snprintf(want, sizeof want,
             "{\"name\":\"industry\",\"type\":\"picklist\",\"label\":\"Industry\","
             "\"labels\":{\"fr\":\"Secteur\"},%s,\"read_only\":false,"
             "\"values\":[\"tech\",\"retail\"],\"default\":\"tech\"}",
             flags);
    round_trip("{\"name\":\"industry\",\"type\":\"picklist\",\"label\":\"Industry\","
               "\"labels\":{\"fr\":\"Secteur\"},\"values\":[\"tech\",\"retail\"],"
               "\"default\":\"tech\"}",
               want);
    snprintf(want, sizeof want,
             "{\"name\":\"amount\",\"type\":\"currency\",%s,\"read_only\":false,"
             "\"min\":\"0\",\"max\":\"1000000.5\"}",
             flags);
    round_trip("{\"name\":\"amount\",\"type\":\"currency\",\"min\":0,\"max\":\"1000000.50\"}",
               want);
    snprintf(want, sizeof want,
             "{\"name\":\"code\",\"type\":\"text\",%s,\"read_only\":false,\"max_length\":255,"
             "\"pattern\":\"[A-Z]+\",\"help\":\"Upper case\"}",
             flags);
    round_trip("{\"name\":\"code\",\"type\":\"text\",\"pattern\":\"[A-Z]+\",\"help\":\"Upper "
               "case\"}",
               want);
    snprintf(want, sizeof want,
             "{\"name\":\"account_id\",\"type\":\"reference\",%s,\"read_only\":false,"
             "\"reference\":\"account\",\"on_delete\":\"cascade\"}",
             flags);
    round_trip("{\"name\":\"account_id\",\"type\":\"reference\",\"reference\":\"account\","
               "\"on_delete\":\"cascade\"}",
               want);
    snprintf(want, sizeof want,
             "{\"name\":\"number\",\"type\":\"autonumber\",%s,\"read_only\":true,"
             "\"format\":\"INV-{00000}\"}",
             flags);
    round_trip("{\"name\":\"number\",\"type\":\"autonumber\",\"format\":\"INV-{00000}\"}", want);
}

static void autonumber_formats(void **state)
{
    char out[64];
    assert_int_equal(rp_autonumber_format("INV-{00000}", 42, out, sizeof out), RP_OK);
    assert_string_equal(out, "INV-00042");
    assert_int_equal(rp_autonumber_format("{0}", 0, out, sizeof out), RP_OK);
    assert_string_equal(out, "0");
    assert_int_equal(rp_autonumber_format("C-{000}/2026", 123456, out, sizeof out), RP_OK);
    assert_string_equal(out, "C-123456/2026"); /* never cut */
    assert_int_equal(
        rp_autonumber_format("{000000000000000000}", 9223372036854775807LL, out, sizeof out),
        RP_OK);
    assert_string_equal(out, "9223372036854775807");
    assert_int_equal(rp_autonumber_format("INV-{00000}", -1, out, sizeof out), RP_EINVAL);
    assert_int_equal(rp_autonumber_format("INV-", 1, out, sizeof out), RP_EINVAL);
    char small[9];
    assert_int_equal(rp_autonumber_format("INV-{00000}", 42, small, sizeof small), RP_ELIMIT);
    char exact[10];
    assert_int_equal(rp_autonumber_format("INV-{00000}", 42, exact, sizeof exact), RP_OK);

    assert_true(rp_autonumber_format_valid("INV-{00000}"));
    assert_true(rp_autonumber_format_valid("{0}"));
    assert_true(rp_autonumber_format_valid("{000000000000000000}"));
    assert_false(rp_autonumber_format_valid("{0000000000000000000}")); /* 19 zeros */
    assert_false(rp_autonumber_format_valid(NULL));
    assert_false(rp_autonumber_format_valid(""));
    assert_false(rp_autonumber_format_valid("INV"));
    assert_false(rp_autonumber_format_valid("{}"));
    assert_false(rp_autonumber_format_valid("{0a}"));
    assert_false(rp_autonumber_format_valid("{0}-{0}"));
    assert_false(rp_autonumber_format_valid("A}{0}"));
    assert_false(rp_autonumber_format_valid("{00"));
    assert_false(rp_autonumber_format_valid("A\n{0}"));
    assert_false(rp_autonumber_format_valid("N\xc2\xba{0}"));
    char longf[80];
    memset(longf, 'A', 61);
    strcpy(longf + 61, "{0}");
    assert_true(rp_autonumber_format_valid(longf)); /* 64 bytes */
    memset(longf, 'A', 62);
    strcpy(longf + 62, "{0}");
    assert_false(rp_autonumber_format_valid(longf));
}

static void value_cmp(void **state)
{
    json_t *a = json_integer(-9), *b = json_integer(3);
    assert_true(rp_field_value_cmp(RP_FIELD_INTEGER, a, b) < 0);
    assert_true(rp_field_value_cmp(RP_FIELD_INTEGER, b, a) > 0);
    assert_int_equal(rp_field_value_cmp(RP_FIELD_INTEGER, a, a), 0);
    json_decref(a);
    json_decref(b);
    a = json_pack("{s:s,s:s}", "amount", "-2.5", "currency", "EUR");
    b = json_string("-2.25");
    assert_true(rp_field_value_cmp(RP_FIELD_CURRENCY, a, b) < 0);
    json_decref(a);
    json_decref(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(type_names),
        cmocka_unit_test(full_definition),
        cmocka_unit_test(refusals),
        cmocka_unit_test(every_error_is_reported),
        cmocka_unit_test(describe),
        cmocka_unit_test(autonumber_formats),
        cmocka_unit_test(value_cmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
