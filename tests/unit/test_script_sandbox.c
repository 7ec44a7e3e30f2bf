/* The Lua sandbox: every escape the scripting guide promises to stop
 * fails safely, every limit is reported by name and cannot be caught by
 * pcall, and the state stays usable (or is marked for rebuilding). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "script/internal.h"

static rp_script_limits_t limits(void)
{
    rp_script_limits_t l = {.instructions = 1000000,
                            .timeout_ms = 5000,
                            .memory = 4u << 20,
                            .queries = 10,
                            .reads = 10,
                            .writes = 10,
                            .cache = 4};
    return l;
}

typedef struct fixture {
    rp_sbox_t *sb;
    rp_ctx_t ctx;
    rp_sbox_run_t run;
    int n;
} fixture_t;

static fixture_t F;

static int setup(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    rp_script_limits_t l = limits();
    return rp_sbox_new(&l, &F.sb) == RP_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rp_sbox_run_clear(&F.run);
    rp_sbox_free(F.sb);
    rp_pool_clear(&F.ctx.pool);
    return 0;
}

/* Runs code as a new chunk with arg (may be NULL) and returns the status. */
static rp_status_t run_arg(const char *code, const json_t *arg)
{
    rp_sbox_run_clear(&F.run);
    memset(&F.run, 0, sizeof F.run);
    F.run.script_id = "00000000-0000-0000-0000-000000000000";
    F.run.script_name = "test";
    char key[32];
    snprintf(key, sizeof key, "chunk%d", F.n++);
    return rp_sbox_call(F.sb, &F.ctx, key, code, arg, &F.run);
}

static rp_status_t run(const char *code)
{
    return run_arg(code, NULL);
}

static void expect_true(const char *code)
{
    rp_status_t st = run(code);
    if (st != RP_OK)
        fail_msg("%s: %s", code, F.run.error);
    if (!json_is_true(F.run.result))
        fail_msg("%s: did not return true", code);
}

static void expect_error(const char *code, const char *needle)
{
    rp_status_t st = run(code);
    if (st != RP_ERR)
        fail_msg("%s: expected a runtime error, got status %d", code, st);
    if (needle && strstr(F.run.error, needle) == NULL)
        fail_msg("%s: error '%s' does not mention '%s'", code, F.run.error, needle);
    assert_false(rp_sbox_spoiled(F.sb));
}

static void expect_limit(const char *code, const char *limit)
{
    rp_status_t st = run(code);
    if (st != RP_ELIMIT)
        fail_msg("%s: expected limit %s, got status %d (%s)", code, limit, st, F.run.error);
    assert_non_null(F.run.limit);
    assert_string_equal(F.run.limit, limit);
    assert_null(F.run.result);
    assert_true(rp_sbox_spoiled(F.sb));
}

static void test_plain_run(void **state)
{
    (void)state;
    assert_int_equal(run("local a, b = 2, 3 return {sum = a + b, list = {1, 2}}"), RP_OK);
    assert_int_equal(json_integer_value(json_object_get(F.run.result, "sum")), 5);
    assert_int_equal(json_array_size(json_object_get(F.run.result, "list")), 2);
    assert_true(F.run.instructions >= 0);
    expect_true("return _VERSION == 'Lua 5.4'");
    expect_true("return math.max(1, 2) == 2 and string.upper('a') == 'A' and ('x'):rep(3) == "
                "'xxx' and utf8.char(233) == '\\u{e9}' and table.concat({'a','b'}) == 'ab'");
    expect_true("return type(os.time()) == 'number' and type(os.clock()) == 'number' and "
                "type(os.date('!%Y')) == 'string'");
}

static void test_removed_functions(void **state)
{
    (void)state;
    expect_true("return load == nil and loadfile == nil and dofile == nil and "
                "collectgarbage == nil and require == nil and package == nil");
    expect_true("return io == nil and debug == nil and coroutine == nil");
    expect_true("return os.execute == nil and os.getenv == nil and os.exit == nil and "
                "os.remove == nil and os.rename == nil and os.tmpname == nil");
    expect_true("return string.dump == nil");
    expect_error("return string.dump(function() end)", "dump");
    expect_error("return os.execute('true')", "execute");
    expect_error("return io.open('/etc/passwd')", "io");
    expect_error("return require('os')", "require");
    expect_error("return debug.getregistry()", "debug");
    expect_error("return load('return 1')()", "load");
}

