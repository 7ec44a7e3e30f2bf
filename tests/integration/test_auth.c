/* Login, /me, refresh rotation and reuse detection, logout, every way an
 * access token can be wrong, and the login rate limit. */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "it.h"

#define PASSWORD "correct-horse-battery-1"

static const char *tenant_id, *admin_id, *user_id;

static int setup(void **state)
{
    rp_it_pg_start();
    /* Three failures per tenant+email keep the rate-limit test short. */
    rp_it_server_start("RAPPORT_LOGIN_MAX_FAILURES=3", NULL);
    rp_it_tenant_create("acme", "Acme Corp");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "user@acme.test", "user", PASSWORD);
    rp_it_user_add("acme", "limited@acme.test", "user", PASSWORD);
    /* Kept for the whole program, so copied out of the per-test arena. */
    tenant_id = strdup(rp_it_tenant_id("acme"));
    admin_id = strdup(rp_it_user_id("acme", "admin@acme.test"));
    user_id = strdup(rp_it_user_id("acme", "user@acme.test"));
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    free((void *)tenant_id);
    free((void *)admin_id);
    free((void *)user_id);
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static rp_it_resp_t *refresh(const char *token)
{
    return rp_it_sendj("POST", "/api/v1/auth/refresh", NULL,
                       json_pack("{s:s}", "refresh_token", token));
}

static void login_shape(void **state)
{
    rp_it_tokens_t t;
    rp_it_resp_t *r = rp_it_login("acme", "admin@acme.test", PASSWORD, &t);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_non_null(strstr(rp_it_header(r, "Content-Type"), "application/json"));
    assert_string_equal(rp_it_jstr(r, "token_type"), "Bearer");
    json_t *exp_in = json_object_get(r->json, "expires_in");
    assert_true(json_is_integer(exp_in));
    assert_true(json_integer_value(exp_in) > 0 && json_integer_value(exp_in) <= 900);
    assert_string_equal(t.refresh, rp_it_jstr(r, "refresh_token"));
    assert_int_equal(strncmp(t.refresh, "rpr_", 4), 0);
    assert_true(strlen(t.refresh) > 40);

    /* The access token is a JWT with the documented claims. */
    json_t *c = rp_it_jwt_payload(t.access);
    assert_string_equal(json_string_value(json_object_get(c, "sub")), admin_id);
    assert_string_equal(json_string_value(json_object_get(c, "tid")), tenant_id);
    assert_string_equal(json_string_value(json_object_get(c, "role")), "admin");
    assert_string_equal(json_string_value(json_object_get(c, "iss")), RP_IT_JWT_ISSUER);
    json_t *aud = json_object_get(c, "aud");
    assert_true(json_is_string(aud) || json_is_array(aud));
    if (json_is_string(aud))
        assert_string_equal(json_string_value(aud), RP_IT_JWT_AUDIENCE);
    assert_non_null(json_string_value(json_object_get(c, "jti")));
    json_int_t iat = json_integer_value(json_object_get(c, "iat"));
    json_int_t exp = json_integer_value(json_object_get(c, "exp"));
    assert_true(llabs((long long)(iat - (json_int_t)time(NULL))) < 60);
    assert_int_equal(exp - iat, json_integer_value(exp_in));

    /* Never the secret material in the clear: the password is nowhere. */
    assert_null(strstr(r->body, PASSWORD));
}

static void login_email_ignores_case(void **state)
{
    rp_it_resp_t *r = rp_it_login("acme", "ADMIN@Acme.Test", PASSWORD, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
}

/* The body of a problem without what differs from one request to the next. */
static char *stable_body(const rp_it_resp_t *r)
{
    json_t *copy = json_deep_copy(r->json);
    assert_non_null(copy);
    json_object_del(copy, "request_id");
    char *s = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(copy);
    return rp_it_track(s, free);
}

static void bad_credentials_look_alike(void **state)
{
    rp_it_resp_t *wrong_pw = rp_it_login("acme", "user@acme.test", "wrong-password-123", NULL);
    rp_it_resp_t *no_user = rp_it_login("acme", "nobody@acme.test", "wrong-password-123", NULL);
    rp_it_resp_t *no_tenant = rp_it_login("no-such-co", "user@acme.test", PASSWORD, NULL);
    RP_IT_EXPECT_PROBLEM(wrong_pw, 401, "invalid_credentials");
    RP_IT_EXPECT_PROBLEM(no_user, 401, "invalid_credentials");
    RP_IT_EXPECT_PROBLEM(no_tenant, 401, "invalid_credentials");
    assert_string_equal(stable_body(wrong_pw), stable_body(no_user));
    assert_string_equal(stable_body(wrong_pw), stable_body(no_tenant));
    /* The right password still works afterwards (one failure is below the
     * limit). */
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, NULL), 200);
}

