#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "records/meta_internal.h"

void rp_meta_ref(const rp_meta_t *m)
{
    atomic_fetch_add_explicit(&((rp_meta_t *)m)->refs, 1, memory_order_relaxed);
}

void rp_meta_unref(const rp_meta_t *m)
{
    if (m == NULL)
        return;
    rp_meta_t *mm = (rp_meta_t *)m;
    if (atomic_fetch_sub_explicit(&mm->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (int i = 0; i < mm->nobjects; i++)
        if (mm->owned[i])
            rp_object_free(mm->objects[i]);
    free(mm->objects);
    free(mm->owned);
    rp_meta_free_roles(mm);
    free(mm);
}

/* The first problem in errors, for a log line. */
static const char *first_error(json_t *errors, char *buf, size_t len)
{
    const char *key;
    json_t *v;
    json_object_foreach(errors, key, v)
    {
        snprintf(buf, len, "%s %s", key, json_string_value(v) ? json_string_value(v) : "");
        return buf;
    }
    return "unreadable definition";
}

static int by_name(const void *a, const void *b)
{
    const rp_object_t *x = *(rp_object_t *const *)a, *y = *(rp_object_t *const *)b;
    return strcmp(x->name, y->name);
}

static int find_index(const rp_meta_t *m, const char *name)
{
    for (int i = 0; i < m->nobjects; i++)
        if (strcmp(m->objects[i]->name, name) == 0)
            return i;
    return -1;
}

static rp_object_t *find(rp_meta_t *m, const char *name)
{
    int i = find_index(m, name);
    return i < 0 ? NULL : m->objects[i];
}

/* Object i of m, made the snapshot's own first when it is a shared module
 * object (copy on write): what a custom field is added to. NULL when out of
 * memory. */
static rp_object_t *own(rp_meta_t *m, int i)
{
    if (m->owned[i])
        return m->objects[i];
    rp_object_t *copy = rp_object_clone(m->objects[i]);
    if (copy == NULL)
        return NULL;
    m->objects[i] = copy;
    m->owned[i] = true;
    return copy;
}

/* Adds one custom object row; false only when out of memory. */
static bool add_object(rp_meta_t *m, int cap, const rp_meta_def_row_t *row)
{
    char why[300];
    json_t *errors = json_object();
    json_t *def = json_loads(row->definition, 0, NULL);
    bool ok = errors != NULL;
    rp_status_t st = RP_EINVAL;
    rp_object_t *o = def && errors ? rp_object_parse(def, true, NULL, errors, &st) : NULL;
    if (st == RP_ENOMEM) {
        ok = false;
    } else if (o == NULL) {
        rp_log_warn("metadata: tenant %s: skipping object %s: %s", m->tenant_id, row->name,
                    def ? first_error(errors, why, sizeof why) : "the definition is not JSON");
    } else if (strcmp(o->name, row->name) != 0 || find(m, o->name) != NULL || m->nobjects >= cap) {
        rp_log_warn("metadata: tenant %s: skipping object %s: name mismatch, duplicate or limit",
                    m->tenant_id, row->name);
    } else {
        m->owned[m->nobjects] = true;
        m->objects[m->nobjects++] = o;
        o = NULL;
    }
    rp_object_free(o);
    json_decref(def);
    json_decref(errors);
    return ok;
}

/* Adds one custom field row; false only when out of memory. */
static bool add_field(rp_meta_t *m, const rp_meta_def_row_t *row)
{
    char why[300];
    int oi = find_index(m, row->object);
    const rp_object_t *o = oi < 0 ? NULL : m->objects[oi];
    if (o == NULL) {
        rp_log_warn("metadata: tenant %s: skipping field %s.%s: no such object", m->tenant_id,
                    row->object, row->name);
        return true;
    }
    json_t *errors = json_object();
    json_t *def = json_loads(row->definition, 0, NULL);
    if (errors == NULL) {
        json_decref(def);
        return false;
    }
    rp_field_t f;
    rp_status_t st = def ? rp_field_parse(def, &f, errors) : RP_EINVAL;
    bool ok = true;
    if (st == RP_ENOMEM) {
        ok = false;
    } else if (st != RP_OK) {
        rp_log_warn("metadata: tenant %s: skipping field %s.%s: %s", m->tenant_id, row->object,
                    row->name,
                    def ? first_error(errors, why, sizeof why) : "the definition is not JSON");
    } else if (strcmp(f.name, row->name) != 0 || !rp_field_name_valid(f.name, true) ||
               rp_meta_field(o, f.name) != NULL) {
        rp_log_warn("metadata: tenant %s: skipping field %s.%s: bad or duplicate name",
                    m->tenant_id, row->object, row->name);
        rp_field_free(&f);
    } else {
        rp_object_t *mine = own(m, oi);
        st = mine ? rp_object_add_field(mine, &f) : RP_ENOMEM;
        if (st != RP_OK) {
            rp_field_free(&f);
            if (st == RP_ENOMEM)
                ok = false;
            else
                rp_log_warn("metadata: tenant %s: skipping field %s.%s: too many fields",
                            m->tenant_id, row->object, row->name);
        }
    }
    json_decref(def);
    json_decref(errors);
    return ok;
}

/* Adds the objects of one module, shared; an object whose name is taken
 * is logged and left out. */
static void add_module(rp_meta_t *m, int cap, const rp_meta_module_t *mod)
{
    for (int i = 0; i < mod->nobjects; i++) {
        if (find(m, mod->objects[i]->name) != NULL || m->nobjects >= cap) {
            rp_log_warn("metadata: module %s: object %s is already defined; left out", mod->name,
                        mod->objects[i]->name);
            continue;
        }
        m->owned[m->nobjects] = false;
        m->objects[m->nobjects++] = mod->objects[i];
    }
}

rp_status_t rp_meta_build(long long version, const char *tenant_id,
                          const rp_meta_def_row_t *objects, int nobjects,
                          const rp_meta_def_row_t *fields, int nfields, rp_meta_t **out)
{
    return rp_meta_build_with(version, tenant_id, NULL, 0, objects, nobjects, fields, nfields, out);
}

/* Gives back the unused end of the object arrays: a snapshot lives long
 * and there is one per tenant. */
static void shrink(rp_meta_t *m)
{
    size_t n = m->nobjects > 0 ? (size_t)m->nobjects : 1;
    rp_object_t **objs = realloc(m->objects, n * sizeof *objs);
    if (objs != NULL)
        m->objects = objs;
    bool *owned = realloc(m->owned, n * sizeof *owned);
    if (owned != NULL)
        m->owned = owned;
}

rp_status_t rp_meta_build_with(long long version, const char *tenant_id,
                               const rp_meta_module_t *mods, int nmods,
                               const rp_meta_def_row_t *objects, int nobjects,
                               const rp_meta_def_row_t *fields, int nfields, rp_meta_t **out)
{
    *out = NULL;
    rp_meta_t *m = calloc(1, sizeof *m);
    int cap = RP_META_OBJECTS_MAX;
    if (m == NULL || (m->objects = calloc((size_t)cap, sizeof *m->objects)) == NULL ||
        (m->owned = calloc((size_t)cap, sizeof *m->owned)) == NULL) {
        if (m != NULL)
            free(m->objects);
        free(m);
        return RP_ENOMEM;
    }
    atomic_init(&m->refs, 1);
    m->version = version;
    snprintf(m->tenant_id, sizeof m->tenant_id, "%s", tenant_id ? tenant_id : "");
    for (int i = 0; i < nmods; i++)
        add_module(m, cap, &mods[i]);

    int first_custom = m->nobjects;
    for (int i = 0; i < nobjects; i++)
        if (!add_object(m, cap, &objects[i]))
            goto oom;
    /* owned stays in step: every custom object is owned. */
    qsort(m->objects + first_custom, (size_t)(m->nobjects - first_custom), sizeof *m->objects,
          by_name);
    for (int i = 0; i < nfields; i++)
        if (!add_field(m, &fields[i]))
            goto oom;
    shrink(m);
    *out = m;
    return RP_OK;
oom:
    rp_meta_unref(m);
    return RP_ENOMEM;
}
