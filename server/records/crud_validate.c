#include <string.h>

#include "records/record.h"

static int error_at(json_t *errors, const char *field, const char *message)
{
    if (json_object_get(errors, field) != NULL)
        return 0;
    return json_object_set_new(errors, field, json_string(message));
}

/* Checks one given member; returns -1 on allocation failure. */
static int check_member(const rp_field_t *f, const char *name, const json_t *v,
                        const json_t *refused, json_t *out, json_t *errors)
{
    if (f->type == RP_FIELD_AUTONUMBER ||
        (f->read_only && refused != NULL && json_object_get(refused, name) != NULL))
        return error_at(errors, name, "is read-only");
    json_t *canon = NULL;
    char why[160] = "";
    rp_status_t st = rp_field_normalize(f, v, &canon, why, sizeof why);
    if (st == RP_ENOMEM)
        return -1;
    if (st != RP_OK)
        return error_at(errors, name, why[0] ? why : "is not a valid value");
    if (f->required && rp_field_is_empty(canon)) {
        json_decref(canon);
        return error_at(errors, name, "is required");
    }
    return json_object_set_new(out, name, canon);
}

rp_status_t rp_record_validate(const rp_object_t *o, const json_t *fields, bool create,
                               json_t **out, json_t *unknown, json_t *errors)
{
    return rp_record_validate_ex(o, fields, create, fields, out, unknown, errors);
}

rp_status_t rp_record_validate_ex(const rp_object_t *o, const json_t *fields, bool create,
                                  const json_t *refused, json_t **out, json_t *unknown,
                                  json_t *errors)
{
    *out = NULL;
    json_t *vals = json_object();
    if (vals == NULL)
        return RP_ENOMEM;
    const char *name;
    json_t *v;
    size_t nunknown = json_array_size(unknown), nerrors = json_object_size(errors);
    json_object_foreach((json_t *)fields, name, v)
    {
        const rp_field_t *f = rp_meta_field(o, name);
        if (f == NULL) {
            if (json_array_append_new(unknown, json_string(name)) != 0)
                goto nomem;
            continue;
        }
        if (check_member(f, name, v, refused, vals, errors) != 0)
            goto nomem;
    }
    for (int i = 0; create && i < o->nfields; i++) {
        const rp_field_t *f = &o->fields[i];
        if (json_object_get(fields, f->name) != NULL || f->type == RP_FIELD_AUTONUMBER)
            continue;
        if (f->default_value != NULL && !rp_field_is_empty(f->default_value)) {
            if (json_object_set(vals, f->name, f->default_value) != 0)
                goto nomem;
        } else if (f->required && error_at(errors, f->name, "is required") != 0) {
            goto nomem;
        }
    }
    if (json_array_size(unknown) > nunknown || json_object_size(errors) > nerrors) {
        json_decref(vals);
        return RP_EINVAL;
    }
    *out = vals;
    return RP_OK;
nomem:
    json_decref(vals);
    return RP_ENOMEM;
}

/* Absent and null are the same value: a cleared field is removed. */
static bool same(const json_t *a, const json_t *b)
{
    if (a == NULL || json_is_null(a))
        return b == NULL || json_is_null(b);
    return b != NULL && json_equal(a, b);
}

static int add_change(json_t *changes, const char *name, const json_t *old, const json_t *new)
{
    return json_object_set_new(
        changes, name,
        json_pack("{s:O, s:O}", "old", old ? old : json_null(), "new", new ? new : json_null()));
}

json_t *rp_record_diff(const json_t *before, const json_t *after)
{
    json_t *changes = json_object();
    if (changes == NULL)
        return NULL;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)before, name, v)
    {
        json_t *nv = json_object_get(after, name);
        if (!same(v, nv) && add_change(changes, name, v, nv) != 0)
            goto fail;
    }
    json_object_foreach((json_t *)after, name, v)
    {
        if (json_object_get(before, name) == NULL && !same(NULL, v) &&
            add_change(changes, name, NULL, v) != 0)
            goto fail;
    }
    return changes;
fail:
    json_decref(changes);
    return NULL;
}
