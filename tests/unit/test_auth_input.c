#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "auth/input.h"
#include "core/utf8.h"

static void ctx_init(rp_ctx_t *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->req.path = "/api/v1/users";
    strcpy(ctx->req.request_id, "req-1");
}

static void ctx_free(rp_ctx_t *ctx)
{
    rp_buf_free(&ctx->res.body);
    rp_pool_clear(&ctx->pool);
}

static json_t *body_of(rp_ctx_t *ctx)
{
    json_t *j = json_loadb(ctx->res.body.data, ctx->res.body.len, 0, NULL);
    assert_non_null(j);
    return j;
}

static void unknown_fields_are_named(void **state)
{
    static const char *const allowed[] = {"email", "role", NULL};
    rp_ctx_t ctx;
    ctx_init(&ctx);
    json_t *ok = json_pack("{s:s, s:s}", "email", "a@b.co", "role", "user");
    assert_true(rp_input_known_fields(&ctx, ok, allowed));
    assert_int_equal(ctx.res.status, 0);
    json_decref(ok);

    json_t *bad = json_pack("{s:s, s:b, s:i}", "email", "a@b.co", "admin", 1, "password_hash", 3);
    assert_false(rp_input_known_fields(&ctx, bad, allowed));
    assert_int_equal(ctx.res.status, 400);
    json_t *p = body_of(&ctx);
    assert_string_equal(json_string_value(json_object_get(p, "code")), "unknown_field");
    json_t *errors = json_object_get(p, "errors");
    assert_non_null(json_object_get(errors, "admin"));
    assert_non_null(json_object_get(errors, "password_hash"));
    assert_null(json_object_get(errors, "email"));
    assert_non_null(strstr(json_string_value(json_object_get(p, "detail")), "admin"));
    json_decref(p);
    json_decref(bad);
    ctx_free(&ctx);
}

static void types_and_required(void **state)
{
    rp_ctx_t ctx;
    ctx_init(&ctx);
    json_t *body =
        json_loads("{\"email\": 5, \"name\": \"x\", \"nul\": \"a\\u0000b\", \"n\": null}",
                   JSON_ALLOW_NUL, NULL);
    assert_non_null(body);
    json_t *errors = json_object();
    const char *s = "sentinel";
    assert_false(rp_input_required_string(body, "email", &s, errors));
    assert_null(s);
    assert_true(rp_input_string(body, "name", &s, errors));
    assert_string_equal(s, "x");
    assert_true(rp_input_string(body, "absent", &s, errors));
    assert_null(s);
    assert_false(rp_input_required_string(body, "role", &s, errors));
    assert_false(rp_input_string(body, "nul", &s, errors));
    assert_false(rp_input_string(body, "n", &s, errors));
    assert_string_equal(json_string_value(json_object_get(errors, "email")), "must be a string");
    assert_string_equal(json_string_value(json_object_get(errors, "role")), "is required");
    assert_non_null(json_object_get(errors, "nul"));
    /* The first message for a field wins. */
    rp_input_error(errors, "email", "second");
    assert_string_equal(json_string_value(json_object_get(errors, "email")), "must be a string");

    assert_true(rp_input_fail(&ctx, errors));
    assert_int_equal(ctx.res.status, 422);
    json_t *p = body_of(&ctx);
    assert_string_equal(json_string_value(json_object_get(p, "code")), "validation_failed");
    assert_int_equal(json_object_size(json_object_get(p, "errors")), 4);
    json_decref(p);
    json_decref(body);
    ctx_free(&ctx);

    ctx_init(&ctx);
    assert_false(rp_input_fail(&ctx, json_object()));
    assert_int_equal(ctx.res.status, 0);
    ctx_free(&ctx);
}

static void emails(void **state)
{
    const char *good[] = {"a@b.co", "first.last+tag@example.com", "x@sub.domain.example",
                          "\xc3\xa9l\xc3\xa8ve@\xc3\xa9"
                          "cole.fr"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(rp_input_email_valid(good[i]));
    const char *bad[] = {"",         "a",        "@b.co",     "a@",         "a@b",     "a@@b.co",
                         "a@b@c.co", "a b@c.co", " a@b.co",   "a@b.co ",    "a@.b.co", "a@b.co.",
                         "a@b..co",  "a\t@b.co", "a@b.c\x7f", "a\xff@b.co", "a@b\n.co"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rp_input_email_valid(bad[i]));
    assert_false(rp_input_email_valid(NULL));
    char local[80], mail[400];
    memset(local, 'a', 65);
    local[65] = '\0';
    strcpy(mail, local);
    strcat(mail, "@b.co");
    assert_false(rp_input_email_valid(mail));
    local[64] = '\0';
    strcpy(mail, local);
    strcat(mail, "@b.co");
    assert_true(rp_input_email_valid(mail));
    /* 255 bytes in all is one too many. */
    memset(mail, 'd', sizeof mail);
    memcpy(mail, "a@", 2);
    memcpy(mail + 250, ".com", 4);
    mail[254] = '\0';
    assert_true(rp_input_email_valid(mail));
    memcpy(mail + 251, ".com", 4);
    mail[255] = '\0';
    assert_false(rp_input_email_valid(mail));
}

static void limits(void **state)
{
    int v = 0;
    assert_true(rp_input_limit(NULL, 50, 200, &v));
    assert_int_equal(v, 50);
    assert_true(rp_input_limit("1", 50, 200, &v));
    assert_int_equal(v, 1);
    assert_true(rp_input_limit("200", 50, 200, &v));
    assert_int_equal(v, 200);
    const char *bad[] = {"", "0", "201", "-1", "+5", "5x", " 5", "1e2", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(rp_input_limit(bad[i], 50, 200, &v));
}

static void utf8_lengths(void **state)
{
    assert_int_equal(rp_utf8_length(""), 0);
    assert_int_equal(rp_utf8_length("abc"), 3);
    assert_int_equal(rp_utf8_length("\xc3\xa9t\xc3\xa9"), 3);
    assert_int_equal(rp_utf8_length("\xe2\x82\xac"), 1);
    assert_int_equal(rp_utf8_length("\xf0\x9f\x98\x80"), 1);
    assert_int_equal(rp_utf8_length("\xf0\x9f\x98"), -1);
    assert_int_equal(rp_utf8_length("\xc1\xbf"), -1);
    assert_int_equal(rp_utf8_length("\xf8\x88\x80\x80\x80"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unknown_fields_are_named),
        cmocka_unit_test(types_and_required),
        cmocka_unit_test(emails),
        cmocka_unit_test(limits),
        cmocka_unit_test(utf8_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