static void test_binary_chunk_refused(void **state)
{
    (void)state;
    const char bin[] = "\x1bLuaT\x00\x19\x93\r\n\x1a\n";
    expect_error(bin, "binary");
}

static void test_string_metatable_unreachable(void **state)
{
    (void)state;
    expect_true("return getmetatable('') == false");
    expect_error("return getmetatable('').__index", NULL);
    expect_error("setmetatable('', {})", NULL);
    expect_error("local s = 'x' s.upper = nil", NULL);
    /* And strings still have their methods. */
    expect_true("return ('abc'):upper() == 'ABC'");
}

static void test_globals_and_libraries_read_only(void **state)
{
    (void)state;
    expect_error("x = 1", "read-only");
    expect_error("_G.x = 1", "read-only");
    expect_error("string.upper = nil", "read-only");
    expect_error("math.pi = 3", "read-only");
    expect_error("crm.log = nil", "read-only");
    expect_error("crm.json.null = 1", "read-only");
    expect_error("os.time = nil", "read-only");
    expect_error("rawset(_G, 'x', 1)", "read-only");
    expect_error("rawset(string, 'upper', print)", "read-only");
    expect_error("rawset(table, 'insert', print)", "read-only");
    expect_error("setmetatable(_G, {})", "protected");
    expect_error("setmetatable(string, {})", "protected");
    expect_error("setmetatable(crm, {})", "protected");
    expect_true("return getmetatable(_G) == false and getmetatable(math) == false");
    expect_error("table.insert(string, 1)", NULL);
    /* Nothing above changed anything. */
    expect_true("return x == nil and string.upper('a') == 'A' and math.pi > 3.14");
    /* Tables the script makes are its own. */
    expect_true("local t = {} rawset(t, 'a', 1) setmetatable(t, {}) return t.a == 1");
}

static void test_instruction_limit(void **state)
{
    (void)state;
    expect_limit("while true do end", "instructions");
    assert_true(F.run.instructions >= 1000000);
    assert_non_null(strstr(F.run.error, "instruction"));
}

static void test_tail_recursion_loop(void **state)
{
    (void)state;
    expect_limit("local function f() return f() end return f()", "instructions");
}

static void test_pcall_cannot_catch_limits(void **state)
{
    (void)state;
    expect_limit("while true do pcall(function() while true do end end) end", "instructions");
    teardown(NULL);
    setup(NULL);
    expect_limit("for i = 1, 3 do pcall(function() while true do end end) end return 'escaped'",
                 "instructions");
    teardown(NULL);
    setup(NULL);
    expect_limit("local ok = pcall(string.rep, 'x', 1 << 30) return ok", "memory");
    teardown(NULL);
    setup(NULL);
    expect_limit("for i = 1, 5 do xpcall(function() while true do end end, function(e) "
                 "return e end) end return 1",
                 "instructions");
}

static void test_memory_limit(void **state)
{
    (void)state;
    expect_limit("local t = {} for i = 1, 1e8 do t[i] = i end", "memory");
    teardown(NULL);
    setup(NULL);
    expect_limit("return string.rep('x', 1 << 30)", "memory");
    teardown(NULL);
    setup(NULL);
    expect_limit("local s = 'x' while true do s = s .. s end", "memory");
}

static void test_time_limit(void **state)
{
    (void)state;
    teardown(NULL);
    rp_script_limits_t l = limits();
    l.instructions = 1LL << 50;
    l.timeout_ms = 100;
    memset(&F, 0, sizeof F);
    assert_int_equal(rp_sbox_new(&l, &F.sb), RP_OK);
    expect_limit("while true do end", "time");
}

static void test_unbounded_recursion(void **state)
{
    (void)state;
    rp_status_t st = run("local function f(n) return 1 + f(n + 1) end return f(1)");
    assert_true(st == RP_ERR || st == RP_ELIMIT);
    assert_null(F.run.result);
}

static void test_state_usable_after_error(void **state)
{
    (void)state;
    expect_error("error('boom')", "boom");
    expect_error("local t = nil return t.x", NULL);
    expect_true("return true");
}

