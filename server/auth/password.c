#include "auth/password.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The longest password accepted, in bytes: argon2 would take more, but a
 * megabyte "password" is a denial-of-service attempt, not a credential. */
#define PASSWORD_MAX_BYTES 1024

static atomic_bool fast_mode;

void rp_password_set_fast(bool fast)
{
    atomic_store(&fast_mode, fast);
}

static void params(unsigned long long *ops, size_t *mem)
{
    if (atomic_load(&fast_mode)) {
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
    } else {
        *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
        *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    }
}

rp_status_t rp_password_hash(const char *password, char out[RP_PASSWORD_HASH_MAX])
{
    _Static_assert(crypto_pwhash_STRBYTES <= RP_PASSWORD_HASH_MAX, "hash buffer too small");
    if (password == NULL)
        return RP_EINVAL;
    if (sodium_init() < 0)
        return RP_ERR;
    unsigned long long ops;
    size_t mem;
    params(&ops, &mem);
    /* libsodium fails here only when it cannot get the memory argon2 needs. */
    if (crypto_pwhash_str(out, password, strlen(password), ops, mem) != 0)
        return RP_ENOMEM;
    return RP_OK;
}

bool rp_password_verify(const char *hash, const char *password)
{
    if (hash == NULL || password == NULL || hash[0] == '\0')
        return false;
    if (strnlen(hash, RP_PASSWORD_HASH_MAX) >= RP_PASSWORD_HASH_MAX)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

bool rp_password_needs_rehash(const char *hash)
{
    if (hash == NULL || hash[0] == '\0')
        return true;
    unsigned long long ops;
    size_t mem;
    params(&ops, &mem);
    /* -1 (not an argon2id string at all) also calls for a new hash. */
    return crypto_pwhash_str_needs_rehash(hash, ops, mem) != 0;
}

/* Counts the code points of a strictly valid UTF-8 string (no overlong forms,
 * no surrogates, nothing past U+10FFFF); -1 when it is not valid. */
static long utf8_count(const unsigned char *s)
{
    long n = 0;
    while (*s) {
        unsigned c = s[0];
        int len;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            n++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (int i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        s += len;
        n++;
    }
    return n;
}

rp_status_t rp_password_check_policy(const char *password, int min_len, char *why, size_t whylen)
{
    if (password == NULL) {
        snprintf(why, whylen, "is required");
        return RP_EINVAL;
    }
    if (strnlen(password, PASSWORD_MAX_BYTES + 1) > PASSWORD_MAX_BYTES) {
        snprintf(why, whylen, "must be at most %d bytes", PASSWORD_MAX_BYTES);
        return RP_EINVAL;
    }
    long n = utf8_count((const unsigned char *)password);
    if (n < 0) {
        snprintf(why, whylen, "must be valid UTF-8");
        return RP_EINVAL;
    }
    if (n < min_len) {
        snprintf(why, whylen, "must be at least %d characters", min_len);
        return RP_EINVAL;
    }
    return RP_OK;
}
