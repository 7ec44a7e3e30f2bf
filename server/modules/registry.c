#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "modules/internal.h"
#include "records/manifest.h"

rp_module_t *rp_modules_loaded[RP_MODULES_MAX];
int rp_modules_nloaded;

/* Modules added but not yet activated, in the order they were added. */
static rp_module_t *pending[RP_MODULES_MAX];
static int npending;

bool rp_modules_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > RP_MODULE_NAME_MAX || name[0] < 'a' || name[0] > 'z')
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

rp_status_t rp_modules_check_magic(const rp_abi_magic_t *m, char *why, size_t whylen)
{
    if (m == NULL || m->size < sizeof(uint32_t) * 3) {
        snprintf(why, whylen, "its ABI magic is unreadable; this server has ABI %d.%d",
                 RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR);
        return RP_EINVAL;
    }
    if (m->abi_major != RAPPORT_ABI_MAJOR || m->abi_minor > RAPPORT_ABI_MINOR) {
        snprintf(why, whylen, "built for ABI %u.%u, this server has ABI %d.%d%s", m->abi_major,
                 m->abi_minor, RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR,
                 m->abi_major != RAPPORT_ABI_MAJOR ? " (the major must match)"
                                                   : " (the module needs a newer server)");
        return RP_EINVAL;
    }
    if (m->size < sizeof(rp_abi_magic_t) || m->ptr_size != sizeof(void *) ||
        m->info_size > sizeof(rp_module_info_t) || m->host_needed > sizeof(rp_host_api_t)) {
        snprintf(why, whylen,
                 "ABI %u.%u but its structure sizes do not match this server's ABI %d.%d "
                 "(magic %u/%zu, pointer %u/%zu, info %u/%zu, host table %u/%zu)",
                 m->abi_major, m->abi_minor, RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR, m->size,
                 sizeof(rp_abi_magic_t), m->ptr_size, sizeof(void *), m->info_size,
                 sizeof(rp_module_info_t), m->host_needed, sizeof(rp_host_api_t));
        return RP_EINVAL;
    }
    return RP_OK;
}

void rp_module_drop_registrations(rp_module_t *m)
{
    for (int i = 0; i < m->nactions; i++)
        free(m->actions[i].pattern);
    for (int i = 0; i < m->njobs; i++) {
        free(m->jobs[i].name);
        free(m->jobs[i].schedule);
    }
    for (int i = 0; i < m->nluas; i++)
        free(m->luas[i].name);
    for (int i = 0; i < m->nplugins; i++)
        free(m->plugins[i].name);
    free(m->hooks);
    free(m->actions);
    free(m->jobs);
    free(m->luas);
    free(m->plugins);
    m->hooks = NULL;
    m->actions = NULL;
    m->jobs = NULL;
    m->luas = NULL;
    m->plugins = NULL;
    m->nhooks = m->nactions = m->njobs = m->nluas = m->nplugins = 0;
}

void rp_module_free(rp_module_t *m)
{
    if (m == NULL)
        return;
    rp_module_drop_registrations(m);
    free(m->version);
    free(m->description);
    for (int i = 0; i < m->ndepends; i++)
        free(m->depends[i]);
    free(m->depends);
    free(m->manifest);
    json_decref(m->objects);
    rp_manifest_free(m->parsed, m->nparsed);
    json_decref(m->permissions);
    free(m->path);
    free(m->migration_dir);
    if (m->handle != NULL)
        dlclose(m->handle);
    free(m->reg);
    free(m);
}

static void refuse(const rp_module_t *m, const char *why)
{
    rp_log_error("module %s (%s) refused: %s", m->name, m->path ? m->path : "built-in", why);
}

/* The members a manifest may have beside "objects" (which the records
 * parser checks), with the JSON type each must be: a misspelt member is
 * refused rather than silently ignored. */
