/* The member check of the lead conversion's body: the top-level member
 * names of a JSON object's text, nested objects, arrays and escapes
 * ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lead_body.h"

static const char *const ALLOWED[] = {"account_id", "contact_id", "opportunity", "status", NULL};

static const char *unknown(const char *json)
{
    static char out[64];
    return sales_lead_body_unknown(json, ALLOWED, out, sizeof out) ? out : NULL;
}

static void known_members_pass(void **state)
{
    (void)state;
    assert_null(unknown("{}"));
    assert_null(unknown("{\"account_id\":null}"));
    assert_null(unknown("{\"account_id\":\"x\",\"contact_id\":\"y\",\"status\":\"converted\"}"));
    /* Members of nested objects and strings that look like keys are not
     * the body's. */
    assert_null(unknown("{\"opportunity\":{\"name\":\"a\",\"amount\":{\"amount\":\"1\","
                        "\"currency\":\"EUR\"}},\"status\":\"x,\\\"evil\\\":1\"}"));
    assert_null(unknown("{\"opportunity\":[{\"a\":1},{\"b\":2}],\"account_id\":\"\\\\\"}"));
    assert_null(unknown(" {\"opportunity\": true, \"status\": null}"));
}

static void unknown_members_named(void **state)
{
    (void)state;
    assert_string_equal(unknown("{\"acount_id\":\"x\"}"), "acount_id");
    assert_string_equal(unknown("{\"account_id\":\"x\",\"extra\":{\"account_id\":1}}"), "extra");
    assert_string_equal(unknown("{\"opportunity\":{\"x\":[1,{\"y\":2}]},\"z\":3}"), "z");
    assert_string_equal(unknown("{\"account_idx\":1}"), "account_idx");
    assert_string_equal(unknown("{\"account\":1}"), "account");
    assert_string_equal(unknown("{\"\":1}"), "");
    /* Truncated to the room given. */
    char small[4];
    assert_true(sales_lead_body_unknown("{\"abcdefgh\":1}", ALLOWED, small, sizeof small));
    assert_string_equal(small, "abc");
}

static void not_objects(void **state)
{
    (void)state;
    assert_null(unknown(NULL));
    assert_null(unknown("[{\"x\":1}]"));
    assert_null(unknown("\"x\""));
    assert_null(unknown("{\"unterminated"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_members_pass),
        cmocka_unit_test(unknown_members_named),
        cmocka_unit_test(not_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
