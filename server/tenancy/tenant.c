#include "tenancy/tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char COLUMNS[] =
    "id, slug, name, status, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

bool rp_tenant_slug_valid(const char *slug)
{
    if (slug == NULL)
        return false;
    size_t n = strlen(slug);
    if (n < 2 || n > RP_TENANT_SLUG_MAX || slug[0] == '-' || slug[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = slug[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool rp_tenant_name_valid(const char *name)
{
    if (name == NULL || *name == '\0')
        return false;
    int chars = 0;
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        unsigned c = *p;
        int len = c < 0x80             ? 1
                  : (c & 0xE0) == 0xC0 ? 2
                  : (c & 0xF0) == 0xE0 ? 3
                  : (c & 0xF8) == 0xF0 ? 4
                                       : 0;
        if (len == 0 || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
            return false;
        unsigned cp = len == 1 ? c : c & (0x7F >> len);
        for (int i = 1; i < len; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return false; /* overlong forms and surrogates are not UTF-8 */
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            return false;
        p += len;
        if (++chars > RP_TENANT_NAME_MAX)
            return false;
    }
    return true;
}

bool rp_tenant_status_valid(const char *status)
{
    return status && (strcmp(status, "active") == 0 || strcmp(status, "suspended") == 0);
}

static void copy_row(const rp_dbres_t *res, int row, rp_tenant_t *t)
{
    snprintf(t->id, sizeof t->id, "%s", rp_dbres_get(res, row, 0));
    snprintf(t->slug, sizeof t->slug, "%s", rp_dbres_get(res, row, 1));
    snprintf(t->name, sizeof t->name, "%s", rp_dbres_get(res, row, 2));
    snprintf(t->status, sizeof t->status, "%s", rp_dbres_get(res, row, 3));
    snprintf(t->created_at, sizeof t->created_at, "%s", rp_dbres_get(res, row, 4));
}

rp_status_t rp_tenant_create(rp_db_t *db, const char *slug, const char *name,
                             char out_id[RP_UUID_LEN + 1])
{
    if (!rp_tenant_slug_valid(slug) || !rp_tenant_name_valid(name))
        return RP_EINVAL;
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *params[] = {id, slug, name};
    rp_status_t st = rp_db_exec(
        db, "INSERT INTO tenants (id, slug, name) VALUES ($1::uuid, $2, $3)", 3, params, NULL);
    if (st == RP_OK && out_id != NULL)
        memcpy(out_id, id, sizeof id);
    return st;
}

rp_status_t rp_tenant_list(rp_db_t *db, rp_tenant_t **out, int *count)
{
    *out = NULL;
    *count = 0;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM tenants ORDER BY slug", COLUMNS);
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(db, sql, 0, NULL, &res);
    if (st != RP_OK)
        return st;
    int n = rp_dbres_rows(res);
    rp_tenant_t *list = calloc(n > 0 ? (size_t)n : 1, sizeof *list);
    if (list == NULL) {
        rp_dbres_free(res);
        return RP_ENOMEM;
    }
    for (int i = 0; i < n; i++)
        copy_row(res, i, &list[i]);
    rp_dbres_free(res);
    *out = list;
    *count = n;
    return RP_OK;
}

rp_status_t rp_tenant_find(rp_db_t *db, const char *slug, rp_tenant_t *out)
{
    if (!rp_tenant_slug_valid(slug))
        return RP_ENOTFOUND;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM tenants WHERE slug = $1", COLUMNS);
    const char *params[] = {slug};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(db, sql, 1, params, &res);
    if (st == RP_OK && rp_dbres_rows(res) == 0)
        st = RP_ENOTFOUND;
    if (st == RP_OK)
        copy_row(res, 0, out);
    rp_dbres_free(res);
    return st;
}

rp_status_t rp_tenant_set_status(rp_db_t *db, const char *slug, const char *status)
{
    if (!rp_tenant_status_valid(status))
        return RP_EINVAL;
    if (!rp_tenant_slug_valid(slug))
        return RP_ENOTFOUND;
    const char *params[] = {slug, status};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(db,
                                "UPDATE tenants SET status = $2, updated_at = now() "
                                "WHERE slug = $1",
                                2, params, &res);
    if (st == RP_OK && rp_dbres_affected(res) == 0)
        st = RP_ENOTFOUND;
    rp_dbres_free(res);
    return st;
}

rp_status_t rp_tenant_use(rp_db_t *db, const char *slug, rp_tenant_t *out)
{
    rp_status_t st = rp_tenant_find(db, slug, out);
    if (st != RP_OK)
        return st;
    const char *params[] = {out->id};
    return rp_db_exec(db, "SELECT set_config('rapport.tenant_id', $1, true)", 1, params, NULL);
}
