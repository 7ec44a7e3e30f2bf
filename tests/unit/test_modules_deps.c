/* Dependency ordering at load: dependencies first, unknown dependencies and
 * cycles refused while the others load, a failing init leaves nothing, and
 * registration is only possible during init. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/modules.h"

static const rp_host_api_t *saved_api;
static rp_mreg_t *saved_reg;
static char order[256];

static void note(const char *name)
{
    size_t n = strlen(order);
    snprintf(order + n, sizeof order - n, "%s%s", n ? "," : "", name);
}

static rp_mstatus_t act(rp_mctx_t *ctx, void *user)
{
    (void)ctx;
    (void)user;
    return RP_M_OK;
}

#define INIT(fn, label)                                                                            \
    static rp_mstatus_t fn(rp_mreg_t *reg, const rp_host_api_t *api)                               \
    {                                                                                              \
        saved_api = api;                                                                           \
        saved_reg = reg;                                                                           \
        note(label);                                                                               \
        return RP_M_OK;                                                                            \
    }

INIT(init_a, "a")
INIT(init_b, "b")
INIT(init_c, "c")
INIT(init_x, "x")
INIT(init_y, "y")
INIT(init_z, "z")
INIT(init_o, "orphan")

static rp_mstatus_t init_fail(rp_mreg_t *reg, const rp_host_api_t *api)
{
    note("fail");
    assert_int_equal(api->register_action(reg, RP_ACTION_GET, "x", RP_ACTION_USER, act, NULL),
                     RP_M_OK);
    return RP_M_ERR;
}

static rp_module_info_t info(const char *name, const char *const *deps)
{
    rp_module_info_t i = {sizeof(rp_module_info_t), name, "1.0.0", "test", deps, NULL};
    return i;
}

static int reset(void **state)
{
    (void)state;
    rp_modules_unload_all();
    order[0] = '\0';
    return 0;
}

static void dependencies_load_first(void **state)
{
    (void)state;
    static const char *const c_deps[] = {"b", NULL};
    static const char *const b_deps[] = {"a", NULL};
    rp_module_info_t c = info("c", c_deps), b = info("b", b_deps), a = info("a", NULL);
    assert_int_equal(rp_modules_add_static(&c, init_c), RP_OK);
    assert_int_equal(rp_modules_add_static(&b, init_b), RP_OK);
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    assert_string_equal(order, "a,b,c");
    assert_int_equal(rp_modules_count(), 3);
    assert_string_equal(rp_modules_at(0)->name, "a");
    assert_string_equal(rp_modules_at(2)->name, "c");
    assert_int_equal(rp_modules_find("c")->index, 2);
}

static void unknown_dependency_refused_others_load(void **state)
{
    (void)state;
    static const char *const o_deps[] = {"nosuch", NULL};
    rp_module_info_t o = info("orphan", o_deps), a = info("a", NULL);
    assert_int_equal(rp_modules_add_static(&o, init_o), RP_OK);
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    assert_string_equal(order, "a");
    assert_null(rp_modules_find("orphan"));
    assert_non_null(rp_modules_find("a"));
}

static void cycle_refused_with_dependents(void **state)
{
    (void)state;
    static const char *const x_deps[] = {"y", NULL};
    static const char *const y_deps[] = {"x", NULL};
    static const char *const z_deps[] = {"x", NULL};
    rp_module_info_t x = info("x", x_deps), y = info("y", y_deps), z = info("z", z_deps),
                     a = info("a", NULL);
    assert_int_equal(rp_modules_add_static(&z, init_z), RP_OK);
    assert_int_equal(rp_modules_add_static(&x, init_x), RP_OK);
    assert_int_equal(rp_modules_add_static(&y, init_y), RP_OK);
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    assert_string_equal(order, "a");
    assert_int_equal(rp_modules_count(), 1);
}

static void self_dependency_is_a_cycle(void **state)
{
    (void)state;
    static const char *const deps[] = {"x", NULL};
    rp_module_info_t x = info("x", deps);
    assert_int_equal(rp_modules_add_static(&x, init_x), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    assert_int_equal(rp_modules_count(), 0);
}

static void failing_init_leaves_nothing(void **state)
{
    (void)state;
    static const char *const deps[] = {"fail", NULL};
    rp_module_info_t f = info("fail", NULL), d = info("b", deps);
    assert_int_equal(rp_modules_add_static(&f, init_fail), RP_OK);
    assert_int_equal(rp_modules_add_static(&d, init_b), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    assert_string_equal(order, "fail");
    assert_int_equal(rp_modules_count(), 0);
}

static void registration_outside_init_refused(void **state)
{
    (void)state;
    rp_module_info_t a = info("a", NULL);
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    /* The handle init got is closed once init returns. */
    assert_int_equal(
        saved_api->register_action(saved_reg, RP_ACTION_GET, "late", RP_ACTION_USER, act, NULL),
        RP_M_EINVAL);
    assert_int_equal(
        saved_api->register_hook(saved_reg, "account", RP_HOOK_BEFORE_CREATE, NULL, NULL),
        RP_M_EINVAL);
    assert_int_equal(saved_api->register_job(saved_reg, "j", "every 1h", NULL, NULL), RP_M_EINVAL);
    assert_int_equal(rp_modules_find("a")->nactions, 0);
    assert_int_equal(
        saved_api->register_action(NULL, RP_ACTION_GET, "late", RP_ACTION_USER, act, NULL),
        RP_M_EINVAL);
}

