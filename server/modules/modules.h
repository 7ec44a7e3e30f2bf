#ifndef RP_MODULES_MODULES_H
#define RP_MODULES_MODULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/request.h"
#include "core/status.h"
#include "db/db.h"
#include "rapport/module.h"

/* The module registry as the rest of the server sees it. It is filled once
 * at start-up on one thread (load, order, init, install) and read-only
 * afterwards, so that request threads read it without locks. */

/* Most modules loaded at once (one bit each in rp_modset_t). */
#define RP_MODULES_MAX 64

/* Longest module name, in bytes. */
#define RP_MODULE_NAME_MAX 31

/* A set of loaded modules, by registry index: what a tenant has enabled. */
typedef struct rp_modset {
    uint64_t bits;
} rp_modset_t;

/* One record hook as registered. */
typedef struct rp_mhook {
    char object[64]; /* an object name, or "*" */
    rp_hook_event_t event;
    rp_hook_fn fn;
    void *user;
} rp_mhook_t;

/* One action as registered; pattern is the full router pattern. */
typedef struct rp_maction {
    rp_action_method_t method;
    char *pattern; /* "/api/v1/m/<module>/<path>" */
    rp_action_role_t min_role;
    rp_action_fn fn;
    void *user;
} rp_maction_t;

/* One scheduled job as registered. */
typedef struct rp_mjob {
    char *name;
    char *schedule;
    rp_job_fn fn;
    void *user;
} rp_mjob_t;

/* One Lua-callable function as registered. */
typedef struct rp_mlua {
    char *name;
    rp_lua_fn fn;
    void *user;
} rp_mlua_t;

/* One plugin implementation as registered. */
typedef struct rp_mplugin {
    int kind;
    char *name;
    const void *ops;
    uint32_t ops_size;
    void *user;
} rp_mplugin_t;

/* A loaded module. Everything is owned by the registry. */
typedef struct rp_module {
    int index; /* in load order: dependencies come first */
    char name[RP_MODULE_NAME_MAX + 1];
    char *version;
    char *description;
    char **depends; /* ndepends names */
    int ndepends;
    char *manifest;  /* JSON text, "{}" when the module gave none */
    json_t *objects; /* the manifest's "objects" array (field-definition format) */
    /* The same objects parsed once at load, in manifest order: every
     * tenant snapshot shares them by pointer (records/meta_internal.h), so
     * they never change and live until the module is unloaded. */
    struct rp_object **parsed;
    int nparsed;
    /* The manifest's "permissions" member ({role: {"objects": {...}}}), or
     * NULL: the default rights of built-in roles on the module's objects,
     * read by every snapshot build. */
    json_t *permissions;
    char *path;          /* the shared object, or "(built-in)" */
    char *migration_dir; /* <dir>/<name>/migrations, or NULL */
    void *handle;        /* dlopen handle, NULL for built-in ones */
    rp_module_init_fn init;
    /* The handle init received; kept (closed) afterwards so that a module
     * that holds on to it is refused instead of touching freed memory. */
    struct rp_mreg *reg;
    rp_mhook_t *hooks;
    int nhooks;
    rp_maction_t *actions;
    int nactions;
    rp_mjob_t *jobs;
    int njobs;
    rp_mlua_t *luas;
    int nluas;
    rp_mplugin_t *plugins;
    int nplugins;
} rp_module_t;

/* True when name is a valid module name ([a-z][a-z0-9_]{0,30}). */
bool rp_modules_name_valid(const char *name);

/* ---- loading (start-up, one thread) ------------------------------------ */

/* The directory modules load from: RAPPORT_MODULE_DIR, else the build's
 * module output directory. */
const char *rp_modules_dir(void);

/* Checks an ABI magic against this server's; on refusal writes the reason
 * (with both versions) into why and returns RP_EINVAL. */
rp_status_t rp_modules_check_magic(const rp_abi_magic_t *m, char *why, size_t whylen);

/* Opens every *.so in dir as a candidate (magic first, then the info and
 * init symbols) and activates them (rp_modules_activate). A module that
 * cannot load is refused with one log line and skipped; a missing or
 * unreadable directory loads nothing. Fails only when out of memory. */
rp_status_t rp_modules_load_dir(const char *dir);

/* Adds an in-process candidate (tests, modules linked into the server);
 * info is copied. RP_EINVAL, logged, when the descriptor is unusable. */
rp_status_t rp_modules_add_static(const rp_module_info_t *info, rp_module_init_fn init);

/* Orders the candidates so that dependencies come first, refuses (one log
 * line each) those with an unknown or refused dependency or in a cycle, then
 * runs each one's init with the host API; a failing init is refused and
 * what it registered is dropped. Candidates become loaded modules. */
rp_status_t rp_modules_activate(void);

/* Runs the migrations of every loaded module (in load order) on db, the
 * owner's connection, and records the install in module_installs. Module
 * migrations may create tenant tables only (tenant_id, forced row-level
 * security; the core runner's check) and never a global table. A module
 * whose migrations fail is unloaded, with one log line. */
rp_status_t rp_modules_install(rp_db_t *db);

/* Unloads every module and frees the registry (tests, shutdown). */
void rp_modules_unload_all(void);

/* The router receives every module action and the /api/v1/modules routes.
 * Call once, after activation. */
