/* Tenant Lua scripts over HTTP: the admin API (versions, syntax errors at
 * save, roles), dry runs that keep nothing, custom endpoints and the roles
 * they allow, limits that roll the request back and name themselves,
 * triggers fired by the writes scripts make (validation, defaults, a
 * workflow, a trigger updating its own record), the run log and automatic
 * disabling, crm.enqueue, tenant isolation, and the scheduler (one tick a
 * second here, RAPPORT_SCRIPT_TICK_SECONDS=1). The server keeps serving
 * through every failure. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

#define PASSWORD "scripts-password-1"

static int setup(void **state)
{
    (void)state;
    rp_it_pg_start();
    rp_it_server_start("RAPPORT_SCRIPT_TICK_SECONDS=1", "RAPPORT_SCRIPT_INSTRUCTIONS=2000000",
                       "RAPPORT_SCRIPT_MEMORY_KIB=4096", "RAPPORT_SCRIPT_RECORDS_WRITTEN=50", NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other");
    rp_it_user_add("acme", "admin@acme.test", "admin", PASSWORD);
    rp_it_user_add("acme", "boss@acme.test", "manager", PASSWORD);
    rp_it_user_add("acme", "rep@acme.test", "user", PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

static const char *admin(void)
{
    return rp_it_token("acme", "admin@acme.test", PASSWORD);
}

/* Creates a script (a JSON object text) and returns its id (tracked). */
static const char *script(const char *tok, json_t *def)
{
    rp_it_resp_t *r = rp_it_sendj("POST", "/api/v1/scripts", tok, def);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_fmt("%s", rp_it_jstr(r, "id"));
}

static const char *endpoint(const char *name, const char *code, const char *roles)
{
    json_t *def = json_pack("{s:s, s:s, s:s}", "name", name, "kind", "endpoint", "code", code);
    if (roles)
        json_object_set_new(def, "roles", json_loads(roles, 0, NULL));
    return script(admin(), def);
}

static rp_it_resp_t *call(const char *name, const char *tok, const char *body)
{
    return rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/run", name), tok, body);
}

static void still_serving(void)
{
    RP_IT_EXPECT_STATUS(rp_it_get("/healthz", NULL), 200);
    RP_IT_EXPECT_STATUS(rp_it_get("/api/v1/me", admin()), 200);
}

static long count(const char *sql, const char *arg)
{
    return atol(rp_it_sql(sql, arg, NULL));
}

static void admin_api(void **state)
{
    (void)state;
    const char *a = admin();
    const char *id = script(a, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "require_email",
                                         "kind", "trigger", "object", "contact", "events",
                                         "before_create", "code", "local ev = ...\n"));
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s", id), a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "name"), "require_email");
    assert_string_equal(rp_it_jstr(r, "kind"), "trigger");
    assert_string_equal(rp_it_jstr(r, "object"), "contact");
    assert_true(json_is_true(json_object_get(r->json, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 1);
    assert_string_equal(rp_it_jstr(r, "code"), "local ev = ...\n");

    /* A syntax error is refused with its line. */
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"broken\",\"kind\":\"endpoint\",\"code\":\"local a = 1\\nif a "
                   "then\\n\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    const char *msg =
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "code"));
    assert_non_null(msg);
    assert_non_null(strstr(msg, "line 3"));
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"Bad Name\",\"kind\":\"nightly\",\"code\":\"\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    json_t *errs = json_object_get(r->json, "errors");
    assert_non_null(json_object_get(errs, "name"));
    assert_non_null(json_object_get(errs, "kind"));
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"t2\",\"kind\":\"trigger\",\"object\":\"nope\",\"events\":"
                   "[\"on_save\"],\"code\":\"\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    errs = json_object_get(r->json, "errors");
    assert_non_null(json_object_get(errs, "object"));
    assert_non_null(json_object_get(errs, "events"));
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"s2\",\"kind\":\"scheduled\",\"cron\":\"61 * * * *\","
                   "\"code\":\"\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "cron"));
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"x\",\"kind\":\"endpoint\","
                   "\"code\":\"\",\"colour\":1}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    r = rp_it_send("POST", "/api/v1/scripts", a,
                   "{\"name\":\"require_email\",\"kind\":\"endpoint\",\"code\":\"\"}");
    RP_IT_EXPECT_PROBLEM(r, 409, "conflict");

    /* Every change keeps a version. */
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/scripts/%s", id), a,
                   "{\"code\":\"local ev = ...\\nreturn 1\\n\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "version")), 2);
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/scripts/%s", id), a, "{\"code\":\"end\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s/versions", id), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *vs = rp_it_jlist(r);
    assert_int_equal(json_array_size(vs), 2);
    json_t *v1 = json_array_get(vs, 1);
    assert_int_equal(json_integer_value(json_object_get(v1, "version")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(v1, "definition"), "code")),
        "local ev = ...\n");

    r = rp_it_get("/api/v1/scripts", a);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_array_size(rp_it_jlist(r)) >= 1);

    /* Admins only; another tenant sees none of it. */
    const char *rep = rp_it_token("acme", "rep@acme.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/scripts", rep), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", "/api/v1/scripts", rep,
                                    "{\"name\":\"x\",\"kind\":\"endpoint\",\"code\":\"\"}"),
                         403, "forbidden");
    const char *other = rp_it_token("other", "admin@other.test", PASSWORD);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/scripts/%s", id), other), 404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_send("DELETE", rp_it_fmt("/api/v1/scripts/%s", id), other, NULL),
                         404, "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get("/api/v1/scripts/not-a-uuid", a), 404, "not_found");

    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rp_it_fmt("/api/v1/scripts/%s", id), a, NULL), 204);
    RP_IT_EXPECT_PROBLEM(rp_it_get(rp_it_fmt("/api/v1/scripts/%s", id), a), 404, "not_found");
}

