#ifndef RP_CORE_RATELIMIT_H
#define RP_CORE_RATELIMIT_H

#include <stddef.h>

/* A failure counter keyed by string (a tenant+email, a client address) in
 * fixed memory. Each key counts failures in a fixed window that opens at its
 * first failure; once a key has reached its limit it stays blocked until that
 * window closes. When the table is full the entry seen longest ago in the
 * key's neighbourhood is forgotten, so memory never grows with the number of
 * distinct keys an attacker can invent. Thread-safe (one mutex: it guards a
 * handful of loads and stores per call). The counters live in this process
 * only: several instances behind a load balancer each count on their own. */
typedef struct rp_ratelimit rp_ratelimit_t;

/* The clock: seconds on any monotonic scale. Injected so tests can move time. */
typedef long (*rp_ratelimit_clock_fn)(void *arg);

/* Creates a limiter holding up to capacity keys (rounded up to a power of
 * two, at least 16) with windows of window_s seconds. clock may be NULL for
 * the system's monotonic clock. NULL when out of memory. */
rp_ratelimit_t *rp_ratelimit_new(size_t capacity, int window_s, rp_ratelimit_clock_fn clock,
                                 void *clock_arg);

/* Frees the limiter. NULL is fine. */
void rp_ratelimit_free(rp_ratelimit_t *rl);

/* Seconds key stays blocked (it has max_failures or more failures in its
 * current window), 0 when it may try. */
int rp_ratelimit_blocked(rp_ratelimit_t *rl, const char *key, int max_failures);

/* Records one failure of key; returns the seconds it is now blocked for (0
 * while it is still under max_failures). */
int rp_ratelimit_fail(rp_ratelimit_t *rl, const char *key, int max_failures);

/* Forgets key's failures (after a success). */
void rp_ratelimit_clear(rp_ratelimit_t *rl, const char *key);

/* Number of keys currently tracked (for tests and metrics). */
size_t rp_ratelimit_size(rp_ratelimit_t *rl);

#endif
