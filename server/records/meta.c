#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/db.h"
#include "http/router.h"
#include "modules/modules.h"
#include "records/meta_internal.h"
#include "records/role_doc.h"

/* The process cache: a chained hash on the tenant id plus a list in least
 * recently used order. Only pointers move under the lock; snapshots are
 * built outside it. */
#define BUCKETS 8192 /* a power of two, twice RP_META_CACHE_MAX */

typedef struct entry {
    char tenant_id[RP_UUID_LEN + 1];
    const rp_meta_t *snap;
    struct entry *hnext;
    struct entry *prev, *next; /* LRU: head is the most recent */
} entry_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *buckets[BUCKETS];
static entry_t *lru_head, *lru_tail;
static int nentries;

/* The tenant whose metadata this worker's current request changed: what it
 * builds from its uncommitted transaction must never reach the cache. */
static _Thread_local char dirty_tenant[RP_UUID_LEN + 1];

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (BUCKETS - 1);
}

static void lru_unlink(entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        lru_head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        lru_tail = e->prev;
    e->prev = e->next = NULL;
}

static void lru_push(entry_t *e)
{
    e->next = lru_head;
    e->prev = NULL;
    if (lru_head)
        lru_head->prev = e;
    lru_head = e;
    if (lru_tail == NULL)
        lru_tail = e;
}

static entry_t **slot_of(const char *tenant_id)
{
    entry_t **p = &buckets[hash(tenant_id)];
    while (*p && strcmp((*p)->tenant_id, tenant_id) != 0)
        p = &(*p)->hnext;
    return p;
}

/* Unlinks and frees an entry; the snapshot is returned for release outside
 * the lock. */
static const rp_meta_t *drop(entry_t **slot)
{
    entry_t *e = *slot;
    *slot = e->hnext;
    lru_unlink(e);
    const rp_meta_t *snap = e->snap;
    free(e);
    nentries--;
    return snap;
}

/* Puts snap (one reference taken) in the cache; returns a snapshot the
 * caller must release after unlocking (replaced or evicted), or NULL. */
static const rp_meta_t *cache_put(const rp_meta_t *snap, const rp_meta_t **evicted)
{
    *evicted = NULL;
    entry_t **slot = slot_of(snap->tenant_id);
    if (*slot != NULL) {
        const rp_meta_t *old = (*slot)->snap;
        rp_meta_ref(snap);
        (*slot)->snap = snap;
        lru_unlink(*slot);
        lru_push(*slot);
        return old;
    }
    if (nentries >= RP_META_CACHE_MAX && lru_tail != NULL)
        *evicted = drop(slot_of(lru_tail->tenant_id));
    entry_t *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL; /* not cached: the next request builds again */
    memcpy(e->tenant_id, snap->tenant_id, sizeof e->tenant_id);
    rp_meta_ref(snap);
    e->snap = snap;
    slot = slot_of(snap->tenant_id);
    e->hnext = *slot;
    *slot = e;
    lru_push(e);
    nentries++;
    return NULL;
}

static const rp_meta_t *cache_get(const char *tenant_id, long long version)
{
    const rp_meta_t *snap = NULL;
    pthread_mutex_lock(&lock);
    entry_t *e = *slot_of(tenant_id);
    if (e != NULL && (version < 0 || e->snap->version == version)) {
        snap = e->snap;
        rp_meta_ref(snap);
        lru_unlink(e);
        lru_push(e);
    }
    pthread_mutex_unlock(&lock);
    return snap;
}

void rp_meta_invalidate(const char *tenant_id)
{
    const rp_meta_t *gone[64];
    for (;;) {
        int n = 0;
        pthread_mutex_lock(&lock);
        if (tenant_id != NULL) {
            entry_t **slot = slot_of(tenant_id);
            if (*slot != NULL)
                gone[n++] = drop(slot);
        } else {
            while (lru_tail != NULL && n < 64)
                gone[n++] = drop(slot_of(lru_tail->tenant_id));
        }
        bool more = tenant_id == NULL && lru_tail != NULL;
        pthread_mutex_unlock(&lock);
        /* Freeing a snapshot happens outside the lock, in batches. */
        for (int i = 0; i < n; i++)
            rp_meta_unref(gone[i]);
        if (!more)
            return;
    }
}

static void release(void *arg)
{
    rp_meta_unref(arg);
}

