/* Fibers (server/http/fiber.c): switching in and out, reuse of a finished
 * fiber for the next function, interleaving many, and deep stacks. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/fiber.h"

typedef struct counter {
    rp_fiber_t *self;
    int steps;
    int yields;
    int *trace; /* order of the steps across fibers */
    int *ntrace;
    int id;
} counter_t;

static void count(void *arg)
{
    counter_t *c = arg;
    for (int i = 0; i < c->yields; i++) {
        c->steps++;
        if (c->trace != NULL)
            c->trace[(*c->ntrace)++] = c->id;
        rp_fiber_yield(c->self);
    }
    c->steps++;
}

static void runs_until_yield_then_resumes(void **state)
{
    rp_fiber_t *f = rp_fiber_new(64 * 1024);
    assert_non_null(f);
    assert_true(rp_fiber_done(f));
    counter_t c = {.self = f, .yields = 3};
    rp_fiber_run(f, count, &c);
    assert_int_equal(c.steps, 1);
    assert_false(rp_fiber_done(f));
    rp_fiber_resume(f);
    rp_fiber_resume(f);
    assert_int_equal(c.steps, 3);
    assert_false(rp_fiber_done(f));
    rp_fiber_resume(f);
    assert_int_equal(c.steps, 4);
    assert_true(rp_fiber_done(f));
    /* Resuming a finished fiber does nothing. */
    rp_fiber_resume(f);
    assert_int_equal(c.steps, 4);
    rp_fiber_free(f);
}

static void a_finished_fiber_runs_the_next_function(void **state)
{
    rp_fiber_t *f = rp_fiber_new(64 * 1024);
    assert_non_null(f);
    for (int round = 0; round < 100; round++) {
        counter_t c = {.self = f, .yields = round % 3};
        rp_fiber_run(f, count, &c);
        while (!rp_fiber_done(f))
            rp_fiber_resume(f);
        assert_int_equal(c.steps, round % 3 + 1);
    }
    rp_fiber_free(f);
}

static void fibers_interleave(void **state)
{
    enum { N = 16, YIELDS = 5 };
    rp_fiber_t *f[N];
    counter_t c[N];
    int trace[N * YIELDS], ntrace = 0;
    for (int i = 0; i < N; i++) {
        f[i] = rp_fiber_new(64 * 1024);
        assert_non_null(f[i]);
        c[i] =
            (counter_t){.self = f[i], .yields = YIELDS, .trace = trace, .ntrace = &ntrace, .id = i};
        rp_fiber_run(f[i], count, &c[i]);
    }
    /* Round robin: each resume advances exactly one fiber one step. */
    for (int round = 1; round <= YIELDS; round++)
        for (int i = 0; i < N; i++)
            rp_fiber_resume(f[i]);
    assert_int_equal(ntrace, N * YIELDS);
    for (int k = 0; k < N * YIELDS; k++)
        assert_int_equal(trace[k], k % N);
    for (int i = 0; i < N; i++) {
        assert_true(rp_fiber_done(f[i]));
        assert_int_equal(c[i].steps, YIELDS + 1);
        rp_fiber_free(f[i]);
    }
}

typedef struct deep {
    rp_fiber_t *self;
    int depth;
    uint64_t sum;
} deep_t;

static uint64_t recurse(deep_t *d, int n)
{
    /* A frame with real weight, written so it cannot be optimised away. */
    volatile unsigned char pad[512];
    memset((void *)pad, n & 0xff, sizeof pad);
    if (n == d->depth / 2)
        rp_fiber_yield(d->self); /* switch out with a deep stack, come back */
    uint64_t below = n > 0 ? recurse(d, n - 1) : 0;
    return below + pad[n % sizeof pad];
}

static void deep_stack(void *arg)
{
    deep_t *d = arg;
    d->sum = recurse(d, d->depth);
}

static void deep_stacks_survive_switching(void **state)
{
    rp_fiber_t *f = rp_fiber_new(256 * 1024);
    assert_non_null(f);
    deep_t d = {.self = f, .depth = 100};
    rp_fiber_run(f, deep_stack, &d);
    assert_false(rp_fiber_done(f));
    rp_fiber_resume(f);
    assert_true(rp_fiber_done(f));
    uint64_t want = 0;
    for (int n = 0; n <= 100; n++)
        want += (uint64_t)(n & 0xff);
    assert_int_equal(d.sum, want);
    rp_fiber_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_until_yield_then_resumes),
        cmocka_unit_test(a_finished_fiber_runs_the_next_function),
        cmocka_unit_test(fibers_interleave),
        cmocka_unit_test(deep_stacks_survive_switching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
