#include "auth/password.h"

#include "core/utf8.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The longest password accepted, in bytes: argon2 would take more, but a
 * megabyte "password" is a denial-of-service attempt, not a credential. */
#define PASSWORD_MAX_BYTES 1024

static atomic_bool fast_mode;

/* Each argon2id run takes its full memory cost (64 MiB interactive) for its
 * duration; with every worker hashing at once that would multiply. At most
 * one run per core at a time keeps memory bounded and costs no throughput,
 * since the hash is CPU-bound anyway. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static long gate_running;

static void gate_enter(void)
{
    long limit = sysconf(_SC_NPROCESSORS_ONLN);
    if (limit < 1)
        limit = 1;
    pthread_mutex_lock(&gate_lock);
    while (gate_running >= limit)
        pthread_cond_wait(&gate_cond, &gate_lock);
    gate_running++;
    pthread_mutex_unlock(&gate_lock);
}

static void gate_leave(void)
{
    pthread_mutex_lock(&gate_lock);
    gate_running--;
    pthread_cond_signal(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
}

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
    gate_enter();
    int rc = crypto_pwhash_str(out, password, strlen(password), ops, mem);
    gate_leave();
    return rc == 0 ? RP_OK : RP_ENOMEM;
}

bool rp_password_verify(const char *hash, const char *password)
{
    if (hash == NULL || password == NULL || hash[0] == '\0')
        return false;
    if (strnlen(hash, RP_PASSWORD_HASH_MAX) >= RP_PASSWORD_HASH_MAX)
        return false;
    gate_enter();
    int rc = crypto_pwhash_str_verify(hash, password, strlen(password));
    gate_leave();
    return rc == 0;
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
    long n = rp_utf8_length(password);
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
