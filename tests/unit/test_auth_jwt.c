#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "auth/jwt.h"

#define NOW 1700000000L
#define TENANT "0190f3a2-7c4e-7a1b-8c2d-0123456789ab"
#define USER "0190f3a2-7c4e-7a1b-8c2d-ba9876543210"

static rp_config_t cfg;

static int setup(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.jwt_secret, "0123456789abcdef0123456789abcdef", 32);
    cfg.jwt_secret_len = 32;
    cfg.jwt_issuer = "rapport";
    cfg.jwt_audience = "rapport-api";
    cfg.access_ttl = 900;
    return 0;
}

/* base64url without padding of n bytes, malloc'd. */
static char *b64(const void *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* Builds header.payload.signature by hand, signing with HMAC of the given
 * size (256 or 512) under key, or leaving the signature as sig when not
 * NULL. Full control over every byte is the point: these are the tokens an
 * attacker would send. */
static char *craft(const char *header, const char *payload, int bits, const unsigned char *key,
                   size_t keylen, const char *sig)
{
    char *h = b64(header, strlen(header)), *p = b64(payload, strlen(payload));
    size_t n = strlen(h) + strlen(p) + 200;
    char *out = malloc(n);
    snprintf(out, n, "%s.%s", h, p);
    char *s = NULL;
    if (sig != NULL) {
        s = strdup(sig);
    } else if (bits == 512) {
        unsigned char mac[crypto_auth_hmacsha512_BYTES];
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, key, keylen);
        crypto_auth_hmacsha512_update(&st, (unsigned char *)out, strlen(out));
        crypto_auth_hmacsha512_final(&st, mac);
        s = b64(mac, sizeof mac);
    } else {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, key, keylen);
        crypto_auth_hmacsha256_update(&st, (unsigned char *)out, strlen(out));
        crypto_auth_hmacsha256_final(&st, mac);
        s = b64(mac, sizeof mac);
    }
    strcat(out, ".");
    strcat(out, s);
    free(h);
    free(p);
    free(s);
    return out;
}

static const char *hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* A complete valid claim set as a jansson object the test can then break. */
static json_t *claims(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "sub", USER, "tid", TENANT,
                     "role", "manager", "iss", "rapport", "aud", "rapport-api", "jti",
                     "abcdef0123456789", "iat", (json_int_t)NOW, "nbf", (json_int_t)NOW, "exp",
                     (json_int_t)(NOW + 900));
}

/* Signs claims (stolen) correctly with the configured key. */
static char *sign(json_t *c)
{
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    char *t = craft(hs256, payload, 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
    free(payload);
    return t;
}

/* Verifies and returns the reason ("" on success). */
static const char *verify_at(const char *token, long now)
{
    static char why[64];
    rp_principal_t p;
    why[0] = '\0';
    rp_status_t st = rp_jwt_verify(&cfg, token, now, &p, why, sizeof why);
    if (st == RP_OK)
        return "";
    assert_int_equal(st, RP_EAUTH);
    assert_true(why[0] != '\0');
    return why;
}

static void issued_token_verifies(void **state)
{
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_ADMIN, &tok), RP_OK);
    rp_principal_t p;
    char why[64] = "";
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW + 10, &p, why, sizeof why), RP_OK);
    assert_true(p.authenticated);
    assert_false(p.via_api_key);
    assert_int_equal(p.role, RP_ROLE_ADMIN);
    assert_string_equal(p.tenant_id, TENANT);
    assert_string_equal(p.user_id, USER);
    assert_int_equal(strlen(p.token_id), 32);

    /* Every claim the spec asks for is there, and the header says HS256. */
    jwt_t *j = NULL;
    assert_int_equal(jwt_decode(&j, tok, cfg.jwt_secret, (int)cfg.jwt_secret_len), 0);
    assert_int_equal(jwt_get_alg(j), JWT_ALG_HS256);
    assert_string_equal(jwt_get_grant(j, "iss"), "rapport");
    assert_string_equal(jwt_get_grant(j, "aud"), "rapport-api");
    assert_string_equal(jwt_get_grant(j, "role"), "admin");
    assert_int_equal(jwt_get_grant_int(j, "iat"), NOW);
    assert_int_equal(jwt_get_grant_int(j, "nbf"), NOW);
    assert_int_equal(jwt_get_grant_int(j, "exp"), NOW + 900);
    assert_non_null(jwt_get_grant(j, "jti"));
    jwt_free(j);

    /* Two tokens never share a jti. */
    char *tok2 = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_ADMIN, &tok2), RP_OK);
    assert_string_not_equal(tok, tok2);
    free(tok);
    free(tok2);
}