static bool manifest_shape_ok(const json_t *doc, char *why, size_t whylen)
{
    static const struct {
        const char *key;
        json_type type;
    } members[] = {{"module", JSON_STRING},    {"objects", JSON_ARRAY},
                   {"picklists", JSON_OBJECT}, {"permissions", JSON_OBJECT},
                   {"layouts", JSON_OBJECT},   {"menu", JSON_ARRAY}};
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)doc, key, v)
    {
        size_t i = 0;
        while (i < sizeof members / sizeof members[0] && strcmp(members[i].key, key) != 0)
            i++;
        if (i == sizeof members / sizeof members[0]) {
            snprintf(why, whylen, "its manifest has an unknown member '%.64s'", key);
            return false;
        }
        if (json_typeof(v) != members[i].type) {
            snprintf(why, whylen, "its manifest member '%s' must be %s", key,
                     members[i].type == JSON_ARRAY    ? "an array"
                     : members[i].type == JSON_OBJECT ? "an object"
                                                      : "a string");
            return false;
        }
    }
    /* Each role's defaults are a role definition: {"objects": {...}}. */
    json_t *perms = json_object_get(doc, "permissions");
    json_object_foreach(perms, key, v)
    {
        if (!json_is_object(v) || !json_is_object(json_object_get(v, "objects"))) {
            snprintf(why, whylen,
                     "its manifest's permissions for role '%.64s' must be {\"objects\": {...}}",
                     key);
            return false;
        }
    }
    return true;
}

/* Copies and checks a descriptor into a new registry entry. On RP_EINVAL
 * why says what is wrong and *out may still hold the entry (for its name in
 * the refusal line): the caller frees it. */
static rp_status_t entry_from_info(const rp_module_info_t *info, rp_module_t **out, char *why,
                                   size_t whylen)
{
    rp_module_t *m = calloc(1, sizeof *m);
    *out = m;
    if (m == NULL)
        return RP_ENOMEM;
    m->index = -1;
    if (info == NULL || info->size < offsetof(rp_module_info_t, manifest) + sizeof(char *)) {
        snprintf(m->name, sizeof m->name, "?");
        snprintf(why, whylen, "its descriptor is missing or too small");
        return RP_EINVAL;
    }
    snprintf(m->name, sizeof m->name, "%s", info->name ? info->name : "?");
    if (!rp_modules_name_valid(info->name)) {
        snprintf(why, whylen, "invalid name (expected [a-z][a-z0-9_]{0,30})");
        return RP_EINVAL;
    }
    if (info->version == NULL || info->version[0] == '\0' || strlen(info->version) > 64) {
        snprintf(why, whylen, "missing or overlong version");
        return RP_EINVAL;
    }
    m->version = strdup(info->version);
    m->description = strdup(info->description ? info->description : "");
    m->manifest = strdup(info->manifest ? info->manifest : "{}");
    if (m->version == NULL || m->description == NULL || m->manifest == NULL)
        return RP_ENOMEM;
    for (const char *const *d = info->depends; d != NULL && *d != NULL; d++) {
        if (!rp_modules_name_valid(*d)) {
            snprintf(why, whylen, "invalid dependency name '%s'", *d);
            return RP_EINVAL;
        }
        if (m->ndepends >= RP_MODULES_MAX) {
            snprintf(why, whylen, "too many dependencies");
            return RP_EINVAL;
        }
        char **grown = realloc(m->depends, (size_t)(m->ndepends + 1) * sizeof *grown);
        if (grown == NULL)
            return RP_ENOMEM;
        m->depends = grown;
        if ((m->depends[m->ndepends] = strdup(*d)) == NULL)
            return RP_ENOMEM;
        m->ndepends++;
    }
    json_error_t jerr;
    json_t *doc = json_loads(m->manifest, 0, &jerr);
    if (!json_is_object(doc)) {
        snprintf(why, whylen, "its manifest is not a JSON object (line %d: %s)", jerr.line,
                 doc ? "not an object" : jerr.text);
        json_decref(doc);
        return RP_EINVAL;
    }
    if (!manifest_shape_ok(doc, why, whylen)) {
        json_decref(doc);
        return RP_EINVAL;
    }
    json_t *objs = json_object_get(doc, "objects");
    m->permissions = json_incref(json_object_get(doc, "permissions"));
    if (objs != NULL) {
        /* Parsed once, now, with the records parser: a manifest the
         * metadata would refuse never reaches a tenant, and every tenant's
         * snapshot shares these objects instead of parsing its own. */
        json_t *errors = json_object();
        rp_status_t st =
            errors ? rp_manifest_parse(m->manifest, m->name, &m->parsed, &m->nparsed, errors)
                   : RP_ENOMEM;
        if (st == RP_EINVAL) {
            char *text = json_dumps(errors, JSON_COMPACT | JSON_SORT_KEYS);
            snprintf(why, whylen, "its manifest is invalid: %s", text ? text : "?");
            free(text);
        }
        json_decref(errors);
        if (st != RP_OK) {
            json_decref(doc);
            return st;
        }
        m->objects = json_incref(objs);
    } else {
        m->objects = json_array();
    }
    json_decref(doc);
    return m->objects ? RP_OK : RP_ENOMEM;
}

