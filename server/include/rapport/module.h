#ifndef RAPPORT_MODULE_H
#define RAPPORT_MODULE_H

/* The Rapport module ABI: the one header a business module includes.
 *
 * A module is a shared object with three exported entry points (declare them
 * with RP_MODULE_MAGIC, RP_MODULE_INFO and RP_MODULE_INIT below):
 *
 *   rapport_module_magic()  the ABI the module was built against, called first;
 *   rapport_module_info()   its name, version, dependencies and manifest;
 *   rapport_module_init()   registers hooks, actions, jobs and Lua functions.
 *
 * Everything the module does at run time goes through the host API table
 * (rp_host_api_t) handed to init. Handles are opaque; JSON crosses as
 * rp_json_t handles with accessor functions in the table, so that no library
 * type of the server appears here and the server may change its libraries
 * without breaking a compiled module.
 *
 * Compatibility: a module built for ABI major M loads on every server whose
 * major is M and whose minor is at least the module's minor. The host table
 * only grows at its end; its size member says how much of it this server
 * offers (RP_HOST_HAS tests for one function). */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. The major changes when something
 * already published changes (the loader then refuses older modules); the
 * minor when something is added at an end. */
#define RAPPORT_ABI_MAJOR 1
#define RAPPORT_ABI_MINOR 1

/* Marks a symbol as exported from a module built with -fvisibility=hidden. */
#define RP_MODULE_EXPORT __attribute__((visibility("default")))

/* ---- handles --------------------------------------------------------- */

/* The context of one call into a module: the request (or job), its
 * transaction, the caller and the tenant. Valid only during the call. */
typedef struct rp_mctx rp_mctx_t;

/* A record being written, as a before or after hook sees it. */
typedef struct rp_mrecord rp_mrecord_t;

/* A JSON value. Values returned by the *_new functions, json_parse,
 * json_copy, tenant_setting, request_json and through the out parameters
 * of record_* are owned by the module, which releases them with json_free
 * or hands them to a function that takes ownership (json_set,
 * json_array_append, record_set, respond_*). The others (json_get,
 * json_array_get, record_fields, record_old, the values json_object_each
 * hands over) are borrowed and live as long as the value they were read
 * from. */
typedef struct rp_json rp_json_t;

/* The rows of a statement on a module's own tables. */
typedef struct rp_mrows rp_mrows_t;

/* The registration handle a module receives in init; every registration
 * through it after init returns is refused. */
typedef struct rp_mreg rp_mreg_t;

/* ---- results ---------------------------------------------------------- */

/* What host functions, hooks and actions return. Negative values are
 * failures; they mirror the server's own statuses. */
typedef enum rp_mstatus {
    RP_M_OK = 0,
    RP_M_ERR = -1,        /* internal failure */
    RP_M_ENOMEM = -2,     /* out of memory */
    RP_M_EINVAL = -3,     /* bad input, or a refused write */
    RP_M_ENOTFOUND = -4,  /* no such record / thing */
    RP_M_ECONFLICT = -5,  /* a unique value is taken */
    RP_M_EFORBIDDEN = -13 /* the caller may not */
} rp_mstatus_t;

/* A hook's answer. */
typedef enum rp_hook_result {
    RP_HOOK_CONTINUE = 0, /* let the write go on (possibly changed) */
    RP_HOOK_REJECT = 1,   /* refuse it: 422 with the errors added by reject_field */
    RP_HOOK_FAIL = -1     /* internal failure: 500, nothing written */
} rp_hook_result_t;

/* When a hook runs. */
typedef enum rp_hook_event {
    RP_HOOK_BEFORE_CREATE = 0,
    RP_HOOK_AFTER_CREATE = 1,
    RP_HOOK_BEFORE_UPDATE = 2,
    RP_HOOK_AFTER_UPDATE = 3,
    RP_HOOK_BEFORE_DELETE = 4,
    RP_HOOK_AFTER_DELETE = 5,
    RP_HOOK_EVENT_COUNT /* not an event: their number */
} rp_hook_event_t;

/* HTTP methods of an action (one per action). */
typedef enum rp_action_method {
    RP_ACTION_GET = 1,
    RP_ACTION_POST = 2,
    RP_ACTION_PUT = 4,
    RP_ACTION_PATCH = 8,
    RP_ACTION_DELETE = 16
} rp_action_method_t;