static void dry_run_keeps_nothing(void **state)
{
    (void)state;
    const char *a = admin();
    const char *id = endpoint("dry_create",
                              "local req = ...\n"
                              "crm.log('creating', req.body.name)\n"
                              "for i = 1, 1000 do end\n"
                              "local c = crm.create('contact', {last_name = req.body.name})\n"
                              "return {id = c.id, user = crm.user().role}\n",
                              NULL);
    rp_it_resp_t *r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", id), a,
                                 "{\"body\":{\"name\":\"DryRun\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "outcome"), "ok");
    json_t *res = json_object_get(r->json, "result");
    assert_non_null(json_object_get(res, "id"));
    assert_string_equal(json_string_value(json_object_get(res, "user")), "admin");
    json_t *logs = json_object_get(r->json, "logs");
    assert_int_equal(json_array_size(logs), 1);
    assert_string_equal(json_string_value(json_array_get(logs, 0)), "creating DryRun");
    json_t *lim = json_object_get(r->json, "limits");
    assert_int_equal(json_integer_value(json_object_get(lim, "records_written")), 1);
    assert_true(json_integer_value(json_object_get(lim, "instructions")) > 0);
    assert_int_equal(json_integer_value(json_object_get(lim, "instructions_max")), 2000000);
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "DryRun"),
                     0);

    /* A dry run of a script that fails answers how, and keeps nothing. */
    const char *bad =
        endpoint("dry_loop", "crm.create('contact', {last_name = 'Loop'}) while true do end", NULL);
    r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", bad), a, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "outcome"), "limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "instructions");
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Loop"),
                     0);

    /* The dry runs are in the run log, marked, and do not count as failures. */
    r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s/runs", bad), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *runs = rp_it_jlist(r);
    assert_int_equal(json_array_size(runs), 1);
    json_t *run0 = json_array_get(runs, 0);
    assert_true(json_is_true(json_object_get(run0, "dry_run")));
    assert_string_equal(json_string_value(json_object_get(run0, "outcome")), "limit");
    assert_non_null(strstr(json_string_value(json_object_get(run0, "error")), "instruction"));
    r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s", bad), a);
    assert_int_equal(json_integer_value(json_object_get(r->json, "failures")), 0);
    still_serving();
}

static void dry_run_of_a_trigger(void **state)
{
    (void)state;
    const char *a = admin();
    const char *id = script(
        a, json_pack("{s:s, s:s, s:s, s:[s, s], s:s}", "name", "dry_trigger", "kind", "trigger",
                     "object", "account", "events", "before_create", "before_update", "code",
                     "local ev = ...\n"
                     "if not ev.new.website then crm.error('website', 'is required') end\n"
                     "ev.new.industry = ev.new.industry or 'Other'\n"
                     "if ev.old then crm.log('was', ev.old.fields.name) end\n"));
    rp_it_resp_t *r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", id), a,
                                 "{\"event\":\"before_create\",\"record\":{\"name\":\"Ac\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "outcome"), "rejected");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "website")),
        "is required");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "new"), "industry")), "Other");
    /* Against an existing record, for an update. */
    r = rp_it_send("POST", "/api/v1/records/account", a,
                   "{\"fields\":{\"name\":\"Old name\",\"website\":\"https://a.test\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *rec = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", id), a,
                   rp_it_fmt("{\"event\":\"before_update\",\"record_id\":\"%s\","
                             "\"record\":{\"name\":\"New name\"}}",
                             rec));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "outcome"), "ok");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r->json, "new"), "name")),
                        "New name");
    assert_string_equal(json_string_value(json_array_get(json_object_get(r->json, "logs"), 0)),
                        "was Old name");
    r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", id), a,
                   "{\"event\":\"before_update\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", id), a,
                   "{\"event\":\"after_delete\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    RP_IT_EXPECT_STATUS(rp_it_send("DELETE", rp_it_fmt("/api/v1/scripts/%s", id), a, NULL), 204);
}

