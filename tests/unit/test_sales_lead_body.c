/* The member check of the lead conversion's body, over the server's own
 * host table: the body's top-level member names in the body's order,
 * nested objects and strings that look like members ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "lead_body.h"
#include "modules/internal.h"

/* sales.c, which defines it, is not part of this test. */
const rp_host_api_t *sales_host;

static const char *const ALLOWED[] = {"account_id", "contact_id", "opportunity", "status", NULL};

/* Whether the JSON text json has an unknown member, its name cut to
 * outlen in out. */
static bool find_unknown(const char *json, char *out, size_t outlen)
{
    rp_json_t *body = json ? sales_host->json_parse(json, strlen(json)) : NULL;
    bool found = sales_lead_body_unknown_member(sales_host, body, ALLOWED, out, outlen);
    sales_host->json_free(body);
    return found;
}

/* The first unknown member of the text json, or NULL. */
static const char *unknown(const char *json)
{
    static char out[64];
    return find_unknown(json, out, sizeof out) ? out : NULL;
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
    /* An escaped name is compared once decoded. */
    assert_null(unknown("{\"st\\u0061tus\":null}"));
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
    assert_string_equal(unknown("{\"caf\\u00e9\":1}"), "caf\xc3\xa9");
    /* The first in the body's order, not in any hash order. */
    assert_string_equal(unknown("{\"status\":null,\"zz\":1,\"aa\":2,\"mm\":3}"), "zz");
    assert_string_equal(unknown("{\"mm\":1,\"zz\":2,\"aa\":3}"), "mm");
    /* Cut to the room given, never inside a character. */
    char small[4];
    assert_true(find_unknown("{\"abcdefgh\":1}", small, sizeof small));
    assert_string_equal(small, "abc");
    assert_true(find_unknown("{\"a\\u00e9b\":1}", small, 3));
    assert_string_equal(small, "a");
    assert_true(find_unknown("{\"x\":1}", small, 0));
}

static void built_bodies(void **state)
{
    (void)state;
    /* A body a module built itself: members in the order json_set added
     * them. */
    const rp_host_api_t *h = sales_host;
    rp_json_t *body = h->json_object_new();
    assert_int_equal(h->json_set(body, "status", h->json_string_new("converted")), RP_M_OK);
    assert_int_equal(h->json_set(body, "later", h->json_integer_new(1)), RP_M_OK);
    assert_int_equal(h->json_set(body, "a_first", h->json_integer_new(2)), RP_M_OK);
    char out[32];
    assert_true(sales_lead_body_unknown_member(h, body, ALLOWED, out, sizeof out));
    assert_string_equal(out, "later");
    h->json_free(body);
}

static void not_objects(void **state)
{
    (void)state;
    assert_null(unknown(NULL));
    assert_null(unknown("[{\"x\":1}]"));
    assert_null(unknown("\"x\""));
    assert_null(unknown("{\"unterminated"));
    /* A host table from before json_object_each has no walk to offer. */
    rp_host_api_t older = *sales_host;
    older.size = (uint32_t)offsetof(rp_host_api_t, json_object_each);
    rp_json_t *body = sales_host->json_parse("{\"x\":1}", 7);
    char out[8];
    assert_false(sales_lead_body_unknown_member(&older, body, ALLOWED, out, sizeof out));
    assert_false(sales_lead_body_unknown_member(NULL, body, ALLOWED, out, sizeof out));
    sales_host->json_free(body);
}

int main(void)
{
    sales_host = &rp_modules_host_api;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_members_pass),
        cmocka_unit_test(unknown_members_named),
        cmocka_unit_test(built_bodies),
        cmocka_unit_test(not_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
