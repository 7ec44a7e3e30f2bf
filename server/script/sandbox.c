#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "script/internal.h"

/* The hook runs every STEP virtual machine instructions: fine enough that
 * a run's count means something, coarse enough to cost little. */
#define STEP 100

/* Longest log line kept, and most lines per invocation. */
#define LOG_LINE_MAX 1000
#define LOG_LINES_MAX 200

struct rp_sbox {
    lua_State *L;
    size_t used, cap;
    bool refuse;  /* the memory limit was hit: no growth until the run ends */
    bool spoiled; /* close rather than reuse */
    int depth;    /* invocations under way (nested writes fire triggers) */
    long long counted, budget;
    struct timespec deadline;
    const char *limit; /* the limit hit by the invocation under way */
    bool aborting;     /* raise on every instruction until the run ends */
    char abort_msg[256];
    rp_sbox_run_t *run;
    rp_ctx_t *ctx;
    rp_script_limits_t lim;
};

static rp_sbox_t *sbox_of(lua_State *L)
{
    return *(rp_sbox_t **)lua_getextraspace(L);
}

/* Counts every byte the state holds and refuses to grow past the cap, so a
 * memory bomb ends as a memory error instead of starving the process. */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    rp_sbox_t *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && (sb->refuse || sb->used - old + nsize > sb->cap)) {
        if (sb->depth > 0 && sb->limit == NULL) {
            sb->limit = "memory";
            sb->refuse = true;
            sb->aborting = true;
            snprintf(sb->abort_msg, sizeof sb->abort_msg, "memory limit (%zu KiB) reached",
                     sb->cap >> 10);
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL)
        return NULL;
    sb->used = sb->used - old + nsize;
    return p;
}

static bool past(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void set_abort(rp_sbox_t *sb, const char *limit, const char *msg)
{
    if (sb->limit == NULL && limit != NULL)
        sb->limit = limit;
    if (!sb->aborting)
        snprintf(sb->abort_msg, sizeof sb->abort_msg, "%s", msg);
    sb->aborting = true;
}

static void hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    rp_sbox_t *sb = sbox_of(L);
    if (!sb->aborting) {
        sb->counted += STEP;
        char msg[128];
        if (sb->counted > sb->budget) {
            snprintf(msg, sizeof msg, "instruction limit (%lld) reached", sb->budget);
            set_abort(sb, "instructions", msg);
        } else if (past(&sb->deadline)) {
            snprintf(msg, sizeof msg, "time limit (%ld ms) reached", sb->lim.timeout_ms);
            set_abort(sb, "time", msg);
        }
    }
    if (sb->aborting) {
        /* From now on every instruction raises: a pcall that catches one
         * error meets the next at its very first instruction. */
        lua_sethook(L, hook, LUA_MASKCOUNT, 1);
        luaL_error(L, "%s", sb->abort_msg);
    }
}

int rp_sbox_abort(lua_State *L, const char *limit, const char *fmt, ...)
{
    rp_sbox_t *sb = sbox_of(L);
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_abort(sb, limit, msg);
    lua_sethook(L, hook, LUA_MASKCOUNT, 1);
    return luaL_error(L, "%s", sb->abort_msg);
}

void rp_sbox_charge(lua_State *L, long n)
{
    rp_sbox_t *sb = sbox_of(L);
    if (sb->depth == 0)
        return;
    if (!sb->aborting) {
        sb->counted += n;
        if (sb->counted > sb->budget)
            rp_sbox_abort(L, "instructions", "instruction limit (%lld) reached", sb->budget);
        if (past(&sb->deadline))
            rp_sbox_abort(L, "time", "time limit (%ld ms) reached", sb->lim.timeout_ms);
        return;
    }
    rp_sbox_abort(L, NULL, "%s", sb->abort_msg);
}

rp_sbox_run_t *rp_sbox_current(lua_State *L, rp_ctx_t **ctx)
{
    rp_sbox_t *sb = sbox_of(L);
    if (ctx)
        *ctx = sb->ctx;
    return sb->run;
}

