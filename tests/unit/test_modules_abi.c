/* The ABI checks the loader makes before it touches anything else of a
 * module, and the refusal of modules built for another ABI. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/modules.h"

static rp_abi_magic_t good(void)
{
    rp_abi_magic_t m = {sizeof(rp_abi_magic_t),   RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR,
                        sizeof(rp_module_info_t), sizeof(void *),    sizeof(rp_host_api_t)};
    return m;
}

static void same_abi_loads(void **state)
{
    (void)state;
    char why[512] = "";
    rp_abi_magic_t m = good();
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_OK);
}

static void older_minor_loads(void **state)
{
    (void)state;
    if (RAPPORT_ABI_MINOR == 0)
        skip();
    char why[512];
    rp_abi_magic_t m = good();
    m.abi_minor = RAPPORT_ABI_MINOR - 1;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_OK);
}

static void newer_major_refused_with_both_versions(void **state)
{
    (void)state;
    char why[512], expect[64];
    rp_abi_magic_t m = good();
    m.abi_major = RAPPORT_ABI_MAJOR + 1;
    m.abi_minor = 3;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    snprintf(expect, sizeof expect, "built for ABI %d.3", RAPPORT_ABI_MAJOR + 1);
    assert_non_null(strstr(why, expect));
    snprintf(expect, sizeof expect, "this server has ABI %d.%d", RAPPORT_ABI_MAJOR,
             RAPPORT_ABI_MINOR);
    assert_non_null(strstr(why, expect));
}

static void older_major_refused(void **state)
{
    (void)state;
    char why[512];
    rp_abi_magic_t m = good();
    m.abi_major = RAPPORT_ABI_MAJOR - 1;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    assert_non_null(strstr(why, "the major must match"));
}

static void newer_minor_refused(void **state)
{
    (void)state;
    char why[512];
    rp_abi_magic_t m = good();
    m.abi_minor = RAPPORT_ABI_MINOR + 1;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    assert_non_null(strstr(why, "needs a newer server"));
}

static void wrong_sizes_refused(void **state)
{
    (void)state;
    char why[512];
    rp_abi_magic_t m = good();
    m.ptr_size = 4;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    assert_non_null(strstr(why, "sizes"));
    m = good();
    m.host_needed = (uint32_t)sizeof(rp_host_api_t) + 8;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    m = good();
    m.info_size = (uint32_t)sizeof(rp_module_info_t) + 8;
    assert_int_equal(rp_modules_check_magic(&m, why, sizeof why), RP_EINVAL);
    assert_int_equal(rp_modules_check_magic(NULL, why, sizeof why), RP_EINVAL);
}

/* The host table only grows: RP_HOST_HAS answers from its size. */
static void host_table_prefix(void **state)
{
    (void)state;
    rp_host_api_t t;
    memset(&t, 0, sizeof t);
    t.register_plugin = NULL;
    t.log = (void (*)(rp_mctx_t *, rp_mlog_level_t, const char *))1;
    t.size = (uint32_t)offsetof(rp_host_api_t, log);
    assert_false(RP_HOST_HAS(&t, log));
    t.size = (uint32_t)(offsetof(rp_host_api_t, log) + sizeof t.log);
    assert_true(RP_HOST_HAS(&t, log));
    assert_int_equal(offsetof(rp_host_api_t, size), 0);
}

/* A directory that does not exist loads nothing and is not an error. */
static void missing_dir_loads_nothing(void **state)
{
    (void)state;
    assert_int_equal(rp_modules_load_dir("/nonexistent/rapport-modules"), RP_OK);
    assert_int_equal(rp_modules_count(), 0);
    rp_modules_unload_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_abi_loads),
        cmocka_unit_test(older_minor_loads),
        cmocka_unit_test(newer_major_refused_with_both_versions),
        cmocka_unit_test(older_major_refused),
        cmocka_unit_test(newer_minor_refused),
        cmocka_unit_test(wrong_sizes_refused),
        cmocka_unit_test(host_table_prefix),
        cmocka_unit_test(missing_dir_loads_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
