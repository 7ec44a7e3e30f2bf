#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/ratelimit.h"

static long fake_now;

static long fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static void blocks_at_the_limit_until_the_window_ends(void **state)
{
    fake_now = 1000;
    rp_ratelimit_t *rl = rp_ratelimit_new(1024, 900, fake_clock, NULL);
    assert_non_null(rl);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 0);
        assert_int_equal(rp_ratelimit_fail(rl, "t:a@x", 5), 0);
        fake_now += 10;
    }
    /* The fifth failure reaches the limit: blocked until 900 s after the
     * first one. */
    assert_int_equal(rp_ratelimit_fail(rl, "t:a@x", 5), 900 - 40);
    assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 860);
    fake_now += 500;
    assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 360);
    /* More failures while blocked do not extend the window. */
    assert_int_equal(rp_ratelimit_fail(rl, "t:a@x", 5), 360);
    fake_now = 1000 + 899;
    assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 1);
    fake_now = 1000 + 900;
    assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 0);
    /* A new window starts from zero. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(rp_ratelimit_fail(rl, "t:a@x", 5), 0);
    assert_int_equal(rp_ratelimit_blocked(rl, "t:a@x", 5), 0);
    assert_int_equal(rp_ratelimit_fail(rl, "t:a@x", 5), 900);
    rp_ratelimit_free(rl);
}

static void keys_are_independent_and_clear_forgets(void **state)
{
    fake_now = 50;
    rp_ratelimit_t *rl = rp_ratelimit_new(64, 60, fake_clock, NULL);
    for (int i = 0; i < 3; i++)
        rp_ratelimit_fail(rl, "a", 3);
    assert_int_equal(rp_ratelimit_blocked(rl, "a", 3), 60);
    assert_int_equal(rp_ratelimit_blocked(rl, "b", 3), 0);
    /* The same key may be judged against different limits. */
    assert_int_equal(rp_ratelimit_blocked(rl, "a", 4), 0);
    rp_ratelimit_clear(rl, "a");
    assert_int_equal(rp_ratelimit_blocked(rl, "a", 3), 0);
    assert_int_equal(rp_ratelimit_fail(rl, "a", 3), 0);
    rp_ratelimit_clear(rl, "never seen");
    /* No limit configured means never blocked. */
    assert_int_equal(rp_ratelimit_fail(rl, "c", 0), 0);
    assert_int_equal(rp_ratelimit_blocked(rl, "c", 0), 0);
    /* NULLs are harmless. */
    assert_int_equal(rp_ratelimit_fail(NULL, "a", 3), 0);
    assert_int_equal(rp_ratelimit_blocked(rl, NULL, 3), 0);
    rp_ratelimit_clear(NULL, "a");
    rp_ratelimit_free(rl);
    rp_ratelimit_free(NULL);
}

static void memory_is_bounded_and_the_oldest_goes_first(void **state)
{
    fake_now = 0;
    /* 16 slots: the whole table is one neighbourhood, so the victim is the
     * globally oldest entry. */
    rp_ratelimit_t *rl = rp_ratelimit_new(16, 10000, fake_clock, NULL);
    rp_ratelimit_fail(rl, "old", 1);
    assert_int_equal(rp_ratelimit_blocked(rl, "old", 1), 10000);
    char key[32];
    for (int i = 0; i < 15; i++) {
        fake_now++;
        snprintf(key, sizeof key, "k%d", i);
        rp_ratelimit_fail(rl, key, 1);
    }
    assert_int_equal(rp_ratelimit_size(rl), 16);
    fake_now++;
    rp_ratelimit_fail(rl, "new", 1);
    assert_int_equal(rp_ratelimit_size(rl), 16);
    assert_int_equal(rp_ratelimit_blocked(rl, "old", 1), 0);
    assert_true(rp_ratelimit_blocked(rl, "new", 1) > 0);
    for (int i = 0; i < 15; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_true(rp_ratelimit_blocked(rl, key, 1) > 0);
    }
    /* A flood of distinct keys never grows the table. */
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "flood%d", i);
        rp_ratelimit_fail(rl, key, 1);
    }
    assert_true(rp_ratelimit_size(rl) <= 16);
    rp_ratelimit_free(rl);

    /* A bigger table keeps recent keys through a flood of older ones. */
    fake_now = 0;
    rl = rp_ratelimit_new(4096, 10000, fake_clock, NULL);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rp_ratelimit_fail(rl, key, 1);
    }
    assert_int_equal(rp_ratelimit_size(rl), 1000);
    rp_ratelimit_free(rl);
}

static void expired_entries_free_their_slot(void **state)
{
    fake_now = 0;
    rp_ratelimit_t *rl = rp_ratelimit_new(16, 10, fake_clock, NULL);
    char key[32];
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "k%d", i);
        rp_ratelimit_fail(rl, key, 1);
    }
    assert_int_equal(rp_ratelimit_size(rl), 16);
    fake_now = 10;
    assert_int_equal(rp_ratelimit_size(rl), 0);
    /* A clock that steps back does not leave keys blocked forever. */
    rp_ratelimit_fail(rl, "x", 1);
    fake_now = 5;
    assert_int_equal(rp_ratelimit_blocked(rl, "x", 1), 0);
    rp_ratelimit_free(rl);
}

static void real_clock(void **state)
{
    rp_ratelimit_t *rl = rp_ratelimit_new(0, 0, NULL, NULL);
    assert_non_null(rl);
    assert_int_equal(rp_ratelimit_fail(rl, "a", 1), 1);
    rp_ratelimit_free(rl);
}

#define THREADS 4
#define PER_THREAD 5000

static void *hammer(void *arg)
{
    rp_ratelimit_t *rl = arg;
    char key[32];
    for (int i = 0; i < PER_THREAD; i++) {
        rp_ratelimit_fail(rl, "shared", 1000000);
        snprintf(key, sizeof key, "own%d", i % 50);
        rp_ratelimit_fail(rl, key, 1000000);
        rp_ratelimit_blocked(rl, key, 3);
    }
    return NULL;
}

static void thread_safe(void **state)
{
    fake_now = 0;
    rp_ratelimit_t *rl = rp_ratelimit_new(1024, 1000, fake_clock, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, hammer, rl), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    /* No failure was lost. */
    assert_true(rp_ratelimit_blocked(rl, "shared", THREADS * PER_THREAD) > 0);
    assert_int_equal(rp_ratelimit_blocked(rl, "shared", THREADS * PER_THREAD + 1), 0);
    rp_ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_at_the_limit_until_the_window_ends),
        cmocka_unit_test(keys_are_independent_and_clear_forgets),
        cmocka_unit_test(memory_is_bounded_and_the_oldest_goes_first),
        cmocka_unit_test(expired_entries_free_their_slot),
        cmocka_unit_test(real_clock),
        cmocka_unit_test(thread_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
