#ifndef RP_TENANCY_TENANT_H
#define RP_TENANCY_TENANT_H

#include <stdbool.h>

#include "core/status.h"
#include "core/uuid.h"
#include "db/db.h"

/* Longest slug and name, as the tenants table's CHECK constraints say. */
#define RP_TENANT_SLUG_MAX 63
#define RP_TENANT_NAME_MAX 200

/* One row of the tenant directory. */
typedef struct rp_tenant {
    char id[RP_UUID_LEN + 1];
    char slug[RP_TENANT_SLUG_MAX + 1];
    char name[RP_TENANT_NAME_MAX * 4 + 1]; /* UTF-8: up to 4 bytes a character */
    char status[16];                       /* "active" or "suspended" */
    char created_at[32];                   /* ISO 8601, UTC */
} rp_tenant_t;

/* True for a slug the URL and the database accept: 2 to 63 characters of
 * lower-case a-z, 0-9 and '-', starting and ending with a letter or digit. */
bool rp_tenant_slug_valid(const char *slug);

/* True for a display name: 1 to 200 characters of valid UTF-8 without
 * control characters. */
bool rp_tenant_name_valid(const char *name);

/* True for "active" or "suspended". */
bool rp_tenant_status_valid(const char *status);

/* Creates an active tenant with a new UUIDv7 id written to out_id (may be
 * NULL). RP_EINVAL for a bad slug or name, RP_ECONFLICT when the slug is
 * taken. Runs on its own unless the caller opened a transaction. */
rp_status_t rp_tenant_create(rp_db_t *db, const char *slug, const char *name,
                             char out_id[RP_UUID_LEN + 1]);

/* Every tenant, by slug. *out is malloc'ed (free() it); *count may be 0. */
rp_status_t rp_tenant_list(rp_db_t *db, rp_tenant_t **out, int *count);

/* One tenant by slug; RP_ENOTFOUND when there is none. */
rp_status_t rp_tenant_find(rp_db_t *db, const char *slug, rp_tenant_t *out);

/* Sets a tenant's status ("active" or "suspended"). RP_ENOTFOUND for an
 * unknown slug, RP_EINVAL for another status. A suspended tenant's requests
 * are refused from their next transaction on. */
rp_status_t rp_tenant_set_status(rp_db_t *db, const char *slug, const char *status);

/* Inside the caller's transaction: finds the tenant by slug (whatever its
 * status, for administration) and makes it the transaction's tenant, so
 * row-level security shows that tenant's rows. */
rp_status_t rp_tenant_use(rp_db_t *db, const char *slug, rp_tenant_t *out);

#endif