static void test_log_and_json(void **state)
{
    (void)state;
    assert_int_equal(run("print('a', 1) crm.log('b', true, nil) return crm.json.encode({x = 1})"),
                     RP_OK);
    assert_int_equal(json_array_size(F.run.logs), 2);
    assert_string_equal(json_string_value(json_array_get(F.run.logs, 0)), "a 1");
    assert_string_equal(json_string_value(json_array_get(F.run.logs, 1)), "b true nil");
    assert_string_equal(json_string_value(F.run.result), "{\"x\":1}");
    expect_true("local v = crm.json.decode('{\"a\":[1,2,null]}') return v.a[2] == 2 and "
                "v.a[3] == crm.json.null");
    expect_error("crm.json.decode('{')", "decode");
    expect_error("local t = {} t.t = t return crm.json.encode(t)", "deeper");
    expect_true("return type(crm.now()) == 'string' and #crm.now() == 24");
}

static void test_argument_and_write_back(void **state)
{
    (void)state;
    json_t *arg = json_pack("{s:s, s:{s:i}}", "event", "before_create", "new", "amount", 5);
    rp_status_t st = run_arg("local ev = ... ev.new.amount = ev.new.amount * 2 ev.new.stage = "
                             "'new' crm.error('name', 'is required')",
                             arg);
    json_decref(arg);
    assert_int_equal(st, RP_OK);
    assert_int_equal(json_integer_value(json_object_get(F.run.new_fields, "amount")), 10);
    assert_string_equal(json_string_value(json_object_get(F.run.new_fields, "stage")), "new");
    assert_string_equal(json_string_value(json_object_get(F.run.errors, "name")), "is required");
}

static void test_result_not_json(void **state)
{
    (void)state;
    expect_error("return function() end", "JSON");
}

static void test_syntax_check(void **state)
{
    (void)state;
    char err[200];
    int line;
    assert_int_equal(rp_sbox_check("local a = 1\nreturn a", err, sizeof err, &line), RP_OK);
    assert_int_equal(rp_sbox_check("local a = 1\n\nif a then\n", err, sizeof err, &line),
                     RP_EINVAL);
    assert_int_equal(line, 4);
    assert_non_null(strstr(err, "line 4"));
    assert_int_equal(rp_sbox_check("local x = = 2", err, sizeof err, &line), RP_EINVAL);
    assert_int_equal(line, 1);
}

static void test_small_state(void **state)
{
    (void)state;
    /* A tenant's state must stay small: the design allows 1 MB. */
    assert_true(rp_sbox_memory(F.sb) < (1u << 20));
    expect_true("return true");
    assert_true(rp_sbox_memory(F.sb) < (1u << 20));
}

/* Every example of the scripting guide compiles. */
static void test_examples_compile(void **state)
{
    (void)state;
    static const char *const names[] = {"validate_contact.lua",
                                        "account_defaults.lua",
                                        "assign_owner.lua",
                                        "won_opportunity_onboarding.lua",
                                        "nightly_stale_contacts.lua",
                                        "account_summary_endpoint.lua",
                                        NULL};
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", __FILE__);
    char *cut = strstr(dir, "tests/unit/");
    assert_non_null(cut);
    *cut = '\0';
    for (int i = 0; names[i]; i++) {
        char path[1200];
        snprintf(path, sizeof path, "%stenants/examples/%s", dir, names[i]);
        FILE *f = fopen(path, "r");
        if (f == NULL)
            fail_msg("%s: cannot open", path);
        static char code[65536];
        size_t n = fread(code, 1, sizeof code - 1, f);
        fclose(f);
        code[n] = '\0';
        char err[300];
        int line;
        if (rp_sbox_check(code, err, sizeof err, &line) != RP_OK)
            fail_msg("%s: %s", names[i], err);
    }
}

/* Serialises every value a call gives back, the same way in both states. */
#define SER                                                                                        \
    "local function ser(...) local t = table.pack(...) local o = {} "                              \
    "for i = 1, t.n do o[#o + 1] = type(t[i]) .. ':' .. tostring(t[i]) end "                       \
    "return table.concat(o, ',') end "