static void endpoints_and_roles(void **state)
{
    (void)state;
    endpoint("hello", "local req = ... return {greeting = 'hello ' .. req.body.name}",
             "[\"manager\"]");
    const char *boss = rp_it_token("acme", "boss@acme.test", PASSWORD);
    const char *rep = rp_it_token("acme", "rep@acme.test", PASSWORD);
    rp_it_resp_t *r = call("hello", boss, "{\"name\":\"Ann\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "greeting"), "hello Ann");
    RP_IT_EXPECT_STATUS(call("hello", admin(), "{\"name\":\"Ann\"}"), 200);
    RP_IT_EXPECT_PROBLEM(call("hello", rep, "{\"name\":\"Ann\"}"), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(call("nope", boss, "{}"), 404, "not_found");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/scripts/hello/run", NULL, "{}"), 401);
    /* A scalar result comes wrapped. */
    endpoint("answer", "return 42", "[\"user\"]");
    r = call("answer", rep, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "result")), 42);
    /* Writes commit with the request, in the caller's name. */
    endpoint("make_contact",
             "local req = ... return crm.create('contact', {last_name = req.body.name})",
             "[\"user\"]");
    r = call("make_contact", rep, "{\"name\":\"Kept\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "last_name")),
        "Kept");
    assert_string_equal(rp_it_jstr(r, "owner_id"), rp_it_user_id("acme", "rep@acme.test"));
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Kept"),
                     1);
    /* opts.owner_id sets the owner, as a REST body's owner_id does. */
    endpoint("make_owned",
             "local req = ... return crm.create('contact', {last_name = 'Owned'}, "
             "{owner_id = req.body.owner})",
             NULL);
    const char *boss_id = rp_it_user_id("acme", "boss@acme.test");
    r = call("make_owned", admin(), rp_it_fmt("{\"owner\":\"%s\"}", boss_id));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "owner_id"), boss_id);
}

static void limits_roll_back(void **state)
{
    (void)state;
    const char *a = admin();
    endpoint("spin", "crm.create('contact', {last_name = 'Spin'}) while true do end", NULL);
    rp_it_resp_t *r = call("spin", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "instructions");
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Spin"),
                     0);
    still_serving();

    endpoint("bomb", "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end", NULL);
    r = call("bomb", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "memory");
    still_serving();

    endpoint("sneaky",
             "for i = 1, 100 do pcall(function() while true do end end) end "
             "return {escaped = true}",
             NULL);
    r = call("sneaky", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "instructions");
    still_serving();

    endpoint("deep", "local function f(n) return 1 + f(n + 1) end return f(1)", NULL);
    r = call("deep", a, NULL);
    assert_int_equal(r->status, 422);
    still_serving();

    endpoint("escape",
             "local ok1 = pcall(function() return os.execute('id') end) "
             "local ok2 = pcall(function() return io.open('/etc/passwd') end) "
             "local ok3 = pcall(function() return require('io') end) "
             "local ok4 = pcall(function() rawset(_G, 'x', 1) end) "
             "local ok5 = pcall(function() return getmetatable('').__index end) "
             "local ok6 = pcall(function() return string.dump(print) end) "
             "return {ok1, ok2, ok3, ok4, ok5, ok6}",
             NULL);
    r = call("escape", a, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *list = r->json;
    assert_int_equal(json_array_size(list), 6);
    for (size_t i = 0; i < 6; i++)
        assert_true(json_is_false(json_array_get(list, i)));

    /* Governor: records written per transaction. */
    endpoint("many", "for i = 1, 60 do crm.create('contact', {last_name = 'Many'}) end", NULL);
    r = call("many", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "records_written");
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Many"),
                     0);

    /* Governor: queries per transaction (200 by default). */
    endpoint("chatty",
             "for i = 1, 300 do crm.get('contact', '00000000-0000-0000-0000-000000000000') end",
             NULL);
    r = call("chatty", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "queries");

    /* A runtime error also rolls back and says which script. */
    endpoint("oops", "crm.create('contact', {last_name = 'Oops'}) error('boom')", NULL);
    r = call("oops", a, NULL);
    RP_IT_EXPECT_PROBLEM(r, 422, "script_error");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "boom"));
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "oops"));
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Oops"),
                     0);
    still_serving();
}

