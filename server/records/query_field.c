#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/uuid.h"
#include "records/perm.h"
#include "records/query_internal.h"

int rp_qb_param(rp_qb_t *qb, const char *value)
{
    if (qb->nparams == qb->cap) {
        int cap = qb->cap ? qb->cap * 2 : 16;
        const char **p = rp_pool_alloc(qb->pool, (size_t)cap * sizeof *p);
        if (p == NULL)
            return 0;
        if (qb->nparams > 0)
            memcpy(p, qb->params, (size_t)qb->nparams * sizeof *p);
        qb->params = p;
        qb->cap = cap;
    }
    const char *copy = rp_pool_strdup(qb->pool, value);
    if (copy == NULL)
        return 0;
    qb->params[qb->nparams++] = copy;
    return qb->nparams;
}

rp_status_t rp_qb_fail(rp_qb_t *qb, const char *code, const char *name, const char *fmt, ...)
{
    if (qb->err->code != NULL)
        return RP_EINVAL;
    qb->err->code = code;
    snprintf(qb->err->name, sizeof qb->err->name, "%s", name ? name : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(qb->err->message, sizeof qb->err->message, fmt, ap);
    va_end(ap);
    return RP_EINVAL;
}

const rp_field_t *rp_qfield_find(const rp_object_t *o, const char *name)
{
    for (int i = 0; i < o->nfields; i++)
        if (strcmp(o->fields[i].name, name) == 0)
            return &o->fields[i];
    return NULL;
}

const rp_field_t *rp_qb_field(const rp_qb_t *qb, const char *name)
{
    const rp_field_t *f = rp_qfield_find(qb->object, name);
    if (f != NULL && qb->access != NULL &&
        rp_perm_field(qb->access, qb->object, f) == RP_FIELD_ACCESS_NONE)
        return NULL;
    return f;
}

bool rp_query_system_field(const char *name)
{
    static const char *const names[] = {"id", "created_at", "updated_at", "owner_id", "version"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* Names go into SQL text inside quotes: refuse anything but the API-name
 * alphabet even though the metadata already guarantees it. */
static bool sql_safe(const char *s)
{
    if (*s == '\0' || strlen(s) > RP_FIELD_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

static void system_field(const char *name, rp_qfield_t *f)
{
    snprintf(f->expr, sizeof f->expr, "r.%s", name);
    if (strcmp(name, "id") == 0 || strcmp(name, "owner_id") == 0) {
        f->type = RP_FIELD_REFERENCE;
        f->cast = "::uuid";
        f->nullable = strcmp(name, "owner_id") == 0;
    } else if (strcmp(name, "version") == 0) {
        f->type = RP_FIELD_INTEGER;
        f->cast = "::integer";
    } else {
        f->type = RP_FIELD_DATETIME;
        f->cast = "::timestamptz";
    }
    snprintf(f->json_path, sizeof f->json_path, "r.%s", name);
}

static void data_field(const rp_field_t *fd, rp_qfield_t *f)
{
    const char *n = fd->name;
    f->field = fd;
    f->type = fd->type;
    f->nullable = true;
    f->cast = "";
    snprintf(f->json_path, sizeof f->json_path, "r.data->'%s'", n);
    switch (fd->type) {
    case RP_FIELD_INTEGER:
    case RP_FIELD_DECIMAL:
    case RP_FIELD_PERCENT:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')::numeric", n);
        f->cast = "::numeric";
        f->index_col = "value_num";
        break;
    case RP_FIELD_CURRENCY:
        snprintf(f->expr, sizeof f->expr, "(r.data->'%s'->>'amount')::numeric", n);
        f->cast = "::numeric";
        f->index_col = "value_num";
        break;
    case RP_FIELD_DATE:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')::date", n);
        f->cast = "::date";
        f->index_col = "value_ts";
        break;
    case RP_FIELD_DATETIME:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')::timestamptz", n);
        f->cast = "::timestamptz";
        f->index_col = "value_ts";
        break;
    case RP_FIELD_BOOLEAN:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')::boolean", n);
        f->cast = "::boolean";
        break;
    case RP_FIELD_EMAIL:
        /* The same expression as the e-mail indexes, so they serve it. */
        snprintf(f->expr, sizeof f->expr, "lower(r.data->>'%s')", n);
        f->index_col = "value_text";
        break;
    case RP_FIELD_MULTIPICKLIST:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')", n);
        f->multi = true;
        break;
    default:
        snprintf(f->expr, sizeof f->expr, "(r.data->>'%s')", n);
        f->index_col = "value_text";
        break;
    }
    size_t len = strlen(n);
    /* E-mail compares lower-cased, which record_index's value_text is not. */
    f->custom_indexed = fd->indexed && f->index_col != NULL && fd->type != RP_FIELD_EMAIL &&
                        len > 3 && strcmp(n + len - 3, "__c") == 0;
}

rp_status_t rp_qfield_resolve(rp_qb_t *qb, const char *name, rp_qfield_t *f)
{
    memset(f, 0, sizeof *f);
    f->name = name;
    if (rp_query_system_field(name)) {
        system_field(name, f);
        return RP_OK;
    }
    /* "amount_field.currency" filters on a currency value's code. */
    const char *dot = strchr(name, '.');
    char base[RP_FIELD_NAME_MAX + 1];
    if (dot != NULL && (size_t)(dot - name) <= RP_FIELD_NAME_MAX) {
        memcpy(base, name, (size_t)(dot - name));
        base[dot - name] = '\0';
        const rp_field_t *fd = rp_qb_field(qb, base);
        if (fd != NULL && fd->type == RP_FIELD_CURRENCY && strcmp(dot + 1, "currency") == 0 &&
            sql_safe(base)) {
            snprintf(f->expr, sizeof f->expr, "(r.data->'%s'->>'currency')", base);
            snprintf(f->json_path, sizeof f->json_path, "r.data->'%s'->'currency'", base);
            f->type = RP_FIELD_TEXT;
            f->cast = "";
            f->nullable = true;
            return RP_OK;
        }
    }
    const rp_field_t *fd = rp_qb_field(qb, name);
    if (fd == NULL || !sql_safe(fd->name))
        return rp_qb_fail(qb, "unknown_field", name, "is not a field of %s", qb->object->name);
    data_field(fd, f);
    return RP_OK;
}

/* A string with no NUL inside, or NULL. */
static const char *plain(const json_t *v)
{
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

static rp_status_t normalized(rp_qb_t *qb, const rp_qfield_t *f, const rp_field_t *fd,
                              const json_t *v, const char **out)
{
    json_t *canon = NULL;
    char why[160];
    rp_status_t st = rp_field_normalize(fd, v, &canon, why, sizeof why);
    if (st == RP_ENOMEM)
        return st;
    if (st != RP_OK || canon == NULL || json_is_null(canon)) {
        json_decref(canon);
        return rp_qb_fail(qb, "invalid_filter", f->name, "%s",
                          st == RP_OK ? "needs a value (use is_null for missing values)" : why);
    }
    if (json_is_string(canon))
        *out = rp_pool_strdup(qb->pool, json_string_value(canon));
    else if (json_is_integer(canon))
        *out = rp_pool_printf(qb->pool, "%lld", (long long)json_integer_value(canon));
    else if (json_is_array(canon) && json_array_size(canon) == 1)
        *out = rp_pool_strdup(qb->pool, json_string_value(json_array_get(canon, 0)));
    else
        *out = NULL;
    json_decref(canon);
    if (*out == NULL)
        return RP_ENOMEM;
    return RP_OK;
}

rp_status_t rp_qfield_value(rp_qb_t *qb, const rp_qfield_t *f, const json_t *v, const char **out)
{
    *out = NULL;
    rp_field_t bare;
    memset(&bare, 0, sizeof bare);
    snprintf(bare.name, sizeof bare.name, "%s", f->name);
    bare.type = f->type;
    switch (f->type) {
    case RP_FIELD_TEXT:
    case RP_FIELD_TEXTAREA:
    case RP_FIELD_AUTONUMBER: {
        /* Any string may be looked for, whatever the field's pattern. */
        const char *s = plain(v);
        if (s == NULL)
            return rp_qb_fail(qb, "invalid_filter", f->name, "must be compared with a string");
        *out = rp_pool_strdup(qb->pool, s);
        return *out ? RP_OK : RP_ENOMEM;
    }
    case RP_FIELD_BOOLEAN: {
        const char *s = plain(v);
        if (json_is_boolean(v))
            *out = json_is_true(v) ? "true" : "false";
        else if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
            *out = s[0] == 't' ? "true" : "false";
        else
            return rp_qb_fail(qb, "invalid_filter", f->name, "must be compared with true or false");
        return RP_OK;
    }
    case RP_FIELD_CURRENCY:
        bare.type = RP_FIELD_DECIMAL;
        break;
    case RP_FIELD_PICKLIST:
        return normalized(qb, f, f->field, v, out);
    case RP_FIELD_MULTIPICKLIST: {
        json_t *one = json_pack("[O]", v);
        if (one == NULL)
            return RP_ENOMEM;
        rp_status_t st = normalized(qb, f, f->field, one, out);
        json_decref(one);
        return st;
    }
    default:
        break;
    }
    /* Bounds and options are for writes: a filter may look past them, so
     * values are checked against the bare type. Integers compare as numbers,
     * which also admits the JSON number forms. */
    if (bare.type == RP_FIELD_INTEGER && f->field != NULL)
        bare.type = RP_FIELD_DECIMAL;
    rp_status_t st = normalized(qb, f, &bare, v, out);
    if (st != RP_OK)
        return st;
    if (f->type == RP_FIELD_EMAIL) {
        /* Compared lower-cased on both sides, like the index. */
        char *s = (char *)*out;
        for (; *s; s++)
            *s = (char)tolower((unsigned char)*s);
    }
    return RP_OK;
}
