/* Record write helpers: body validation against a hand-built object, the
 * history change set, ETags and If-Match, unique value texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/record.h"

static const char *const defs[] = {
    "{\"name\":\"name\",\"type\":\"text\",\"required\":true,\"max_length\":10}",
    "{\"name\":\"email\",\"type\":\"email\",\"unique\":true}",
    "{\"name\":\"stage\",\"type\":\"picklist\",\"values\":[\"new\",\"won\"],\"default\":\"new\"}",
    "{\"name\":\"amount\",\"type\":\"decimal\",\"min\":0}",
    "{\"name\":\"count\",\"type\":\"integer\"}",
    "{\"name\":\"number\",\"type\":\"autonumber\",\"format\":\"N-{000}\"}",
    "{\"name\":\"locked\",\"type\":\"text\",\"read_only\":true}",
    "{\"name\":\"active\",\"type\":\"boolean\"}",
};
#define NDEFS (sizeof defs / sizeof defs[0])

static rp_object_t obj;

static int setup(void **state)
{
    memset(&obj, 0, sizeof obj);
    snprintf(obj.name, sizeof obj.name, "deal");
    obj.fields = calloc(NDEFS, sizeof *obj.fields);
    for (size_t i = 0; i < NDEFS; i++) {
        json_t *j = json_loads(defs[i], 0, NULL);
        json_t *errors = json_object();
        if (rp_field_parse(j, &obj.fields[i], errors) != RP_OK) {
            char *d = json_dumps(errors, 0);
            fprintf(stderr, "bad definition %s: %s\n", defs[i], d);
            free(d);
            return -1;
        }
        json_decref(errors);
        json_decref(j);
    }
    obj.nfields = (int)NDEFS;
    return 0;
}

static int teardown(void **state)
{
    for (int i = 0; i < obj.nfields; i++)
        rp_field_free(&obj.fields[i]);
    free(obj.fields);
    return 0;
}

/* Runs rp_record_validate on the JSON text body. */
static rp_status_t validate(const char *body, bool create, json_t **out, json_t **unknown,
                            json_t **errors)
{
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    *unknown = json_array();
    *errors = json_object();
    rp_status_t st = rp_record_validate(&obj, j, create, out, *unknown, *errors);
    json_decref(j);
    return st;
}

static const char *err(json_t *errors, const char *field)
{
    return json_string_value(json_object_get(errors, field));
}

static void create_ok_with_defaults(void **state)
{
    json_t *out, *unknown, *errors;
    assert_int_equal(validate("{\"name\":\"Big\",\"email\":\"A@Example.COM\",\"amount\":\"12.50\"}",
                              true, &out, &unknown, &errors),
                     RP_OK);
    assert_string_equal(json_string_value(json_object_get(out, "name")), "Big");
    assert_string_equal(json_string_value(json_object_get(out, "email")), "A@example.com");
    assert_string_equal(json_string_value(json_object_get(out, "amount")), "12.5");
    /* The default fills an absent field on create. */
    assert_string_equal(json_string_value(json_object_get(out, "stage")), "new");
    assert_null(json_object_get(out, "number"));
    assert_int_equal(json_array_size(unknown), 0);
    assert_int_equal(json_object_size(errors), 0);
    json_decref(out);
    json_decref(unknown);
    json_decref(errors);
}

static void create_refusals(void **state)
{
    json_t *out, *unknown, *errors;
    assert_int_equal(
        validate("{\"email\":\"nope\",\"amount\":-1,\"count\":\"x\",\"active\":\"yes\","
                 "\"number\":\"N-001\",\"locked\":\"a\",\"bogus\":1,\"other\":2}",
                 true, &out, &unknown, &errors),
        RP_EINVAL);
    assert_null(out);
    assert_string_equal(err(errors, "name"), "is required");
    assert_non_null(err(errors, "email"));
    assert_non_null(err(errors, "amount"));
    assert_non_null(err(errors, "count"));
    assert_non_null(err(errors, "active"));
    assert_string_equal(err(errors, "number"), "is read-only");
    assert_string_equal(err(errors, "locked"), "is read-only");
    assert_int_equal(json_array_size(unknown), 2);
    assert_string_equal(json_string_value(json_array_get(unknown, 0)), "bogus");
    assert_string_equal(json_string_value(json_array_get(unknown, 1)), "other");
    json_decref(unknown);
    json_decref(errors);

    /* Too long for max_length; an empty required text is missing too. */
    assert_int_equal(validate("{\"name\":\"abcdefghijk\"}", true, &out, &unknown, &errors),
                     RP_EINVAL);
    assert_non_null(err(errors, "name"));
    json_decref(unknown);
    json_decref(errors);
    assert_int_equal(validate("{\"name\":\"\"}", true, &out, &unknown, &errors), RP_EINVAL);
    assert_string_equal(err(errors, "name"), "is required");
    json_decref(unknown);
    json_decref(errors);
}