/* Pattern calls whose answers (or errors) must be Lua 5.4's own. */
static const char *const pattern_cases[] = {
    "ser(string.find('hello world', 'o w'))",
    "ser(string.find('hello world', 'o', 6))",
    "ser(string.find('hello world', 'l+'))",
    "ser(string.find('hello', 'l', -2))",
    "ser(string.find('hello', 'l', -100))",
    "ser(string.find('hello', '', 10))",
    "ser(string.find('hello', '', 6))",
    "ser(string.find('a.b', '.', 1, true))",
    "ser(string.find('a+b', '+', 1, true))",
    "ser(string.find('abc', '[a-', 1, true))",
    "ser(string.find('key = value', '(%w+)%s*=%s*(%w+)'))",
    "ser(string.find('abc', '()b()'))",
    "ser(string.match('2026-11-23', '(%d+)-(%d+)-(%d+)'))",
    "ser(string.match('  trim me  ', '^%s*(.-)%s*$'))",
    "ser(string.match('hello', '^(h)(e)'))",
    "ser(string.match('hello', 'l*'))",
    "ser(string.match('hello', 'x?h'))",
    "ser(string.match('aaab', 'a-b'))",
    "ser(string.match('f(a(b)c)d', '%b()'))",
    "ser(string.match('THE (quick) fox', '%f[%a]%a+'))",
    "ser(string.match('abcabc', '(abc)%1'))",
    "ser(string.match('x = \"a\\\\\"b\"', '\"(.-)\"'))",
    "ser(string.match('[]]', '[]]+'))",
    "ser(string.match('a-b_c', '[%w_-]+'))",
    "ser(string.match('Caps', '[^%l]'))",
    "ser(string.match('tab\\there', '%c'))",
    "ser(string.match('0x1F', '%x+', 3))",
    "ser(string.match('punct!?', '%p+'))",
    "ser(string.match('abc', '.-$'))",
    "ser(string.match('a$b', 'a$b'))",
    "ser(string.match('hello', '()ll()'))",
    "ser(string.match('', '.*'))",
    "ser(string.match('abc', 'z'))",
    "ser(string.match('abc123def', '%d+'))",
    "ser(string.match('ab12', '%D+'))",
    "ser(string.gsub('a1 b2_c3', '%W', '.'))",
    "ser(string.gsub('Hello World', '%l', 'x'))",
    "ser(string.gsub('Hello World', '%u', 'x'))",
    "ser(string.gsub(' a\\tb\\n', '%S', '#'))",
    "ser(string.gsub('a b\\tc', '%s', '_'))",
    "ser(string.gsub('a!b.c', '%P', ''))",
    "ser(string.gsub('az09AZ', '[b-y1-8B-Y]', '*'))",
    "ser(string.gsub('hello', '[^l]', ''))",
    "ser(string.gsub('hello world', 'o', '0'))",
    "ser(string.gsub('hello world', 'o', '0', 1))",
    "ser(string.gsub('hello', '', '-'))",
    "ser(string.gsub('abc', '%w', '%0%0'))",
    "ser(string.gsub('abc', '(%w)', '[%1]'))",
    "ser(string.gsub('50%', '%%', ' percent'))",
    "ser(string.gsub('a b', '%s', '%%'))",
    "ser(string.gsub('$name is $age', '%$(%w+)', {name = 'Ann', age = 7}))",
    "ser(string.gsub('$x $y', '%$(%w+)', {x = false}))",
    "ser(string.gsub('a,b,,c', '[^,]*', function(w) return '<' .. w .. '>' end))",
    "ser(string.gsub('abc', '^a', 'A'))",
    "ser(string.gsub('aaa', '^a', 'A'))",
    "ser(string.gsub('one two', '(%w+) (%w+)', '%2 %1'))",
    "ser(string.gsub('abc', '()', '%1'))",
    "ser(string.gsub('abc', 'b', 5))",
    "ser(string.gsub('', 'x*', 'y'))",
    "ser(string.gsub('hello', 'l+', function() end))",
    "(function() local o = {} for k, v in string.gmatch('a=1, b=2', '(%w+)=(%w+)') do "
    "o[#o + 1] = k .. v end return table.concat(o, ';') end)()",
    "(function() local o = {} for w in string.gmatch('one two  three', '%a*') do "
    "o[#o + 1] = '[' .. w .. ']' end return table.concat(o) end)()",
    "(function() local o = {} for w in string.gmatch('abcabc', 'b', 3) do "
    "o[#o + 1] = w end return #o end)()",
    "(function() local o = {} for a in string.gmatch('^a^a', '^a') do "
    "o[#o + 1] = a end return #o end)()",
    "(function() local o = {} for p in ('hello'):gmatch('()l') do "
    "o[#o + 1] = p end return table.concat(o, ',') end)()",
    "ser(('x'):rep(3):find('xx'))",
    "ser(string.find('abc', '[a'))",
    "ser(string.find('abc', '%'))",
    "ser(string.find('abc', '(a'))",
    "ser(string.find('abc', 'a)'))",
    "ser(string.find('abc', '%1'))",
    "ser(string.find('abc', '%b'))",
    "ser(string.find('abc', '%f'))",
    "ser(string.gsub('abc', 'a', '%2'))",
    "ser(string.gsub('abc', 'a', '%x'))",
    "ser(string.gsub('abc', 'a', {a = {}}))",
    "ser(string.gsub('abc', 'a', true))",
    "ser(string.find(string.rep('a', 300), string.rep('(a)', 33)))",
    "ser(string.match(string.rep('a', 300), string.rep('a?', 250) .. 'b'))",
};

