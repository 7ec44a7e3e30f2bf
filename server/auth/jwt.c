#include "auth/jwt.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "records/role_doc.h"

/* Unpadded base64url of an HMAC-SHA256 tag. */
#define SIG_B64_LEN 43

static rp_status_t reject(char *why, size_t whylen, const char *reason)
{
    if (why != NULL && whylen > 0)
        snprintf(why, whylen, "%s", reason);
    return RP_EAUTH;
}

rp_status_t rp_jwt_issue(const rp_config_t *cfg, long now, const char *tenant_id,
                         const char *user_id, rp_role_t role, char **out)
{
    return rp_jwt_issue_as(cfg, now, tenant_id, user_id, role, NULL, out);
}

rp_status_t rp_jwt_issue_as(const rp_config_t *cfg, long now, const char *tenant_id,
                            const char *user_id, rp_role_t role, const char *access_role,
                            char **out)
{
    *out = NULL;
    bool custom = access_role != NULL && access_role[0] != '\0';
    if (cfg->jwt_secret_len == 0 || !rp_uuid_valid(tenant_id) || !rp_uuid_valid(user_id) ||
        role == RP_ROLE_NONE || (custom && !rp_role_name_valid(access_role)))
        return RP_EINVAL;
    unsigned char raw[16];
    char jti[sizeof raw * 2 + 1];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(jti, sizeof jti, raw, sizeof raw);

    jwt_t *jwt = NULL;
    if (jwt_new(&jwt) != 0)
        return RP_ENOMEM;
    rp_status_t st = RP_ERR;
    if (jwt_set_alg(jwt, JWT_ALG_HS256, cfg->jwt_secret, (int)cfg->jwt_secret_len) != 0)
        goto fail;
    if (jwt_add_grant(jwt, "sub", user_id) != 0 || jwt_add_grant(jwt, "tid", tenant_id) != 0 ||
        jwt_add_grant(jwt, "role", rp_role_name(role)) != 0 ||
        jwt_add_grant(jwt, "iss", cfg->jwt_issuer) != 0 ||
        jwt_add_grant(jwt, "aud", cfg->jwt_audience) != 0 || jwt_add_grant(jwt, "jti", jti) != 0 ||
        jwt_add_grant_int(jwt, "iat", now) != 0 || jwt_add_grant_int(jwt, "nbf", now) != 0 ||
        jwt_add_grant_int(jwt, "exp", now + cfg->access_ttl) != 0 ||
        (custom && jwt_add_grant(jwt, "arole", access_role) != 0))
        goto fail;
    *out = jwt_encode_str(jwt);
    st = *out ? RP_OK : RP_ENOMEM;
fail:
    jwt_free(jwt);
    return st;
}

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Decodes one unpadded base64url segment and parses it as a JSON object. */
static json_t *segment_json(const char *seg, size_t len)
{
    unsigned char buf[RP_JWT_MAX_LEN];
    size_t n = 0;
    if (sodium_base642bin(buf, sizeof buf, seg, len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return NULL;
    json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Our own check of the header and the signature, before libjwt sees the
 * token: libjwt 1.10 follows whatever alg the header names and compares
 * signatures with strcmp, which leaks timing. Here the algorithm is pinned
 * and the tag compared in constant time, so libjwt only ever parses tokens
 * that are already known to be ours. */
static rp_status_t check_signature(const rp_config_t *cfg, const char *token, size_t len, char *why,
                                   size_t whylen)
{
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d1 == NULL || d2 == NULL || d1 == token || d2 == d1 + 1)
        return reject(why, whylen, "malformed");
    for (size_t i = 0; i < len; i++)
        if (token[i] != '.' && !is_b64url(token[i]))
            return reject(why, whylen, "malformed");
    const char *sig = d2 + 1;
    size_t siglen = len - (size_t)(sig - token);
    if (memchr(sig, '.', siglen) != NULL)
        return reject(why, whylen, "malformed");

    json_t *head = segment_json(token, (size_t)(d1 - token));
    if (head == NULL)
        return reject(why, whylen, "malformed");
    const char *alg = json_string_value(json_object_get(head, "alg"));
    json_t *typ = json_object_get(head, "typ");
    bool ok_alg = alg != NULL && strcmp(alg, "HS256") == 0;
    bool ok_typ =
        typ == NULL || (json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0);
    /* A critical extension we do not implement must make the token invalid. */
    bool ok_crit = json_object_get(head, "crit") == NULL;
    json_decref(head);
    if (!ok_alg)
        return reject(why, whylen, "bad_alg");
    if (!ok_typ || !ok_crit)
        return reject(why, whylen, "malformed");

    /* Comparing the encoded tags (not decoded bytes) also refuses the
     * spellings of the same tag that differ in the last character's spare
     * bits. */
    if (siglen != SIG_B64_LEN)
        return reject(why, whylen, "bad_signature");
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, cfg->jwt_secret, cfg->jwt_secret_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, (size_t)(d2 - token));
    crypto_auth_hmacsha256_final(&st, mac);
    char want[SIG_B64_LEN + 1];
    sodium_bin2base64(want, sizeof want, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (sodium_memcmp(want, sig, SIG_B64_LEN) != 0)
        return reject(why, whylen, "bad_signature");
    return RP_OK;
}

/* The time claims against now: exp, then nbf and iat with some leeway. */
static rp_status_t check_times(const long times[3], long now, char *why, size_t whylen)
{
    if (now >= times[0])
        return reject(why, whylen, "expired");
    if (times[1] > now + RP_JWT_LEEWAY || times[2] > now + RP_JWT_LEEWAY)
        return reject(why, whylen, "not_yet_valid");
    return RP_OK;
}

static bool int_claim(json_t *claims, const char *name, long *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return false;
    *out = (long)json_integer_value(v);
    return true;
}

static bool audience_ok(json_t *aud, const char *want)
{
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), want) == 0;
    if (!json_is_array(aud))
        return false;
    size_t i;
    json_t *v;
    json_array_foreach(aud, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
            return true;
    }
    return false;
}