static void triggers_validate_and_default(void **state)
{
    (void)state;
    const char *a = admin();
    script(a, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "contact_rules", "kind", "trigger",
                        "object", "contact", "events", "before_create", "code",
                        "local ev = ...\n"
                        "if ev.new.last_name == 'Nobody' then\n"
                        "  crm.error('last_name', 'Nobody is not a name')\n"
                        "end\n"
                        "ev.new.first_name = ev.new.first_name or 'Default'\n"));
    endpoint("add_contact",
             "local req = ... return crm.create('contact', {last_name = req.body.name})",
             "[\"user\"]");
    rp_it_resp_t *r = call("add_contact", admin(), "{\"name\":\"Nobody\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "last_name")),
        "Nobody is not a name");
    assert_int_equal(count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Nobody"),
                     0);
    r = call("add_contact", admin(), "{\"name\":\"Somebody\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "first_name")),
        "Default");
    /* A before_update trigger changes the patch; other fields stay. */
    script(a, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "suffix", "kind", "trigger",
                        "object", "account", "events", "before_update", "code",
                        "local ev = ...\n"
                        "if ev.new.name ~= ev.old.fields.name then ev.new.name = ev.new.name .. "
                        "' Inc' end\n"
                        "ev.new.phone = nil\n"));
    r = rp_it_send("POST", "/api/v1/records/account", a,
                   "{\"fields\":{\"name\":\"Foo\",\"website\":\"https://foo.test\","
                   "\"phone\":\"+33123456789\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *acc = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    endpoint("rename", "local req = ... return crm.update('account', req.body.id, {name = 'Bar'})",
             NULL);
    r = call("rename", a, rp_it_fmt("{\"id\":\"%s\"}", acc));
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *f = json_object_get(r->json, "fields");
    assert_string_equal(json_string_value(json_object_get(f, "name")), "Bar Inc");
    assert_string_equal(json_string_value(json_object_get(f, "website")), "https://foo.test");
    assert_null(json_object_get(f, "phone"));
    assert_true(rp_it_sql("SELECT data->>'phone' FROM records WHERE id = $1", acc, NULL) == NULL);
}

/* A before trigger may fill a read-only field (a value it derives) that
 * the caller did not give; a caller that gives one is still refused. */
static void triggers_fill_read_only_fields(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/objects", a,
                                   "{\"name\":\"ticket__c\",\"label\":\"Ticket\",\"fields\":["
                                   "{\"name\":\"title__c\",\"type\":\"text\",\"required\":true},"
                                   "{\"name\":\"slug__c\",\"type\":\"text\",\"read_only\":true}]}"),
                        201);
    script(a,
           json_pack("{s:s, s:s, s:s, s:[s, s], s:s}", "name", "ticket_slug", "kind", "trigger",
                     "object", "ticket__c", "events", "before_create", "before_update", "code",
                     "local ev = ...\n"
                     "if ev.new.title__c then\n"
                     "  ev.new.slug__c = string.lower(string.gsub(ev.new.title__c, '%s+', '-'))\n"
                     "end\n"));
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/ticket__c", a,
                                 "{\"fields\":{\"title__c\":\"Printer On Fire\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "slug__c")),
        "printer-on-fire");
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/ticket__c/%s", id), a,
                   "{\"fields\":{\"title__c\":\"Printer Fixed\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "slug__c")),
        "printer-fixed");
    /* The caller's own value is refused, even though the trigger would
     * overwrite it. */
    r = rp_it_send("POST", "/api/v1/records/ticket__c", a,
                   "{\"fields\":{\"title__c\":\"Mine\",\"slug__c\":\"mine\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "slug__c")),
        "is read-only");
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/ticket__c/%s", id), a,
                   "{\"fields\":{\"slug__c\":\"other\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(rp_it_sql("SELECT data->>'slug__c' FROM records WHERE id = $1", id, NULL),
                        "printer-fixed");
}

