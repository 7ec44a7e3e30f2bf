/* Record hooks at the registry level: the order they run in, a before hook
 * changing the record, a rejection with per-field errors that stops the
 * hooks after it, after hooks, and the tenant's enabled set deciding which
 * modules take part. Also what registration accepts. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/modules.h"
#include "rapport/plugin.h"

static const rp_host_api_t *host;
static char trace[512];

static void note(const char *s)
{
    size_t n = strlen(trace);
    snprintf(trace + n, sizeof trace - n, "%s%s", n ? "," : "", s);
}

static rp_hook_result_t base_first(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    note("base1");
    /* Upper-cases the name, so later hooks see the change. */
    const char *name = host->json_string(host->json_get(host->record_fields(rec), "name"));
    if (name != NULL) {
        char up[64];
        size_t i = 0;
        for (; name[i] && i + 1 < sizeof up; i++)
            up[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
        up[i] = '\0';
        host->record_set(rec, "name", host->json_string_new(up));
    }
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t base_second(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)rec;
    note((const char *)user);
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t ext_check(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    note("ext");
    const char *name = host->json_string(host->json_get(host->record_fields(rec), "name"));
    if (name != NULL && strcmp(name, "BAD") == 0) {
        host->reject_field(rec, "name", "may not be BAD");
        host->reject_field(rec, "name", "second message is dropped");
        return RP_HOOK_REJECT;
    }
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t ext_late(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)rec;
    (void)user;
    note("ext_late");
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t after(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    /* After hooks cannot change the record. */
    assert_int_equal(host->record_set(rec, "name", host->json_string_new("x")), RP_M_EINVAL);
    note(host->record_id(rec));
    return RP_HOOK_CONTINUE;
}

static rp_hook_result_t failing(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)rec;
    (void)user;
    host->set_error(ctx, "the disk is on fire");
    return RP_HOOK_FAIL;
}

static rp_mstatus_t act(rp_mctx_t *ctx, void *user)
{
    (void)ctx;
    (void)user;
    return RP_M_OK;
}

static rp_mstatus_t job(rp_mctx_t *ctx, void *user)
{
    (void)ctx;
    (void)user;
    return RP_M_OK;
}

/* Returns its first argument doubled, or fails on anything else. */
static rp_json_t *lua(rp_mctx_t *ctx, const rp_json_t *args, void *user)
{
    (void)user;
    const rp_json_t *a = host->json_array_get(args, 0);
    if (host->json_kind(a) != RP_JSON_INTEGER) {
        host->set_error(ctx, "an integer, please");
        return NULL;
    }
    return host->json_integer_new(2 * host->json_integer(a));
}

static rp_mstatus_t send_nothing(rp_mctx_t *ctx, const rp_message_t *msg, char *id, size_t idlen,
                                 void *user)
{
    (void)ctx;
    (void)msg;
    (void)user;
    snprintf(id, idlen, "none");
    return RP_M_OK;
}

static const rp_channel_ops_t channel = {sizeof(rp_channel_ops_t), send_nothing};

static rp_mstatus_t init_base(rp_mreg_t *reg, const rp_host_api_t *api)
{
    host = api;
    /* A module may also provide infrastructure (rapport/plugin.h). */
    assert_int_equal(
        api->register_plugin(reg, RP_PLUGIN_CHANNEL, "null", &channel, sizeof channel, NULL),
        RP_M_OK);
    assert_int_equal(api->register_plugin(reg, RP_PLUGIN_CHANNEL, "null", &channel, 4, NULL),
                     RP_M_EINVAL);
    assert_int_equal(api->register_plugin(reg, 99, "null", &channel, sizeof channel, NULL),
                     RP_M_EINVAL);
    assert_int_equal(api->register_hook(reg, "thing", RP_HOOK_BEFORE_CREATE, base_first, NULL),
                     RP_M_OK);
    assert_int_equal(
        api->register_hook(reg, "thing", RP_HOOK_BEFORE_CREATE, base_second, (void *)"base2"),
        RP_M_OK);
    assert_int_equal(api->register_hook(reg, "thing", RP_HOOK_AFTER_CREATE, after, NULL), RP_M_OK);
    assert_int_equal(api->register_hook(reg, "other", RP_HOOK_BEFORE_DELETE, failing, NULL),
                     RP_M_OK);
    return RP_M_OK;
}

static rp_mstatus_t init_ext(rp_mreg_t *reg, const rp_host_api_t *api)
{
    /* Registered before base's in the list of candidates, but runs after
     * them: it depends on base. */
    assert_int_equal(api->register_hook(reg, "*", RP_HOOK_BEFORE_CREATE, ext_check, NULL), RP_M_OK);
    assert_int_equal(api->register_hook(reg, "thing", RP_HOOK_BEFORE_CREATE, ext_late, NULL),
                     RP_M_OK);
    /* What registration refuses. */
    assert_int_equal(api->register_hook(reg, "Bad Name", RP_HOOK_BEFORE_CREATE, ext_late, NULL),
                     RP_M_EINVAL);
    assert_int_equal(api->register_hook(reg, "thing", RP_HOOK_EVENT_COUNT, ext_late, NULL),
                     RP_M_EINVAL);
    assert_int_equal(
        api->register_action(reg, RP_ACTION_GET, "things/{id}/go", RP_ACTION_USER, act, NULL),
        RP_M_OK);
    assert_int_equal(
        api->register_action(reg, RP_ACTION_GET, "things/{id}/go", RP_ACTION_USER, act, NULL),
        RP_M_ECONFLICT);
    assert_int_equal(
        api->register_action(reg, RP_ACTION_POST, "things/{id}/go", RP_ACTION_ADMIN, act, NULL),
        RP_M_OK);
    const char *bad_paths[] = {"", "/abs", "a//b", "a/", "A", "a/{", "a/{}", "x?y", "a/{id}x"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++)
        assert_int_equal(
            api->register_action(reg, RP_ACTION_GET, bad_paths[i], RP_ACTION_USER, act, NULL),
            RP_M_EINVAL);
    assert_int_equal(api->register_action(reg, RP_ACTION_GET, "x", 0, act, NULL), RP_M_EINVAL);
    assert_int_equal(api->register_job(reg, "hourly", "every 1h", job, NULL), RP_M_OK);
    assert_int_equal(api->register_job(reg, "nightly", "0 3 * * *", job, NULL), RP_M_OK);
    assert_int_equal(api->register_job(reg, "hourly", "every 2h", job, NULL), RP_M_ECONFLICT);
    assert_int_equal(api->register_job(reg, "bad", "every", job, NULL), RP_M_EINVAL);
    assert_int_equal(api->register_job(reg, "bad", "0 3 * *", job, NULL), RP_M_EINVAL);
    assert_int_equal(api->register_job(reg, "bad", "every 0m", job, NULL), RP_M_EINVAL);
    assert_int_equal(api->register_lua(reg, "score", lua, NULL), RP_M_OK);
    assert_int_equal(api->register_lua(reg, "score", lua, NULL), RP_M_ECONFLICT);
    assert_int_equal(api->register_lua(reg, "9x", lua, NULL), RP_M_EINVAL);
    return RP_M_OK;
}

static const rp_module_t *base_mod, *ext_mod;

static int setup(void **state)
{
    (void)state;
    static const char *const deps[] = {"base", NULL};
    rp_module_info_t ext = {sizeof ext, "ext", "2.0.0", "extends base", deps, NULL};
    rp_module_info_t base = {sizeof base, "base", "1.0.0", "the base", NULL, NULL};
    assert_int_equal(rp_modules_add_static(&ext, init_ext), RP_OK);
    assert_int_equal(rp_modules_add_static(&base, init_base), RP_OK);
    assert_int_equal(rp_modules_activate(), RP_OK);
    base_mod = rp_modules_find("base");
    ext_mod = rp_modules_find("ext");
    assert_non_null(base_mod);
    assert_non_null(ext_mod);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_modules_unload_all();
    return 0;
}

static rp_modset_t both(void)
{
    rp_modset_t s = {((uint64_t)1 << base_mod->index) | ((uint64_t)1 << ext_mod->index)};
    return s;
}

static void hooks_run_in_dependency_then_registration_order(void **state)
{
    (void)state;
    trace[0] = '\0';
    rp_modset_t on = both();
    json_t *fields = json_pack("{ss}", "name", "widget");
    json_t *errors = json_object();
    assert_int_equal(rp_modules_run_before(NULL, &on, RP_HOOK_BEFORE_CREATE, "thing", NULL, fields,
                                           NULL, errors),
                     RP_OK);
    assert_string_equal(trace, "base1,base2,ext,ext_late");
    /* The before hook changed the record the write goes on with. */
    assert_string_equal(json_string_value(json_object_get(fields, "name")), "WIDGET");
    assert_int_equal(json_object_size(errors), 0);
    json_decref(fields);
    json_decref(errors);
}

static void rejection_stops_and_reports_fields(void **state)
{
    (void)state;
    trace[0] = '\0';
    rp_modset_t on = both();
    json_t *fields = json_pack("{ss}", "name", "bad");
    json_t *errors = json_object();
    assert_int_equal(rp_modules_run_before(NULL, &on, RP_HOOK_BEFORE_CREATE, "thing", NULL, fields,
                                           NULL, errors),
                     RP_EINVAL);
    assert_string_equal(trace, "base1,base2,ext");
    assert_string_equal(json_string_value(json_object_get(errors, "name")), "may not be BAD");
    json_decref(fields);
    json_decref(errors);
}

static void only_enabled_modules_take_part(void **state)
{
    (void)state;
    trace[0] = '\0';
    rp_modset_t only_ext = {(uint64_t)1 << ext_mod->index};
    json_t *fields = json_pack("{ss}", "name", "bad");
    json_t *errors = json_object();
    /* base is off: nothing upper-cases the name, so ext lets "bad" by. */
    assert_int_equal(rp_modules_run_before(NULL, &only_ext, RP_HOOK_BEFORE_CREATE, "thing", NULL,
                                           fields, NULL, errors),
                     RP_OK);
    assert_string_equal(trace, "ext,ext_late");
    rp_modset_t none = {0};
    trace[0] = '\0';
    assert_int_equal(rp_modules_run_before(NULL, &none, RP_HOOK_BEFORE_CREATE, "thing", NULL,
                                           fields, NULL, errors),
                     RP_OK);
    assert_string_equal(trace, "");
    assert_false(rp_modules_hooked(&none, "thing", RP_HOOK_BEFORE_CREATE));
    assert_true(rp_modules_hooked(&only_ext, "anything", RP_HOOK_BEFORE_CREATE));
    assert_false(rp_modules_hooked(&only_ext, "thing", RP_HOOK_AFTER_CREATE));
    json_decref(fields);
    json_decref(errors);
}

static void wildcard_hooks_match_every_object(void **state)
{
    (void)state;
    trace[0] = '\0';
    rp_modset_t on = both();
    json_t *fields = json_object();
    json_t *errors = json_object();
    assert_int_equal(rp_modules_run_before(NULL, &on, RP_HOOK_BEFORE_CREATE, "account", NULL,
                                           fields, NULL, errors),
                     RP_OK);
    assert_string_equal(trace, "ext");
    json_decref(fields);
    json_decref(errors);
}

static void after_hooks_see_the_stored_record(void **state)
{
    (void)state;
    trace[0] = '\0';
    rp_modset_t on = both();
    json_t *rec = json_pack("{ss}", "name", "WIDGET");
    assert_int_equal(
        rp_modules_run_after(NULL, &on, RP_HOOK_AFTER_CREATE, "thing", "rec-1", rec, NULL), RP_OK);
    assert_string_equal(trace, "rec-1");
    json_decref(rec);
}

static void failing_hook_fails_the_write(void **state)
{
    (void)state;
    rp_modset_t on = both();
    json_t *errors = json_object();
    assert_int_equal(rp_modules_run_before(NULL, &on, RP_HOOK_BEFORE_DELETE, "other", "id-1", NULL,
                                           NULL, errors),
                     RP_ERR);
    /* A before hook event given to the after runner is a caller's mistake. */
    assert_int_equal(
        rp_modules_run_after(NULL, &on, RP_HOOK_BEFORE_CREATE, "thing", "x", NULL, NULL), RP_ERR);
    json_decref(errors);
}

static void registrations_are_listed(void **state)
{
    (void)state;
    assert_int_equal(ext_mod->nactions, 2);
    assert_string_equal(ext_mod->actions[0].pattern, "/api/v1/m/ext/things/{id}/go");
    assert_int_equal(ext_mod->actions[1].min_role, RP_ACTION_ADMIN);
    assert_int_equal(ext_mod->njobs, 2);
    assert_string_equal(ext_mod->jobs[1].schedule, "0 3 * * *");
    assert_int_equal(ext_mod->nluas, 1);
    assert_string_equal(ext_mod->luas[0].name, "score");
    assert_int_equal(base_mod->nhooks, 4);
    assert_int_equal(base_mod->nplugins, 1);
    assert_int_equal(base_mod->plugins[0].kind, RP_PLUGIN_CHANNEL);
    const rp_channel_ops_t *ops = base_mod->plugins[0].ops;
    char id[16];
    assert_int_equal(ops->send(NULL, NULL, id, sizeof id, NULL), RP_M_OK);
    assert_string_equal(id, "none");
    assert_true(base_mod->index < ext_mod->index);
}

static void lua_functions_and_jobs_are_callable(void **state)
{
    (void)state;
    char why[256];
    json_t *out = NULL, *args = json_pack("[i]", 21);
    assert_int_equal(rp_modules_call_lua(NULL, ext_mod, 0, args, &out, why, sizeof why), RP_OK);
    assert_int_equal(json_integer_value(out), 42);
    json_decref(out);
    json_decref(args);
    args = json_pack("[s]", "x");
    assert_int_equal(rp_modules_call_lua(NULL, ext_mod, 0, args, &out, why, sizeof why), RP_ERR);
    assert_non_null(strstr(why, "an integer, please"));
    assert_int_equal(rp_modules_call_lua(NULL, ext_mod, 1, args, &out, why, sizeof why), RP_EINVAL);
    json_decref(args);
    assert_int_equal(rp_modules_run_job(NULL, ext_mod, 0), RP_OK);
    assert_int_equal(rp_modules_run_job(NULL, ext_mod, 2), RP_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hooks_run_in_dependency_then_registration_order),
        cmocka_unit_test(rejection_stops_and_reports_fields),
        cmocka_unit_test(only_enabled_modules_take_part),
        cmocka_unit_test(wildcard_hooks_match_every_object),
        cmocka_unit_test(after_hooks_see_the_stored_record),
        cmocka_unit_test(failing_hook_fails_the_write),
        cmocka_unit_test(registrations_are_listed),
        cmocka_unit_test(lua_functions_and_jobs_are_callable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