static void login_validation(void **state)
{
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/login", NULL,
                                    "{\"tenant\":\"acme\",\"email\":\"admin@acme.test\"}"),
                         422, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/login", NULL,
                                    "{\"tenant\":\"acme\",\"email\":\"admin@acme.test\","
                                    "\"password\":\"" PASSWORD "\",\"remember\":true}"),
                         400, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/login", NULL,
                                    "{\"tenant\":\"acme\",\"email\":\"admin@acme.test\","
                                    "\"password\":12345678901}"),
                         422, NULL);
}

static void me_shape(void **state)
{
    const char *tok = rp_it_token("acme", "admin@acme.test", PASSWORD);
    rp_it_resp_t *r = rp_it_get("/api/v1/me", tok);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "user_id"), admin_id);
    assert_string_equal(rp_it_jstr(r, "email"), "admin@acme.test");
    assert_string_equal(rp_it_jstr(r, "role"), "admin");
    json_t *t = json_object_get(r->json, "tenant");
    assert_true(json_is_object(t));
    assert_string_equal(json_string_value(json_object_get(t, "id")), tenant_id);
    assert_string_equal(json_string_value(json_object_get(t, "slug")), "acme");

    r = rp_it_get("/api/v1/me", rp_it_token("acme", "user@acme.test", PASSWORD));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "user_id"), user_id);
    assert_string_equal(rp_it_jstr(r, "role"), "user");
}

static void refresh_rotates_and_detects_reuse(void **state)
{
    rp_it_tokens_t first;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, &first), 200);

    rp_it_resp_t *r = refresh(first.refresh);
    RP_IT_EXPECT_STATUS(r, 200);
    const char *access2 = rp_it_jstr(r, "access_token");
    const char *refresh2 = rp_it_jstr(r, "refresh_token");
    assert_non_null(access2);
    assert_non_null(refresh2);
    assert_string_equal(rp_it_jstr(r, "token_type"), "Bearer");
    assert_string_not_equal(refresh2, first.refresh);
    assert_string_not_equal(access2, first.access);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", access2), 200);

    /* The rotated token is dead, and presenting it is a reuse: the whole
     * family goes, the token it was rotated into included. */
    RP_IT_EXPECT_PROBLEM(refresh(first.refresh), 401, NULL);
    RP_IT_EXPECT_PROBLEM(refresh(refresh2), 401, NULL);

    /* A new login starts a new family that works. */
    rp_it_tokens_t again;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, &again), 200);
    r = refresh(again.refresh);
    RP_IT_EXPECT_STATUS(r, 200);
    /* And refreshing the fresh one once more works too (a chain, not one
     * step). */
    RP_IT_EXPECT_STATUS(refresh(rp_it_jstr(r, "refresh_token")), 200);
}

static void refresh_rejects_garbage(void **state)
{
    RP_IT_EXPECT_PROBLEM(refresh("garbage"), 401, NULL);
    RP_IT_EXPECT_PROBLEM(
        refresh("rpr_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        401, NULL);
    /* A real token with its secret changed. */
    rp_it_tokens_t t;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, &t), 200);
    size_t n = strlen(t.refresh);
    t.refresh[n - 5] = t.refresh[n - 5] == 'A' ? 'B' : 'A';
    RP_IT_EXPECT_PROBLEM(refresh(t.refresh), 401, NULL);
    /* An access token is not a refresh token. */
    RP_IT_EXPECT_PROBLEM(refresh(t.access), 401, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/auth/refresh", NULL, "{\"refresh_token\":5}"),
                         422, NULL);
}