struct rp_router;
rp_status_t rp_modules_mount(struct rp_router *router);

/* ---- reading (any thread, after start-up) ------------------------------ */

/* Number of loaded modules. */
int rp_modules_count(void);

/* Loaded module i (0 <= i < count), in load order. */
const rp_module_t *rp_modules_at(int i);

/* The loaded module named name, or NULL. */
const rp_module_t *rp_modules_find(const char *name);

/* The modules tenant_id has enabled (db in a transaction for that tenant,
 * or none). Rows naming modules not loaded are ignored. */
rp_status_t rp_modules_enabled(rp_db_t *db, const char *tenant_id, rp_modset_t *out);

/* True when set contains module m. */
bool rp_modset_has(const rp_modset_t *set, const rp_module_t *m);

/* The manifest objects of module name as a new JSON array of object
 * definitions in the records field-definition format ({"name", "label",
 * "labels", "fields": [...]}); each object also carries "module". NULL when
 * there is no such module or no memory. What the metadata snapshot merges
 * for every module the tenant enabled. */
json_t *rp_modules_manifest_objects(const char *name);

/* The manifest of module name as a new parsed JSON object (the whole
 * manifest: objects, picklists, permissions, layouts, menu), or NULL. */
json_t *rp_modules_manifest(const char *name);

/* True when some module in enabled has a hook for object at event; lets the
 * write path skip the hook machinery. */
bool rp_modules_hooked(const rp_modset_t *enabled, const char *object, rp_hook_event_t event);

/* Runs the before hooks (event is a BEFORE_* one) of the modules in enabled
 * for object, in load order then registration order. fields is the write's
 * input ({field: value}) and may be changed in place; old is the stored
 * record's fields (update, delete) or NULL; id is NULL on create. Returns
 * RP_OK; RP_EINVAL when a hook rejected the write, with errors ({field:
 * message}, the caller's object) filled and the later hooks not run; RP_ERR
 * when a hook failed (logged). ctx may have no database (unit tests). */
rp_status_t rp_modules_run_before(rp_ctx_t *ctx, const rp_modset_t *enabled, rp_hook_event_t event,
                                  const char *object, const char *id, json_t *fields,
                                  const json_t *old, json_t *errors);

/* Runs the after hooks of the modules in enabled for object once the write
 * is done, in the same transaction: rec is the stored record's fields (after
 * create/update) and old its fields before (update, delete). RP_OK, or
 * RP_ERR when a hook failed (the caller rolls back). */
rp_status_t rp_modules_run_after(rp_ctx_t *ctx, const rp_modset_t *enabled, rp_hook_event_t event,
                                 const char *object, const char *id, const json_t *rec,
                                 const json_t *old);

/* Calls Lua function i of module m (m->luas[i], offered to scripts as
 * rapport.<module>.<name>) with args (a JSON array) for the tenant of ctx;
 * *out receives the new result. RP_ERR when the function failed, with why
 * saying so; RP_EINVAL for a bad index or arguments that are not an array.
 * The caller checks that the tenant enabled m. */
rp_status_t rp_modules_call_lua(rp_ctx_t *ctx, const rp_module_t *m, int i, const json_t *args,
                                json_t **out, char *why, size_t whylen);

/* Runs job i of module m (m->jobs[i]) once for the tenant of ctx, whose
 * transaction the caller opened and commits (RP_OK) or rolls back (RP_ERR,
 * logged). */
rp_status_t rp_modules_run_job(rp_ctx_t *ctx, const rp_module_t *m, int i);

/* Enables module name for the tenant of ctx (ctx->db in its transaction),
 * as actor (may be NULL). RP_ENOTFOUND: no such loaded module. RP_ECONFLICT:
 * dependencies not enabled, named in why. Enabling an enabled module is
 * RP_OK. Marks the tenant's metadata changed. */
rp_status_t rp_modules_tenant_enable(rp_ctx_t *ctx, const char *name, char *why, size_t whylen);

/* Called for each module of a list that rp_modules_tenant_enable_list
 * skips: name as listed, why one line ("is not loaded from DIR", ...). */
typedef void (*rp_modules_skip_fn)(const char *name, const char *why, void *arg);

/* Enables for the tenant of ctx (ctx->db in its transaction) the modules
 * named in list, a comma-separated list ("sales,marketing"; blanks around
 * names are ignored; "" enables none), in load order, so that a listed
 * dependency is enabled before the modules that need it. A name that is
 * not a loaded module, or whose dependencies end up not enabled, is
 * skipped: skip (may be NULL) hears why, and the others are still enabled.
 * *enabled (may be NULL) receives how many were. RP_OK, or a database
 * failure. What new tenants get (RAPPORT_DEFAULT_MODULES, `rapport tenant
 * create --modules`). */
rp_status_t rp_modules_tenant_enable_list(rp_ctx_t *ctx, const char *list, rp_modules_skip_fn skip,
                                          void *arg, int *enabled);

/* Disables module name for the tenant of ctx. RP_ENOTFOUND: no such loaded
 * module. RP_ECONFLICT: enabled modules depend on it, named in why.
 * Disabling a disabled module is RP_OK. */
rp_status_t rp_modules_tenant_disable(rp_ctx_t *ctx, const char *name, char *why, size_t whylen);

#endif
