/* The pure parts of search: the text a record is searched by, its title,
 * and the checks on q, limit and the LIKE pattern. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "records/search.h"

static rp_field_t fields[4];
static rp_object_t obj = {.name = "thing", .fields = fields, .nfields = 4};

static int setup(void **state)
{
    (void)state;
    memset(fields, 0, sizeof fields);
    strcpy(fields[0].name, "code");
    fields[0].type = RP_FIELD_INTEGER;
    strcpy(fields[1].name, "name");
    fields[1].type = RP_FIELD_TEXT;
    fields[1].searchable = true;
    strcpy(fields[2].name, "notes");
    fields[2].type = RP_FIELD_TEXT;
    strcpy(fields[3].name, "tags");
    fields[3].type = RP_FIELD_MULTIPICKLIST;
    fields[3].searchable = true;
    return 0;
}

static char *text_of(const char *json)
{
    json_t *data = json_loads(json, 0, NULL);
    assert_non_null(data);
    char *out = (char *)1;
    assert_int_equal(rp_search_text_for(&obj, data, &out), RP_OK);
    json_decref(data);
    return out;
}

static void search_text(void **state)
{
    (void)state;
    char *t = text_of("{\"code\": 7, \"name\": \"Zo\\u00e9 Ltd\", \"notes\": \"secret\", "
                      "\"tags\": [\"red\", \"big\"]}");
    assert_string_equal(t, "Zo\xc3\xa9 Ltd red big");
    free(t);
    t = text_of("{\"tags\": [\"red\"]}");
    assert_string_equal(t, "red");
    free(t);
    /* Only non-searchable values, or empty ones: no text at all. */
    assert_null(text_of("{\"code\": 7, \"notes\": \"secret\", \"name\": \"\"}"));
    assert_null(text_of("{}"));
}

static void title(void **state)
{
    (void)state;
    json_t *d = json_loads("{\"name\": \"Acme\", \"tags\": [\"red\"]}", 0, NULL);
    assert_string_equal(rp_search_title(&obj, d), "Acme");
    json_decref(d);
    /* An empty first searchable field gives way to the next one. */
    d = json_loads("{\"tags\": [\"red\"]}", 0, NULL);
    assert_string_equal(rp_search_title(&obj, d), "red");
    json_decref(d);
    d = json_loads("{\"code\": 7}", 0, NULL);
    assert_null(rp_search_title(&obj, d));
    json_decref(d);
    fields[1].searchable = false;
    d = json_loads("{\"name\": \"Acme\", \"tags\": [\"red\", \"big\"]}", 0, NULL);
    assert_string_equal(rp_search_title(&obj, d), "red");
    json_decref(d);
    fields[1].searchable = true;
}

static void q_valid(void **state)
{
    (void)state;
    char big[402];
    assert_false(rp_search_q_valid(NULL));
    assert_false(rp_search_q_valid(""));
    assert_false(rp_search_q_valid(" \t "));
    assert_false(rp_search_q_valid("\xff"));
    assert_true(rp_search_q_valid("a"));
    assert_true(rp_search_q_valid(" Zo\xc3\xa9 "));
    memset(big, 'a', 201);
    big[201] = '\0';
    assert_false(rp_search_q_valid(big));
    big[200] = '\0';
    assert_true(rp_search_q_valid(big));
    /* Characters, not bytes: 200 two-byte letters pass. */
    for (int i = 0; i < 200; i++)
        memcpy(big + 2 * i, "\xc3\xa9", 2);
    big[400] = '\0';
    assert_true(rp_search_q_valid(big));
}

static void like_pattern(void **state)
{
    (void)state;
    char out[32];
    assert_true(rp_search_like_pattern("ab", out, sizeof out));
    assert_string_equal(out, "%ab%");
    assert_true(rp_search_like_pattern("5%_\\x", out, sizeof out));
    assert_string_equal(out, "%5\\%\\_\\\\x%");
    assert_true(rp_search_like_pattern("", out, sizeof out));
    assert_string_equal(out, "%%");
    /* Too small: 2 * strlen + 3 always fits. */
    assert_false(rp_search_like_pattern("abcd", out, 5));
    assert_true(rp_search_like_pattern("%%", out, 7));
    assert_string_equal(out, "%\\%\\%%");
}

static void limit(void **state)
{
    (void)state;
    int n = 0;
    assert_true(rp_search_limit(NULL, &n));
    assert_int_equal(n, RP_SEARCH_LIMIT_DEFAULT);
    assert_true(rp_search_limit("1", &n));
    assert_int_equal(n, 1);
    assert_true(rp_search_limit("100", &n));
    assert_int_equal(n, 100);
    assert_false(rp_search_limit("0", &n));
    assert_false(rp_search_limit("101", &n));
    assert_false(rp_search_limit("", &n));
    assert_false(rp_search_limit("-1", &n));
    assert_false(rp_search_limit("1x", &n));
    assert_false(rp_search_limit("0000010", &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(search_text),  cmocka_unit_test(title), cmocka_unit_test(q_valid),
        cmocka_unit_test(like_pattern), cmocka_unit_test(limit),
    };
    return cmocka_run_group_tests_name("records_search", tests, setup, NULL);
}