static void logout_revokes(void **state)
{
    rp_it_tokens_t t;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, &t), 200);
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/auth/logout", t.access,
                                  json_pack("{s:s}", "refresh_token", t.refresh));
    if (r->status != 204 && r->status != 200)
        RP_IT_EXPECT_STATUS(r, 204);
    RP_IT_EXPECT_PROBLEM(refresh(t.refresh), 401, NULL);
}

static void expect_rejected(const char *token, const char *code, const char *what)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/me", token);
    if (r->status != 401)
        RP_IT_FAIL("%s: expected 401, got %ld %s", what, r->status, r->body);
    RP_IT_EXPECT_PROBLEM(r, 401, code);
    const char *www = rp_it_header(r, "WWW-Authenticate");
    if (www == NULL || strncasecmp(www, "Bearer", 6) != 0)
        RP_IT_FAIL("%s: no WWW-Authenticate: Bearer header", what);
}

static void forged_tokens_rejected(void **state)
{
    /* First prove the forger makes tokens the server accepts, so that each
     * rejection below is about the one thing changed. */
    json_t *good = rp_it_jwt_claims(tenant_id, user_id, "user");
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", rp_it_jwt_sign(NULL, good, NULL)), 200);

    json_int_t now = (json_int_t)time(NULL);
    json_t *c = json_deep_copy(good);
    rp_it_track_json(c);
    json_object_set_new(c, "iat", json_integer(now - 2000));
    json_object_set_new(c, "nbf", json_integer(now - 2000));
    json_object_set_new(c, "exp", json_integer(now - 60));
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "token_expired", "expired");

    c = rp_it_track_json(json_deep_copy(good));
    json_object_set_new(c, "nbf", json_integer(now + 600));
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "invalid_token", "not yet valid");

    expect_rejected(rp_it_jwt_sign(NULL, good, "another-key-another-key-another-key-another-k"),
                    "invalid_token", "wrong key");

    c = rp_it_track_json(json_deep_copy(good));
    json_object_set_new(c, "aud", json_string("someone-else"));
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "invalid_token", "wrong audience");

    c = rp_it_track_json(json_deep_copy(good));
    json_object_set_new(c, "iss", json_string("https://evil.example"));
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "invalid_token", "wrong issuer");

    c = rp_it_track_json(json_deep_copy(good));
    json_object_del(c, "exp");
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "invalid_token", "no exp");

    c = rp_it_track_json(json_deep_copy(good));
    json_object_set_new(c, "role", json_string("root"));
    expect_rejected(rp_it_jwt_sign(NULL, c, NULL), "invalid_token", "unknown role");

    expect_rejected(rp_it_jwt_sign("{\"alg\":\"none\",\"typ\":\"JWT\"}", good, NULL),
                    "invalid_token", "alg none");
    expect_rejected(rp_it_jwt_sign("{\"alg\":\"None\"}", good, NULL), "invalid_token", "alg None");
    /* alg none with a valid HS256 signature still attached. */
    const char *signed_tok = rp_it_jwt_sign(NULL, good, NULL);
    const char *none_tok = rp_it_jwt_sign("{\"alg\":\"none\",\"typ\":\"JWT\"}", good, NULL);
    expect_rejected(rp_it_fmt("%s%s", none_tok, strrchr(signed_tok, '.') + 1), "invalid_token",
                    "alg none with a signature");
    expect_rejected(rp_it_jwt_sign("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", good, NULL),
                    "invalid_token", "alg HS512");
}

