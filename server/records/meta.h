#ifndef RP_RECORDS_META_H
#define RP_RECORDS_META_H

#include <jansson.h>
#include <stdbool.h>

#include "core/request.h"
#include "records/field.h"

/* One object (a module's or a custom one) as a tenant sees it: its own
 * fields plus the tenant's custom fields on it, in display order. */
typedef struct rp_object {
    char name[RP_FIELD_NAME_MAX + 1];
    char *label;
    char *labels[RP_LOCALE_COUNT]; /* NULL when absent */
    bool custom;                   /* defined by the tenant (name ends in __c) */
    const char *module;            /* the module that brings it; NULL for custom ones */
    rp_field_t *fields;
    int nfields;
} rp_object_t;

/* A tenant's metadata: immutable once built, shared between requests and
 * threads, reference-counted. A change never edits a snapshot: it makes the
 * next request build a new one. */
typedef struct rp_meta rp_meta_t;

/* The current snapshot for the caller's tenant (ctx->principal.tenant_id),
 * read from the process cache or built with ctx->db inside the request's
 * transaction. The request holds it until its pool is cleared; never free
 * it. RP_EDB_UNAVAILABLE / RP_EDB from the database, RP_ENOMEM. */
rp_status_t rp_meta_acquire(rp_ctx_t *ctx, const rp_meta_t **out);

/* The object named name, or NULL. */
const rp_object_t *rp_meta_object(const rp_meta_t *m, const char *name);

/* The field named name on o, or NULL. */
const rp_field_t *rp_meta_field(const rp_object_t *o, const char *name);

/* The objects, in a stable order (module objects first, then custom ones by
 * name); returns their count. */
int rp_meta_objects(const rp_meta_t *m, const rp_object_t *const **out);

struct rp_modset;

/* The modules the tenant had enabled when this snapshot was built: the ones
 * whose objects it holds and whose record hooks run. */
void rp_meta_modules(const rp_meta_t *m, struct rp_modset *out);

/* The tenant's metadata version this snapshot was built from. */
long long rp_meta_version(const rp_meta_t *m);

/* Drops the cached snapshot of tenant_id (NULL: every tenant). Called after a
 * metadata change commits, and by the listener when another instance
 * announces one. Requests holding the old snapshot keep it until they end. */
void rp_meta_invalidate(const char *tenant_id);

/* Records in ctx's transaction that the tenant's metadata changed: bumps
 * tenants.metadata_version and queues NOTIFY rapport_metadata '<tenant id>'
 * (delivered at commit). The caller also calls rp_meta_invalidate after it
 * commits. */
rp_status_t rp_meta_changed(rp_ctx_t *ctx);

/* Starts the thread that LISTENs on rapport_metadata with its own connection
 * and invalidates tenants as notifications arrive; after a lost connection
 * it reconnects with backoff and drops the whole cache (notifications may
 * have been missed). */
rp_status_t rp_meta_listener_start(const char *conninfo, const char *set_role);

/* Stops the listener thread and frees the cache. */
void rp_meta_listener_stop(void);

#endif