static void bad_descriptors_refused(void **state)
{
    (void)state;
    rp_module_info_t bad_name = info("Bad-Name", NULL);
    assert_int_equal(rp_modules_add_static(&bad_name, init_a), RP_EINVAL);
    rp_module_info_t no_version = info("a", NULL);
    no_version.version = NULL;
    assert_int_equal(rp_modules_add_static(&no_version, init_a), RP_EINVAL);
    rp_module_info_t bad_manifest = info("a", NULL);
    bad_manifest.manifest = "{\"objects\": [{\"name\": \"thing\"}]}";
    assert_int_equal(rp_modules_add_static(&bad_manifest, init_a), RP_EINVAL);
    rp_module_info_t misspelt = info("a", NULL);
    misspelt.manifest = "{\"layout\": {}}";
    assert_int_equal(rp_modules_add_static(&misspelt, init_a), RP_EINVAL);
    rp_module_info_t bad_menu = info("a", NULL);
    bad_menu.manifest = "{\"menu\": {}}";
    assert_int_equal(rp_modules_add_static(&bad_menu, init_a), RP_EINVAL);
    rp_module_info_t bad_perm = info("a", NULL);
    bad_perm.manifest = "{\"permissions\": {\"user\": {\"greeting\": {}}}}";
    assert_int_equal(rp_modules_add_static(&bad_perm, init_a), RP_EINVAL);
    rp_module_info_t not_json = info("a", NULL);
    not_json.manifest = "{objects";
    assert_int_equal(rp_modules_add_static(&not_json, init_a), RP_EINVAL);
    rp_module_info_t a = info("a", NULL), again = info("a", NULL);
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_add_static(&again, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    /* The second "a" is refused as a duplicate. */
    assert_string_equal(order, "a");
    assert_int_equal(rp_modules_count(), 1);
}

static void manifest_objects_in_field_format(void **state)
{
    (void)state;
    rp_module_info_t a = info("a", NULL);
    a.manifest = "{\"objects\": [{\"name\": \"gadget\", \"label\": \"Gadget\", \"fields\": ["
                 "{\"name\": \"title\", \"type\": \"text\", \"label\": \"Title\"}]}],"
                 " \"menu\": [{\"label\": \"Gadgets\", \"object\": \"gadget\"}]}";
    assert_int_equal(rp_modules_add_static(&a, init_a), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    json_t *objs = rp_modules_manifest_objects("a");
    assert_non_null(objs);
    assert_int_equal(json_array_size(objs), 1);
    json_t *o = json_array_get(objs, 0);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "gadget");
    assert_string_equal(json_string_value(json_object_get(o, "module")), "a");
    assert_int_equal(json_array_size(json_object_get(o, "fields")), 1);
    json_decref(objs);
    json_t *whole = rp_modules_manifest("a");
    assert_non_null(json_object_get(whole, "menu"));
    json_decref(whole);
    assert_null(rp_modules_manifest_objects("nosuch"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dependencies_load_first, reset, reset),
        cmocka_unit_test_setup_teardown(unknown_dependency_refused_others_load, reset, reset),
        cmocka_unit_test_setup_teardown(cycle_refused_with_dependents, reset, reset),
        cmocka_unit_test_setup_teardown(self_dependency_is_a_cycle, reset, reset),
        cmocka_unit_test_setup_teardown(failing_init_leaves_nothing, reset, reset),
        cmocka_unit_test_setup_teardown(registration_outside_init_refused, reset, reset),
        cmocka_unit_test_setup_teardown(bad_descriptors_refused, reset, reset),
        cmocka_unit_test_setup_teardown(manifest_objects_in_field_format, reset, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
