/* User administration and API keys through the HTTP API. */

#include <ctype.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "users-password-1"

static char *admin_id, *plain_id;

static int setup(void **state)
{
    rp_it_pg_start();
    rp_it_server_start(NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "plain@acme.test", "user", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    admin_id = strdup(rp_it_user_id("acme", "admin@acme.test"));
    plain_id = strdup(rp_it_user_id("acme", "plain@acme.test"));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    free(admin_id);
    free(plain_id);
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *admin_token(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

static bool list_has_id(const rp_it_resp_t *r, const char *id)
{
    json_t *items = rp_it_jlist(r);
    size_t i;
    json_t *v;
    json_array_foreach(items, i, v)
    {
        const char *vid = json_string_value(json_object_get(v, "id"));
        if (vid && strcmp(vid, id) == 0)
            return true;
    }
    return false;
}

static void users_crud(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r =
        rp_it_sendj("POST", "/api/v1/users", a,
                    json_pack("{s:s, s:s, s:s, s:s}", "email", "new.person@acme.test", "name",
                              "New Person", "role", "manager", "password", "new-person-pass-1"));
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(rp_it_jstr(r, "email"), "new.person@acme.test");
    assert_string_equal(rp_it_jstr(r, "name"), "New Person");
    assert_string_equal(rp_it_jstr(r, "role"), "manager");
    /* No hash, no password, ever. */
    assert_null(strstr(r->body, "argon2"));
    assert_null(strstr(r->body, "new-person-pass-1"));
    assert_null(json_object_get(r->json, "password_hash"));
    assert_string_equal(rp_it_sql("SELECT email FROM users WHERE id = $1", id, NULL),
                        "new.person@acme.test");

    r = rp_it_get("/api/v1/users", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(list_has_id(r, id));
    assert_true(list_has_id(r, admin_id));
    assert_null(strstr(r->body, "argon2"));

    const char *path = rp_it_fmt("/api/v1/users/%s", id);
    r = rp_it_get(path, a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "id"), id);
    assert_string_equal(rp_it_jstr(r, "email"), "new.person@acme.test");

    /* The new user can log in with the password the admin set. */
    rp_it_resp_t *me =
        rp_it_get("/api/v1/me", rp_it_token("acme", "new.person@acme.test", "new-person-pass-1"));
    RP_IT_EXPECT_STATUS(me, 200);
    assert_string_equal(rp_it_jstr(me, "role"), "manager");

    r = rp_it_sendj("PATCH", path, a,
                    json_pack("{s:s, s:s}", "name", "Renamed Person", "role", "readonly"));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "name"), "Renamed Person");
    assert_string_equal(rp_it_jstr(r, "role"), "readonly");
    r = rp_it_get(path, a);
    assert_string_equal(rp_it_jstr(r, "name"), "Renamed Person");
    assert_string_equal(rp_it_jstr(r, "role"), "readonly");

    r = rp_it_send("DELETE", path, a, NULL);
    RP_IT_EXPECT_STATUS(r, 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, a), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", path, a, NULL), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_login("acme", "new.person@acme.test", "new-person-pass-1", NULL),
                         401, "invalid_credentials");
    assert_null(rp_it_sql("SELECT id FROM users WHERE id = $1", id, NULL));
}

static void disabled_user_is_locked_out(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/users", a,
                                  json_pack("{s:s, s:s, s:s}", "email", "temp@acme.test", "role",
                                            "user", "password", "temp-user-pass-1"));
    RP_IT_EXPECT_STATUS(r, 201);
    const char *path = rp_it_fmt("/api/v1/users/%s", rp_it_jstr(r, "id"));
    const char *tok = rp_it_token("acme", "temp@acme.test", "temp-user-pass-1");
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", tok), 200);
    RP_IT_EXPECT_STATUS(rp_it_sendj("PATCH", path, a, json_pack("{s:s}", "status", "disabled")),
                        200);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", tok), 401, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_login("acme", "temp@acme.test", "temp-user-pass-1", NULL), 401,
                         "invalid_credentials");
}

static void last_admin_is_kept(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = rp_it_sendj("PATCH", rp_it_fmt("/api/v1/users/%s", admin_id), a,
                                  json_pack("{s:s}", "role", "user"));
    RP_IT_EXPECT_PROBLEM(r, 409, NULL);
    assert_string_equal(rp_it_sql("SELECT role FROM users WHERE id = $1", admin_id, NULL), "admin");
}