static int readonly(lua_State *L)
{
    return luaL_error(L, "attempt to modify a read-only table");
}

void rp_sbox_freeze(lua_State *L)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_getfield(L, LUA_REGISTRYINDEX, "rp.frozen");
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    lua_remove(L, -2);
}

/* rawset that refuses the read-only proxies (rawset would otherwise write
 * past their __newindex). */
static int safe_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_getfield(L, LUA_REGISTRYINDEX, "rp.frozen");
    lua_pushvalue(L, 1);
    lua_rawget(L, -2);
    bool frozen = lua_toboolean(L, -1);
    lua_pop(L, 2);
    if (frozen)
        return luaL_error(L, "attempt to modify a read-only table");
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* Copies the members names of the table at src into the table at dst. */
static void copy_names(lua_State *L, int src, int dst, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        lua_getfield(L, src, names[i]);
        lua_setfield(L, dst, names[i]);
    }
}

/* Opens library f and leaves a frozen proxy of it on the stack. */
static void open_frozen(lua_State *L, const char *name, lua_CFunction f)
{
    luaL_requiref(L, name, f, 0);
    rp_sbox_freeze(L);
}

static int setup(lua_State *L)
{
    static const char *const base[] = {
        "assert",   "error",    "getmetatable", "ipairs", "next",     "pairs",
        "pcall",    "rawequal", "rawget",       "rawlen", "select",   "setmetatable",
        "tonumber", "tostring", "type",         "xpcall", "_VERSION", NULL};
    static const char *const os_names[] = {"time", "date", "clock", NULL};
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "rp.frozen");
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "rp.chunks");

    lua_newtable(L); /* env, the real table behind _G */
    int env = lua_gettop(L);
    luaL_requiref(L, "_G", luaopen_base, 0);
    copy_names(L, lua_gettop(L), env, base);
    lua_pop(L, 1);
    lua_pushcfunction(L, safe_rawset);
    lua_setfield(L, env, "rawset");

    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    /* Matching runs in C, beyond the count hook: these versions charge
     * their steps to the run's budget (pattern.c). */
    rp_sbox_patterns(L, -1);
    /* The string metatable stays what it is, but getmetatable("") now
     * answers false and setmetatable cannot reach it. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    rp_sbox_freeze(L);
    lua_setfield(L, env, "string");
    open_frozen(L, LUA_TABLIBNAME, luaopen_table);
    lua_setfield(L, env, "table");
    open_frozen(L, LUA_MATHLIBNAME, luaopen_math);
    lua_setfield(L, env, "math");
    open_frozen(L, LUA_UTF8LIBNAME, luaopen_utf8);
    lua_setfield(L, env, "utf8");
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_newtable(L);
    copy_names(L, lua_gettop(L) - 1, lua_gettop(L), os_names);
    rp_sbox_freeze(L);
    lua_setfield(L, env, "os");
    lua_pop(L, 1);

    rp_crm_open(L);
    lua_getfield(L, -1, "log");
    lua_setfield(L, env, "print");
    rp_sbox_freeze(L);
    lua_setfield(L, env, "crm");

    rp_modlua_open(L);
    lua_setfield(L, env, "rapport");

    lua_pushvalue(L, env);
    rp_sbox_freeze(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, env, "_G");
    lua_setfield(L, LUA_REGISTRYINDEX, "rp.env");
    return 0;
}

rp_status_t rp_sbox_new(const rp_script_limits_t *lim, rp_sbox_t **out)
{
    *out = NULL;
    rp_sbox_t *sb = calloc(1, sizeof *sb);
    if (sb == NULL)
        return RP_ENOMEM;
    sb->lim = *lim;
    sb->cap = lim->memory;
    sb->L = lua_newstate(sb_alloc, sb);
    if (sb->L == NULL) {
        free(sb);
        return RP_ENOMEM;
    }
    *(rp_sbox_t **)lua_getextraspace(sb->L) = sb;
    lua_pushcfunction(sb->L, setup);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        rp_sbox_free(sb);
        return RP_ENOMEM;
    }
    lua_gc(sb->L, LUA_GCGEN, 0, 0);
    *out = sb;
    return RP_OK;
}

void rp_sbox_free(rp_sbox_t *sb)
{
    if (sb == NULL)
        return;
    lua_close(sb->L);
    free(sb);
}

bool rp_sbox_busy(const rp_sbox_t *sb)
{
    return sb->depth > 0;
}

bool rp_sbox_spoiled(const rp_sbox_t *sb)
{
    return sb->spoiled;
}

size_t rp_sbox_memory(const rp_sbox_t *sb)
{
    return sb->used;
}

static int line_of(const char *msg)
{
    /* Messages read "name:LINE: text". */
    const char *p = strchr(msg, ':');
    return p ? atoi(p + 1) : 0;
}