static void workflow_and_self_update(void **state)
{
    (void)state;
    const char *a = admin();
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/objects", a,
                   "{\"name\":\"deal__c\",\"label\":\"Deal\",\"fields\":["
                   "{\"name\":\"title__c\",\"type\":\"text\",\"required\":true},"
                   "{\"name\":\"stage__c\",\"type\":\"picklist\",\"values\":[\"Open\",\"Won\","
                   "\"Lost\"]}]}"),
        201);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/objects", a,
                   "{\"name\":\"todo__c\",\"label\":\"To do\",\"fields\":["
                   "{\"name\":\"subject__c\",\"type\":\"text\",\"required\":true},"
                   "{\"name\":\"deal__c\",\"type\":\"reference\",\"reference\":\"deal__c\"}]}"),
        201);
    script(a, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "onboarding", "kind", "trigger",
                        "object", "deal__c", "events", "after_update", "code",
                        "local ev = ...\n"
                        "if ev.new.stage__c == 'Won' and ev.old.fields.stage__c ~= 'Won' then\n"
                        "  crm.create('todo__c', {subject__c = 'Onboard ' .. ev.new.title__c,\n"
                        "                         deal__c = ev.id})\n"
                        "end\n"));
    endpoint("deal",
             "local req = ...\n"
             "if req.body.id then return crm.update('deal__c', req.body.id, {stage__c = "
             "req.body.stage}) end\n"
             "return crm.create('deal__c', {title__c = req.body.title, stage__c = 'Open'})\n",
             "[\"user\"]");
    rp_it_resp_t *r = call("deal", a, "{\"title\":\"Big\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    const char *deal = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_int_equal(count("SELECT count(*) FROM records WHERE object = $1", "todo__c"), 0);
    r = call("deal", a, rp_it_fmt("{\"id\":\"%s\",\"stage\":\"Won\"}", deal));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(count("SELECT count(*) FROM records WHERE object = 'todo__c' AND "
                           "data->>'deal__c' = $1",
                           deal),
                     1);
    assert_string_equal(rp_it_sql("SELECT data->>'subject__c' FROM records WHERE object = "
                                  "'todo__c' AND data->>'deal__c' = $1",
                                  deal, NULL),
                        "Onboard Big");

    /* A trigger that updates its own record stops at depth 16, and the
     * whole request rolls back. */
    script(a, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "loop", "kind", "trigger", "object",
                        "deal__c", "events", "after_update", "code",
                        "local ev = ...\n"
                        "crm.update('deal__c', ev.id, {title__c = 'Loop ' .. ev.depth})\n"));
    r = call("deal", a, rp_it_fmt("{\"id\":\"%s\",\"stage\":\"Lost\"}", deal));
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "trigger_depth");
    assert_string_equal(
        rp_it_sql("SELECT data->>'stage__c' FROM records WHERE id = $1", deal, NULL), "Won");
    still_serving();
}

/* The REST API's own writes fire the same triggers as scripts' writes: a
 * before_create rule refusing and defaulting, a before_update trigger
 * changing the patch, and the self-updating trigger stopping at its depth
 * limit with the whole request rolled back. */
static void rest_writes_fire_triggers(void **state)
{
    (void)state;
    const char *a = admin();
    rp_it_resp_t *r =
        rp_it_send("POST", "/api/v1/records/contact", a, "{\"fields\":{\"last_name\":\"Nobody\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "errors"), "last_name")),
        "Nobody is not a name");
    r = rp_it_send("POST", "/api/v1/records/contact", a,
                   "{\"fields\":{\"last_name\":\"Restful\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "first_name")),
        "Default");
    /* The run is logged by the run-log writer, behind the request. */
    const char *ok_runs = "SELECT count(*)::text FROM script_runs r JOIN scripts s ON s.id = "
                          "r.script_id AND s.tenant_id = r.tenant_id WHERE s.name = $1 AND "
                          "r.outcome = 'ok'";
    long before = atol(rp_it_sql(ok_runs, "contact_rules", NULL));
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/records/contact", a, "{\"fields\":{\"last_name\":\"Logged\"}}"),
        201);
    double deadline = rp_it_now() + 10;
    while (atol(rp_it_sql(ok_runs, "contact_rules", NULL)) <= before && rp_it_now() < deadline)
        rp_it_sleep_ms(50);
    assert_true(atol(rp_it_sql(ok_runs, "contact_rules", NULL)) > before);
    const char *acc = rp_it_sql("SELECT id::text FROM records WHERE object = 'account' AND "
                                "data->>'name' = 'Bar Inc'",
                                NULL);
    assert_non_null(acc);
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/account/%s", acc), a,
                   "{\"fields\":{\"name\":\"Rest\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "name")), "Rest Inc");
    const char *deal =
        rp_it_sql("SELECT id::text FROM records WHERE object = 'deal__c' LIMIT 1", NULL);
    assert_non_null(deal);
    const char *title =
        rp_it_sql("SELECT data->>'title__c' FROM records WHERE id = $1", deal, NULL);
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/deal__c/%s", deal), a,
                   "{\"fields\":{\"stage__c\":\"Lost\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "script_limit");
    assert_string_equal(rp_it_jstr(r, "limit"), "trigger_depth");
    assert_string_equal(
        rp_it_sql("SELECT data->>'title__c' FROM records WHERE id = $1", deal, NULL), title);
    still_serving();
}

