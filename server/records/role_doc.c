#include "records/role_doc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_names[] = {"admin", "manager", "user", "readonly"};

bool rp_role_name_valid(const char *name)
{
    if (name == NULL || name[0] < 'a' || name[0] > 'z')
        return false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return n <= RP_ROLE_NAME_MAX;
}

bool rp_role_is_builtin(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof builtin_names / sizeof builtin_names[0]; i++)
        if (strcmp(name, builtin_names[i]) == 0)
            return true;
    return false;
}

const char *rp_role_builtin_label(rp_role_t role)
{
    switch (role) {
    case RP_ROLE_ADMIN:
        return "Administrator";
    case RP_ROLE_MANAGER:
        return "Manager";
    case RP_ROLE_USER:
        return "User";
    case RP_ROLE_READONLY:
        return "Read-only";
    default:
        return "";
    }
}

static void add_error(json_t *errors, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_error(json_t *errors, const char *key, const char *fmt, ...)
{
    if (errors == NULL || json_object_get(errors, key) != NULL)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_object_set_new(errors, key, json_string(msg));
}

static const rp_object_t *find_object(const rp_object_t *const *objs, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(objs[i]->name, name) == 0)
            return objs[i];
    return NULL;
}

/* What walking one entry found: shape problems (bad) always count; names
 * that do not exist (missing) count only for the API. */
typedef struct verdict {
    int bad;
    int missing;
} verdict_t;

static void scope_member(const json_t *e, const char *member, const char *prefix, json_t *errors,
                         verdict_t *v, rp_scope_t *out)
{
    json_t *m = json_object_get(e, member);
    *out = RP_SCOPE_NONE;
    if (m == NULL)
        return;
    int s = rp_scope_parse(json_string_value(m));
    if (s < 0) {
        char key[256];
        snprintf(key, sizeof key, "%s.%s", prefix, member);
        add_error(errors, key, "must be one of none, own, team, all");
        v->bad++;
        return;
    }
    *out = (rp_scope_t)s;
}

/* Reads the "fields" map of an entry for object o into fields (o->nfields
 * bytes, preset to edit). */
static void fields_member(const json_t *map, const rp_object_t *o, const char *prefix,
                          json_t *errors, verdict_t *v, unsigned char *fields)
{
    char key[256];
    snprintf(key, sizeof key, "%s.fields", prefix);
    if (o == NULL) {
        add_error(errors, key, "is not allowed on \"*\": name fields in an object's own entry");
        v->bad++;
        return;
    }
    if (!json_is_object(map)) {
        add_error(errors, key, "must be an object of {field: \"none\" | \"read\" | \"edit\"}");
        v->bad++;
        return;
    }
    const char *fname;
    json_t *fv;
    json_object_foreach((json_t *)map, fname, fv)
    {
        snprintf(key, sizeof key, "%s.fields.%s", prefix, fname);
        const rp_field_t *f = rp_meta_field(o, fname);
        int a = rp_field_access_parse(json_string_value(fv));
        if (f == NULL) {
            add_error(errors, key, "no such field on %s", o->name);
            v->missing++;
        } else if (a < 0) {
            add_error(errors, key, "must be one of none, read, edit");
            v->bad++;
        } else if (fields != NULL) {
            fields[f - o->fields] = (unsigned char)a;
        }
    }
}

/* Walks one entry ("objects.<name>" is prefix; o NULL for "*"), filling out
 * and fields when not NULL. */