rp_status_t rp_sbox_check(const char *code, char *err, size_t errlen, int *line)
{
    *line = 0;
    err[0] = '\0';
    lua_State *L = luaL_newstate();
    if (L == NULL)
        return RP_ENOMEM;
    int rc = luaL_loadbufferx(L, code, strlen(code), "=code", "t");
    rp_status_t st = RP_OK;
    if (rc == LUA_ERRMEM) {
        st = RP_ENOMEM;
    } else if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        msg = msg ? msg : "syntax error";
        *line = line_of(msg);
        const char *text = strchr(msg, ':');
        text = text ? strchr(text + 1, ':') : NULL;
        snprintf(err, errlen, "line %d: %s", *line, text ? text + 2 : msg);
        st = RP_EINVAL;
    }
    lua_close(L);
    return st;
}

static void run_begin(rp_sbox_t *sb)
{
    sb->counted = 0;
    sb->budget = sb->lim.instructions;
    sb->limit = NULL;
    sb->aborting = false;
    sb->refuse = false;
    clock_gettime(CLOCK_MONOTONIC, &sb->deadline);
    sb->deadline.tv_sec += sb->lim.timeout_ms / 1000;
    sb->deadline.tv_nsec += (sb->lim.timeout_ms % 1000) * 1000000L;
    if (sb->deadline.tv_nsec >= 1000000000L) {
        sb->deadline.tv_sec++;
        sb->deadline.tv_nsec -= 1000000000L;
    }
    lua_sethook(sb->L, hook, LUA_MASKCOUNT, STEP);
}

static void run_end(rp_sbox_t *sb)
{
    lua_sethook(sb->L, NULL, 0, 0);
    if (sb->limit != NULL || sb->aborting)
        sb->spoiled = true;
    sb->aborting = false;
    sb->refuse = false;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* What entry() needs: everything runs inside one protected call, so that
 * even a conversion that runs out of memory ends as a Lua error. */
typedef struct call_args {
    const char *key, *code;
    const json_t *arg;
    rp_sbox_run_t *run;
} call_args_t;

/* Pushes the chunk of key, compiling code the first time. */
static void push_chunk(lua_State *L, const char *key, const char *name, const char *code)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "rp.chunks");
    if (lua_getfield(L, -1, key) == LUA_TFUNCTION) {
        lua_remove(L, -2);
        return;
    }
    lua_pop(L, 1);
    char chunkname[80];
    snprintf(chunkname, sizeof chunkname, "=%s", name ? name : "script");
    if (luaL_loadbufferx(L, code, strlen(code), chunkname, "t") != LUA_OK)
        lua_error(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "rp.env");
    lua_setupvalue(L, -2, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, key);
    lua_remove(L, -2);
}