static void users_validation_422(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/users", a,
                                  json_pack("{s:s, s:s, s:s}", "email", "not-an-email", "role",
                                            "wizard", "password", "short"));
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
    json_t *errors = json_object_get(r->json, "errors");
    assert_true(json_is_object(errors));
    assert_true(json_is_string(json_object_get(errors, "email")));
    assert_true(json_is_string(json_object_get(errors, "role")));
    assert_true(json_is_string(json_object_get(errors, "password")));

    r = rp_it_sendj("POST", "/api/v1/users", a, json_pack("{s:s}", "role", "user"));
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
    errors = json_object_get(r->json, "errors");
    assert_true(json_is_string(json_object_get(errors, "email")));
    assert_null(json_object_get(errors, "role"));

    r = rp_it_sendj("POST", "/api/v1/users", a,
                    json_pack("{s:i, s:s}", "email", 42, "role", "user"));
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
    assert_true(json_is_string(json_object_get(json_object_get(r->json, "errors"), "email")));

    r = rp_it_sendj("PATCH", rp_it_fmt("/api/v1/users/%s", plain_id), a,
                    json_pack("{s:s}", "role", "wizard"));
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
    assert_true(json_is_string(json_object_get(json_object_get(r->json, "errors"), "role")));
    assert_string_equal(rp_it_sql("SELECT role FROM users WHERE id = $1", plain_id, NULL), "user");
    /* Nothing half-written. */
    assert_null(rp_it_sql("SELECT 1 FROM users WHERE email = 'not-an-email'", NULL));
}

static void users_unknown_field_400(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/users", a,
                                  json_pack("{s:s, s:s, s:b}", "email", "extra@acme.test", "role",
                                            "user", "is_superuser", 1));
    RP_IT_EXPECT_PROBLEM(r, 400, NULL);
    assert_non_null(strstr(r->body, "is_superuser"));
    assert_null(rp_it_sql("SELECT 1 FROM users WHERE email = 'extra@acme.test'", NULL));
    r = rp_it_sendj("PATCH", rp_it_fmt("/api/v1/users/%s", plain_id), a,
                    json_pack("{s:s}", "tenant_id", "0190a0a0-0000-7000-8000-000000000000"));
    RP_IT_EXPECT_PROBLEM(r, 400, NULL);
}

static void users_duplicate_email_409(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/users", a,
                                  json_pack("{s:s, s:s, s:s}", "email", "Plain@ACME.test", "role",
                                            "user", "password", "duplicate-pass-1"));
    RP_IT_EXPECT_PROBLEM(r, 409, NULL);
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM users WHERE lower(email) = 'plain@acme.test'", NULL), "1");
    /* The same address in another tenant is a different user and fine. */
    r = rp_it_sendj("POST", "/api/v1/users", rp_it_token("other", "admin@other.test", PASSWORD),
                    json_pack("{s:s, s:s}", "email", "plain@acme.test", "role", "user"));
    RP_IT_EXPECT_STATUS(r, 201);
}

static void non_admin_403(void **state)
{
    const char *u = rp_it_token("acme", "plain@acme.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/users", u), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/users/%s", admin_id), u), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(
        rp_it_sendj("POST", "/api/v1/users", u,
                    json_pack("{s:s, s:s}", "email", "sneak@acme.test", "role", "admin")),
        403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_sendj("PATCH", rp_it_fmt("/api/v1/users/%s", plain_id), u,
                                     json_pack("{s:s}", "role", "admin")),
                         403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rp_it_fmt("/api/v1/users/%s", admin_id), u, NULL),
                         403, "forbidden");
    assert_null(rp_it_sql("SELECT 1 FROM users WHERE email = 'sneak@acme.test'", NULL));
    assert_string_equal(rp_it_sql("SELECT role FROM users WHERE id = $1", plain_id, NULL), "user");
    /* But /me is for everyone. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", u), 200);
}

/* The key's id as it appears in the key text: the UUID without dashes. */
static const char *hex_id(const char *uuid)
{
    char out[33];
    size_t n = 0;
    for (const char *p = uuid; *p && n < 32; p++)
        if (*p != '-')
            out[n++] = *p;
    out[n] = '\0';
    return rp_it_fmt("%s", out);
}

static bool is_key_shape(const char *key)
{
    if (key == NULL || strncmp(key, "rpk_", 4) != 0 || strlen(key) != 4 + 32 + 1 + 43)
        return false;
    for (int i = 4; i < 36; i++)
        if (!isxdigit((unsigned char)key[i]) || isupper((unsigned char)key[i]))
            return false;
    return key[36] == '_';
}

static rp_it_resp_t *create_key(const char *bearer, const char *name, const char *role)
{
    json_t *body = role ? json_pack("{s:s, s:s}", "name", name, "role", role)
                        : json_pack("{s:s}", "name", name);
    return rp_it_sendj("POST", "/api/v1/api-keys", bearer, body);
}

