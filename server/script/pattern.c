#include <ctype.h>
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "script/internal.h"

/* string.find, match, gmatch and gsub for scripts, with Lua 5.4's pattern
 * language and answers, but with every matching step counted against the
 * run's instruction budget and deadline.
 *
 * Lua's own matcher runs entirely in C, where the count hook never fires: a
 * pattern such as ("a"):rep(3e4):find(".-.-.-.-b") backtracks for hours and
 * holds the worker with it. Here each step of the matcher (a pattern item
 * tried at a position, one character of an expansion or a balance) is
 * charged like one virtual machine instruction, so such a pattern ends with
 * the instruction or time limit like any other runaway script.
 *
 * Matching allocates nothing: the budget check may leave by a Lua error
 * (longjmp) at any step without leaking. */

#define CAPTURES_MAX 32 /* LUA_MAXCAPTURES */
#define DEPTH_MAX 200   /* nested items before "pattern too complex" */
#define CHARGE_EVERY 1024
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESC '%'
#define SPECIALS "^$*+?.([%-"

typedef struct matcher {
    const char *src, *src_end; /* the subject */
    const char *pat_end;
    lua_State *L;
    int depth;  /* nesting still allowed */
    int level;  /* captures open or closed */
    long steps; /* not yet charged */
    struct {
        const char *init;
        ptrdiff_t len;
    } cap[CAPTURES_MAX];
} matcher_t;

static void step(matcher_t *ms)
{
    if (++ms->steps >= CHARGE_EVERY) {
        rp_sbox_charge(ms->L, ms->steps);
        ms->steps = 0;
    }
}

static void settle(matcher_t *ms)
{
    if (ms->steps > 0)
        rp_sbox_charge(ms->L, ms->steps);
    ms->steps = 0;
}

static const char *match(matcher_t *ms, const char *s, const char *p);

static int class_matches(int c, int cl)
{
    int r;
    switch (tolower(cl)) {
    case 'a':
        r = isalpha(c);
        break;
    case 'c':
        r = iscntrl(c);
        break;
    case 'd':
        r = isdigit(c);
        break;
    case 'g':
        r = isgraph(c);
        break;
    case 'l':
        r = islower(c);
        break;
    case 'p':
        r = ispunct(c);
        break;
    case 's':
        r = isspace(c);
        break;
    case 'u':
        r = isupper(c);
        break;
    case 'w':
        r = isalnum(c);
        break;
    case 'x':
        r = isxdigit(c);
        break;
    default:
        return cl == c;
    }
    r = r != 0;
    return isupper(cl) ? !r : r;
}

/* p is at '[', end at the closing ']'. */
static int set_matches(int c, const char *p, const char *end)
{
    int yes = 1;
    if (p[1] == '^') {
        yes = 0;
        p++;
    }
    while (++p < end) {
        if (*p == ESC) {
            p++;
            if (class_matches(c, (unsigned char)*p))
                return yes;
        } else if (p[1] == '-' && p + 2 < end) {
            p += 2;
            if ((unsigned char)p[-2] <= c && c <= (unsigned char)*p)
                return yes;
        } else if ((unsigned char)*p == c) {
            return yes;
        }
    }
    return !yes;
}

/* The end of the single-character class starting at p. */
static const char *class_end(matcher_t *ms, const char *p)
{
    char c = *p++;
    if (c == ESC) {
        if (p >= ms->pat_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (p < ms->pat_end && *p == '^')
            p++;
        do { /* the first character of a set may be ']' */
            if (p >= ms->pat_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == ESC && p < ms->pat_end)
                p++;
        } while (p >= ms->pat_end || *p != ']');
        return p + 1;
    }
    return p;
}

static int single_matches(matcher_t *ms, const char *s, const char *p, const char *ep)
{
    if (s >= ms->src_end)
        return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return 1;
    case ESC:
        return class_matches(c, (unsigned char)p[1]);
    case '[':
        return set_matches(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

static const char *balance(matcher_t *ms, const char *s, const char *p)
{
    if (p + 1 >= ms->pat_end)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p)
        return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < ms->src_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0)
                return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *max_expand(matcher_t *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t i = 0;
    while (single_matches(ms, s + i, p, ep)) {
        step(ms);
        i++;
    }
    for (; i >= 0; i--) {
        const char *r = match(ms, s + i, ep + 1);
        if (r != NULL)
            return r;
    }
    return NULL;
}

static const char *min_expand(matcher_t *ms, const char *s, const char *p, const char *ep)
{
    for (;;) {
        const char *r = match(ms, s, ep + 1);
        if (r != NULL)
            return r;
        if (!single_matches(ms, s, p, ep))
            return NULL;
        s++;
    }
}

static const char *open_capture(matcher_t *ms, const char *s, const char *p, ptrdiff_t what)
{
    if (ms->level >= CAPTURES_MAX)
        luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].init = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    const char *r = match(ms, s, p);
    if (r == NULL)
        ms->level--;
    return r;
}

static const char *close_capture(matcher_t *ms, const char *s, const char *p)
{
    int l = ms->level - 1;
    while (l >= 0 && ms->cap[l].len != CAP_UNFINISHED)
        l--;
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].init;
    const char *r = match(ms, s, p);
    if (r == NULL)
        ms->cap[l].len = CAP_UNFINISHED;
    return r;
}