static void tenant_isolation(void **state)
{
    (void)state;
    const char *other = rp_it_token("other", "admin@other.test", PASSWORD);
    rp_it_resp_t *r = rp_it_send("POST", "/api/v1/records/contact", other,
                                 "{\"fields\":{\"last_name\":\"Secret\"}}");
    RP_IT_EXPECT_STATUS(r, 201);
    const char *secret = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    endpoint("peek",
             "local req = ...\n"
             "local got = crm.get('contact', req.body.id)\n"
             "local list = crm.query('contact', {field = 'last_name', op = 'eq', value = "
             "'Secret'})\n"
             "return {found = got ~= nil, listed = #list}\n",
             NULL);
    r = call("peek", admin(), rp_it_fmt("{\"id\":\"%s\"}", secret));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_false(json_object_get(r->json, "found")));
    assert_int_equal(json_integer_value(json_object_get(r->json, "listed")), 0);
    endpoint("tamper",
             "local req = ... return crm.update('contact', req.body.id, {last_name = 'Mine'})",
             NULL);
    r = call("tamper", admin(), rp_it_fmt("{\"id\":\"%s\"}", secret));
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    endpoint("wipe", "local req = ... return crm.delete('contact', req.body.id)", NULL);
    RP_IT_EXPECT_PROBLEM(call("wipe", admin(), rp_it_fmt("{\"id\":\"%s\"}", secret)), 404,
                         "not_found");
    assert_string_equal(
        rp_it_sql("SELECT data->>'last_name' FROM records WHERE id = $1", secret, NULL), "Secret");
    assert_true(rp_it_sql("SELECT deleted_at FROM records WHERE id = $1", secret, NULL) == NULL ||
                strcmp(rp_it_sql("SELECT coalesce(deleted_at::text, '') FROM records WHERE id = "
                                 "$1",
                                 secret, NULL),
                       "") == 0);
}

static void run_log_and_auto_disable(void **state)
{
    (void)state;
    const char *a = admin();
    const char *id = endpoint("flaky", "error('always fails')", NULL);
    for (int i = 0; i < 20; i++)
        RP_IT_EXPECT_PROBLEM(call("flaky", a, NULL), 422, "script_error");
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s/runs?limit=100", id), a);
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *runs = rp_it_jlist(r);
    assert_int_equal(json_array_size(runs), 20);
    json_t *run0 = json_array_get(runs, 0);
    assert_string_equal(json_string_value(json_object_get(run0, "outcome")), "error");
    assert_string_equal(json_string_value(json_object_get(run0, "via")), "endpoint");
    assert_non_null(strstr(json_string_value(json_object_get(run0, "error")), "always fails"));
    assert_non_null(strstr(json_string_value(json_object_get(run0, "error")), "now disabled"));
    assert_null(strstr(json_string_value(json_object_get(json_array_get(runs, 1), "error")),
                       "now disabled"));
    assert_non_null(json_object_get(run0, "duration_ms"));
    assert_non_null(json_object_get(run0, "instructions"));
    assert_non_null(json_object_get(run0, "started_at"));
    r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s", id), a);
    assert_true(json_is_false(json_object_get(r->json, "enabled")));
    assert_int_equal(json_integer_value(json_object_get(r->json, "failures")), 20);
    assert_non_null(strstr(rp_it_jstr(r, "disabled_reason"), "20 consecutive"));
    RP_IT_EXPECT_PROBLEM(call("flaky", a, NULL), 404, "not_found");
    /* Enabling it again forgets the failures. */
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/scripts/%s", id), a,
                   "{\"enabled\":true,\"code\":\"return 'fixed'\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_int_equal(json_integer_value(json_object_get(r->json, "failures")), 0);
    assert_true(json_is_null(json_object_get(r->json, "disabled_reason")));
    r = call("flaky", a, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "result"), "fixed");
}