static rp_status_t add_entry(rp_module_t *m)
{
    if (npending >= RP_MODULES_MAX) {
        refuse(m, "too many modules");
        rp_module_free(m);
        return RP_ELIMIT;
    }
    pending[npending++] = m;
    return RP_OK;
}

rp_status_t rp_modules_add_static(const rp_module_info_t *info, rp_module_init_fn init)
{
    rp_module_t *m = NULL;
    char why[512];
    rp_status_t st = entry_from_info(info, &m, why, sizeof why);
    if (st == RP_OK && init == NULL) {
        snprintf(why, sizeof why, "no init function");
        st = RP_EINVAL;
    }
    if (st != RP_OK) {
        if (m != NULL && st == RP_EINVAL)
            refuse(m, why);
        rp_module_free(m);
        return st;
    }
    m->init = init;
    return add_entry(m);
}

rp_status_t rp_modules_add_loaded(void *handle, const char *path, const char *migration_dir,
                                  const rp_module_info_t *info, rp_module_init_fn init)
{
    rp_module_t *m = NULL;
    char why[512];
    rp_status_t st = entry_from_info(info, &m, why, sizeof why);
    if (m != NULL) {
        m->handle = handle;
        m->path = strdup(path);
        if (m->path == NULL && st == RP_OK)
            st = RP_ENOMEM;
        if (st == RP_OK && migration_dir != NULL &&
            (m->migration_dir = strdup(migration_dir)) == NULL)
            st = RP_ENOMEM;
    } else {
        dlclose(handle);
    }
    if (st != RP_OK) {
        if (st == RP_EINVAL) {
            /* The name in the refusal comes from the file when the
             * descriptor gave none. */
            refuse(m, why);
        }
        rp_module_free(m);
        return st == RP_EINVAL ? RP_OK : st;
    }
    m->init = init;
    return add_entry(m);
}

const rp_module_t *rp_modules_find(const char *name)
{
    for (int i = 0; i < rp_modules_nloaded; i++)
        if (strcmp(rp_modules_loaded[i]->name, name) == 0)
            return rp_modules_loaded[i];
    return NULL;
}

static rp_module_t *find_pending(const char *name)
{
    for (int i = 0; i < npending; i++)
        if (pending[i] != NULL && strcmp(pending[i]->name, name) == 0)
            return pending[i];
    return NULL;
}

/* True when following dependencies from m among the pending modules leads
 * back to m; path receives "a -> b -> a". */
static bool on_cycle(const rp_module_t *start, const rp_module_t *m, int depth, char *path,
                     size_t pathlen)
{
    if (depth > RP_MODULES_MAX)
        return false;
    for (int i = 0; i < m->ndepends; i++) {
        size_t used = strlen(path);
        snprintf(path + used, pathlen - used, " -> %s", m->depends[i]);
        if (strcmp(m->depends[i], start->name) == 0)
            return true;
        const rp_module_t *d = find_pending(m->depends[i]);
        if (d != NULL && on_cycle(start, d, depth + 1, path, pathlen))
            return true;
        path[used] = '\0';
    }
    return false;
}

static void drop_pending(int i, const char *why)
{
    refuse(pending[i], why);
    rp_module_free(pending[i]);
    pending[i] = NULL;
}

