#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "auth/password.h"

static int setup(void **state)
{
    (void)state;
    assert_true(sodium_init() >= 0);
    rp_password_set_fast(true);
    return 0;
}

static void hash_and_verify(void **state)
{
    char h[RP_PASSWORD_HASH_MAX];
    assert_int_equal(rp_password_hash("correct horse battery", h), RP_OK);
    assert_int_equal(strncmp(h, "$argon2id$", 10), 0);
    assert_true(rp_password_verify(h, "correct horse battery"));
    assert_false(rp_password_verify(h, "correct horse batterY"));
    assert_false(rp_password_verify(h, ""));
    assert_false(rp_password_verify(h, NULL));
    /* Salted: the same password never hashes the same way twice. */
    char h2[RP_PASSWORD_HASH_MAX];
    assert_int_equal(rp_password_hash("correct horse battery", h2), RP_OK);
    assert_string_not_equal(h, h2);
    assert_true(rp_password_verify(h2, "correct horse battery"));
    assert_int_equal(rp_password_hash(NULL, h2), RP_EINVAL);
}

static void verify_refuses_bad_hashes(void **state)
{
    assert_false(rp_password_verify(NULL, "x"));
    assert_false(rp_password_verify("", "x"));
    assert_false(rp_password_verify("plaintext", "plaintext"));
    assert_false(rp_password_verify("$argon2id$v=19$m=8,t=1,p=1$garbage", "x"));
    char long_hash[512];
    memset(long_hash, 'a', sizeof long_hash - 1);
    long_hash[sizeof long_hash - 1] = '\0';
    assert_false(rp_password_verify(long_hash, "x"));
}

static void needs_rehash_follows_parameters(void **state)
{
    char fast[RP_PASSWORD_HASH_MAX];
    assert_int_equal(rp_password_hash("some long password", fast), RP_OK);
    assert_false(rp_password_needs_rehash(fast));

    /* Under the interactive profile the cheap hash is out of date... */
    rp_password_set_fast(false);
    assert_true(rp_password_needs_rehash(fast));
    char slow[RP_PASSWORD_HASH_MAX];
    assert_int_equal(rp_password_hash("some long password", slow), RP_OK);
    assert_false(rp_password_needs_rehash(slow));
    assert_true(rp_password_verify(slow, "some long password"));
    assert_true(rp_password_verify(fast, "some long password"));

    /* ...and the other way round: the active parameters are what counts. */
    rp_password_set_fast(true);
    assert_true(rp_password_needs_rehash(slow));
    assert_false(rp_password_needs_rehash(fast));

    assert_true(rp_password_needs_rehash(NULL));
    assert_true(rp_password_needs_rehash(""));
    assert_true(rp_password_needs_rehash("not a hash"));
}

static void policy(void **state)
{
    char why[128];
    assert_int_equal(rp_password_check_policy("0123456789", 10, why, sizeof why), RP_OK);
    assert_int_equal(rp_password_check_policy("012345678", 10, why, sizeof why), RP_EINVAL);
    assert_non_null(strstr(why, "at least 10"));
    /* Length is counted in characters: five 2-byte letters are five. */
    const char *accents = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
    assert_int_equal(rp_password_check_policy(accents, 5, why, sizeof why), RP_OK);
    assert_int_equal(rp_password_check_policy(accents, 6, why, sizeof why), RP_EINVAL);
    /* Four-byte characters (emoji) count once each. */
    assert_int_equal(
        rp_password_check_policy("\xf0\x9f\x94\x91\xf0\x9f\x94\x91", 2, why, sizeof why), RP_OK);

    char big[1100];
    memset(big, 'x', sizeof big);
    big[1024] = '\0';
    assert_int_equal(rp_password_check_policy(big, 10, why, sizeof why), RP_OK);
    big[1024] = 'x';
    big[1025] = '\0';
    assert_int_equal(rp_password_check_policy(big, 10, why, sizeof why), RP_EINVAL);
    assert_non_null(strstr(why, "1024"));

    const char *invalid[] = {
        "abcdefghij\xff",             /* never valid in UTF-8 */
        "abcdefghij\xc0\xaf",         /* overlong '/' */
        "abcdefghij\xe0\x80\xaf",     /* overlong, 3 bytes */
        "abcdefghij\xed\xa0\x80",     /* a surrogate */
        "abcdefghij\xf4\x90\x80\x80", /* past U+10FFFF */
        "abcdefghij\xe2\x82",         /* truncated */
        "abcdefghij\x80",             /* lone continuation byte */
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(rp_password_check_policy(invalid[i], 1, why, sizeof why), RP_EINVAL);
        assert_non_null(strstr(why, "UTF-8"));
    }
    assert_int_equal(rp_password_check_policy(NULL, 1, why, sizeof why), RP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_and_verify),
        cmocka_unit_test(verify_refuses_bad_hashes),
        cmocka_unit_test(needs_rehash_follows_parameters),
        cmocka_unit_test(policy),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