/* The least role that may call an action (a caller below gets 403). */
typedef enum rp_action_role {
    RP_ACTION_READONLY = 1,
    RP_ACTION_USER = 2,
    RP_ACTION_MANAGER = 3,
    RP_ACTION_ADMIN = 4
} rp_action_role_t;

/* Log levels for host->log. */
typedef enum rp_mlog_level {
    RP_MLOG_DEBUG = 0,
    RP_MLOG_INFO = 1,
    RP_MLOG_WARN = 2,
    RP_MLOG_ERROR = 3
} rp_mlog_level_t;

/* JSON kinds, as host->json_kind reports them. */
typedef enum rp_json_kind {
    RP_JSON_NULL = 0,
    RP_JSON_BOOL = 1,
    RP_JSON_INTEGER = 2,
    RP_JSON_REAL = 3,
    RP_JSON_STRING = 4,
    RP_JSON_ARRAY = 5,
    RP_JSON_OBJECT = 6
} rp_json_kind_t;

/* Flags of record_create_ex and record_update_ex. */
typedef enum rp_mwrite_flag {
    /* The module writes values it derives itself (totals, conversion marks,
     * answers recorded by an action): read_only fields may be set, and the
     * caller's create/update rights and field-edit rights are not checked
     * (the record must still exist for the tenant). Validation, hooks,
     * triggers and history are unchanged; history names the caller. */
    RP_MWRITE_DERIVED = 1
} rp_mwrite_flag_t;

/* ---- callbacks -------------------------------------------------------- */

/* A record hook. rec is the record being written; a before hook may change
 * its fields (host->record_set) or refuse the write (host->reject_field,
 * then return RP_HOOK_REJECT). An after hook runs in the same transaction
 * once the write is done: it may write other records, and a failure still
 * undoes everything. */
typedef rp_hook_result_t (*rp_hook_fn)(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user);

/* An action: answers with host->respond_json or host->respond_problem and
 * returns RP_M_OK; any other return without an answer becomes a 500. An
 * answer of 400 or more rolls the request's transaction back. */
typedef rp_mstatus_t (*rp_action_fn)(rp_mctx_t *ctx, void *user);

/* A scheduled job, run once per enabled tenant by the job runner. */
typedef rp_mstatus_t (*rp_job_fn)(rp_mctx_t *ctx, void *user);

/* A function tenant Lua scripts may call: takes the arguments as a JSON
 * array and returns a new JSON value (or NULL after host->set_error). */
typedef rp_json_t *(*rp_lua_fn)(rp_mctx_t *ctx, const rp_json_t *args, void *user);

/* One member of an object, as host->json_object_each hands it: key is the
 * member's whole name (NUL-terminated UTF-8: the server's JSON values never
 * hold a name with a NUL byte, parsers refuse them) and value its value,
 * both borrowed from the object. Returns 0 to go on to the next member,
 * anything else to stop the walk there. */
typedef int (*rp_json_each_fn)(const char *key, rp_json_t *value, void *user);

/* ---- the module's descriptor ------------------------------------------ */

/* What rapport_module_info() returns: a static structure that lives as long
 * as the module is loaded. */
typedef struct rp_module_info {
    uint32_t size;           /* sizeof(rp_module_info_t) as the module saw it */
    const char *name;        /* [a-z][a-z0-9_]{0,30}: also the URL segment */
    const char *version;     /* "1.2.0" */
    const char *description; /* one line for listings */
    /* Names of modules that must load (and be enabled) first; NULL-ended,
     * or NULL for none. */
    const char *const *depends;
    /* The manifest, JSON text (see modules/README.md): {"objects": [...],
     * "picklists": {...}, "permissions": {...}, "layouts": {...},
     * "menu": [...]}; NULL for none. */
    const char *manifest;
} rp_module_info_t;

/* What rapport_module_magic() returns: checked before anything else. */
typedef struct rp_abi_magic {
    uint32_t size;        /* sizeof(rp_abi_magic_t) */
    uint32_t abi_major;   /* RAPPORT_ABI_MAJOR the module was built with */
    uint32_t abi_minor;   /* RAPPORT_ABI_MINOR */
    uint32_t info_size;   /* sizeof(rp_module_info_t) */
    uint32_t ptr_size;    /* sizeof(void *): refuses a 32-bit build */
    uint32_t host_needed; /* the host table size the module needs at least */
} rp_abi_magic_t;