/* Runs init of pending[i] and moves it to the loaded modules. */
static void init_one(int i)
{
    rp_module_t *m = pending[i];
    if (rp_modules_find(m->name) != NULL) {
        drop_pending(i, "a module with this name is already loaded");
        return;
    }
    if (rp_modules_nloaded >= RP_MODULES_MAX) {
        drop_pending(i, "too many modules");
        return;
    }
    if (m->reg == NULL && (m->reg = calloc(1, sizeof *m->reg)) == NULL) {
        drop_pending(i, "out of memory");
        return;
    }
    m->reg->mod = m;
    m->reg->open = true;
    rp_mstatus_t st = m->init(m->reg, &rp_modules_host_api);
    m->reg->open = false;
    if (st != RP_M_OK) {
        char why[96];
        snprintf(why, sizeof why, "its init failed (status %d)", (int)st);
        rp_module_drop_registrations(m);
        drop_pending(i, why);
        return;
    }
    m->index = rp_modules_nloaded;
    rp_modules_loaded[rp_modules_nloaded++] = m;
    pending[i] = NULL;
    /* "loaded" is said once the install (migrations) also went through:
     * one line per module, whatever its fate. */
    rp_log_debug("module %s %s initialised from %s", m->name, m->version,
                 m->path ? m->path : "built-in");
}

static bool deps_loaded(const rp_module_t *m)
{
    for (int i = 0; i < m->ndepends; i++)
        if (rp_modules_find(m->depends[i]) == NULL)
            return false;
    return true;
}

rp_status_t rp_modules_activate(void)
{
    for (;;) {
        bool progress = false;
        for (int i = 0; i < npending; i++) {
            if (pending[i] != NULL && deps_loaded(pending[i])) {
                init_one(i);
                progress = true;
            }
        }
        if (progress)
            continue;
        /* Nothing is ready: refuse what can never be. */
        for (int i = 0; i < npending; i++) {
            rp_module_t *m = pending[i];
            if (m == NULL)
                continue;
            for (int d = 0; d < m->ndepends; d++) {
                if (rp_modules_find(m->depends[d]) == NULL && find_pending(m->depends[d]) == NULL) {
                    char why[128];
                    snprintf(why, sizeof why, "unknown or refused dependency '%s'", m->depends[d]);
                    drop_pending(i, why);
                    progress = true;
                    break;
                }
            }
        }
        if (progress)
            continue;
        /* Every module on a cycle is refused with the cycle it is on; the
         * ones that merely depend on a cycle go in the next round. */
        char why[RP_MODULES_MAX][600];
        bool cyc[RP_MODULES_MAX] = {false};
        for (int i = 0; i < npending; i++) {
            rp_module_t *m = pending[i];
            if (m == NULL)
                continue;
            char path[512];
            snprintf(path, sizeof path, "%s", m->name);
            if (on_cycle(m, m, 0, path, sizeof path)) {
                snprintf(why[i], sizeof why[i], "dependency cycle %s", path);
                cyc[i] = progress = true;
            }
        }
        for (int i = 0; i < npending; i++)
            if (cyc[i])
                drop_pending(i, why[i]);
        if (!progress)
            break;
    }
    npending = 0;
    return RP_OK;
}

void rp_modules_unload_all(void)
{
    rp_modules_routes_free();
    for (int i = rp_modules_nloaded - 1; i >= 0; i--) {
        rp_module_free(rp_modules_loaded[i]);
        rp_modules_loaded[i] = NULL;
    }
    rp_modules_nloaded = 0;
    for (int i = 0; i < npending; i++) {
        rp_module_free(pending[i]);
        pending[i] = NULL;
    }
    npending = 0;
}

int rp_modules_count(void)
{
    return rp_modules_nloaded;
}

const rp_module_t *rp_modules_at(int i)
{
    return i >= 0 && i < rp_modules_nloaded ? rp_modules_loaded[i] : NULL;
}

bool rp_modset_has(const rp_modset_t *set, const rp_module_t *m)
{
    return set != NULL && m != NULL && m->index >= 0 && m->index < RP_MODULES_MAX &&
           (set->bits & ((uint64_t)1 << m->index)) != 0;
}

json_t *rp_modules_manifest(const char *name)
{
    const rp_module_t *m = rp_modules_find(name);
    return m ? json_loads(m->manifest, 0, NULL) : NULL;
}

json_t *rp_modules_manifest_objects(const char *name)
{
    const rp_module_t *m = rp_modules_find(name);
    if (m == NULL)
        return NULL;
    json_t *out = json_deep_copy(m->objects);
    size_t i;
    json_t *o;
    json_array_foreach(out, i, o)
    {
        if (json_is_object(o) && json_object_set_new(o, "module", json_string(m->name)) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}
