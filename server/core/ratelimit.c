#include "core/ratelimit.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many slots after its home slot a key may live in. Bounds the work of
 * every call and the neighbourhood searched for a victim when full. */
#define PROBE 16

/* Keys are kept as a 64-bit SipHash under a per-limiter random key: fixed
 * size per entry, and nobody outside can aim collisions at a victim's slot. */
typedef struct entry {
    uint64_t hash; /* 0 = empty */
    long start;    /* when the current window opened */
    long last;     /* last failure, for eviction */
    int count;
} entry_t;

struct rp_ratelimit {
    pthread_mutex_t lock;
    entry_t *slots;
    size_t mask;
    long window;
    rp_ratelimit_clock_fn clock;
    void *clock_arg;
    unsigned char key[crypto_shorthash_KEYBYTES];
};

static long monotonic_seconds(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec;
}

rp_ratelimit_t *rp_ratelimit_new(size_t capacity, int window_s, rp_ratelimit_clock_fn clock,
                                 void *clock_arg)
{
    if (sodium_init() < 0)
        return NULL;
    size_t n = 16;
    while (n < capacity && n < ((size_t)1 << 24))
        n <<= 1;
    rp_ratelimit_t *rl = calloc(1, sizeof *rl);
    if (rl == NULL)
        return NULL;
    rl->slots = calloc(n, sizeof *rl->slots);
    if (rl->slots == NULL) {
        free(rl);
        return NULL;
    }
    pthread_mutex_init(&rl->lock, NULL);
    rl->mask = n - 1;
    rl->window = window_s > 0 ? window_s : 1;
    rl->clock = clock ? clock : monotonic_seconds;
    rl->clock_arg = clock_arg;
    crypto_shorthash_keygen(rl->key);
    return rl;
}

void rp_ratelimit_free(rp_ratelimit_t *rl)
{
    if (rl == NULL)
        return;
    pthread_mutex_destroy(&rl->lock);
    free(rl->slots);
    free(rl);
}

static uint64_t hash_key(const rp_ratelimit_t *rl, const char *key)
{
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, (const unsigned char *)key, strlen(key), rl->key);
    uint64_t h;
    memcpy(&h, out, sizeof h);
    return h ? h : 1;
}

static bool expired(const rp_ratelimit_t *rl, const entry_t *e, long now)
{
    return e->hash == 0 || now - e->start >= rl->window || now < e->start;
}

static entry_t *find(rp_ratelimit_t *rl, uint64_t h)
{
    for (size_t i = 0; i < PROBE; i++) {
        entry_t *e = &rl->slots[(h + i) & rl->mask];
        if (e->hash == h)
            return e;
    }
    return NULL;
}

/* A slot for a new key: a free or expired one in the neighbourhood, else the
 * one whose last failure is oldest. */
static entry_t *claim(rp_ratelimit_t *rl, uint64_t h, long now)
{
    entry_t *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        entry_t *e = &rl->slots[(h + i) & rl->mask];
        if (expired(rl, e, now)) {
            victim = e;
            break;
        }
        if (victim == NULL || e->last < victim->last)
            victim = e;
    }
    memset(victim, 0, sizeof *victim);
    victim->hash = h;
    victim->start = now;
    victim->last = now;
    return victim;
}

static int remaining(const rp_ratelimit_t *rl, const entry_t *e, long now, int max_failures)
{
    if (e == NULL || expired(rl, e, now) || e->count < max_failures)
        return 0;
    long left = e->start + rl->window - now;
    if (left < 1)
        left = 1;
    return left > INT_MAX ? INT_MAX : (int)left;
}

int rp_ratelimit_blocked(rp_ratelimit_t *rl, const char *key, int max_failures)
{
    if (rl == NULL || key == NULL || max_failures <= 0)
        return 0;
    uint64_t h = hash_key(rl, key);
    pthread_mutex_lock(&rl->lock);
    long now = rl->clock(rl->clock_arg);
    int left = remaining(rl, find(rl, h), now, max_failures);
    pthread_mutex_unlock(&rl->lock);
    return left;
}

int rp_ratelimit_fail(rp_ratelimit_t *rl, const char *key, int max_failures)
{
    if (rl == NULL || key == NULL || max_failures <= 0)
        return 0;
    uint64_t h = hash_key(rl, key);
    pthread_mutex_lock(&rl->lock);
    long now = rl->clock(rl->clock_arg);
    entry_t *e = find(rl, h);
    if (e != NULL && expired(rl, e, now)) {
        e->start = now;
        e->count = 0;
    }
    if (e == NULL)
        e = claim(rl, h, now);
    if (e->count < INT_MAX)
        e->count++;
    e->last = now;
    int left = remaining(rl, e, now, max_failures);
    pthread_mutex_unlock(&rl->lock);
    return left;
}

void rp_ratelimit_clear(rp_ratelimit_t *rl, const char *key)
{
    if (rl == NULL || key == NULL)
        return;
    uint64_t h = hash_key(rl, key);
    pthread_mutex_lock(&rl->lock);
    entry_t *e = find(rl, h);
    if (e != NULL)
        memset(e, 0, sizeof *e);
    pthread_mutex_unlock(&rl->lock);
}

size_t rp_ratelimit_size(rp_ratelimit_t *rl)
{
    if (rl == NULL)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&rl->lock);
    long now = rl->clock(rl->clock_arg);
    for (size_t i = 0; i <= rl->mask; i++)
        if (!expired(rl, &rl->slots[i], now))
            n++;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