static void enqueue_only_on_commit(void **state)
{
    (void)state;
    const char *a = admin();
    endpoint("notify",
             "local req = ... return {job = crm.enqueue('email.send', {to = req.body.to})}", NULL);
    endpoint("notify_fail", "crm.enqueue('email.send', {to = 'lost'}) error('no')", NULL);
    rp_it_resp_t *r = call("notify", a, "{\"to\":\"ann@example.test\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    const char *job = rp_it_jstr(r, "job");
    assert_non_null(job);
    assert_string_equal(
        rp_it_sql("SELECT payload->>'to' FROM script_jobs WHERE id = $1", job, NULL),
        "ann@example.test");
    assert_string_equal(rp_it_sql("SELECT kind FROM script_jobs WHERE id = $1", job, NULL),
                        "email.send");
    RP_IT_EXPECT_PROBLEM(call("notify_fail", a, NULL), 422, "script_error");
    assert_int_equal(count("SELECT count(*) FROM script_jobs WHERE payload->>'to' = $1", "lost"),
                     0);
}

static void module_functions(void **state)
{
    (void)state;
    const char *a = admin();
    endpoint("shout", "local req = ... return rapport.example.shout(req.body.text)", NULL);
    /* Only once the tenant enabled the module. */
    rp_it_resp_t *r = call("shout", a, "{\"text\":\"hi\"}");
    RP_IT_EXPECT_PROBLEM(r, 422, "script_error");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "not enabled"));
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/enable", a, NULL), 200);
    r = call("shout", a, "{\"text\":\"hi\"}");
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "result"), "HI");
    /* A failing module function ends the script. */
    endpoint("shout_bad", "local ok = pcall(rapport.example.shout, 42) return {ok = ok}", NULL);
    RP_IT_EXPECT_PROBLEM(call("shout_bad", a, NULL), 422, "script_error");
    RP_IT_EXPECT_STATUS(rp_it_send("POST", "/api/v1/modules/example/disable", a, NULL), 200);
}

static void scheduled_script_runs_once_per_tick(void **state)
{
    (void)state;
    const char *a = admin();
    const char *id = script(a, json_pack("{s:s, s:s, s:s, s:s}", "name", "ticker", "kind",
                                         "scheduled", "cron", "* * * * *", "code",
                                         "local t = ... crm.create('contact', {last_name = "
                                         "'Tick', first_name = tostring(t.minute)})"));
    double until = rp_it_now() + 15;
    while (rp_it_now() < until &&
           count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Tick") < 2)
        rp_it_sleep_ms(200);
    long n = count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "Tick");
    assert_true(n >= 2);
    /* Once per tick: no two runs share one. */
    assert_int_equal(count("SELECT count(*) - count(DISTINCT data->>'first_name') FROM records "
                           "WHERE data->>'last_name' = $1",
                           "Tick"),
                     0);
    /* Acting as the tenant's first admin. */
    assert_string_equal(rp_it_sql("SELECT DISTINCT created_by::text FROM records WHERE "
                                  "data->>'last_name' = $1",
                                  "Tick", NULL),
                        rp_it_user_id("acme", "admin@acme.test"));
    rp_it_resp_t *r = rp_it_get(rp_it_fmt("/api/v1/scripts/%s/runs", id), a);
    json_t *run0 = json_array_get(rp_it_jlist(r), 0);
    assert_string_equal(json_string_value(json_object_get(run0, "via")), "scheduled");
    assert_string_equal(json_string_value(json_object_get(run0, "outcome")), "ok");
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/scripts/%s", id), a, "{\"enabled\":false}"), 200);

    /* run_as names the acting user instead. */
    const char *rep = rp_it_user_id("acme", "rep@acme.test");
    const char *id2 =
        script(a, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "ticker_rep", "kind", "scheduled",
                            "cron", "* * * * *", "code",
                            "crm.create('contact', {last_name = 'TickRep'})", "run_as", rep));
    until = rp_it_now() + 15;
    while (rp_it_now() < until &&
           count("SELECT count(*) FROM records WHERE data->>'last_name' = $1", "TickRep") < 1)
        rp_it_sleep_ms(200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("PATCH", rp_it_fmt("/api/v1/scripts/%s", id2), a, "{\"enabled\":false}"), 200);
    assert_string_equal(rp_it_sql("SELECT DISTINCT created_by::text FROM records WHERE "
                                  "data->>'last_name' = $1",
                                  "TickRep", NULL),
                        rep);
}

/* The text of tenants/examples/name (tracked). */
static const char *example(const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/tenants/examples/%s", RAPPORT_SOURCE_DIR, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        RP_IT_FAIL("cannot open %s", path);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return rp_it_fmt("%s", buf);
}

/* The scripting guide's examples, run as a tenant admin would (in the
 * other tenant, so that their rules meet nothing else). */