/* ---- the host API ----------------------------------------------------- */

/* The functions the server offers. Only ever grows at its end: a module
 * compiled against an older header sees a prefix of it. */
typedef struct rp_host_api {
    uint32_t size;      /* sizeof the table this server fills */
    uint32_t abi_major; /* the server's ABI */
    uint32_t abi_minor;
    const char *server_version;

    /* -- registration: only inside rapport_module_init (RP_M_EINVAL after) */

    /* Runs fn at event on records of object (a name, or "*" for every
     * object). Hooks of one event run in module load order (dependencies
     * first), then registration order. */
    rp_mstatus_t (*register_hook)(rp_mreg_t *reg, const char *object, rp_hook_event_t event,
                                  rp_hook_fn fn, void *user);
    /* Serves fn at method /api/v1/m/<module>/<path> (path like
     * "leads/{id}/convert"; {x} matches one segment, read with
     * path_param) for callers with at least min_role. */
    rp_mstatus_t (*register_action)(rp_mreg_t *reg, rp_action_method_t method, const char *path,
                                    rp_action_role_t min_role, rp_action_fn fn, void *user);
    /* Declares a job: schedule is "every 15m" / "every 1h" / "every 1d" or a
     * five-field cron line ("0 3 * * *"). */
    rp_mstatus_t (*register_job)(rp_mreg_t *reg, const char *name, const char *schedule,
                                 rp_job_fn fn, void *user);
    /* Offers fn to tenant Lua scripts as rapport.<module>.<name>. */
    rp_mstatus_t (*register_lua)(rp_mreg_t *reg, const char *name, rp_lua_fn fn, void *user);

    /* -- logging and errors */

    /* Writes one server log line, prefixed with the module's name. */
    void (*log)(rp_mctx_t *ctx, rp_mlog_level_t level, const char *msg);
    /* Notes why the current call fails (kept for the log line of a 500).
     * Not called "fail", which test frameworks (cmocka) define as a macro. */
    void (*set_error)(rp_mctx_t *ctx, const char *msg);

    /* -- who and where */

    /* The caller's user id (UUID text) or "" (API key without user, jobs). */
    const char *(*user_id)(rp_mctx_t *ctx);
    /* The caller's built-in role: "admin", "manager", "user", "readonly". */
    const char *(*user_role)(rp_mctx_t *ctx);
    /* The tenant's id (UUID text). */
    const char *(*tenant_id)(rp_mctx_t *ctx);
    /* The tenant's setting key (a member of tenants.settings) as a new JSON
     * value, or NULL when absent. */
    rp_json_t *(*tenant_setting)(rp_mctx_t *ctx, const char *key);

    /* -- JSON */

    rp_json_t *(*json_parse)(const char *text, size_t len); /* NULL when invalid */
    char *(*json_dump)(const rp_json_t *v); /* compact text; release with mem_free */
    void (*json_free)(rp_json_t *v);        /* releases an owned value; NULL is fine */
    rp_json_kind_t (*json_kind)(const rp_json_t *v);
    rp_json_t *(*json_object_new)(void);
    rp_json_t *(*json_array_new)(void);
    rp_json_t *(*json_string_new)(const char *s); /* NULL unless valid UTF-8 */
    rp_json_t *(*json_integer_new)(long long n);
    rp_json_t *(*json_real_new)(double d);
    rp_json_t *(*json_bool_new)(int b);
    rp_json_t *(*json_null_new)(void);
    /* Borrowed member of an object, or NULL. */
    rp_json_t *(*json_get)(const rp_json_t *obj, const char *key);
    /* Sets a member, taking ownership of value. */
    rp_mstatus_t (*json_set)(rp_json_t *obj, const char *key, rp_json_t *value);
    size_t (*json_array_size)(const rp_json_t *arr);
    rp_json_t *(*json_array_get)(const rp_json_t *arr, size_t i); /* borrowed */
    /* Appends, taking ownership of value. */
    rp_mstatus_t (*json_array_append)(rp_json_t *arr, rp_json_t *value);
    const char *(*json_string)(const rp_json_t *v); /* NULL unless a string */
    long long (*json_integer)(const rp_json_t *v);  /* 0 unless an integer */
    double (*json_real)(const rp_json_t *v);        /* integers too; 0 otherwise */
    int (*json_bool)(const rp_json_t *v);           /* 1 for true */
    void (*mem_free)(void *p);                      /* frees text the host gave */

    /* -- records: same validation, history and permissions as the REST API,
     *    inside the request's transaction. Records are JSON as the API gives
     *    them ({"id","object","version",...,"fields":{...}}). */

    rp_mstatus_t (*record_get)(rp_mctx_t *ctx, const char *object, const char *id, rp_json_t **out);
    /* fields is borrowed; on RP_M_EINVAL *errors (when not NULL) receives the
     * per-field errors as a new object. */
    rp_mstatus_t (*record_create)(rp_mctx_t *ctx, const char *object, const rp_json_t *fields,
                                  rp_json_t **out, rp_json_t **errors);
    rp_mstatus_t (*record_update)(rp_mctx_t *ctx, const char *object, const char *id,
                                  const rp_json_t *fields, rp_json_t **out, rp_json_t **errors);
    rp_mstatus_t (*record_delete)(rp_mctx_t *ctx, const char *object, const char *id);
    /* A filter in the query API's form ({"field","op","value"} leaves under
     * and/or/not; NULL for all), sort "-amount,name" or NULL, limit 1..200;
     * *out receives an array of records. */
    rp_mstatus_t (*record_query)(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                                 const char *sort, int limit, rp_json_t **out);

    /* -- the record a hook sees */

    const char *(*record_object)(const rp_mrecord_t *rec);
    const char *(*record_id)(const rp_mrecord_t *rec); /* NULL before create */
    rp_hook_event_t (*record_event)(const rp_mrecord_t *rec);
    /* The fields being written (before hooks: as given, changeable; after
     * hooks: the stored record's fields). Borrowed. */
    rp_json_t *(*record_fields)(rp_mrecord_t *rec);
    /* The record's fields before the write (update, delete), or NULL. */
    const rp_json_t *(*record_old)(const rp_mrecord_t *rec);
    /* Sets one field in a before hook, taking ownership of value. */
    rp_mstatus_t (*record_set)(rp_mrecord_t *rec, const char *field, rp_json_t *value);
    /* Adds a per-field error; the write is refused when the hook returns
     * RP_HOOK_REJECT. */
    rp_mstatus_t (*reject_field)(rp_mrecord_t *rec, const char *field, const char *message);

    /* -- the request an action serves */

    const char *(*path_param)(rp_mctx_t *ctx, int i);             /* {x} values, or NULL */
    const char *(*query_param)(rp_mctx_t *ctx, const char *name); /* decoded, or NULL */
    /* The JSON body as a new object; NULL after answering 400/415. */
    rp_json_t *(*request_json)(rp_mctx_t *ctx);
    /* Answers with a JSON document, taking ownership of body. */
    void (*respond_json)(rp_mctx_t *ctx, int status, rp_json_t *body);
    /* Answers an RFC 9457 problem; errors ({field: message}, owned) may be
     * NULL. */
    void (*respond_problem)(rp_mctx_t *ctx, int status, const char *code, const char *detail,
                            rp_json_t *errors);

    /* -- the module's own tables: SQL with $1..$n text parameters (NULL for
     *    SQL NULL), in the request's transaction, under row-level security
     *    for the tenant. Never build SQL text from values. */

    rp_mstatus_t (*sql_exec)(rp_mctx_t *ctx, const char *sql, int nparams,
                             const char *const *params, rp_mrows_t **out);
    int (*rows_count)(const rp_mrows_t *rows);
    const char *(*rows_get)(const rp_mrows_t *rows, int row, int col); /* "" for NULL */
    int (*rows_is_null)(const rp_mrows_t *rows, int row, int col);
    void (*rows_free)(rp_mrows_t *rows);

    /* -- infrastructure plugins (rapport/plugin.h): only inside init */

    /* Offers an implementation of a plugin kind (rp_plugin_kind_t) under
     * name; ops points to the kind's operations table (rp_channel_ops_t, ...)
     * of ops_size bytes, which must live as long as the module. */
    rp_mstatus_t (*register_plugin)(rp_mreg_t *reg, int kind, const char *name, const void *ops,
                                    uint32_t ops_size, void *user);

    /* -- more JSON */

    /* A new deep copy of v (for putting a borrowed value somewhere that
     * takes ownership), or NULL. */
    rp_json_t *(*json_copy)(const rp_json_t *v);

    /* -- ABI 1.1 */

    /* Answers with a document that is not JSON (an HTML page, CSV, ...):
     * content_type like "text/html; charset=utf-8"; body (len bytes) is
     * copied. */
    void (*respond_text)(rp_mctx_t *ctx, int status, const char *content_type, const char *body,
                         size_t len);
    /* record_create and record_update with flags (RP_MWRITE_*). */
    rp_mstatus_t (*record_create_ex)(rp_mctx_t *ctx, const char *object, const rp_json_t *fields,
                                     unsigned flags, rp_json_t **out, rp_json_t **errors);
    rp_mstatus_t (*record_update_ex)(rp_mctx_t *ctx, const char *object, const char *id,
                                     const rp_json_t *fields, unsigned flags, rp_json_t **out,
                                     rp_json_t **errors);
    /* record_query one page at a time, for more than 200 records: cursor is
     * NULL for the first page or the *next of the previous call; *next
     * receives the cursor of the following page (release with mem_free), or
     * NULL after the last one. sort must name a unique order's fields the
     * way the list API takes them (its cursors add the id). */
    rp_mstatus_t (*record_query_page)(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                                      const char *sort, int limit, const char *cursor,
                                      rp_json_t **out, char **next);
    /* Calls fn(key, value, user) for each member of the object obj, in the
     * object's order: a parsed document's in the order of the text (a name
     * given twice keeps its first place and its last value; request bodies
     * refuse such names anyway), then the members json_set added, each at
     * the end; json_set on a present member keeps its place. RP_M_OK when
     * every member was seen or fn stopped the walk (stopping is not a
     * failure: fn tells its caller why through user); RP_M_EINVAL, without
     * calling fn, when obj is not an object or fn is NULL. fn must not
     * json_set on obj during the walk. */
    rp_mstatus_t (*json_object_each)(const rp_json_t *obj, rp_json_each_fn fn, void *user);
    /* The number of members of the object obj; 0 also when obj is NULL or
     * not an object (json_kind tells them apart). */
    size_t (*json_object_size)(const rp_json_t *obj);

    /* New functions are added here, at the end, with a minor bump. */
} rp_host_api_t;

