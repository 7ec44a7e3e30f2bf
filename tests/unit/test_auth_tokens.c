#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/tokens.h"

static int setup(void **state)
{
    (void)state;
    return sodium_init() >= 0 ? 0 : -1;
}

static void new_token_round_trips(void **state)
{
    const char *prefixes[] = {RP_REFRESH_PREFIX, RP_API_KEY_PREFIX};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 200; i++) {
            char id[RP_UUID_LEN + 1], text[RP_TOKEN_TEXT_MAX], id2[RP_UUID_LEN + 1];
            unsigned char secret[RP_TOKEN_SECRET_BYTES], secret2[RP_TOKEN_SECRET_BYTES];
            rp_token_new(prefixes[k], id, secret, text);
            assert_true(rp_uuid_valid(id));
            assert_int_equal(strlen(text), 4 + 32 + 1 + 43);
            assert_int_equal(strncmp(text, prefixes[k], 4), 0);
            assert_int_equal(rp_token_parse(prefixes[k], text, id2, secret2), RP_OK);
            assert_string_equal(id, id2);
            assert_memory_equal(secret, secret2, sizeof secret);
            /* The other kind's prefix does not parse. */
            assert_int_equal(rp_token_parse(prefixes[1 - k], text, id2, secret2), RP_EINVAL);
        }
    }
}

static void format_is_exact(void **state)
{
    unsigned char secret[RP_TOKEN_SECRET_BYTES];
    memset(secret, 0, sizeof secret);
    char text[RP_TOKEN_TEXT_MAX];
    assert_int_equal(rp_token_format("rpk_", "0190F3A2-7C4E-7A1B-8C2D-0123456789AB", secret, text),
                     RP_OK);
    assert_string_equal(text, "rpk_0190f3a27c4e7a1b8c2d0123456789ab_"
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    char id[RP_UUID_LEN + 1];
    unsigned char back[RP_TOKEN_SECRET_BYTES];
    assert_int_equal(rp_token_parse("rpk_", text, id, back), RP_OK);
    assert_string_equal(id, "0190f3a2-7c4e-7a1b-8c2d-0123456789ab");
    assert_int_equal(rp_token_format("rpk_", "nope", secret, text), RP_EINVAL);
}

static void parse_is_strict(void **state)
{
    const char *good = "rpr_0190f3a27c4e7a1b8c2d0123456789ab_"
                       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    char id[RP_UUID_LEN + 1];
    unsigned char s[RP_TOKEN_SECRET_BYTES];
    assert_int_equal(rp_token_parse("rpr_", good, id, s), RP_OK);
    const char *bad[] = {
        "",
        "rpr_",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_",
        /* upper-case hex */
        "rpr_0190F3A27C4E7A1B8C2D0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        /* id one short, one long */
        "rpr_0190f3a27c4e7a1b8c2d0123456789a_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpr_0190f3a27c4e7a1b8c2d0123456789abc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        /* secret one short, one long, padded, standard alphabet, space */
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA ",
        /* the last character's spare bits set: same bytes, other spelling */
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",
        /* wrong separator, wrong prefix, trailing data */
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpk_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "RPR_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "rpr_0190f3a2-7c4e-7a1b-8c2d-0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "rpr_0190f3a27c4e7a1b8c2d0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(rp_token_parse("rpr_", bad[i], id, s), RP_EINVAL);
    assert_int_equal(rp_token_parse("rpr_", NULL, id, s), RP_EINVAL);
}

static void refresh_hash(void **state)
{
    unsigned char a[RP_TOKEN_SECRET_BYTES], b[RP_TOKEN_SECRET_BYTES];
    unsigned char ha[RP_TOKEN_HASH_BYTES], ha2[RP_TOKEN_HASH_BYTES], hb[RP_TOKEN_HASH_BYTES];
    randombytes_buf(a, sizeof a);
    memcpy(b, a, sizeof b);
    b[31] ^= 1;
    rp_token_refresh_hash(a, ha);
    rp_token_refresh_hash(a, ha2);
    rp_token_refresh_hash(b, hb);
    assert_memory_equal(ha, ha2, sizeof ha);
    assert_memory_not_equal(ha, hb, sizeof ha);

    char hex[2 * RP_TOKEN_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, ha, sizeof ha);
    assert_true(rp_token_hash_matches(ha, hex));
    assert_false(rp_token_hash_matches(hb, hex));
    hex[63] = hex[63] == '0' ? '1' : '0';
    assert_false(rp_token_hash_matches(ha, hex));
    assert_false(rp_token_hash_matches(ha, ""));
    assert_false(rp_token_hash_matches(ha, NULL));
    assert_false(rp_token_hash_matches(ha, "zz"));
    char upper[2 * RP_TOKEN_HASH_BYTES + 1];
    sodium_bin2hex(upper, sizeof upper, ha, sizeof ha);
    upper[10] = 'g';
    assert_false(rp_token_hash_matches(ha, upper));

    char param[RP_TOKEN_HASH_PARAM_MAX];
    rp_token_hash_param(ha, param);
    assert_int_equal(strlen(param), 66);
    assert_int_equal(strncmp(param, "\\x", 2), 0);
    sodium_bin2hex(hex, sizeof hex, ha, sizeof ha);
    assert_string_equal(param + 2, hex);
}

static void api_key_hash_is_keyed(void **state)
{
    unsigned char secret[RP_TOKEN_SECRET_BYTES];
    randombytes_buf(secret, sizeof secret);
    const unsigned char k1[] = "server secret number one........";
    const unsigned char k2[] = "server secret number two........";
    unsigned char h1[RP_TOKEN_HASH_BYTES], h1b[RP_TOKEN_HASH_BYTES], h2[RP_TOKEN_HASH_BYTES];
    unsigned char plain[RP_TOKEN_HASH_BYTES];
    rp_token_api_key_hash(k1, 32, secret, h1);
    rp_token_api_key_hash(k1, 32, secret, h1b);
    rp_token_api_key_hash(k2, 32, secret, h2);
    rp_token_refresh_hash(secret, plain);
    assert_memory_equal(h1, h1b, sizeof h1);
    /* Rotating the server secret changes every stored API key hash. */
    assert_memory_not_equal(h1, h2, sizeof h1);
    assert_memory_not_equal(h1, plain, sizeof h1);
    /* Short server secrets still work (derivation, not a raw key). */
    rp_token_api_key_hash((const unsigned char *)"x", 1, secret, h2);
    assert_memory_not_equal(h1, h2, sizeof h1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_token_round_trips), cmocka_unit_test(format_is_exact),
        cmocka_unit_test(parse_is_strict),       cmocka_unit_test(refresh_hash),
        cmocka_unit_test(api_key_hash_is_keyed),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