static void issue_refuses_bad_input(void **state)
{
    char *tok = (char *)"x";
    assert_int_equal(rp_jwt_issue(&cfg, NOW, "nope", USER, RP_ROLE_USER, &tok), RP_EINVAL);
    assert_null(tok);
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_NONE, &tok), RP_EINVAL);
    rp_config_t nokey = cfg;
    nokey.jwt_secret_len = 0;
    assert_int_equal(rp_jwt_issue(&nokey, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_EINVAL);
}

static void handcrafted_valid_token_verifies(void **state)
{
    char *t = sign(claims());
    assert_string_equal(verify_at(t, NOW), "");
    free(t);
    /* An audience list that contains ours is fine too. */
    json_t *c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", "other", "rapport-api"));
    t = sign(c);
    assert_string_equal(verify_at(t, NOW), "");
    free(t);
}

static void expired(void **state)
{
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    assert_string_equal(verify_at(tok, NOW + 899), "");
    assert_string_equal(verify_at(tok, NOW + 900), "expired");
    assert_string_equal(verify_at(tok, NOW + 100000), "expired");
    free(tok);
}

static void not_yet_valid(void **state)
{
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    /* A few seconds of skew are tolerated, more are not. */
    assert_string_equal(verify_at(tok, NOW - RP_JWT_LEEWAY), "");
    assert_string_equal(verify_at(tok, NOW - RP_JWT_LEEWAY - 1), "not_yet_valid");
    assert_string_equal(verify_at(tok, NOW - 3600), "not_yet_valid");
    free(tok);
    /* nbf in the future with iat now. */
    json_t *c = claims();
    json_object_set_new(c, "nbf", json_integer(NOW + 60));
    char *t = sign(c);
    assert_string_equal(verify_at(t, NOW), "not_yet_valid");
    assert_string_equal(verify_at(t, NOW + 60), "");
    free(t);
}

static void tampered_payload(void **state)
{
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_READONLY, &tok), RP_OK);
    /* Swap in a payload that promotes the caller, keep the signature. */
    json_t *c = claims();
    json_object_set_new(c, "role", json_string("admin"));
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    char *p64 = b64(payload, strlen(payload));
    char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    char forged[4096];
    snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(d1 - tok), tok, p64, d2);
    assert_string_equal(verify_at(forged, NOW), "bad_signature");
    /* One flipped character in the payload. */
    char *copy = strdup(tok);
    copy[(d1 - tok) + 5] = copy[(d1 - tok) + 5] == 'A' ? 'B' : 'A';
    assert_string_not_equal(verify_at(copy, NOW), "");
    free(copy);
    free(payload);
    free(p64);
    free(tok);
}

static void tampered_signature(void **state)
{
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    size_t n = strlen(tok);
    /* Every position of the signature, including the last character whose
     * low bits do not count in a lax decoder. */
    char *sig = strrchr(tok, '.') + 1;
    for (char *p = sig; *p; p++) {
        char *copy = strdup(tok);
        char *q = copy + (p - tok);
        *q = *q == 'A' ? 'B' : 'A';
        assert_string_equal(verify_at(copy, NOW), "bad_signature");
        free(copy);
    }
    /* Truncated, extended and emptied signatures. */
    char *copy = strdup(tok);
    copy[n - 1] = '\0';
    assert_string_equal(verify_at(copy, NOW), "bad_signature");
    free(copy);
    char longer[4096];
    snprintf(longer, sizeof longer, "%sAA", tok);
    assert_string_equal(verify_at(longer, NOW), "bad_signature");
    copy = strdup(tok);
    *(strrchr(copy, '.') + 1) = '\0';
    assert_string_equal(verify_at(copy, NOW), "bad_signature");
    free(copy);
    free(tok);
}

static void alg_none(void **state)
{
    json_t *c = claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    const char *heads[] = {"{\"alg\":\"none\",\"typ\":\"JWT\"}",
                           "{\"alg\":\"None\"}",
                           "{\"alg\":\"NONE\"}",
                           "{\"typ\":\"JWT\"}",
                           "{\"alg\":null}",
                           "{\"alg\":\"\"}",
                           "{\"alg\":\"hs256\"}"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        /* Unsigned (empty signature), and with a signature that is right for
         * the bytes, so only the header can be what refuses it. */
        char *t = craft(heads[i], payload, 256, NULL, 0, "");
        assert_string_equal(verify_at(t, NOW), "bad_alg");
        free(t);
        t = craft(heads[i], payload, 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
        assert_string_equal(verify_at(t, NOW), "bad_alg");
        free(t);
    }
    /* libjwt itself signs "none" tokens; ours must still refuse them. */
    jwt_t *j = NULL;
    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grants_json(j, payload), 0);
    assert_int_equal(jwt_set_alg(j, JWT_ALG_NONE, NULL, 0), 0);
    char *t = jwt_encode_str(j);
    assert_non_null(t);
    assert_string_equal(verify_at(t, NOW), "bad_alg");
    free(t);
    jwt_free(j);
    free(payload);
}