/* True when the host table api offers member (it may be older than this
 * header). */
#define RP_HOST_HAS(api, member)                                                                   \
    ((api)->size >= offsetof(rp_host_api_t, member) + sizeof((api)->member) &&                     \
     (api)->member != NULL)

/* ---- entry points ----------------------------------------------------- */

/* The names the loader looks up. */
#define RP_MODULE_MAGIC_SYMBOL "rapport_module_magic"
#define RP_MODULE_INFO_SYMBOL "rapport_module_info"
#define RP_MODULE_INIT_SYMBOL "rapport_module_init"

/* Signatures of the three entry points. init returns RP_M_OK, or a failure
 * after which the loader refuses the module (and drops what it
 * registered). */
typedef const rp_abi_magic_t *(*rp_module_magic_fn)(void);
typedef const rp_module_info_t *(*rp_module_info_fn)(void);
typedef rp_mstatus_t (*rp_module_init_fn)(rp_mreg_t *reg, const rp_host_api_t *api);

/* Defines rapport_module_magic() for the ABI of this header. */
#define RP_MODULE_MAGIC                                                                            \
    RP_MODULE_EXPORT const rp_abi_magic_t *rapport_module_magic(void)                              \
    {                                                                                              \
        static const rp_abi_magic_t magic = {sizeof(rp_abi_magic_t), RAPPORT_ABI_MAJOR,            \
                                             RAPPORT_ABI_MINOR,      sizeof(rp_module_info_t),     \
                                             sizeof(void *),         sizeof(rp_host_api_t)};       \
        return &magic;                                                                             \
    }

/* Defines rapport_module_info() returning the static descriptor var. */
#define RP_MODULE_INFO(var)                                                                        \
    RP_MODULE_EXPORT const rp_module_info_t *rapport_module_info(void)                             \
    {                                                                                              \
        return &(var);                                                                             \
    }

/* Declares the init entry point; follow it with the function body. */
#define RP_MODULE_INIT(reg, api)                                                                   \
    RP_MODULE_EXPORT rp_mstatus_t rapport_module_init(rp_mreg_t *reg, const rp_host_api_t *api)

#ifdef __cplusplus
}
#endif

#endif
