#ifndef RP_HTTP_FIBER_H
#define RP_HTTP_FIBER_H

#include <stdbool.h>
#include <stddef.h>

/* A fiber: a function running on a stack of its own, which an HTTP thread
 * switches into and which switches back when it must wait, so that the
 * thread can serve other requests meanwhile. A fiber is reusable: once its
 * function returned, rp_fiber_run gives it the next one, on the same
 * stack, without new allocations. Fibers never move between threads. */
typedef struct rp_fiber rp_fiber_t;

/* Creates a fiber with a stack of stack_size bytes (rounded up to pages,
 * plus a guard page below it). NULL when memory is short. */
rp_fiber_t *rp_fiber_new(size_t stack_size);

/* Frees a fiber that is not running fn (done, or never run). */
void rp_fiber_free(rp_fiber_t *f);

/* Starts fn(arg) on f (which must be done or new) and runs it until it
 * yields or returns. Only from the thread's own stack. */
void rp_fiber_run(rp_fiber_t *f, void (*fn)(void *arg), void *arg);

/* Continues f where it yielded, until it yields again or returns. */
void rp_fiber_resume(rp_fiber_t *f);

/* From inside f: back to whoever ran or resumed it. */
void rp_fiber_yield(rp_fiber_t *f);

/* True once the function given to rp_fiber_run has returned (and for a
 * new fiber). */
bool rp_fiber_done(const rp_fiber_t *f);

#endif