static int entry(lua_State *L)
{
    call_args_t *a = lua_touserdata(L, 1);
    rp_sbox_t *sb = sbox_of(L);
    push_chunk(L, a->key, a->run->script_name, a->code);
    rp_lua_push_json(L, a->arg);
    lua_pushvalue(L, -1);
    lua_insert(L, 2); /* keep the argument, to read "new" back */
    lua_call(L, 1, 1);
    if (sb->limit != NULL || sb->aborting)
        return luaL_error(L, "%s", sb->abort_msg);
    char err[200] = "";
    a->run->result = rp_lua_to_json(L, -1, err, sizeof err);
    if (a->run->result == NULL)
        return luaL_error(L, "the result cannot be given as JSON: %s", err);
    if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "new") == LUA_TTABLE) {
        a->run->new_fields = rp_lua_to_json(L, -1, err, sizeof err);
        if (a->run->new_fields == NULL)
            return luaL_error(L, "new: %s", err);
    }
    return 0;
}

rp_status_t rp_sbox_call(rp_sbox_t *sb, rp_ctx_t *ctx, const char *key, const char *code,
                         const json_t *arg, rp_sbox_run_t *run)
{
    lua_State *L = sb->L;
    if (sb->depth > 0 && sb->aborting)
        return sb->limit ? RP_ELIMIT : RP_ERR;
    if (run->logs == NULL)
        run->logs = json_array();
    if (run->errors == NULL)
        run->errors = json_object();
    if (run->logs == NULL || run->errors == NULL)
        return RP_ENOMEM;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int top = lua_gettop(L);
    rp_sbox_run_t *outer_run = sb->run;
    rp_ctx_t *outer_ctx = sb->ctx;
    if (sb->depth == 0)
        run_begin(sb);
    long long counted0 = sb->counted;
    sb->depth++;
    sb->run = run;
    sb->ctx = ctx;
    call_args_t a = {key, code, arg, run};
    rp_status_t st = RP_OK;
    int rc = LUA_ERRMEM;
    if (lua_checkstack(L, 4)) {
        lua_pushcfunction(L, entry);
        lua_pushlightuserdata(L, &a);
        rc = lua_pcall(L, 1, 0, 0);
    }
    if (sb->limit != NULL) {
        st = RP_ELIMIT;
        run->limit = sb->limit;
        snprintf(run->error, sizeof run->error, "%s", sb->abort_msg);
    } else if (run->nested != NULL) {
        st = RP_EINVAL;
    } else if (rc != LUA_OK) {
        st = rc == LUA_ERRMEM ? RP_ELIMIT : RP_ERR;
        if (rc == LUA_ERRMEM) {
            run->limit = "memory";
            sb->spoiled = true;
        }
        const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        snprintf(run->error, sizeof run->error, "%s", m ? m : "error object is not a string");
    }
    if (st != RP_OK) {
        json_decref(run->result);
        json_decref(run->new_fields);
        run->result = run->new_fields = NULL;
    }
    lua_settop(L, top);
    run->instructions += sb->counted - counted0;
    run->duration_ms = ms_since(&t0);
    run->memory = sb->used;
    sb->depth--;
    sb->run = outer_run;
    sb->ctx = outer_ctx;
    if (sb->depth == 0) {
        run_end(sb);
        if (!sb->spoiled)
            lua_gc(L, LUA_GCSTEP, 0);
    }
    return st;
}

void rp_sbox_run_clear(rp_sbox_run_t *run)
{
    json_decref(run->result);
    json_decref(run->new_fields);
    json_decref(run->logs);
    json_decref(run->errors);
    run->result = run->new_fields = run->logs = run->errors = NULL;
}

/* Appends one log line to the invocation under way (crm.log, print). */
int rp_sbox_log(lua_State *L)
{
    rp_sbox_run_t *run = rp_sbox_current(L, NULL);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (len > LOG_LINE_MAX) {
        len = LOG_LINE_MAX;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--; /* not in the middle of a UTF-8 sequence */
    }
    if (run != NULL && run->logs != NULL && json_array_size(run->logs) < LOG_LINES_MAX) {
        json_t *line = json_stringn(s, len);
        json_array_append_new(run->logs, line ? line : json_string("(not valid UTF-8)"));
    }
    return 0;
}
