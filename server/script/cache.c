#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "script/internal.h"

/* Each worker thread keeps the Lua states of the tenants it served last,
 * least recently used first out. A state belongs to one thread, so no
 * locks; a thread that ends frees its states (the key's destructor). */

typedef struct entry {
    char tenant_id[RP_UUID_LEN + 1];
    long long version; /* the tenant's metadata version when built */
    rp_script_tenant_t t;
    struct entry *prev, *next; /* most recent first */
} entry_t;

typedef struct cache {
    entry_t *head;
    int n;
} cache_t;

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void defs_free(rp_script_def_t *defs, int n)
{
    for (int i = 0; i < n; i++) {
        free(defs[i].name);
        free(defs[i].object);
        free(defs[i].code);
        json_decref(defs[i].roles);
    }
    free(defs);
}

static void entry_free(entry_t *e)
{
    rp_sbox_free(e->t.sb);
    defs_free(e->t.defs, e->t.ndefs);
    free(e);
}

static void cache_free(void *p)
{
    cache_t *c = p;
    if (c == NULL)
        return;
    while (c->head) {
        entry_t *e = c->head;
        c->head = e->next;
        entry_free(e);
    }
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&key, cache_free);
}

static cache_t *cache_of_thread(void)
{
    pthread_once(&once, make_key);
    cache_t *c = pthread_getspecific(key);
    if (c == NULL && (c = calloc(1, sizeof *c)) != NULL && pthread_setspecific(key, c) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

void rp_script_cache_clear(void)
{
    pthread_once(&once, make_key);
    cache_t *c = pthread_getspecific(key);
    pthread_setspecific(key, NULL);
    cache_free(c);
}

static void unlink_entry(cache_t *c, entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    e->prev = e->next = NULL;
    c->n--;
}

static void push_front(cache_t *c, entry_t *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    c->n++;
}

static unsigned events_of(const char *text)
{
    json_t *a = json_loads(text, 0, NULL);
    unsigned ev = 0;
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) ev |= (unsigned)rp_script_event_parse(json_string_value(v));
    json_decref(a);
    return ev;
}

static rp_status_t load_defs(rp_ctx_t *ctx, rp_script_def_t **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    const char *p[] = {ctx->principal.tenant_id};
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT id::text, name, kind, object, events::text, roles::text, "
                                "code, version FROM scripts WHERE tenant_id = $1 AND enabled "
                                "ORDER BY name",
                                1, p, &res);
    if (st != RP_OK)
        return st;
    int n = rp_dbres_rows(res);
    rp_script_def_t *defs = calloc((size_t)n + 1, sizeof *defs);
    if (defs == NULL) {
        rp_dbres_free(res);
        return RP_ENOMEM;
    }
    for (int i = 0; i < n; i++) {
        rp_script_def_t *d = &defs[i];
        snprintf(d->id, sizeof d->id, "%s", rp_dbres_get(res, i, 0));
        d->name = strdup(rp_dbres_get(res, i, 1));
        const char *kind = rp_dbres_get(res, i, 2);
        d->kind = strcmp(kind, "trigger") == 0     ? RP_SCRIPT_TRIGGER
                  : strcmp(kind, "scheduled") == 0 ? RP_SCRIPT_SCHEDULED
                                                   : RP_SCRIPT_ENDPOINT;
        d->object = strdup(rp_dbres_get(res, i, 3));
        d->events = events_of(rp_dbres_get(res, i, 4));
        d->roles = json_loads(rp_dbres_get(res, i, 5), 0, NULL);
        d->code = strdup(rp_dbres_get(res, i, 6));
        d->version = atoi(rp_dbres_get(res, i, 7));
        if (d->name == NULL || d->object == NULL || d->code == NULL) {
            defs_free(defs, n);
            rp_dbres_free(res);
            return RP_ENOMEM;
        }
    }
    rp_dbres_free(res);
    *out = defs;
    *nout = n;
    return RP_OK;
}

rp_status_t rp_script_tenant(rp_ctx_t *ctx, rp_script_tenant_t **out)
{
    *out = NULL;
    const rp_meta_t *m;
    rp_status_t st = rp_script_meta(ctx, &m);
    if (st != RP_OK)
        return st;
    long long version = rp_meta_version(m);
    cache_t *c = cache_of_thread();
    if (c == NULL)
        return RP_ENOMEM;
    const char *tid = ctx->principal.tenant_id;
    entry_t *e = c->head;
    while (e && strcmp(e->tenant_id, tid) != 0)
        e = e->next;
    if (e != NULL && e->t.sb != NULL && rp_sbox_busy(e->t.sb)) {
        /* A nested write of a running script: the state in use is the one
         * to use, whatever happened to the version meanwhile. */
        *out = &e->t;
        return RP_OK;
    }
    if (e != NULL && (e->version != version || (e->t.sb && rp_sbox_spoiled(e->t.sb)))) {
        unlink_entry(c, e);
        entry_free(e);
        e = NULL;
    }
    if (e == NULL) {
        rp_script_limits_t lim;
        rp_script_limits_get(ctx, &lim);
        e = calloc(1, sizeof *e);
        if (e == NULL)
            return RP_ENOMEM;
        snprintf(e->tenant_id, sizeof e->tenant_id, "%s", tid);
        e->version = version;
        /* The Lua state itself waits for the first script to run: most
         * tenants' writes meet no trigger at all. */
        if ((st = load_defs(ctx, &e->t.defs, &e->t.ndefs)) != RP_OK) {
            entry_free(e);
            return st;
        }
        /* Make room: the least recently used idle states go. */
        entry_t *last = c->head;
        while (last && last->next)
            last = last->next;
        while (c->n >= lim.cache && last != NULL) {
            entry_t *prev = last->prev;
            if (last->t.sb == NULL || !rp_sbox_busy(last->t.sb)) {
                unlink_entry(c, last);
                entry_free(last);
            }
            last = prev;
        }
        push_front(c, e);
    } else if (e != c->head) {
        unlink_entry(c, e);
        push_front(c, e);
    }
    *out = &e->t;
    return RP_OK;
}

void rp_script_tenant_release(rp_ctx_t *ctx)
{
    cache_t *c = cache_of_thread();
    if (c == NULL)
        return;
    for (entry_t *e = c->head; e; e = e->next)
        if (strcmp(e->tenant_id, ctx->principal.tenant_id) == 0) {
            if (e->t.sb != NULL && rp_sbox_spoiled(e->t.sb) && !rp_sbox_busy(e->t.sb)) {
                unlink_entry(c, e);
                entry_free(e);
            }
            return;
        }
}