static void clear_dirty(void *arg)
{
    (void)arg;
    dirty_tenant[0] = '\0';
}

bool rp_meta_dirty(const char *tenant_id)
{
    return dirty_tenant[0] != '\0' && strcmp(dirty_tenant, tenant_id) == 0;
}

/* Runs a read for the caller's tenant: in the request's transaction when
 * there is one, otherwise as a guarded read of its own (a route without a
 * transaction has no tenant set, and row-level security would show it no
 * definitions at all). */
static rp_status_t tenant_read(rp_ctx_t *ctx, const char *sql, int n, const char *const *params,
                               rp_dbres_t **out)
{
    if (rp_db_in_tx(ctx->db))
        return rp_db_exec(ctx->db, sql, n, params, out);
    return rp_db_read(ctx->db, ctx->principal.tenant_id, sql, n, params, out);
}

/* The definition text of built-in role `role` with the defaults the
 * enabled modules' manifests give it ("permissions": {role: {"objects":
 * {...}}}) over the built-in "*" entry, or NULL in *out when no module gives
 * any. The first module naming an object wins (load order). */
static rp_status_t module_defaults(const rp_meta_t *m, const char *role, char **out)
{
    *out = NULL;
    json_t *objects = NULL;
    for (int i = 0; i < rp_modules_count(); i++) {
        const rp_module_t *mod = rp_modules_at(i);
        if (!(m->modules & ((uint64_t)1 << mod->index)))
            continue;
        /* Parsed once at load and shared by every build: read it only,
         * and copy what goes into this snapshot's document. */
        json_t *given = json_object_get(json_object_get(mod->permissions, role), "objects");
        const char *name;
        json_t *entry;
        json_object_foreach(given, name, entry)
        {
            if (objects == NULL && (objects = rp_role_doc_builtin(rp_role_parse(role))) == NULL)
                break;
            if (json_object_get(objects, name) == NULL &&
                json_object_set_new(objects, name, json_deep_copy(entry)) != 0) {
                json_decref(objects);
                return RP_ENOMEM;
            }
        }
    }
    if (objects == NULL)
        return RP_OK;
    json_t *def = json_pack("{s:o}", "objects", objects);
    *out = def ? json_dumps(def, JSON_COMPACT) : NULL;
    json_decref(def);
    return *out ? RP_OK : RP_ENOMEM;
}

/* Reads the tenant's stored roles and compiles them into m, which is not
 * shared yet. */