static void api_key_lifecycle(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = create_key(a, "ci pipeline", "user");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *key = rp_it_fmt("%s", rp_it_jstr(r, "key"));
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    if (!is_key_shape(key))
        RP_IT_FAIL("the key is not rpk_<32 hex>_<43 base64url>: %s", key);
    assert_memory_equal(key + 4, hex_id(id), 32);
    assert_string_equal(rp_it_jstr(r, "name"), "ci pipeline");
    const char *cc = rp_it_header(r, "Cache-Control");
    assert_non_null(cc);
    assert_non_null(strstr(cc, "no-store"));
    /* Stored only as a hash: neither the text nor the raw secret is in the
     * row. */
    const char *secret = key + 37;
    unsigned char raw[32];
    size_t rawlen = 0;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, secret, strlen(secret), NULL, &rawlen, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    char rawhex[65];
    sodium_bin2hex(rawhex, sizeof rawhex, raw, rawlen);
    assert_string_equal(rp_it_sql("SELECT count(*) FROM api_keys WHERE id = $1", id, NULL), "1");
    assert_null(rp_it_sql("SELECT 1 FROM api_keys k WHERE k::text LIKE '%' || $1 || '%' OR "
                          "encode(k.secret_hash, 'hex') = $2",
                          secret, rawhex, NULL));

    /* The key authenticates, with its own (lower) role. */
    rp_it_resp_t *me = rp_it_get("/api/v1/me", key);
    RP_IT_EXPECT_STATUS(me, 200);
    assert_string_equal(rp_it_jstr(me, "user_id"), admin_id);
    assert_string_equal(rp_it_jstr(me, "role"), "user");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/users", key), 403, "forbidden");

    /* Listed, never with its secret. */
    r = rp_it_get("/api/v1/api-keys", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(list_has_id(r, id));
    assert_null(strstr(r->body, secret));
    assert_null(strstr(r->body, "rpk_"));

    r = rp_it_send("DELETE", rp_it_fmt("/api/v1/api-keys/%s", id), a, NULL);
    RP_IT_EXPECT_STATUS(r, 204);
    r = rp_it_get("/api/v1/me", key);
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
    assert_non_null(rp_it_header(r, "WWW-Authenticate"));
    r = rp_it_get("/api/v1/api-keys", a);
    assert_false(list_has_id(r, id));
}

static void forged_api_keys_401(void **state)
{
    const char *a = admin_token();
    rp_it_resp_t *r = create_key(a, "real", NULL);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *key = rp_it_fmt("%s", rp_it_jstr(r, "key"));
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", key), 200);

    /* A valid id with another well-formed secret. */
    unsigned char other[32];
    memset(other, 0x5a, sizeof other);
    const char *forged = rp_it_fmt("%.37s%s", key, rp_it_b64url(other, sizeof other));
    assert_int_equal(strlen(forged), strlen(key));
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", forged), 401, NULL);

    /* One character of the real secret changed. */
    char *flipped = (char *)rp_it_fmt("%s", key);
    flipped[50] = flipped[50] == 'A' ? 'B' : 'A';
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", flipped), 401, NULL);

    /* An id nobody has, and shapes that are not keys at all. */
    RP_IT_EXPECT_PROBLEM(
        rp_it_get("/api/v1/me", rp_it_fmt("rpk_0190a0a0000070008000000000000000_%s", key + 37)),
        401, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", "rpk_garbage"), 401, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/me", rp_it_fmt("%s=", key)), 401, NULL);

    /* The real one still works. */
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", key), 200);
}

static void other_tenants_key_is_404(void **state)
{
    rp_it_resp_t *r = create_key(admin_token(), "mine", NULL);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *key = rp_it_fmt("%s", rp_it_jstr(r, "key"));
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    const char *o = rp_it_token("other", "admin@other.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rp_it_fmt("/api/v1/api-keys/%s", id), o, NULL), 404,
                         "not_found");
    r = rp_it_get("/api/v1/api-keys", o);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_false(list_has_id(r, id));
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", key), 200);
}

static void api_key_validation(void **state)
{
    const char *a = admin_token();
    RP_IT_EXPECT_PROBLEM(create_key(a, "", NULL), 422, NULL);
    rp_it_resp_t *r = create_key(a, "k", "wizard");
    RP_IT_EXPECT_PROBLEM(r, 422, NULL);
    assert_true(json_is_string(json_object_get(json_object_get(r->json, "errors"), "role")));
    RP_IT_EXPECT_PROBLEM(rp_it_sendj("POST", "/api/v1/api-keys", a,
                                     json_pack("{s:s, s:s}", "name", "k", "secret", "mine")),
                         400, NULL);
    /* Nobody mints a key above their own role. */
    const char *u = rp_it_token("acme", "plain@acme.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(create_key(u, "escalate", "admin"), 403, NULL);
    RP_IT_EXPECT_STATUS(create_key(u, "fine", "user"), 201);
    assert_null(rp_it_sql("SELECT 1 FROM api_keys WHERE name = 'escalate'", NULL));
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(users_crud),
        RP_IT_TEST(disabled_user_is_locked_out),
        RP_IT_TEST(last_admin_is_kept),
        RP_IT_TEST(users_validation_422),
        RP_IT_TEST(users_unknown_field_400),
        RP_IT_TEST(users_duplicate_email_409),
        RP_IT_TEST(non_admin_403),
        RP_IT_TEST(api_key_lifecycle),
        RP_IT_TEST(forged_api_keys_401),
        RP_IT_TEST(other_tenants_key_is_404),
        RP_IT_TEST(api_key_validation),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("users_apikeys", tests, setup, teardown);
}
