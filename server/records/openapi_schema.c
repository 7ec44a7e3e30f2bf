/* JSON Schema for field values, and identifiers made from API names. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "records/openapi.h"

/* Every form rp_field_normalize reads as a decimal string; what it stores
 * is a subset, so one pattern serves reads and writes. */
#define DECIMAL_PATTERN "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)$"
#define PHONE_PATTERN "^\\+[1-9][0-9]{7,14}$"
#define CURRENCY_CODE_PATTERN "^[A-Z]{3}$"

static bool name_char(char c)
{
    return islower((unsigned char)c) || isdigit((unsigned char)c);
}

rp_status_t rp_openapi_identifier(const char *name, char *out, size_t outlen)
{
    if (name == NULL || !islower((unsigned char)name[0]))
        return RP_EINVAL;
    size_t n = 0, i = 0;
    while (name[i] != '\0') {
        size_t run = strspn(name + i, "_");
        char c = name[i + run];
        bool cap = i == 0 || (run > 0 && islower((unsigned char)c));
        if (c != '\0' && !name_char(c))
            return RP_EINVAL;
        /* The underscore before a capital is implied by the capital. */
        size_t keep = cap && run > 0 ? run - 1 : run;
        if (n + keep + 2 > outlen)
            return RP_ELIMIT;
        memset(out + n, '_', keep);
        n += keep;
        i += run;
        if (c == '\0')
            break;
        out[n++] = cap ? (char)toupper((unsigned char)c) : c;
        i++;
    }
    if (outlen == 0)
        return RP_ELIMIT;
    out[n] = '\0';
    return RP_OK;
}

static int set(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static int bounds(json_t *s, const rp_field_t *f)
{
    if (f->min != NULL && json_is_integer(f->min) && set(s, "minimum", json_copy(f->min)) != 0)
        return -1;
    if (f->max != NULL && json_is_integer(f->max) && set(s, "maximum", json_copy(f->max)) != 0)
        return -1;
    return 0;
}

static json_t *enum_of(const rp_field_t *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < f->nvalues; i++)
        if (json_array_append_new(a, json_string(f->values[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The type-specific members of f's schema, added to s. */
static int type_schema(json_t *s, const rp_field_t *f)
{
    switch (f->type) {
    case RP_FIELD_TEXT:
    case RP_FIELD_TEXTAREA:
        if (set(s, "type", json_string("string")) != 0 ||
            set(s, "maxLength", json_integer(f->max_length)) != 0)
            return -1;
        return f->pattern == NULL ? 0 : set(s, "pattern", json_string(f->pattern));
    case RP_FIELD_EMAIL:
        if (set(s, "format", json_string("email")) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_PHONE:
        if (set(s, "pattern", json_string(PHONE_PATTERN)) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_URL:
        if (set(s, "format", json_string("uri")) != 0 ||
            set(s, "maxLength", json_integer(RP_FIELD_URL_MAX)) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_INTEGER:
        if (set(s, "type", json_string("integer")) != 0 ||
            set(s, "format", json_string("int64")) != 0)
            return -1;
        return bounds(s, f);
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        if (set(s, "pattern", json_string(DECIMAL_PATTERN)) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_CURRENCY:
        return set(s, "type", json_string("object")) != 0 ||
                       set(s, "required", json_pack("[s,s]", "amount", "currency")) != 0 ||
                       set(s, "additionalProperties", json_false()) != 0
                   ? -1
                   : set(s, "properties",
                         json_pack("{s:{s:s,s:s},s:{s:s,s:s}}", "amount", "type", "string",
                                   "pattern", DECIMAL_PATTERN, "currency", "type", "string",
                                   "pattern", CURRENCY_CODE_PATTERN));
    case RP_FIELD_BOOLEAN:
        return set(s, "type", json_string("boolean"));
    case RP_FIELD_DATE:
    case RP_FIELD_DATETIME:
        if (set(s, "format", json_string(f->type == RP_FIELD_DATE ? "date" : "date-time")) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_PICKLIST:
        if (set(s, "enum", enum_of(f)) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_MULTIPICKLIST:
        if (set(s, "uniqueItems", json_true()) != 0)
            return -1;
        if (set(s, "items", json_pack("{s:s, s:o}", "type", "string", "enum", enum_of(f))) != 0)
            return -1;
        return set(s, "type", json_string("array"));
    case RP_FIELD_REFERENCE:
        if (set(s, "format", json_string("uuid")) != 0)
            return -1;
        if (f->reference != NULL && set(s, "x-rapport-reference", json_string(f->reference)) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_AUTONUMBER:
        if (set(s, "readOnly", json_true()) != 0)
            return -1;
        return set(s, "type", json_string("string"));
    case RP_FIELD_TYPE_COUNT:
        break;
    }
    return set(s, "type", json_string("string"));
}

json_t *rp_openapi_field_schema(const rp_field_t *f)
{
    json_t *s = json_object();
    if (s == NULL || type_schema(s, f) != 0)
        goto fail;
    if (f->label != NULL && set(s, "title", json_string(f->label)) != 0)
        goto fail;
    if (f->help != NULL && set(s, "description", json_string(f->help)) != 0)
        goto fail;
    if (f->read_only && set(s, "readOnly", json_true()) != 0)
        goto fail;
    if (f->default_value != NULL && set(s, "default", json_deep_copy(f->default_value)) != 0)
        goto fail;
    if (set(s, "x-rapport-type", json_string(rp_field_type_name(f->type))) != 0)
        goto fail;
    return s;
fail:
    json_decref(s);
    return NULL;
}
