#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "internal.h"
#include "it.h"

rp_it_resp_t *rp_it_login(const char *tenant, const char *email, const char *password,
                          rp_it_tokens_t *out)
{
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "tenant", tenant, "email", email, "password", password);
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/auth/login", NULL, body);
    if (out != NULL && r->status == 200) {
        const char *a = rp_it_jstr(r, "access_token"), *f = rp_it_jstr(r, "refresh_token");
        snprintf(out->access, sizeof out->access, "%s", a ? a : "");
        snprintf(out->refresh, sizeof out->refresh, "%s", f ? f : "");
    }
    return r;
}

const char *rp_it_token(const char *tenant, const char *email, const char *password)
{
    rp_it_resp_t *r = rp_it_login(tenant, email, password, NULL);
    if (r->status != 200 || rp_it_jstr(r, "access_token") == NULL)
        RP_IT_FAIL("login %s/%s: HTTP %ld %s", tenant, email, r->status,
                   r->status ? r->body : r->error);
    return rp_it_fmt("%s", rp_it_jstr(r, "access_token"));
}

json_t *rp_it_jwt_claims(const char *tenant_id, const char *user_id, const char *role)
{
    unsigned char raw[16];
    char jti[33];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(jti, sizeof jti, raw, sizeof raw);
    json_int_t now = (json_int_t)time(NULL);
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "sub", user_id, "tid",
                          tenant_id, "role", role, "iss", RP_IT_JWT_ISSUER, "aud",
                          RP_IT_JWT_AUDIENCE, "jti", jti, "iat", now, "nbf", now, "exp", now + 900);
    if (c == NULL)
        RP_IT_FAIL("cannot build JWT claims");
    return rp_it_track_json(c);
}

const char *rp_it_b64url(const void *data, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    if (out == NULL)
        RP_IT_FAIL("out of memory");
    sodium_bin2base64(out, cap, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return rp_it_track(out, free);
}

const char *rp_it_jwt_sign(const char *header_json, const json_t *claims, const char *key)
{
    const char *header = header_json ? header_json : "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    json_t *h = json_loads(header, 0, NULL);
    const char *alg = json_string_value(json_object_get(h, "alg"));
    bool unsigned_token = alg != NULL && strcasecmp(alg, "none") == 0;
    json_decref(h);

    char *payload = json_dumps(claims, JSON_COMPACT);
    if (payload == NULL)
        RP_IT_FAIL("cannot encode JWT claims");
    const char *signing = rp_it_fmt("%s.%s", rp_it_b64url(header, strlen(header)),
                                    rp_it_b64url(payload, strlen(payload)));
    free(payload);
    if (unsigned_token)
        return rp_it_fmt("%s.", signing);
    const char *k = key ? key : RP_IT_JWT_SECRET;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)k, strlen(k));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signing, strlen(signing));
    crypto_auth_hmacsha256_final(&st, mac);
    return rp_it_fmt("%s.%s", signing, rp_it_b64url(mac, sizeof mac));
}

json_t *rp_it_jwt_payload(const char *token)
{
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 == NULL)
        RP_IT_FAIL("not a JWT: %s", token);
    size_t len = (size_t)(d2 - d1 - 1);
    unsigned char *buf = malloc(len + 1);
    size_t n = 0;
    if (buf == NULL || sodium_base642bin(buf, len + 1, d1 + 1, len, NULL, &n, NULL,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        free(buf);
        RP_IT_FAIL("the JWT payload is not base64url: %s", token);
    }
    json_t *j = json_loadb((const char *)buf, n, 0, NULL);
    free(buf);
    if (!json_is_object(j)) {
        json_decref(j);
        RP_IT_FAIL("the JWT payload is not a JSON object: %s", token);
    }
    return rp_it_track_json(j);
}
