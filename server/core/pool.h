#ifndef RP_CORE_POOL_H
#define RP_CORE_POOL_H

#include <stddef.h>

/* A per-request arena: many small allocations, one release. Whoever owns the
 * request owns the pool; nothing allocated from it outlives rp_pool_clear(). */
typedef struct rp_pool_chunk rp_pool_chunk_t;
typedef struct rp_pool_cleanup rp_pool_cleanup_t;
typedef struct rp_pool {
    rp_pool_chunk_t *chunks;
    rp_pool_cleanup_t *cleanups; /* run by rp_pool_clear, newest first */
    size_t used;                 /* bytes used in the first chunk */
    size_t total;                /* bytes handed out over the pool's life, for limits */
} rp_pool_t;

/* Returns 8-byte aligned memory or NULL when out of memory. */
void *rp_pool_alloc(rp_pool_t *pool, size_t size);

/* Copies len bytes and adds a terminating NUL. */
char *rp_pool_strndup(rp_pool_t *pool, const char *s, size_t len);

/* Copies a NUL-terminated string; NULL stays NULL. */
char *rp_pool_strdup(rp_pool_t *pool, const char *s);

/* Formats into pool memory. */
char *rp_pool_printf(rp_pool_t *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers fn(arg) to run when the pool is cleared, before its memory is
 * freed: how a request releases what it holds that is not pool memory (a
 * reference to a shared metadata snapshot, say). RP_ENOMEM if it cannot. */
int rp_pool_on_clear(rp_pool_t *pool, void (*fn)(void *), void *arg);

/* Runs the cleanups, frees every allocation; the pool can be used again. */
void rp_pool_clear(rp_pool_t *pool);

#endif