static rp_status_t check_claims(const rp_config_t *cfg, json_t *claims, long now,
                                rp_principal_t *out, long times[3], char *why, size_t whylen)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    if (iss == NULL || cfg->jwt_issuer == NULL || strcmp(iss, cfg->jwt_issuer) != 0)
        return reject(why, whylen, "bad_issuer");
    if (cfg->jwt_audience == NULL ||
        !audience_ok(json_object_get(claims, "aud"), cfg->jwt_audience))
        return reject(why, whylen, "bad_audience");

    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *tid = json_string_value(json_object_get(claims, "tid"));
    const char *role_name = json_string_value(json_object_get(claims, "role"));
    const char *jti = json_string_value(json_object_get(claims, "jti"));
    rp_role_t role = role_name ? rp_role_parse(role_name) : RP_ROLE_NONE;
    long exp, nbf, iat;
    if (!rp_uuid_valid(sub) || !rp_uuid_valid(tid) || role == RP_ROLE_NONE || jti == NULL ||
        jti[0] == '\0' || strlen(jti) >= sizeof out->token_id || !int_claim(claims, "exp", &exp) ||
        !int_claim(claims, "nbf", &nbf) || !int_claim(claims, "iat", &iat))
        return reject(why, whylen, "bad_claims");

    /* A custom role's name, when the user has one; anything else in it is a
     * token we did not make. */
    json_t *arole = json_object_get(claims, "arole");
    if (arole != NULL && (!json_is_string(arole) || !rp_role_name_valid(json_string_value(arole))))
        return reject(why, whylen, "bad_claims");

    times[0] = exp;
    times[1] = nbf;
    times[2] = iat;
    rp_status_t st = check_times(times, now, why, whylen);
    if (st != RP_OK)
        return st;
    memset(out, 0, sizeof *out);
    out->authenticated = true;
    out->via_api_key = false;
    out->role = role;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tid);
    snprintf(out->user_id, sizeof out->user_id, "%s", sub);
    snprintf(out->token_id, sizeof out->token_id, "%s", jti);
    if (arole != NULL)
        snprintf(out->access_role, sizeof out->access_role, "%s", json_string_value(arole));
    /* Canonical lower case, so ids compare equal to what PostgreSQL prints. */
    for (char *p = out->tenant_id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    for (char *p = out->user_id; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    return RP_OK;
}

/* Tokens verified lately, per thread. A client sends the same access token
 * with every request until it expires, and a full check costs two HMACs
 * (ours and libjwt's), three JSON parses and a dump. An entry is keyed by a
 * BLAKE2b-256 of the token together with the secret, issuer and audience
 * it was checked against, so only a token byte for byte identical to one
 * that passed every check, under the same settings, hits; the time claims
 * are checked again on every hit. */
#define SEEN_SLOTS 64
typedef struct seen {
    unsigned char key[crypto_generichash_BYTES];
    long times[3]; /* exp, nbf, iat */
    rp_principal_t who;
    bool used;
} seen_t;
static _Thread_local seen_t seen[SEEN_SLOTS];

static void hash_part(crypto_generichash_state *st, const void *p, size_t n)
{
    uint64_t len = n;
    crypto_generichash_update(st, (const unsigned char *)&len, sizeof len);
    crypto_generichash_update(st, p, n);
}

static seen_t *seen_slot(const rp_config_t *cfg, const char *token, size_t len,
                         unsigned char key[crypto_generichash_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    hash_part(&st, cfg->jwt_secret, cfg->jwt_secret_len);
    hash_part(&st, token, len);
    hash_part(&st, cfg->jwt_issuer ? cfg->jwt_issuer : "",
              cfg->jwt_issuer ? strlen(cfg->jwt_issuer) : 0);
    hash_part(&st, cfg->jwt_audience ? cfg->jwt_audience : "",
              cfg->jwt_audience ? strlen(cfg->jwt_audience) : 0);
    crypto_generichash_final(&st, key, crypto_generichash_BYTES);
    return &seen[(key[0] | (unsigned)key[1] << 8) % SEEN_SLOTS];
}

rp_status_t rp_jwt_verify(const rp_config_t *cfg, const char *token, long now, rp_principal_t *out,
                          char *why, size_t whylen)
{
    if (token == NULL || cfg->jwt_secret_len == 0)
        return reject(why, whylen, "malformed");
    size_t len = strnlen(token, RP_JWT_MAX_LEN + 1);
    if (len == 0 || len > RP_JWT_MAX_LEN)
        return reject(why, whylen, "malformed");
    unsigned char key[crypto_generichash_BYTES];
    seen_t *slot = seen_slot(cfg, token, len, key);
    if (slot->used && sodium_memcmp(slot->key, key, sizeof key) == 0) {
        rp_status_t st = check_times(slot->times, now, why, whylen);
        if (st == RP_OK)
            *out = slot->who;
        return st;
    }
    rp_status_t st = check_signature(cfg, token, len, why, whylen);
    if (st != RP_OK)
        return st;

    /* Defence in depth: libjwt must agree, with the key always passed and
     * the algorithm it saw pinned again afterwards. */
    jwt_t *jwt = NULL;
    json_t *claims = NULL;
    char *grants = NULL;
    st = RP_EAUTH;
    if (jwt_decode(&jwt, token, cfg->jwt_secret, (int)cfg->jwt_secret_len) != 0 || jwt == NULL) {
        reject(why, whylen, "malformed");
        goto fail;
    }
    if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
        reject(why, whylen, "bad_alg");
        goto fail;
    }
    grants = jwt_get_grants_json(jwt, NULL);
    claims = grants ? json_loads(grants, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!json_is_object(claims)) {
        reject(why, whylen, "malformed");
        goto fail;
    }
    long times[3];
    st = check_claims(cfg, claims, now, out, times, why, whylen);
    if (st == RP_OK) {
        memcpy(slot->key, key, sizeof key);
        memcpy(slot->times, times, sizeof times);
        slot->who = *out;
        slot->used = true;
    }
fail:
    json_decref(claims);
    free(grants);
    if (jwt != NULL)
        jwt_free(jwt);
    return st;
}

rp_status_t rp_auth_verify_access_token(const rp_app_t *app, const char *token, rp_principal_t *out,
                                        char *why, size_t whylen)
{
    return rp_jwt_verify(&app->cfg, token, (long)time(NULL), out, why, whylen);
}