static void other_algorithms(void **state)
{
    json_t *c = claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    /* HS512 with our own key: a valid token of the wrong algorithm. */
    char *t = craft("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, 512, cfg.jwt_secret,
                    cfg.jwt_secret_len, NULL);
    assert_string_equal(verify_at(t, NOW), "bad_alg");
    free(t);
    /* Same through libjwt. */
    jwt_t *j = NULL;
    assert_int_equal(jwt_new(&j), 0);
    assert_int_equal(jwt_add_grants_json(j, payload), 0);
    assert_int_equal(jwt_set_alg(j, JWT_ALG_HS512, cfg.jwt_secret, (int)cfg.jwt_secret_len), 0);
    t = jwt_encode_str(j);
    assert_string_equal(verify_at(t, NOW), "bad_alg");
    free(t);
    jwt_free(j);
    /* RS256/ES256 headers carrying an HMAC made with our key (the classic
     * key-confusion attack) and HS384. */
    const char *heads[] = {"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "{\"alg\":\"ES256\"}",
                           "{\"alg\":\"HS384\"}", "{\"alg\":\"PS256\"}"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        t = craft(heads[i], payload, 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
        assert_string_equal(verify_at(t, NOW), "bad_alg");
        free(t);
    }
    free(payload);
}

static void odd_headers(void **state)
{
    json_t *c = claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    const char *heads[] = {
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", "{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
        "{\"alg\":\"HS256\",\"typ\":5}",          "[\"HS256\"]",
        "{\"alg\":\"HS256\",\"alg\":\"none\"}",   "not json"};
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        char *t = craft(heads[i], payload, 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
        assert_string_equal(verify_at(t, NOW), "malformed");
        free(t);
    }
    /* A header without typ is acceptable. */
    char *t = craft("{\"alg\":\"HS256\"}", payload, 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
    assert_string_equal(verify_at(t, NOW), "");
    free(t);
    free(payload);
}

static void wrong_key(void **state)
{
    rp_config_t other = cfg;
    memcpy(other.jwt_secret, "ffffffffffffffffffffffffffffffff", 32);
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&other, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    assert_string_equal(verify_at(tok, NOW), "bad_signature");
    free(tok);
    /* A key that is a prefix of ours. */
    other = cfg;
    other.jwt_secret_len = 16;
    assert_int_equal(rp_jwt_issue(&other, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    assert_string_equal(verify_at(tok, NOW), "bad_signature");
    free(tok);
}

static void wrong_issuer_and_audience(void **state)
{
    rp_config_t other = cfg;
    other.jwt_issuer = "someone-else";
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&other, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    assert_string_equal(verify_at(tok, NOW), "bad_issuer");
    free(tok);
    other = cfg;
    other.jwt_audience = "another-api";
    assert_int_equal(rp_jwt_issue(&other, NOW, TENANT, USER, RP_ROLE_USER, &tok), RP_OK);
    assert_string_equal(verify_at(tok, NOW), "bad_audience");
    free(tok);

    json_t *c = claims();
    json_object_set_new(c, "aud", json_pack("[s, s]", "a", "b"));
    char *t = sign(c);
    assert_string_equal(verify_at(t, NOW), "bad_audience");
    free(t);
    c = claims();
    json_object_set_new(c, "aud", json_pack("[i]", 1));
    t = sign(c);
    assert_string_equal(verify_at(t, NOW), "bad_audience");
    free(t);
    c = claims();
    json_object_set_new(c, "iss", json_string("rapport "));
    t = sign(c);
    assert_string_equal(verify_at(t, NOW), "bad_issuer");
    free(t);
}

/* A custom role travels as "arole" beside the rank in "role". */
static void access_role_claim(void **state)
{
    (void)state;
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue_as(&cfg, NOW, TENANT, USER, RP_ROLE_USER, "sales_rep", &tok),
                     RP_OK);
    rp_principal_t p;
    char why[64] = "";
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW, &p, why, sizeof why), RP_OK);
    assert_int_equal(p.role, RP_ROLE_USER);
    assert_string_equal(p.access_role, "sales_rep");
    jwt_t *j = NULL;
    assert_int_equal(jwt_decode(&j, tok, cfg.jwt_secret, (int)cfg.jwt_secret_len), 0);
    assert_string_equal(jwt_get_grant(j, "role"), "user");
    assert_string_equal(jwt_get_grant(j, "arole"), "sales_rep");
    jwt_free(j);
    free(tok);

    /* Without one there is no claim, and the principal's access role is "". */
    assert_int_equal(rp_jwt_issue_as(&cfg, NOW, TENANT, USER, RP_ROLE_MANAGER, "", &tok), RP_OK);
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW, &p, why, sizeof why), RP_OK);
    assert_string_equal(p.access_role, "");
    assert_int_equal(jwt_decode(&j, tok, cfg.jwt_secret, (int)cfg.jwt_secret_len), 0);
    assert_null(jwt_get_grant(j, "arole"));
    jwt_free(j);
    free(tok);
    assert_int_equal(rp_jwt_issue_as(&cfg, NOW, TENANT, USER, RP_ROLE_USER, "Bad Name", &tok),
                     RP_EINVAL);
    assert_null(tok);

    /* A signed token whose arole is well formed verifies; anything else in
     * it does not. */
    json_t *c = claims();
    json_object_set_new(c, "arole", json_string("field_agent"));
    char *t = sign(c);
    assert_string_equal(verify_at(t, NOW), "");
    free(t);
    json_t *bad[] = {
        json_string("Field Agent"),
        json_string(""),
        json_integer(3),
        json_null(),
        json_string("1abc"),
        json_pack("[s]", "x"),
        json_string("a234567890123456789012345678901234567890123456789012345678901234")};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = claims();
        json_object_set_new(c, "arole", bad[i]);
        t = sign(c);
        assert_string_equal(verify_at(t, NOW), "bad_claims");
        free(t);
    }
}