/* Each case gives, in the sandbox, what the reference string library of
 * Lua 5.4 gives: the same values, or an error with the same message. */
static void test_patterns_match_lua(void **state)
{
    (void)state;
    lua_State *ref = luaL_newstate();
    assert_non_null(ref);
    luaL_openlibs(ref);
    for (size_t i = 0; i < sizeof pattern_cases / sizeof pattern_cases[0]; i++) {
        char code[1024];
        snprintf(code, sizeof code, SER "return %s", pattern_cases[i]);
        int rc = luaL_loadstring(ref, code);
        if (rc == LUA_OK)
            rc = lua_pcall(ref, 0, 1, 0);
        const char *want = lua_tostring(ref, -1);
        rp_status_t st = run(code);
        if (rc == LUA_OK) {
            if (st != RP_OK)
                fail_msg("%s: error '%s', Lua gives '%s'", pattern_cases[i], F.run.error, want);
            const char *got = json_is_string(F.run.result) ? json_string_value(F.run.result) : NULL;
            char num[32];
            if (json_is_integer(F.run.result)) {
                snprintf(num, sizeof num, "%lld", (long long)json_integer_value(F.run.result));
                got = num;
            }
            if (got == NULL || strcmp(got, want) != 0)
                fail_msg("%s: got '%s', Lua gives '%s'", pattern_cases[i], got ? got : "?", want);
        } else {
            /* "[string ...]:1: message": compare what follows the position. */
            const char *msg = strstr(want, ":1: ");
            msg = msg ? msg + 4 : want;
            if (st != RP_ERR || strstr(F.run.error, msg) == NULL)
                fail_msg("%s: status %d '%s', Lua fails with '%s'", pattern_cases[i], st,
                         F.run.error, msg);
        }
        lua_settop(ref, 0);
    }
    lua_close(ref);
}

/* Backtracking patterns that would hold a worker for hours in C end at the
 * instruction budget like any runaway script, in every pattern function,
 * and pcall cannot keep them going. */
static void test_pattern_backtracking_limited(void **state)
{
    (void)state;
    expect_limit("return ('a'):rep(20000):find('.-.-.-.-.-.-b')", "instructions");
    expect_limit("return ('a'):rep(20000):match('(a*)*b')", "instructions");
    expect_limit("return string.gsub(('a'):rep(20000), 'a*a*a*a*a*b', '')", "instructions");
    expect_limit("for x in ('a'):rep(20000):gmatch('.-.-.-.-b') do end", "instructions");
    expect_limit("return ('('):rep(20000):find('%b()%b()%b()x')", "instructions");
    expect_limit("local s = ('a'):rep(20000) "
                 "while true do pcall(string.find, s, '.-.-.-.-.-b') end",
                 "instructions");
    assert_true(F.run.instructions >= 1000000);
}

/* The count of a matching run shows in the run's instructions. */
static void test_pattern_steps_counted(void **state)
{
    (void)state;
    assert_int_equal(run("return ('a'):rep(1000):find('a-b')"), RP_OK);
    assert_true(F.run.instructions > 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_plain_run),
        T(test_removed_functions),
        T(test_binary_chunk_refused),
        T(test_string_metatable_unreachable),
        T(test_globals_and_libraries_read_only),
        T(test_instruction_limit),
        T(test_tail_recursion_loop),
        T(test_pcall_cannot_catch_limits),
        T(test_memory_limit),
        T(test_time_limit),
        T(test_unbounded_recursion),
        T(test_state_usable_after_error),
        T(test_log_and_json),
        T(test_argument_and_write_back),
        T(test_result_not_json),
        T(test_syntax_check),
        T(test_small_state),
        T(test_examples_compile),
        T(test_patterns_match_lua),
        T(test_pattern_backtracking_limited),
        T(test_pattern_steps_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