static const char *back_reference(matcher_t *ms, const char *s, int digit)
{
    int l = digit - '1';
    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_UNFINISHED)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    ptrdiff_t len = ms->cap[l].len;
    if (len < 0 || ms->src_end - s < len || memcmp(ms->cap[l].init, s, (size_t)len) != 0)
        return NULL;
    return s + len;
}

static const char *match(matcher_t *ms, const char *s, const char *p)
{
    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
    for (;;) {
        step(ms);
        if (p >= ms->pat_end)
            break;
        if (*p == '(') {
            s = p + 1 < ms->pat_end && p[1] == ')' ? open_capture(ms, s, p + 2, CAP_POSITION)
                                                   : open_capture(ms, s, p + 1, CAP_UNFINISHED);
            break;
        }
        if (*p == ')') {
            s = close_capture(ms, s, p + 1);
            break;
        }
        if (*p == '$' && p + 1 == ms->pat_end) {
            s = s == ms->src_end ? s : NULL;
            break;
        }
        if (*p == ESC && p + 1 < ms->pat_end && p[1] == 'b') {
            if ((s = balance(ms, s, p + 2)) == NULL)
                break;
            p += 4;
            continue;
        }
        if (*p == ESC && p + 1 < ms->pat_end && p[1] == 'f') {
            p += 2;
            if (p >= ms->pat_end || *p != '[')
                luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            const char *ep = class_end(ms, p);
            int prev = s == ms->src ? 0 : (unsigned char)s[-1];
            int cur = s < ms->src_end ? (unsigned char)*s : 0;
            if (!set_matches(prev, p, ep - 1) && set_matches(cur, p, ep - 1)) {
                p = ep;
                continue;
            }
            s = NULL;
            break;
        }
        if (*p == ESC && p + 1 < ms->pat_end && isdigit((unsigned char)p[1])) {
            if ((s = back_reference(ms, s, (unsigned char)p[1])) == NULL)
                break;
            p += 2;
            continue;
        }
        const char *ep = class_end(ms, p);
        char q = ep < ms->pat_end ? *ep : '\0';
        if (!single_matches(ms, s, p, ep)) {
            if (q == '*' || q == '?' || q == '-') { /* zero occurrences are fine */
                p = ep + 1;
                continue;
            }
            s = NULL;
            break;
        }
        if (q == '?') {
            const char *r = match(ms, s + 1, ep + 1);
            if (r != NULL) {
                s = r;
                break;
            }
            p = ep + 1;
            continue;
        }
        if (q == '+') {
            s = max_expand(ms, s + 1, p, ep);
            break;
        }
        if (q == '*') {
            s = max_expand(ms, s, p, ep);
            break;
        }
        if (q == '-') {
            s = min_expand(ms, s, p, ep);
            break;
        }
        s++;
        p = ep;
    }
    ms->depth++;
    return s;
}

static void prepare(matcher_t *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp)
{
    ms->L = L;
    ms->src = s;
    ms->src_end = s + ls;
    ms->pat_end = p + lp;
    ms->steps = 0;
    ms->level = 0;
    ms->depth = DEPTH_MAX;
}

static void restart(matcher_t *ms)
{
    ms->level = 0;
    ms->depth = DEPTH_MAX;
}

/* Pushes capture i of a match s..e (the whole match for capture 0 of a
 * pattern without captures). */
static void push_capture(matcher_t *ms, int i, const char *s, const char *e)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t len = ms->cap[i].len;
    if (len == CAP_UNFINISHED)
        luaL_error(ms->L, "unfinished capture");
    if (len == CAP_POSITION)
        lua_pushinteger(ms->L, (lua_Integer)(ms->cap[i].init - ms->src) + 1);
    else
        lua_pushlstring(ms->L, ms->cap[i].init, (size_t)len);
}

static int push_captures(matcher_t *ms, const char *s, const char *e)
{
    int n = ms->level == 0 && s != NULL ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(ms, i, s, e);
    return n;
}