/* What a stored users.role becomes in a token: the rank and the custom
 * role. */
static void stored_roles_resolved(void **state)
{
    (void)state;
    rp_auth_role_t r;
    rp_auth_role_resolve("manager", NULL, &r);
    assert_int_equal(r.rank, RP_ROLE_MANAGER);
    assert_string_equal(r.access_role, "");
    /* An overridden built-in role is still itself, whatever base is read. */
    rp_auth_role_resolve("user", "user", &r);
    assert_int_equal(r.rank, RP_ROLE_USER);
    assert_string_equal(r.access_role, "");
    rp_auth_role_resolve("sales_rep", "manager", &r);
    assert_int_equal(r.rank, RP_ROLE_MANAGER);
    assert_string_equal(r.access_role, "sales_rep");
    rp_auth_role_resolve("auditor", "readonly", &r);
    assert_int_equal(r.rank, RP_ROLE_READONLY);
    assert_string_equal(r.access_role, "auditor");
    /* Gone: the lowest rank, and the name, which then grants nothing. */
    rp_auth_role_resolve("vanished", NULL, &r);
    assert_int_equal(r.rank, RP_ROLE_READONLY);
    assert_string_equal(r.access_role, "vanished");
    /* Never admin through a custom role, never anything for garbage. */
    rp_auth_role_resolve("boss", "admin", &r);
    assert_int_equal(r.rank, RP_ROLE_READONLY);
    rp_auth_role_resolve("Not A Role", "user", &r);
    assert_int_equal(r.rank, RP_ROLE_NONE);
    assert_string_equal(r.access_role, "");
    rp_auth_role_resolve(NULL, NULL, &r);
    assert_int_equal(r.rank, RP_ROLE_NONE);
}

static void missing_or_bad_claims(void **state)
{
    const char *required[] = {"sub", "tid", "role", "jti", "exp", "nbf", "iat"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        json_t *c = claims();
        json_object_del(c, required[i]);
        char *t = sign(c);
        assert_string_equal(verify_at(t, NOW), "bad_claims");
        free(t);
    }
    json_t *c = claims();
    json_object_del(c, "iss");
    char *t = sign(c);
    assert_string_equal(verify_at(t, NOW), "bad_issuer");
    free(t);
    c = claims();
    json_object_del(c, "aud");
    t = sign(c);
    assert_string_equal(verify_at(t, NOW), "bad_audience");
    free(t);

    struct {
        const char *name;
        json_t *value;
    } bad[] = {
        {"sub", json_string("not-a-uuid")},
        {"sub", json_integer(5)},
        {"tid", json_string("0190f3a2-7c4e-7a1b-8c2d-0123456789a")},
        {"role", json_string("superuser")},
        {"role", json_string("none")},
        {"jti", json_string("")},
        {"jti", json_integer(1)},
        {"exp", json_string("1700000900")},
        {"exp", json_real(1700000900.0)},
        {"nbf", json_null()},
        {"iat", json_true()},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = claims();
        json_object_set_new(c, bad[i].name, bad[i].value);
        t = sign(c);
        assert_string_equal(verify_at(t, NOW), "bad_claims");
        free(t);
    }
    /* A claims document that is not an object at all. */
    t = craft(hs256, "[1,2,3]", 256, cfg.jwt_secret, cfg.jwt_secret_len, NULL);
    assert_string_not_equal(verify_at(t, NOW), "");
    free(t);
}

