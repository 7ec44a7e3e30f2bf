#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "script/internal.h"

/* Deepest nesting converted either way: also what stops a table that
 * contains itself. */
#define DEPTH_MAX 64

/* The one value crm.json.null is: a light userdata no other code makes. */
static const char null_tag;

void rp_lua_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&null_tag);
}

static void push(lua_State *L, const json_t *v, int depth)
{
    luaL_checkstack(L, 4, "JSON too deep");
    if (depth > DEPTH_MAX)
        luaL_error(L, "JSON nested deeper than %d", DEPTH_MAX);
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        const char *k;
        const json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            push(L, m, depth + 1);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(v), 0);
        for (size_t i = 0; i < json_array_size(v); i++) {
            push(L, json_array_get(v, i), depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    default:
        rp_lua_push_null(L);
    }
}

void rp_lua_push_json(lua_State *L, const json_t *v)
{
    if (v == NULL)
        lua_pushnil(L);
    else
        push(L, v, 0);
}

/* A table whose keys are exactly 1..n (n > 0) is an array; any other is an
 * object, whose keys must then be strings. */
static bool is_array(lua_State *L, int idx, lua_Integer *n)
{
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx), count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return false;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1 || k > len) {
            lua_pop(L, 1);
            return false;
        }
        count++;
    }
    *n = len;
    return count == len && len > 0;
}

static json_t *conv(lua_State *L, int idx, int depth, char *err, size_t errlen)
{
    idx = lua_absindex(L, idx);
    if (depth > DEPTH_MAX) {
        snprintf(err, errlen, "nested deeper than %d (or a table that contains itself)", DEPTH_MAX);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return json_integer((json_int_t)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx))) {
            snprintf(err, errlen, "a number that is not finite");
            return NULL;
        }
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        json_t *j = json_stringn(s, len);
        if (j == NULL)
            snprintf(err, errlen, "a string that is not valid UTF-8");
        return j;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == &null_tag)
            return json_null();
        break;
    case LUA_TTABLE: {
        if (!lua_checkstack(L, 4)) {
            snprintf(err, errlen, "out of stack");
            return NULL;
        }
        lua_Integer n;
        if (is_array(L, idx, &n)) {
            json_t *a = json_array();
            for (lua_Integer i = 1; a && i <= n; i++) {
                lua_rawgeti(L, idx, i);
                json_t *m = conv(L, -1, depth + 1, err, errlen);
                lua_pop(L, 1);
                if (m == NULL || json_array_append_new(a, m) != 0) {
                    json_decref(a);
                    return NULL;
                }
            }
            return a;
        }
        json_t *o = json_object();
        lua_pushnil(L);
        while (o && lua_next(L, idx) != 0) {
            if (lua_type(L, -2) != LUA_TSTRING) {
                snprintf(err, errlen,
                         "a table mixing array items and names, or with keys "
                         "that are not strings");
                lua_pop(L, 2);
                json_decref(o);
                return NULL;
            }
            json_t *m = conv(L, -1, depth + 1, err, errlen);
            lua_pop(L, 1);
            if (m != NULL && json_object_set_new(o, lua_tostring(L, -1), m) != 0) {
                snprintf(err, errlen, "a key that is not valid UTF-8");
                m = NULL;
            }
            if (m == NULL) {
                lua_pop(L, 1);
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    default:
        break;
    }
    snprintf(err, errlen, "a %s value", luaL_typename(L, idx));
    return NULL;
}

json_t *rp_lua_to_json(lua_State *L, int idx, char *err, size_t errlen)
{
    return conv(L, idx, 0, err, errlen);
}