/* Lua 5.4's reading of a start position: 1-based, negative from the end. */
static size_t start_at(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0 || pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

static int no_specials(const char *p, size_t lp)
{
    for (size_t i = 0; i < lp; i++)
        if (p[i] != '\0' && strchr(SPECIALS, p[i]) != NULL)
            return 0;
    return 1;
}

static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        /* memmem is linear: a plain search cannot be made to crawl. */
        const char *at = lp == 0 ? s + init : memmem(s + init, ls - init, p, lp);
        if (at == NULL) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(at - s) + 1);
        lua_pushinteger(L, (lua_Integer)(at - s + (ptrdiff_t)lp));
        return 2;
    }
    matcher_t ms;
    int anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    prepare(&ms, L, s, ls, p, lp);
    const char *from = s + init;
    do {
        restart(&ms);
        const char *e = match(&ms, from, p);
        if (e != NULL) {
            settle(&ms);
            if (find) {
                lua_pushinteger(L, (lua_Integer)(from - s) + 1);
                lua_pushinteger(L, (lua_Integer)(e - s));
                return push_captures(&ms, NULL, NULL) + 2;
            }
            return push_captures(&ms, from, e);
        }
    } while (from++ < ms.src_end && !anchor);
    settle(&ms);
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L)
{
    return find_or_match(L, 1);
}

static int str_match(lua_State *L)
{
    return find_or_match(L, 0);
}

/* The state of one gmatch iteration: the subject and pattern stay alive as
 * upvalues of the iterator, beside this userdata. */
typedef struct gmatch_state {
    size_t pos;     /* where the next attempt starts */
    ptrdiff_t last; /* end of the previous match, or -1 */
} gmatch_state_t;

static int gmatch_next(lua_State *L)
{
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    gmatch_state_t *g = lua_touserdata(L, lua_upvalueindex(3));
    matcher_t ms;
    prepare(&ms, L, s, ls, p, lp);
    for (const char *from = s + g->pos; from <= ms.src_end; from++) {
        restart(&ms);
        const char *e = match(&ms, from, p);
        if (e != NULL && (g->last < 0 || e != s + g->last)) {
            settle(&ms);
            g->pos = (size_t)(e - s);
            g->last = e - s;
            return push_captures(&ms, from, e);
        }
    }
    settle(&ms);
    g->pos = ls + 1;
    return 0;
}

static int str_gmatch(lua_State *L)
{
    size_t ls;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    size_t init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    gmatch_state_t *g = lua_newuserdatauv(L, sizeof *g, 0);
    g->pos = init > ls ? ls + 1 : init;
    g->last = -1;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* Appends the replacement string (argument 3) for the match s..e. */
static void add_string(matcher_t *ms, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = ms->L;
    size_t l;
    const char *r = lua_tolstring(L, 3, &l);
    const char *end = r + l;
    while (r < end) {
        const char *pct = memchr(r, ESC, (size_t)(end - r));
        if (pct == NULL) {
            luaL_addlstring(b, r, (size_t)(end - r));
            break;
        }
        luaL_addlstring(b, r, (size_t)(pct - r));
        r = pct + 1;
        if (r < end && *r == ESC) {
            luaL_addchar(b, ESC);
        } else if (r < end && isdigit((unsigned char)*r)) {
            if (*r == '0') {
                luaL_addlstring(b, s, (size_t)(e - s));
            } else {
                push_capture(ms, *r - '1', s, e);
                luaL_tolstring(L, -1, NULL);
                lua_remove(L, -2);
                luaL_addvalue(b);
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESC);
        }
        r++;
    }
}

static void add_value(matcher_t *ms, luaL_Buffer *b, const char *s, const char *e, int type)
{
    lua_State *L = ms->L;
    if (type == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
    } else if (type == LUA_TTABLE) {
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string(ms, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

static int str_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int type = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L,
                     type == LUA_TNUMBER || type == LUA_TSTRING || type == LUA_TFUNCTION ||
                         type == LUA_TTABLE,
                     3, "string/function/table");
    int anchor = lp > 0 && *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    matcher_t ms;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    prepare(&ms, L, src, ls, p, lp);
    const char *last = NULL;
    lua_Integer n = 0;
    while (n < max) {
        restart(&ms);
        const char *e = match(&ms, src, p);
        if (e != NULL && e != last) {
            n++;
            settle(&ms); /* the replacement may run script code */
            add_value(&ms, &b, src, e, type);
            src = last = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    settle(&ms);
    if (n == 0) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void rp_sbox_patterns(lua_State *L, int lib)
{
    static const luaL_Reg fns[] = {{"find", str_find},
                                   {"match", str_match},
                                   {"gmatch", str_gmatch},
                                   {"gsub", str_gsub},
                                   {NULL, NULL}};
    lib = lua_absindex(L, lib);
    for (const luaL_Reg *f = fns; f->name != NULL; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, lib, f->name);
    }
}
