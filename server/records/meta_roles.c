#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "records/meta_internal.h"
#include "records/perm.h"
#include "records/role_doc.h"

static int by_name(const void *a, const void *b)
{
    const rp_role_def_t *x = *(rp_role_def_t *const *)a, *y = *(rp_role_def_t *const *)b;
    return strcmp(x->name, y->name);
}

/* Logs what a stored role names that the snapshot no longer has, once per
 * build (the next build is the next metadata change). */
static void log_skipped(const rp_meta_t *m, const char *role, json_t *skipped)
{
    const char *key;
    json_t *v;
    json_object_foreach(skipped, key, v)
    {
        rp_log_warn("metadata: tenant %s: role %s: ignoring %s: %s", m->tenant_id, role, key,
                    json_string_value(v) ? json_string_value(v) : "");
    }
}

rp_status_t rp_meta_build_roles(rp_meta_t *m, const rp_meta_role_row_t *rows, int n)
{
    if (n <= 0)
        return RP_OK;
    m->roles = calloc((size_t)n, sizeof *m->roles);
    if (m->roles == NULL)
        return RP_ENOMEM;
    const rp_object_t *const *objs = (const rp_object_t *const *)m->objects;
    for (int i = 0; i < n; i++) {
        rp_role_t base = rp_role_parse(rows[i].base);
        if (!rp_role_name_valid(rows[i].name) || base == RP_ROLE_NONE || base == RP_ROLE_ADMIN) {
            rp_log_warn("metadata: tenant %s: skipping role %s: bad name or base", m->tenant_id,
                        rows[i].name ? rows[i].name : "");
            continue;
        }
        json_t *def = rows[i].definition ? json_loads(rows[i].definition, 0, NULL) : NULL;
        json_t *skipped = json_object();
        rp_role_def_t *r = NULL;
        rp_status_t st = skipped ? RP_OK : RP_ENOMEM;
        if (st == RP_OK && def == NULL)
            json_object_set_new(skipped, "definition", json_string("is not JSON: no rights"));
        /* A definition that does not parse still makes the role known, with
         * no rights: its users must not fall back to anything wider. */
        if (st == RP_OK)
            st = rp_role_doc_compile(rows[i].name, base, json_object_get(def, "objects"), objs,
                                     m->nobjects, skipped, &r);
        if (st == RP_OK)
            log_skipped(m, rows[i].name, skipped);
        json_decref(skipped);
        json_decref(def);
        if (st != RP_OK)
            return st;
        m->roles[m->nroles++] = r;
    }
    qsort(m->roles, (size_t)m->nroles, sizeof *m->roles, by_name);
    return RP_OK;
}

void rp_meta_free_roles(rp_meta_t *m)
{
    for (int i = 0; i < m->nroles; i++)
        rp_role_def_free(m->roles[i]);
    free(m->roles);
    m->roles = NULL;
    m->nroles = 0;
}

bool rp_meta_role_access(const rp_meta_t *m, const char *role_name, const rp_object_t *o,
                         rp_access_t *out)
{
    if (m == NULL || role_name == NULL || o == NULL || m->nroles == 0 ||
        strlen(role_name) > RP_ROLE_NAME_MAX)
        return false;
    rp_role_def_t key;
    snprintf(key.name, sizeof key.name, "%s", role_name);
    const rp_role_def_t *kp = &key;
    rp_role_def_t *const *hit =
        bsearch(&kp, m->roles, (size_t)m->nroles, sizeof *m->roles, by_name);
    if (hit == NULL)
        return false;
    int idx = -1;
    for (int i = 0; i < m->nobjects && idx < 0; i++)
        if (m->objects[i] == o)
            idx = i;
    /* An object of another snapshot (never expected) gets nothing. */
    rp_role_def_access(*hit, idx, out);
    return true;
}
