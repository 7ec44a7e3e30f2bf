#include <stdlib.h>
#include <string.h>

#include "modules/internal.h"

/* rp_json_t is never defined: a handle is a json_t pointer, converted at
 * this boundary only. */
#define J(v) ((json_t *)(v))
#define CJ(v) ((const json_t *)(v))
#define H(v) ((rp_json_t *)(v))

rp_json_t *rp_host_json_parse(const char *text, size_t len)
{
    return text ? H(json_loadb(text, len, JSON_DECODE_ANY, NULL)) : NULL;
}

char *rp_host_json_dump(const rp_json_t *v)
{
    return v ? json_dumps(CJ(v), JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

void rp_host_json_free(rp_json_t *v)
{
    json_decref(J(v));
}

rp_json_kind_t rp_host_json_kind(const rp_json_t *v)
{
    switch (json_typeof(CJ(v))) {
    case JSON_OBJECT:
        return RP_JSON_OBJECT;
    case JSON_ARRAY:
        return RP_JSON_ARRAY;
    case JSON_STRING:
        return RP_JSON_STRING;
    case JSON_INTEGER:
        return RP_JSON_INTEGER;
    case JSON_REAL:
        return RP_JSON_REAL;
    case JSON_TRUE:
    case JSON_FALSE:
        return RP_JSON_BOOL;
    default:
        return RP_JSON_NULL;
    }
}

rp_json_t *rp_host_json_object_new(void)
{
    return H(json_object());
}

rp_json_t *rp_host_json_array_new(void)
{
    return H(json_array());
}

rp_json_t *rp_host_json_string_new(const char *s)
{
    return s ? H(json_string(s)) : NULL;
}

rp_json_t *rp_host_json_integer_new(long long n)
{
    return H(json_integer((json_int_t)n));
}

rp_json_t *rp_host_json_real_new(double d)
{
    return H(json_real(d));
}

rp_json_t *rp_host_json_bool_new(int b)
{
    return H(json_boolean(b));
}

rp_json_t *rp_host_json_null_new(void)
{
    return H(json_null());
}

rp_json_t *rp_host_json_get(const rp_json_t *obj, const char *key)
{
    return obj && key ? H(json_object_get(CJ(obj), key)) : NULL;
}

rp_mstatus_t rp_host_json_set(rp_json_t *obj, const char *key, rp_json_t *value)
{
    if (!json_is_object(J(obj)) || key == NULL || value == NULL) {
        json_decref(J(value));
        return RP_M_EINVAL;
    }
    return json_object_set_new(J(obj), key, J(value)) == 0 ? RP_M_OK : RP_M_ENOMEM;
}

size_t rp_host_json_array_size(const rp_json_t *arr)
{
    return json_array_size(CJ(arr));
}

rp_json_t *rp_host_json_array_get(const rp_json_t *arr, size_t i)
{
    return H(json_array_get(CJ(arr), i));
}

rp_mstatus_t rp_host_json_array_append(rp_json_t *arr, rp_json_t *value)
{
    if (!json_is_array(J(arr)) || value == NULL) {
        json_decref(J(value));
        return RP_M_EINVAL;
    }
    return json_array_append_new(J(arr), J(value)) == 0 ? RP_M_OK : RP_M_ENOMEM;
}

const char *rp_host_json_string(const rp_json_t *v)
{
    return json_string_value(CJ(v));
}

long long rp_host_json_integer(const rp_json_t *v)
{
    return json_is_integer(CJ(v)) ? (long long)json_integer_value(CJ(v)) : 0;
}

double rp_host_json_real(const rp_json_t *v)
{
    return json_number_value(CJ(v));
}

int rp_host_json_bool(const rp_json_t *v)
{
    return json_is_true(CJ(v)) ? 1 : 0;
}

void rp_host_mem_free(void *p)
{
    free(p);
}

rp_json_t *rp_host_json_copy(const rp_json_t *v)
{
    return v ? H(json_deep_copy(CJ(v))) : NULL;
}

rp_mstatus_t rp_host_json_object_each(const rp_json_t *obj, rp_json_each_fn fn, void *user)
{
    if (!json_is_object(CJ(obj)) || fn == NULL)
        return RP_M_EINVAL;
    /* jansson (2.8 and later) iterates in insertion order, which for a
     * parsed document is the order of the text: the order module.h
     * promises. */
    json_t *o = J(obj);
    const char *key;
    json_t *value;
    json_object_foreach(o, key, value)
    {
        if (fn(key, H(value), user) != 0)
            break;
    }
    return RP_M_OK;
}

size_t rp_host_json_object_size(const rp_json_t *obj)
{
    return json_is_object(CJ(obj)) ? json_object_size(CJ(obj)) : 0;
}