static void walk_entry(const json_t *e, const rp_object_t *o, const char *prefix, json_t *errors,
                       verdict_t *v, rp_access_t *out, unsigned char *fields)
{
    rp_access_t a = {0};
    if (!json_is_object(e)) {
        add_error(errors, prefix, "must be an object with create, read, update, delete, fields");
        v->bad++;
        goto done;
    }
    const char *member;
    json_t *m;
    json_object_foreach((json_t *)e, member, m)
    {
        if (strcmp(member, "create") == 0 || strcmp(member, "read") == 0 ||
            strcmp(member, "update") == 0 || strcmp(member, "delete") == 0 ||
            strcmp(member, "fields") == 0)
            continue;
        char key[256];
        snprintf(key, sizeof key, "%s.%s", prefix, member);
        add_error(errors, key, "is not a permission: use create, read, update, delete or fields");
        v->bad++;
    }
    json_t *create = json_object_get(e, "create");
    if (create != NULL && !json_is_boolean(create)) {
        char key[256];
        snprintf(key, sizeof key, "%s.create", prefix);
        add_error(errors, key, "must be true or false");
        v->bad++;
    }
    a.create = json_is_true(create);
    scope_member(e, "read", prefix, errors, v, &a.read);
    scope_member(e, "update", prefix, errors, v, &a.update);
    scope_member(e, "delete", prefix, errors, v, &a.remove);
    json_t *map = json_object_get(e, "fields");
    if (map != NULL)
        fields_member(map, o, prefix, errors, v, fields);
done:
    if (out != NULL)
        *out = a;
}

rp_status_t rp_role_doc_check(const json_t *objects, const rp_object_t *const *objs, int nobjs,
                              bool strict, json_t *errors)
{
    if (objects == NULL)
        return RP_OK;
    if (!json_is_object(objects)) {
        add_error(errors, "objects", "must be an object of {object or \"*\": rights}");
        return RP_EINVAL;
    }
    verdict_t v = {0};
    const char *name;
    json_t *e;
    json_object_foreach((json_t *)objects, name, e)
    {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "objects.%.100s", name);
        const rp_object_t *o = NULL;
        if (strcmp(name, "*") != 0 && (o = find_object(objs, nobjs, name)) == NULL) {
            add_error(errors, prefix, "no such object");
            v.missing++;
            continue;
        }
        walk_entry(e, o, prefix, errors, &v, NULL, NULL);
    }
    return v.bad > 0 || (strict && v.missing > 0) ? RP_EINVAL : RP_OK;
}

void rp_role_def_free(rp_role_def_t *r)
{
    if (r == NULL)
        return;
    for (int i = 0; r->access != NULL && i < r->nobjects; i++)
        free((void *)r->access[i].fields);
    free(r->access);
    free(r);
}

/* Compiles the entry for o (named, or the "*" one when o is not named). A
 * broken entry gives no rights at all: a role never gets more than its
 * definition clearly says. */
static rp_status_t compile_one(const json_t *objects, const rp_object_t *o, json_t *skipped,
                               rp_access_t *out)
{
    memset(out, 0, sizeof *out);
    const json_t *e = json_object_get(objects, o->name);
    const rp_object_t *target = o;
    if (e == NULL) {
        e = json_object_get(objects, "*");
        target = NULL;
    }
    if (e == NULL)
        return RP_OK;
    unsigned char *fields = NULL;
    json_t *map = json_is_object(e) ? json_object_get(e, "fields") : NULL;
    if (target != NULL && map != NULL && o->nfields > 0) {
        fields = malloc((size_t)o->nfields);
        if (fields == NULL)
            return RP_ENOMEM;
        memset(fields, RP_FIELD_ACCESS_EDIT, (size_t)o->nfields);
    }
    char prefix[128];
    snprintf(prefix, sizeof prefix, "objects.%s", target ? o->name : "*");
    verdict_t v = {0};
    json_t *errs = json_object();
    if (errs == NULL) {
        free(fields);
        return RP_ENOMEM;
    }
    walk_entry(e, target, prefix, errs, &v, out, fields);
    if (skipped != NULL)
        json_object_update_missing(skipped, errs);
    json_decref(errs);
    if (v.bad > 0) {
        free(fields);
        memset(out, 0, sizeof *out);
        return RP_OK;
    }
    bool narrows = false;
    for (int i = 0; fields != NULL && i < o->nfields; i++)
        narrows = narrows || fields[i] != RP_FIELD_ACCESS_EDIT;
    if (!narrows) {
        free(fields);
        fields = NULL;
    }
    out->fields = fields;
    return RP_OK;
}

