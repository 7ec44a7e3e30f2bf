#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "modules/internal.h"
#include "records/meta.h"

/* Which modules a tenant has enabled, and turning them on and off. */

rp_status_t rp_modules_enabled(rp_db_t *db, const char *tenant_id, rp_modset_t *out)
{
    out->bits = 0;
    if (rp_modules_nloaded == 0)
        return RP_OK;
    const char *p[] = {tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st =
        rp_db_exec(db, "SELECT module FROM tenant_modules WHERE tenant_id = $1::uuid", 1, p, &res);
    if (st != RP_OK)
        return st;
    for (int i = 0; i < rp_dbres_rows(res); i++) {
        const rp_module_t *m = rp_modules_find(rp_dbres_get(res, i, 0));
        if (m != NULL)
            out->bits |= (uint64_t)1 << m->index;
    }
    rp_dbres_free(res);
    return RP_OK;
}

/* Appends name to a comma-separated list in buf. */
static void list_add(char *buf, size_t len, const char *name)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

rp_status_t rp_modules_tenant_enable(rp_ctx_t *ctx, const char *name, char *why, size_t whylen)
{
    why[0] = '\0';
    const rp_module_t *m = rp_modules_find(name);
    if (m == NULL)
        return RP_ENOTFOUND;
    rp_modset_t on;
    rp_status_t st = rp_modules_enabled(ctx->db, ctx->principal.tenant_id, &on);
    if (st != RP_OK)
        return st;
    if (rp_modset_has(&on, m))
        return RP_OK;
    /* Refusing is clearer than enabling dependencies behind the admin's
     * back: the answer names what to enable first. */
    for (int i = 0; i < m->ndepends; i++) {
        const rp_module_t *d = rp_modules_find(m->depends[i]);
        if (d == NULL || !rp_modset_has(&on, d))
            list_add(why, whylen, m->depends[i]);
    }
    if (why[0] != '\0')
        return RP_ECONFLICT;
    const char *actor = ctx->principal.user_id[0] ? ctx->principal.user_id : NULL;
    const char *p[] = {ctx->principal.tenant_id, m->name, m->version, actor};
    st = rp_db_exec(ctx->db,
                    "INSERT INTO tenant_modules (tenant_id, module, version, enabled_by) "
                    "VALUES ($1::uuid, $2, $3, $4::uuid) ON CONFLICT DO NOTHING",
                    4, p, NULL);
    if (st != RP_OK)
        return st;
    /* The tenant's objects change with its modules: the next request builds
     * a snapshot with (or without) the module's manifest. */
    st = rp_meta_changed(ctx);
    if (st == RP_OK)
        rp_meta_invalidate(ctx->principal.tenant_id);
    return st;
}

rp_status_t rp_modules_tenant_disable(rp_ctx_t *ctx, const char *name, char *why, size_t whylen)
{
    why[0] = '\0';
    const rp_module_t *m = rp_modules_find(name);
    if (m == NULL)
        return RP_ENOTFOUND;
    rp_modset_t on;
    rp_status_t st = rp_modules_enabled(ctx->db, ctx->principal.tenant_id, &on);
    if (st != RP_OK)
        return st;
    if (!rp_modset_has(&on, m))
        return RP_OK;
    for (int i = 0; i < rp_modules_nloaded; i++) {
        const rp_module_t *o = rp_modules_loaded[i];
        if (!rp_modset_has(&on, o))
            continue;
        for (int d = 0; d < o->ndepends; d++)
            if (strcmp(o->depends[d], m->name) == 0)
                list_add(why, whylen, o->name);
    }
    if (why[0] != '\0')
        return RP_ECONFLICT;
    const char *p[] = {ctx->principal.tenant_id, m->name};
    st =
        rp_db_exec(ctx->db, "DELETE FROM tenant_modules WHERE tenant_id = $1::uuid AND module = $2",
                   2, p, NULL);
    if (st != RP_OK)
        return st;
    st = rp_meta_changed(ctx);
    if (st == RP_OK)
        rp_meta_invalidate(ctx->principal.tenant_id);
    return st;
}

/* The next name of a comma-separated list, blanks trimmed, into name;
 * returns where the rest starts, or NULL at the end. */
static const char *next_name(const char *p, char *name, size_t len)
{
    if (p == NULL || *p == '\0')
        return NULL;
    const char *end = strchr(p, ',');
    const char *stop = end ? end : p + strlen(p);
    while (p < stop && (*p == ' ' || *p == '\t'))
        p++;
    const char *last = stop;
    while (last > p && (last[-1] == ' ' || last[-1] == '\t'))
        last--;
    size_t n = (size_t)(last - p);
    if (n >= len)
        n = len - 1; /* an overlong name is invalid anyway; keep it cut */
    memcpy(name, p, n);
    name[n] = '\0';
    return end ? end + 1 : stop;
}

rp_status_t rp_modules_tenant_enable_list(rp_ctx_t *ctx, const char *list, rp_modules_skip_fn skip,
                                          void *arg, int *enabled)
{
    if (enabled)
        *enabled = 0;
    bool wanted[RP_MODULES_MAX] = {false};
    char name[64];
    for (const char *p = next_name(list, name, sizeof name); p != NULL;
         p = next_name(p, name, sizeof name)) {
        if (name[0] == '\0')
            continue; /* "sales,,x" or a trailing comma */
        const rp_module_t *m = rp_modules_name_valid(name) ? rp_modules_find(name) : NULL;
        if (m != NULL) {
            wanted[m->index] = true;
            continue;
        }
        char why[600];
        snprintf(why, sizeof why, "%s",
                 rp_modules_name_valid(name) ? "is not loaded" : "is not a valid module name");
        if (rp_modules_name_valid(name)) {
            size_t used = strlen(why);
            snprintf(why + used, sizeof why - used, " from %s", rp_modules_dir());
        }
        if (skip)
            skip(name, why, arg);
    }
    /* Load order puts dependencies first. */
    for (int i = 0; i < rp_modules_nloaded; i++) {
        const rp_module_t *m = rp_modules_loaded[i];
        if (!wanted[m->index])
            continue;
        char why[512];
        rp_status_t st = rp_modules_tenant_enable(ctx, m->name, why, sizeof why);
        if (st == RP_ECONFLICT) {
            char line[600];
            snprintf(line, sizeof line, "needs %s, which is not enabled", why);
            if (skip)
                skip(m->name, line, arg);
            continue;
        }
        if (st != RP_OK)
            return st;
        if (enabled)
            (*enabled)++;
    }
    return RP_OK;
}
