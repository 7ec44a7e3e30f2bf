#include "auth/tokens.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Unpadded base64url of 32 bytes. */
#define SECRET_B64_LEN 43

/* Domain separation for the API key hashing key: the JWT secret must never
 * be used directly for two purposes. */
static const char api_key_context[] = "rapport/api-key-hmac/v1";

void rp_token_new(const char *prefix, char id[RP_UUID_LEN + 1],
                  unsigned char secret[RP_TOKEN_SECRET_BYTES], char text[RP_TOKEN_TEXT_MAX])
{
    rp_uuid_v7(id);
    randombytes_buf(secret, RP_TOKEN_SECRET_BYTES);
    rp_token_format(prefix, id, secret, text);
}

rp_status_t rp_token_format(const char *prefix, const char *id,
                            const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                            char text[RP_TOKEN_TEXT_MAX])
{
    if (!rp_uuid_valid(id) || strlen(prefix) > 8)
        return RP_EINVAL;
    char hex[33];
    size_t n = 0;
    for (const char *p = id; *p; p++)
        if (*p != '-')
            hex[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    hex[n] = '\0';
    char b64[sodium_base64_ENCODED_LEN(RP_TOKEN_SECRET_BYTES,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, secret, RP_TOKEN_SECRET_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(text, RP_TOKEN_TEXT_MAX, "%s%s_%s", prefix, hex, b64);
    return RP_OK;
}

static bool is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

rp_status_t rp_token_parse(const char *prefix, const char *text, char id[RP_UUID_LEN + 1],
                           unsigned char secret[RP_TOKEN_SECRET_BYTES])
{
    if (prefix == NULL || text == NULL)
        return RP_EINVAL;
    size_t plen = strlen(prefix);
    if (strncmp(text, prefix, plen) != 0)
        return RP_EINVAL;
    const char *p = text + plen;
    if (strnlen(p, 32 + 1 + SECRET_B64_LEN + 1) != 32 + 1 + SECRET_B64_LEN || p[32] != '_')
        return RP_EINVAL;
    for (int i = 0; i < 32; i++)
        if (!is_lower_hex(p[i]))
            return RP_EINVAL;
    const char *s = p + 33;
    for (int i = 0; i < SECRET_B64_LEN; i++)
        if (!is_b64url(s[i]))
            return RP_EINVAL;
    size_t binlen = 0;
    if (sodium_base642bin(secret, RP_TOKEN_SECRET_BYTES, s, SECRET_B64_LEN, NULL, &binlen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        binlen != RP_TOKEN_SECRET_BYTES)
        return RP_EINVAL;
    /* The last character carries 4 spare bits; only the encoding with them
     * zero is accepted, so one secret has exactly one spelling. */
    char again[sodium_base64_ENCODED_LEN(RP_TOKEN_SECRET_BYTES,
                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(again, sizeof again, secret, RP_TOKEN_SECRET_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (memcmp(again, s, SECRET_B64_LEN) != 0) {
        sodium_memzero(secret, RP_TOKEN_SECRET_BYTES);
        return RP_EINVAL;
    }
    size_t o = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20)
            id[o++] = '-';
        id[o++] = p[i];
    }
    id[o] = '\0';
    return RP_OK;
}

void rp_token_refresh_hash(const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                           unsigned char out[RP_TOKEN_HASH_BYTES])
{
    crypto_generichash(out, RP_TOKEN_HASH_BYTES, secret, RP_TOKEN_SECRET_BYTES, NULL, 0);
}

void rp_token_api_key_hash(const unsigned char *server_secret, size_t server_secret_len,
                           const unsigned char secret[RP_TOKEN_SECRET_BYTES],
                           unsigned char out[RP_TOKEN_HASH_BYTES])
{
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof key);
    crypto_generichash_update(&st, (const unsigned char *)api_key_context, sizeof api_key_context);
    crypto_generichash_update(&st, server_secret, server_secret_len);
    crypto_generichash_final(&st, key, sizeof key);
    crypto_auth_hmacsha256(out, secret, RP_TOKEN_SECRET_BYTES, key);
    sodium_memzero(key, sizeof key);
}

void rp_token_hash_param(const unsigned char hash[RP_TOKEN_HASH_BYTES],
                         char out[RP_TOKEN_HASH_PARAM_MAX])
{
    out[0] = '\\';
    out[1] = 'x';
    sodium_bin2hex(out + 2, RP_TOKEN_HASH_PARAM_MAX - 2, hash, RP_TOKEN_HASH_BYTES);
}

bool rp_token_hash_matches(const unsigned char hash[RP_TOKEN_HASH_BYTES], const char *stored_hex)
{
    unsigned char stored[RP_TOKEN_HASH_BYTES];
    size_t n = 0;
    if (stored_hex == NULL || strlen(stored_hex) != 2 * RP_TOKEN_HASH_BYTES ||
        sodium_hex2bin(stored, sizeof stored, stored_hex, 2 * RP_TOKEN_HASH_BYTES, NULL, &n,
                       NULL) != 0 ||
        n != RP_TOKEN_HASH_BYTES)
        return false;
    return crypto_verify_32(hash, stored) == 0;
}