rp_status_t rp_role_doc_compile(const char *name, rp_role_t base, const json_t *objects,
                                const rp_object_t *const *objs, int nobjs, json_t *skipped,
                                rp_role_def_t **out)
{
    *out = NULL;
    rp_role_def_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return RP_ENOMEM;
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    r->base = base;
    r->access = calloc((size_t)(nobjs > 0 ? nobjs : 1), sizeof *r->access);
    if (r->access == NULL) {
        free(r);
        return RP_ENOMEM;
    }
    r->nobjects = nobjs;
    if (json_is_object(objects)) {
        /* Entries naming objects that are gone, reported once. */
        const char *key;
        json_t *e;
        json_object_foreach((json_t *)objects, key, e)
        {
            if (strcmp(key, "*") != 0 && find_object(objs, nobjs, key) == NULL && skipped) {
                char prefix[128];
                snprintf(prefix, sizeof prefix, "objects.%.100s", key);
                add_error(skipped, prefix, "no such object");
            }
        }
        for (int i = 0; i < nobjs; i++)
            if (compile_one(objects, objs[i], skipped, &r->access[i]) != RP_OK) {
                rp_role_def_free(r);
                return RP_ENOMEM;
            }
    } else if (objects != NULL && skipped != NULL) {
        add_error(skipped, "objects", "is not an object: the role has no rights");
    }
    *out = r;
    return RP_OK;
}

void rp_role_def_access(const rp_role_def_t *r, int i, rp_access_t *out)
{
    if (r == NULL || i < 0 || i >= r->nobjects) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = r->access[i];
}

static json_t *entry_json(bool create, rp_scope_t read, rp_scope_t update, rp_scope_t remove)
{
    return json_pack("{s:b, s:s, s:s, s:s}", "create", create, "read", rp_scope_name(read),
                     "update", rp_scope_name(update), "delete", rp_scope_name(remove));
}

static rp_scope_t scope_of(const json_t *e, const char *member)
{
    int s = rp_scope_parse(json_string_value(json_object_get(e, member)));
    return s < 0 ? RP_SCOPE_NONE : (rp_scope_t)s;
}

json_t *rp_role_doc_normalize(const json_t *objects)
{
    json_t *out = json_object();
    const char *name;
    json_t *e;
    if (out == NULL || !json_is_object(objects))
        return out;
    json_object_foreach((json_t *)objects, name, e)
    {
        json_t *n = entry_json(json_is_true(json_object_get(e, "create")), scope_of(e, "read"),
                               scope_of(e, "update"), scope_of(e, "delete"));
        json_t *fields = json_object_get(e, "fields");
        if (n != NULL && json_is_object(fields) && json_object_size(fields) > 0 &&
            json_object_set(n, "fields", fields) != 0) {
            json_decref(n);
            n = NULL;
        }
        if (n == NULL || json_object_set_new(out, name, n) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

json_t *rp_role_doc_builtin(rp_role_t role)
{
    bool write = role >= RP_ROLE_USER;
    rp_scope_t w = write ? RP_SCOPE_ALL : RP_SCOPE_NONE;
    json_t *e = entry_json(write, role >= RP_ROLE_READONLY ? RP_SCOPE_ALL : RP_SCOPE_NONE, w, w);
    return e ? json_pack("{s:o}", "*", e) : NULL;
}

json_t *rp_role_doc_access_json(const rp_access_t *a, const rp_object_t *o)
{
    json_t *fields = json_object();
    for (int i = 0; fields != NULL && i < o->nfields; i++) {
        rp_field_access_t fa = rp_perm_field(a, o, &o->fields[i]);
        if (fa != RP_FIELD_ACCESS_NONE &&
            json_object_set_new(fields, o->fields[i].name, json_string(rp_field_access_name(fa))) !=
                0) {
            json_decref(fields);
            return NULL;
        }
    }
    if (fields == NULL)
        return NULL;
    return json_pack("{s:b, s:b, s:b, s:b, s:{s:s, s:s, s:s}, s:o}", "create", a->create, "read",
                     a->read != RP_SCOPE_NONE, "update", a->update != RP_SCOPE_NONE, "delete",
                     a->remove != RP_SCOPE_NONE, "scope", "read", rp_scope_name(a->read), "update",
                     rp_scope_name(a->update), "delete", rp_scope_name(a->remove), "fields",
                     fields);
}