static void update_checks_only_given(void **state)
{
    json_t *out, *unknown, *errors;
    /* name is required but absent: fine on update; no defaults either. */
    assert_int_equal(validate("{\"count\":\"42\",\"email\":null}", false, &out, &unknown, &errors),
                     RP_OK);
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 42);
    assert_true(json_is_null(json_object_get(out, "email")));
    assert_null(json_object_get(out, "stage"));
    json_decref(out);
    json_decref(unknown);
    json_decref(errors);
    /* Clearing a required field is refused. */
    assert_int_equal(validate("{\"name\":null}", false, &out, &unknown, &errors), RP_EINVAL);
    assert_string_equal(err(errors, "name"), "is required");
    json_decref(unknown);
    json_decref(errors);
}

/* Read-only fields filled by the server (a hook, a trigger, a module's
 * derived write) pass; the caller's own members do not; autonumbers never
 * do. */
static void read_only_set_by_the_server(void **state)
{
    json_t *in = json_pack("{s:s, s:s, s:s}", "name", "Big", "locked", "derived", "count", "3");
    json_t *caller = json_pack("{s:s}", "name", "Big");
    json_t *out = NULL, *unknown = json_array(), *errors = json_object();
    assert_int_equal(rp_record_validate_ex(&obj, in, true, caller, &out, unknown, errors), RP_OK);
    assert_string_equal(json_string_value(json_object_get(out, "locked")), "derived");
    assert_int_equal(json_integer_value(json_object_get(out, "count")), 3);
    json_decref(out);
    /* The caller gave locked itself. */
    json_object_set_new(caller, "locked", json_string("mine"));
    assert_int_equal(rp_record_validate_ex(&obj, in, true, caller, &out, unknown, errors),
                     RP_EINVAL);
    assert_string_equal(err(errors, "locked"), "is read-only");
    json_object_clear(errors);
    /* NULL refuses no read-only member; values are still checked. */
    assert_int_equal(rp_record_validate_ex(&obj, in, false, NULL, &out, unknown, errors), RP_OK);
    json_decref(out);
    json_object_set_new(in, "number", json_string("N-007"));
    assert_int_equal(rp_record_validate_ex(&obj, in, false, NULL, &out, unknown, errors),
                     RP_EINVAL);
    assert_string_equal(err(errors, "number"), "is read-only");
    json_decref(in);
    json_decref(caller);
    json_decref(unknown);
    json_decref(errors);
}

static void diff_changed_only(void **state)
{
    json_t *a = json_loads("{\"x\":1,\"y\":\"same\",\"z\":[1,2],\"gone\":true}", 0, NULL);
    json_t *b =
        json_loads("{\"x\":2,\"y\":\"same\",\"z\":[1,2],\"new\":\"v\",\"nul\":null}", 0, NULL);
    json_t *d = rp_record_diff(a, b);
    assert_non_null(d);
    assert_int_equal(json_object_size(d), 3);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "x"), "old")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "x"), "new")), 2);
    assert_true(json_is_true(json_object_get(json_object_get(d, "gone"), "old")));
    assert_true(json_is_null(json_object_get(json_object_get(d, "gone"), "new")));
    assert_true(json_is_null(json_object_get(json_object_get(d, "new"), "old")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "new"), "new")), "v");
    assert_null(json_object_get(d, "y"));
    assert_null(json_object_get(d, "nul"));
    json_decref(d);
    d = rp_record_diff(a, a);
    assert_int_equal(json_object_size(d), 0);
    json_decref(d);
    json_decref(a);
    json_decref(b);
}

static void etags(void **state)
{
    char e[32];
    rp_record_etag(7, e);
    assert_string_equal(e, "\"7\"");
    assert_true(rp_record_etag_matches(NULL, 7));
    assert_true(rp_record_etag_matches("\"7\"", 7));
    assert_true(rp_record_etag_matches(" \"3\", \"7\" ", 7));
    assert_true(rp_record_etag_matches("W/\"7\"", 7));
    assert_true(rp_record_etag_matches("*", 7));
    assert_false(rp_record_etag_matches("\"6\"", 7));
    assert_false(rp_record_etag_matches("\"77\"", 7));
    assert_false(rp_record_etag_matches("7", 7));
    assert_false(rp_record_etag_matches("\"7", 7));
    assert_false(rp_record_etag_matches("\"7\" x", 7));
    assert_false(rp_record_etag_matches("\"6\",", 7));
    assert_false(rp_record_etag_matches("", 7));
    assert_false(rp_record_etag_matches("*, \"7\"", 7));
}

static void unique_texts(void **state)
{
    json_t *v = json_string("Ann@Example.com");
    char *s = rp_record_unique_text(&obj.fields[1], v);
    assert_string_equal(s, "ann@example.com");
    free(s);
    s = rp_record_unique_text(&obj.fields[0], v);
    assert_string_equal(s, "Ann@Example.com");
    free(s);
    json_decref(v);
    v = json_integer(12);
    s = rp_record_unique_text(&obj.fields[4], v);
    assert_string_equal(s, "12");
    free(s);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_ok_with_defaults),
        cmocka_unit_test(create_refusals),
        cmocka_unit_test(update_checks_only_given),
        cmocka_unit_test(read_only_set_by_the_server),
        cmocka_unit_test(diff_changed_only),
        cmocka_unit_test(etags),
        cmocka_unit_test(unique_texts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