static void tampered_tokens_rejected(void **state)
{
    rp_it_tokens_t t;
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "user@acme.test", PASSWORD, &t), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", t.access), 200);

    /* Payload: the same token claiming the admin role, old signature kept. */
    json_t *c = rp_it_jwt_payload(t.access);
    json_object_set_new(c, "role", json_string("admin"));
    char *payload = json_dumps(c, JSON_COMPACT);
    assert_non_null(payload);
    const char *d1 = strchr(t.access, '.'), *d2 = strrchr(t.access, '.');
    const char *forged = rp_it_fmt("%.*s.%s%s", (int)(d1 - t.access), t.access,
                                   rp_it_b64url(payload, strlen(payload)), d2);
    free(payload);
    expect_rejected(forged, "invalid_token", "tampered payload");

    /* Signature: one character in the middle changed. */
    char *sig_tampered = (char *)rp_it_fmt("%s", t.access);
    size_t n = strlen(sig_tampered);
    sig_tampered[n - 20] = sig_tampered[n - 20] == 'A' ? 'B' : 'A';
    expect_rejected(sig_tampered, "invalid_token", "tampered signature");

    /* Signature removed. */
    expect_rejected(rp_it_fmt("%.*s.", (int)(d2 - t.access), t.access), "invalid_token",
                    "no signature");
    expect_rejected("garbage", "invalid_token", "garbage");
    expect_rejected("a.b.c", "invalid_token", "three dots of garbage");
    expect_rejected(rp_it_fmt("%s.extra", t.access), "invalid_token", "four segments");
}

static void missing_or_wrong_scheme(void **state)
{
    rp_it_resp_t *r = rp_it_get("/api/v1/me", NULL);
    RP_IT_EXPECT_PROBLEM(r, 401, "unauthorized");
    assert_non_null(rp_it_header(r, "WWW-Authenticate"));

    r = rp_it_http(
        &(rp_it_req_t){.path = "/api/v1/me", .authorization = "Basic YWRtaW46cGFzc3dvcmQ="});
    RP_IT_EXPECT_PROBLEM(r, 401, "unauthorized");
    assert_non_null(rp_it_header(r, "WWW-Authenticate"));

    const char *tok = rp_it_token("acme", "user@acme.test", PASSWORD);
    r = rp_it_http(&(rp_it_req_t){.path = "/api/v1/me", .authorization = tok});
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
    r = rp_it_http(&(rp_it_req_t){.path = "/api/v1/me", .authorization = "Bearer"});
    RP_IT_EXPECT_PROBLEM(r, 401, NULL);
}

static void login_rate_limited(void **state)
{
    for (int i = 0; i < 3; i++)
        RP_IT_EXPECT_PROBLEM(rp_it_login("acme", "limited@acme.test", "wrong-password-1", NULL),
                             401, "invalid_credentials");
    rp_it_resp_t *r = rp_it_login("acme", "limited@acme.test", "wrong-password-1", NULL);
    RP_IT_EXPECT_PROBLEM(r, 429, NULL);
    const char *ra = rp_it_header(r, "Retry-After");
    assert_non_null(ra);
    long secs = strtol(ra, NULL, 10);
    assert_true(secs >= 1 && secs <= 900);

    /* Blocked means blocked, even with the right password, and whatever the
     * case of the address. */
    RP_IT_EXPECT_PROBLEM(rp_it_login("acme", "limited@acme.test", PASSWORD, NULL), 429, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_login("acme", "LIMITED@acme.test", PASSWORD, NULL), 429, NULL);

    /* Only that tenant+email: the others still get in. */
    RP_IT_EXPECT_STATUS(rp_it_login("acme", "admin@acme.test", PASSWORD, NULL), 200);
}

static void server_exits_cleanly(void **state)
{
    assert_int_equal(rp_it_server_stop(), 0);
    rp_it_server_assert_clean_log();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(login_shape),
        RP_IT_TEST(login_email_ignores_case),
        RP_IT_TEST(bad_credentials_look_alike),
        RP_IT_TEST(login_validation),
        RP_IT_TEST(me_shape),
        RP_IT_TEST(refresh_rotates_and_detects_reuse),
        RP_IT_TEST(refresh_rejects_garbage),
        RP_IT_TEST(logout_revokes),
        RP_IT_TEST(forged_tokens_rejected),
        RP_IT_TEST(tampered_tokens_rejected),
        RP_IT_TEST(missing_or_wrong_scheme),
        RP_IT_TEST(login_rate_limited),
        RP_IT_TEST(server_exits_cleanly),
    };
    RP_IT_RUN("auth", tests, setup, teardown);
}