static rp_status_t load_roles(rp_ctx_t *ctx, rp_meta_t *m)
{
    const char *params[] = {ctx->principal.tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = tenant_read(ctx,
                                 "SELECT name, base, definition::text FROM roles "
                                 "WHERE tenant_id = $1",
                                 1, params, &res);
    if (st != RP_OK)
        return st;
    int n = rp_dbres_rows(res);
    rp_meta_role_row_t *rows = calloc((size_t)n + 1, sizeof *rows);
    if (rows == NULL) {
        rp_dbres_free(res);
        return RP_ENOMEM;
    }
    for (int i = 0; i < n; i++)
        rows[i] = (rp_meta_role_row_t){rp_dbres_get(res, i, 0), rp_dbres_get(res, i, 1),
                                       rp_dbres_get(res, i, 2)};
    /* Built-in roles the tenant has not overridden take the defaults of its
     * enabled modules' manifests on their objects. */
    static const char *const builtins[] = {"manager", "user", "readonly"};
    char *texts[3] = {NULL, NULL, NULL};
    int total = n;
    rp_meta_role_row_t *more = realloc(rows, sizeof *rows * (size_t)(n + 4));
    if (more == NULL) {
        st = RP_ENOMEM;
        goto done;
    }
    rows = more;
    for (int b = 0; b < 3; b++) {
        bool stored = false;
        for (int i = 0; i < n && !stored; i++)
            stored = strcmp(rows[i].name, builtins[b]) == 0;
        if (stored)
            continue;
        if ((st = module_defaults(m, builtins[b], &texts[b])) != RP_OK)
            goto done;
        if (texts[b] != NULL)
            rows[total++] = (rp_meta_role_row_t){builtins[b], builtins[b], texts[b]};
    }
    st = rp_meta_build_roles(m, rows, total);
done:
    for (int b = 0; b < 3; b++)
        free(texts[b]);
    free(rows);
    rp_dbres_free(res);
    return st;
}

/* The manifests of the loaded modules the tenant has enabled, in load
 * order (dependencies first), and their registry bits. *res keeps the rows
 * alive; *mods is malloc-owned. */
static rp_status_t enabled_modules(rp_ctx_t *ctx, rp_dbres_t **res, rp_meta_module_t **mods, int *n,
                                   uint64_t *bits)
{
    *n = 0;
    *bits = 0;
    if (rp_modules_count() == 0)
        return RP_OK;
    const char *params[] = {ctx->principal.tenant_id};
    rp_status_t st =
        tenant_read(ctx, "SELECT module FROM tenant_modules WHERE tenant_id = $1", 1, params, res);
    if (st != RP_OK)
        return st;
    for (int i = 0; i < rp_dbres_rows(*res); i++) {
        const rp_module_t *m = rp_modules_find(rp_dbres_get(*res, i, 0));
        if (m != NULL)
            *bits |= (uint64_t)1 << m->index;
    }
    if ((*mods = calloc((size_t)rp_modules_count() + 1, sizeof **mods)) == NULL)
        return RP_ENOMEM;
    for (int i = 0; i < rp_modules_count(); i++) {
        const rp_module_t *m = rp_modules_at(i);
        if (*bits & ((uint64_t)1 << m->index))
            (*mods)[(*n)++] = (rp_meta_module_t){m->name, m->parsed, m->nparsed};
    }
    return RP_OK;
}

/* Reads the tenant's stored definitions and builds its snapshot. The
 * version was read first, in the same transaction: the rows are at least as
 * new as it, so a snapshot is never older than its label says. */
static rp_status_t load(rp_ctx_t *ctx, long long version, rp_meta_t **out)
{
    const char *tid = ctx->principal.tenant_id;
    const char *params[] = {tid};
    rp_dbres_t *ores = NULL, *fres = NULL;
    rp_meta_def_row_t *orows = NULL, *frows = NULL;
    rp_dbres_t *mres = NULL;
    rp_meta_module_t *mods = NULL;
    int nmods = 0;
    uint64_t bits = 0;
    rp_status_t st = tenant_read(ctx,
                                 "SELECT name, definition::text FROM object_defs "
                                 "WHERE tenant_id = $1 ORDER BY name",
                                 1, params, &ores);
    if (st != RP_OK)
        goto done;
    st = tenant_read(ctx,
                     "SELECT object, name, definition::text FROM field_defs "
                     "WHERE tenant_id = $1 ORDER BY object, position, name",
                     1, params, &fres);
    if (st != RP_OK)
        goto done;
    int no = rp_dbres_rows(ores), nf = rp_dbres_rows(fres);
    orows = calloc((size_t)no + 1, sizeof *orows);
    frows = calloc((size_t)nf + 1, sizeof *frows);
    if (orows == NULL || frows == NULL) {
        st = RP_ENOMEM;
        goto done;
    }
    for (int i = 0; i < no; i++)
        orows[i] = (rp_meta_def_row_t){NULL, rp_dbres_get(ores, i, 0), rp_dbres_get(ores, i, 1)};
    for (int i = 0; i < nf; i++)
        frows[i] = (rp_meta_def_row_t){rp_dbres_get(fres, i, 0), rp_dbres_get(fres, i, 1),
                                       rp_dbres_get(fres, i, 2)};
    if ((st = enabled_modules(ctx, &mres, &mods, &nmods, &bits)) != RP_OK)
        goto done;
    st = rp_meta_build_with(version, tid, mods, nmods, orows, no, frows, nf, out);
    if (st == RP_OK)
        (*out)->modules = bits;
    if (st != RP_OK)
        goto done;
    st = load_roles(ctx, *out);
    if (st != RP_OK) {
        rp_meta_unref(*out);
        *out = NULL;
    }
done:
    free(mods);
    rp_dbres_free(mres);
    free(orows);
    free(frows);
    rp_dbres_free(ores);
    rp_dbres_free(fres);
    return st;
}

rp_status_t rp_meta_acquire(rp_ctx_t *ctx, const rp_meta_t **out)
{
    *out = NULL;
    const char *tid = ctx->principal.tenant_id;
    if (!ctx->principal.authenticated || tid[0] == '\0' || ctx->db == NULL)
        return RP_ETENANT;
    bool dirty = rp_meta_dirty(tid);
    const rp_meta_t *snap = NULL;
    long long version = -1;
    rp_status_t st;
    bool in_tx = rp_db_in_tx(ctx->db);
    /* Only where the dispatcher owns the transaction: it is what runs the
     * request again when the guess was wrong. */
    bool optimistic = in_tx && !dirty && !ctx->metadata_recheck && ctx->route != NULL &&
                      (ctx->route->flags & RP_ROUTE_NO_TX) == 0;
    if (optimistic) {
        if (!rp_db_tenant_version(ctx->db, &version) && (snap = cache_get(tid, -1)) != NULL) {
            /* Optimistic: the cached snapshot builds the first statement,
             * and the guard sent with it checks the version in the same
             * round trip; on a mismatch the request runs again
             * (rp_db_expect_version). */
            rp_db_expect_version(ctx->db, rp_meta_version(snap));
            goto found;
        }
    }
    if (version < 0) {
        const char *params[] = {tid};
        rp_dbres_t *res = NULL;
        st =
            tenant_read(ctx, "SELECT metadata_version FROM tenants WHERE id = $1", 1, params, &res);
        if (st != RP_OK)
            return st;
        if (rp_dbres_rows(res) != 1) {
            rp_dbres_free(res);
            return RP_ETENANT;
        }
        version = strtoll(rp_dbres_get(res, 0, 0), NULL, 10);
        rp_dbres_free(res);
    }
    snap = dirty ? NULL : cache_get(tid, version);
    if (snap == NULL) {
        rp_meta_t *built = NULL;
        st = load(ctx, version, &built);
        if (st != RP_OK)
            return st;
        snap = built;
        if (!dirty) {
            const rp_meta_t *evicted = NULL, *old;
            pthread_mutex_lock(&lock);
            old = cache_put(snap, &evicted);
            pthread_mutex_unlock(&lock);
            rp_meta_unref(old);
            rp_meta_unref(evicted);
        }
    }
found:
    if (rp_pool_on_clear(&ctx->pool, release, (void *)snap) != 0) {
        rp_meta_unref(snap);
        return RP_ENOMEM;
    }
    *out = snap;
    return RP_OK;
}

rp_status_t rp_meta_changed(rp_ctx_t *ctx)
{
    const char *tid = ctx->principal.tenant_id;
    /* The bump must commit or roll back with the change it announces. */
    if (ctx->db == NULL || !rp_db_in_tx(ctx->db) || tid[0] == '\0')
        return RP_EINVAL;
    const char *params[] = {tid};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "UPDATE tenants SET metadata_version = metadata_version + 1 "
                                "WHERE id = $1",
                                1, params, &res);
    if (st == RP_OK && rp_dbres_affected(res) != 1)
        st = RP_ETENANT;
    rp_dbres_free(res);
    if (st != RP_OK)
        return st;
    st = rp_db_exec(ctx->db, "SELECT pg_notify('rapport_metadata', $1)", 1, params, NULL);
    if (st != RP_OK)
        return st;
    if (!rp_meta_dirty(tid)) {
        if (rp_pool_on_clear(&ctx->pool, clear_dirty, NULL) != 0)
            return RP_ENOMEM;
        snprintf(dirty_tenant, sizeof dirty_tenant, "%s", tid);
    }
    return RP_OK;
}

const rp_object_t *rp_meta_object(const rp_meta_t *m, const char *name)
{
    if (m == NULL || name == NULL)
        return NULL;
    for (int i = 0; i < m->nobjects; i++)
        if (strcmp(m->objects[i]->name, name) == 0)
            return m->objects[i];
    return NULL;
}

const rp_field_t *rp_meta_field(const rp_object_t *o, const char *name)
{
    if (o == NULL || name == NULL)
        return NULL;
    for (int i = 0; i < o->nfields; i++)
        if (strcmp(o->fields[i].name, name) == 0)
            return &o->fields[i];
    return NULL;
}

int rp_meta_objects(const rp_meta_t *m, const rp_object_t *const **out)
{
    *out = (const rp_object_t *const *)m->objects;
    return m->nobjects;
}

long long rp_meta_version(const rp_meta_t *m)
{
    return m->version;
}

void rp_meta_modules(const rp_meta_t *m, rp_modset_t *out)
{
    out->bits = m->modules;
}