static void garbage(void **state)
{
    const char *bad[] = {"",
                         "abc",
                         "a.b",
                         "a.b.c.d",
                         "..",
                         "...",
                         ".b.c",
                         "a..c",
                         "eyJhbGciOiJIUzI1NiJ9.e30.!!!",
                         "eyJhbGciOiJIUzI1NiJ9 .e30.abc",
                         "eyJhbGciOiJIUzI1NiJ9.e30=.abc",
                         "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
                         "\xff\xfe.\x01.\x02",
                         "rpk_0123456789abcdef0123456789abcdef_AAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(verify_at(bad[i], NOW), "malformed");
    rp_principal_t p;
    char why[64] = "";
    assert_int_equal(rp_jwt_verify(&cfg, NULL, NOW, &p, why, sizeof why), RP_EAUTH);
    /* Oversized tokens are refused before any decoding. */
    size_t n = RP_JWT_MAX_LEN + 10;
    char *big = malloc(n + 1);
    memset(big, 'A', n);
    big[100] = '.';
    big[200] = '.';
    big[n] = '\0';
    assert_string_equal(verify_at(big, NOW), "malformed");
    free(big);
    /* why may be NULL. */
    assert_int_equal(rp_jwt_verify(&cfg, "x", NOW, &p, NULL, 0), RP_EAUTH);
}

/* A token already verified on this thread (kept so that the next requests
 * skip the full check) still expires, is still not valid before its time,
 * and does not vouch for a token that differs by one byte, nor for itself
 * under another secret, issuer or audience. */
static void verified_tokens_remembered_safely(void **state)
{
    (void)state;
    char *tok = NULL;
    assert_int_equal(rp_jwt_issue(&cfg, NOW, TENANT, USER, RP_ROLE_MANAGER, &tok), RP_OK);
    rp_principal_t p, again;
    char why[64] = "";
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW + 1, &p, why, sizeof why), RP_OK);
    memset(&again, 0xff, sizeof again);
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW + 2, &again, why, sizeof why), RP_OK);
    assert_memory_equal(&p, &again, sizeof p);

    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW + 900, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "expired");
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW - 60, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "not_yet_valid");

    size_t n = strlen(tok);
    char *bad = strdup(tok);
    bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(rp_jwt_verify(&cfg, bad, NOW + 3, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "bad_signature");

    rp_config_t other = cfg;
    other.jwt_secret[0] ^= 1;
    assert_int_equal(rp_jwt_verify(&other, tok, NOW + 3, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "bad_signature");
    other = cfg;
    other.jwt_audience = "another-api";
    assert_int_equal(rp_jwt_verify(&other, tok, NOW + 3, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "bad_audience");
    other = cfg;
    other.jwt_issuer = "another";
    assert_int_equal(rp_jwt_verify(&other, tok, NOW + 3, &again, why, sizeof why), RP_EAUTH);
    assert_string_equal(why, "bad_issuer");
    /* And the remembered token still passes under its own settings. */
    assert_int_equal(rp_jwt_verify(&cfg, tok, NOW + 4, &again, why, sizeof why), RP_OK);
    free(bad);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(issued_token_verifies),
        cmocka_unit_test(issue_refuses_bad_input),
        cmocka_unit_test(handcrafted_valid_token_verifies),
        cmocka_unit_test(expired),
        cmocka_unit_test(not_yet_valid),
        cmocka_unit_test(tampered_payload),
        cmocka_unit_test(tampered_signature),
        cmocka_unit_test(alg_none),
        cmocka_unit_test(other_algorithms),
        cmocka_unit_test(odd_headers),
        cmocka_unit_test(wrong_key),
        cmocka_unit_test(wrong_issuer_and_audience),
        cmocka_unit_test(missing_or_bad_claims),
        cmocka_unit_test(access_role_claim),
        cmocka_unit_test(stored_roles_resolved),
        cmocka_unit_test(garbage),
        cmocka_unit_test(verified_tokens_remembered_safely),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
