#include "core/pool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE 8192

struct rp_pool_chunk {
    rp_pool_chunk_t *next;
    size_t size;
    _Alignas(16) unsigned char data[];
};

void *rp_pool_alloc(rp_pool_t *pool, size_t size)
{
    size = (size + 15) & ~(size_t)15;
    if (size == 0)
        size = 16;
    /* Large blocks get a chunk of their own, linked behind the current one so
     * the small-allocation chunk keeps filling up. */
    if (size > CHUNK_SIZE / 4) {
        rp_pool_chunk_t *c = malloc(sizeof *c + size);
        if (c == NULL)
            return NULL;
        c->size = size;
        if (pool->chunks) {
            c->next = pool->chunks->next;
            pool->chunks->next = c;
        } else {
            c->next = NULL;
            pool->chunks = c;
            pool->used = size;
        }
        pool->total += size;
        return c->data;
    }
    if (pool->chunks == NULL || pool->used + size > pool->chunks->size) {
        rp_pool_chunk_t *c = malloc(sizeof *c + CHUNK_SIZE);
        if (c == NULL)
            return NULL;
        c->size = CHUNK_SIZE;
        c->next = pool->chunks;
        pool->chunks = c;
        pool->used = 0;
    }
    void *p = pool->chunks->data + pool->used;
    pool->used += size;
    pool->total += size;
    return p;
}

char *rp_pool_strndup(rp_pool_t *pool, const char *s, size_t len)
{
    char *p = rp_pool_alloc(pool, len + 1);
    if (p == NULL)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *rp_pool_strdup(rp_pool_t *pool, const char *s)
{
    return s ? rp_pool_strndup(pool, s, strlen(s)) : NULL;
}

char *rp_pool_printf(rp_pool_t *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = rp_pool_alloc(pool, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

struct rp_pool_cleanup {
    rp_pool_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

int rp_pool_on_clear(rp_pool_t *pool, void (*fn)(void *), void *arg)
{
    rp_pool_cleanup_t *c = rp_pool_alloc(pool, sizeof *c);
    if (c == NULL)
        return -1;
    c->fn = fn;
    c->arg = arg;
    c->next = pool->cleanups;
    pool->cleanups = c;
    return 0;
}

void rp_pool_clear(rp_pool_t *pool)
{
    /* A cleanup may allocate from the pool it is leaving; those allocations
     * are freed below with the rest. */
    while (pool->cleanups) {
        rp_pool_cleanup_t *c = pool->cleanups;
        pool->cleanups = c->next;
        c->fn(c->arg);
    }
    rp_pool_chunk_t *c = pool->chunks;
    while (c) {
        rp_pool_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    pool->chunks = NULL;
    pool->used = 0;
    pool->total = 0;
}