static void guide_examples_run(void **state)
{
    (void)state;
    const char *o = rp_it_token("other", "admin@other.test", PASSWORD);
    const char *desk = rp_it_user_id("other", "admin@other.test");
    script(o, json_pack("{s:s, s:s, s:s, s:[s, s], s:s}", "name", "validate_contact", "kind",
                        "trigger", "object", "contact", "events", "before_create", "before_update",
                        "code", example("validate_contact.lua")));
    script(o, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "account_defaults", "kind",
                        "trigger", "object", "account", "events", "before_create", "code",
                        example("account_defaults.lua")));
    char *assign = strdup(example("assign_owner.lua"));
    char *slot = strstr(assign, "00000000-0000-0000-0000-000000000000");
    assert_non_null(slot);
    memcpy(slot, desk, 36);
    script(o, json_pack("{s:s, s:s, s:s, s:[s], s:s}", "name", "assign_owner", "kind", "trigger",
                        "object", "account", "events", "after_create", "code", assign));
    free(assign);
    script(o,
           json_pack("{s:s, s:s, s:[s, s], s:s}", "name", "account_summary", "kind", "endpoint",
                     "roles", "user", "manager", "code", example("account_summary_endpoint.lua")));
    const char *nightly =
        script(o, json_pack("{s:s, s:s, s:s, s:s}", "name", "nightly", "kind", "scheduled", "cron",
                            "0 2 * * *", "code", example("nightly_stale_contacts.lua")));
    script(o, json_pack("{s:s, s:s, s:s}", "name", "write", "kind", "endpoint", "code",
                        "local req = ... if req.body.id then return crm.update(req.body.object, "
                        "req.body.id, req.body.fields) end return crm.create(req.body.object, "
                        "req.body.fields)"));

    /* Validation. */
    rp_it_resp_t *r =
        call("write", o, "{\"object\":\"contact\",\"fields\":{\"last_name\":\"Lee\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "email"));
    r = call("write", o,
             "{\"object\":\"contact\",\"fields\":{\"last_name\":\"SHOUTING\",\"email\":"
             "\"s@x.test\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(json_object_get(json_object_get(r->json, "errors"), "last_name"));
    /* Defaults, derived fields and the assignment rule. */
    r = call("write", o,
             "{\"object\":\"account\",\"fields\":{\"name\":\"Plain\",\"website\":"
             "\"plain.test\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    json_t *f = json_object_get(r->json, "fields");
    assert_string_equal(json_string_value(json_object_get(f, "industry")), "Other");
    assert_string_equal(json_string_value(json_object_get(f, "website")), "https://plain.test");
    const char *plain = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    r = call("write", o,
             "{\"object\":\"account\",\"fields\":{\"name\":\"Bank\",\"industry\":"
             "\"Banking\"}}");
    RP_IT_EXPECT_STATUS(r, 200);
    const char *bank = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    assert_string_equal(rp_it_sql("SELECT owner_id::text FROM records WHERE id = $1", bank, NULL),
                        desk);
    /* The endpoint. */
    r = call("write", o,
             rp_it_fmt("{\"object\":\"contact\",\"fields\":{\"last_name\":\"Lee\",\"email\":"
                       "\"lee@x.test\",\"account_id\":\"%s\"}}",
                       plain));
    RP_IT_EXPECT_STATUS(r, 200);
    r = call("account_summary", o, rp_it_fmt("{\"account_id\":\"%s\"}", plain));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "found")));
    assert_string_equal(rp_it_jstr(r, "name"), "Plain");
    assert_int_equal(json_integer_value(json_object_get(r->json, "contacts")), 1);
    /* The nightly job, tried now. */
    r = rp_it_send("POST", rp_it_fmt("/api/v1/scripts/%s/dry-run", nightly), o, NULL);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "outcome"), "ok");
    assert_non_null(strstr(json_string_value(json_array_get(json_object_get(r->json, "logs"), 0)),
                           "contacts without e-mail:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(admin_api),
        RP_IT_TEST(dry_run_keeps_nothing),
        RP_IT_TEST(dry_run_of_a_trigger),
        RP_IT_TEST(endpoints_and_roles),
        RP_IT_TEST(limits_roll_back),
        RP_IT_TEST(triggers_validate_and_default),
        RP_IT_TEST(triggers_fill_read_only_fields),
        RP_IT_TEST(workflow_and_self_update),
        RP_IT_TEST(rest_writes_fire_triggers),
        RP_IT_TEST(tenant_isolation),
        RP_IT_TEST(run_log_and_auto_disable),
        RP_IT_TEST(enqueue_only_on_commit),
        RP_IT_TEST(module_functions),
        RP_IT_TEST(scheduled_script_runs_once_per_tick),
        RP_IT_TEST(guide_examples_run),
    };
    RP_IT_RUN("scripts", tests, setup, teardown);
}
