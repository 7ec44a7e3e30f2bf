#ifndef RP_SCRIPT_INTERNAL_H
#define RP_SCRIPT_INTERNAL_H

#include <jansson.h>
#include <lua.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/request.h"
#include "db/db.h"
#include "records/meta.h"
#include "script/script.h"

/* Shared by the files of server/script. */

/* The limits of the sandbox, from RAPPORT_SCRIPT_* (0 in the config means
 * the default below). */
typedef struct rp_script_limits {
    long long instructions; /* per top-level invocation */
    long timeout_ms;        /* wall clock per top-level invocation */
    size_t memory;          /* bytes per Lua state */
    int queries;            /* crm calls that reach the database, per transaction */
    int reads;              /* records returned to scripts, per transaction */
    int writes;             /* records created, updated or deleted, per transaction */
    int cache;              /* Lua states kept per thread */
} rp_script_limits_t;

#define RP_SCRIPT_DEF_INSTRUCTIONS 10000000LL
#define RP_SCRIPT_DEF_TIMEOUT_MS 2000
#define RP_SCRIPT_DEF_MEMORY_KIB 8192
#define RP_SCRIPT_DEF_QUERIES 200
#define RP_SCRIPT_DEF_READS 10000
#define RP_SCRIPT_DEF_WRITES 1000
#define RP_SCRIPT_DEF_CACHE 64

/* The limits for ctx's app (defaults when ctx or its app is NULL). */
void rp_script_limits_get(const rp_ctx_t *ctx, rp_script_limits_t *out);

/* Script kinds. */
typedef enum { RP_SCRIPT_TRIGGER, RP_SCRIPT_SCHEDULED, RP_SCRIPT_ENDPOINT } rp_script_kind_t;

/* One enabled script of a tenant, as cached with its Lua state. */
typedef struct rp_script_def {
    char id[RP_UUID_LEN + 1];
    char *name;
    rp_script_kind_t kind;
    char *object;    /* triggers */
    unsigned events; /* rp_script_event_t bits */
    json_t *roles;   /* endpoints: role names allowed */
    char *code;
    int version;
} rp_script_def_t;

/* ---- the sandbox (sandbox.c) --------------------------------------------- */

typedef struct rp_sbox rp_sbox_t;

/* What one invocation gives back. */
typedef struct rp_sbox_run {
    json_t *result;         /* the chunk's first return value (JSON null for nil) */
    json_t *new_fields;     /* the argument's "new" member after the run, if any */
    json_t *logs;           /* array of strings from crm.log and print */
    json_t *errors;         /* {field: message} from crm.error */
    long long instructions; /* counted by the hook (in steps of 100) */
    double duration_ms;
    size_t memory;               /* bytes in use by the state at the end */
    const char *limit;           /* the limit hit, or NULL */
    char error[512];             /* a runtime error, or the limit's message */
    rp_script_refusal_t *nested; /* a refusal from a nested write: copied by the host */
    const char *script_id;       /* for crm.enqueue */
    const char *script_name;
} rp_sbox_run_t;

/* Charges n steps of work done in C (pattern matching) to the invocation
 * under way, as if they were n instructions: past the instruction budget or
 * the deadline it aborts the run like the count hook does (a Lua error that
 * pcall cannot keep). Outside an invocation it does nothing. */
void rp_sbox_charge(lua_State *L, long n);

/* Replaces find, match, gmatch and gsub of the string library table at
 * index lib with versions whose matching steps are charged (pattern.c). */
void rp_sbox_patterns(lua_State *L, int lib);

/* A new state with the allow-list environment and the memory cap. */
rp_status_t rp_sbox_new(const rp_script_limits_t *lim, rp_sbox_t **out);

/* Closes the state. NULL is fine. */
void rp_sbox_free(rp_sbox_t *sb);

/* True while an invocation runs in sb (a nested write fired triggers). */
bool rp_sbox_busy(const rp_sbox_t *sb);

/* True when sb should be closed rather than reused (a limit was hit). */
bool rp_sbox_spoiled(const rp_sbox_t *sb);

/* Bytes the state uses now. */
size_t rp_sbox_memory(const rp_sbox_t *sb);

/* Compiles code as text in a throwaway state: RP_OK, or RP_EINVAL with the
 * message ("line N: ...") in err and the line in *line. */
rp_status_t rp_sbox_check(const char *code, char *err, size_t errlen, int *line);

/* Runs the chunk of code (compiled once per state under key, which must
 * change when code does) with arg (converted to a Lua table) as its one
 * argument, in ctx. run must be zeroed except script_id / script_name; it
 * owns what it receives (rp_sbox_run_clear). Returns RP_OK when the chunk
 * returned normally; RP_ELIMIT when a limit was hit (run->limit); RP_ERR on
 * a runtime error (run->error); RP_EINVAL when a nested write was refused
 * (run->nested is set). */
rp_status_t rp_sbox_call(rp_sbox_t *sb, rp_ctx_t *ctx, const char *key, const char *code,
                         const json_t *arg, rp_sbox_run_t *run);

/* Releases what run holds. */
void rp_sbox_run_clear(rp_sbox_run_t *run);

/* ---- Lua and JSON (luajson.c) -------------------------------------------- */

/* Pushes v as a Lua value (objects and arrays as tables, null as
 * crm.json.null). */
void rp_lua_push_json(lua_State *L, const json_t *v);

/* Pushes crm.json.null, the value JSON null becomes. */
void rp_lua_push_null(lua_State *L);

/* The Lua value at idx as JSON; NULL (with a message in err) for values
 * JSON cannot hold (functions, cycles, nesting past 64). */
json_t *rp_lua_to_json(lua_State *L, int idx, char *err, size_t errlen);

/* ---- the crm API (crm.c) ------------------------------------------------- */

/* Replaces the table on the top of the stack with a read-only proxy whose
 * metatable cannot be read or replaced (rawset refuses it too). */
void rp_sbox_freeze(lua_State *L);

/* crm.log and print: appends the arguments, as one line, to the log of the
 * invocation under way. */
int rp_sbox_log(lua_State *L);

/* Builds the crm table on the top of the stack (the caller freezes it). */
void rp_crm_open(lua_State *L);

/* Builds the rapport table (rapport.<module>.<name>, the functions loaded
 * modules offer) on the top of the stack, frozen. */
void rp_modlua_open(lua_State *L);

/* The invocation under way in L, and its context (crm functions use them). */
rp_sbox_run_t *rp_sbox_current(lua_State *L, rp_ctx_t **ctx);

/* Raises the Lua error that ends the script because of a limit or a
 * refused nested write: sets the abort flag first, so pcall cannot keep the
 * script going. limit may be NULL. Never returns. */
int rp_sbox_abort(lua_State *L, const char *limit, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the per-transaction governor (governor.c) --------------------------- */

/* One logged run waiting for rp_script_runs_flush. */
typedef struct rp_script_runlog {
    char script_id[RP_UUID_LEN + 1];
    char via[32];
    bool dry_run;
    const char *outcome; /* "ok", "error", "limit", "rejected" */
    char error[512];
    double duration_ms;
    long long instructions;
    long long memory;
    struct rp_script_runlog *next;
} rp_script_runlog_t;

/* Queues a run that went well for the run-log writer (runlog.c); false when
 * the writer is not running or its queue is full (the caller writes the
 * run itself). */
bool rp_script_runlog_enqueue(const char *tenant_id, const rp_script_runlog_t *r);

/* Writes run r (one that went well) of tenant_id now, with db, as the
 * writer would: what a request does when the writer cannot take it. */
rp_status_t rp_script_runlog_write(rp_db_t *db, const char *tenant_id, const rp_script_runlog_t *r);

/* Writes the queued runs of tenant_id now, with db (in its transaction if
 * it has one): before anything that must see them, like a failure count or
 * the run log's own listing. */
rp_status_t rp_script_runlog_drain(rp_db_t *db, const char *tenant_id);

/* The counters of one request's transaction, kept for the life of its pool. */
typedef struct rp_script_gov {
    int queries, reads, writes;
    int depth; /* nested trigger level now */
    const rp_meta_t *meta;
    rp_script_runlog_t *runs, **runs_tail;
    int nruns;
} rp_script_gov_t;

/* The governor of ctx, created on first use. NULL on allocation failure. */
rp_script_gov_t *rp_script_gov(rp_ctx_t *ctx);

/* The tenant's metadata for ctx, acquired once per request. */
rp_status_t rp_script_meta(rp_ctx_t *ctx, const rp_meta_t **out);

/* Counts n of what (queries / records read / records written) against the
 * limits; false with *limit set to its name when one is exceeded. */
bool rp_script_gov_take(rp_ctx_t *ctx, int queries, int reads, int writes, const char **limit);

/* Adds a run to ctx's log. */
void rp_script_gov_log(rp_ctx_t *ctx, const char *script_id, const char *via, bool dry_run,
                       rp_status_t st, const rp_sbox_run_t *run, bool rejected);

/* ---- the per-thread cache (cache.c) -------------------------------------- */

/* A tenant's scripts and Lua state on this thread. */
typedef struct rp_script_tenant {
    rp_sbox_t *sb; /* NULL until a script of the tenant first runs here */
    rp_script_def_t *defs;
    int ndefs;
} rp_script_tenant_t;

/* The cached entry for ctx's tenant, built (its enabled scripts; the state
 * comes with the first run) when absent or when the tenant's metadata
 * version moved. Valid until the next
 * call on this thread. */
rp_status_t rp_script_tenant(rp_ctx_t *ctx, rp_script_tenant_t **out);

/* Closes the state of ctx's tenant if it is spoiled and idle. */
void rp_script_tenant_release(rp_ctx_t *ctx);

/* ---- running one script (invoke.c) --------------------------------------- */

/* Runs code of script (id, name, version) with arg in ctx and logs the run
 * (via: the event, "endpoint", "scheduled" or "dry_run"). RP_OK; RP_EINVAL
 * when the script failed, hit a limit, called crm.error or had a nested
 * write refused, with out saying which; or a lower-layer status. result
 * and new_fields, when not NULL, receive the run's (new references, also
 * after crm.error); report, when not NULL, {"logs", "limits"}. */
rp_status_t rp_script_invoke(rp_ctx_t *ctx, const char *id, const char *name, int version,
                             const char *code, const char *via, bool dry_run, const json_t *arg,
                             rp_script_refusal_t *out, json_t **result, json_t **new_fields,
                             json_t **report);

/* ---- records for scripts (records.c) ------------------------------------- */

/* The records calls behind crm, in ctx's transaction with its rights. Each
 * returns RP_OK with *out (a new reference; records with their null fields
 * dropped); RP_EINVAL with a message in msg for a bad call (an unknown
 * object, a malformed filter: the script gets a catchable Lua error);
 * RP_ELIMIT with the governor limit's name in msg; or a lower-layer status. */

/* crm.get: the record, or JSON null when the caller cannot see one. */
rp_status_t rp_script_rec_get(rp_ctx_t *ctx, const char *object, const char *id, json_t **out,
                              char *msg, size_t msglen);
/* crm.query: an array of at most one page of records. */
rp_status_t rp_script_rec_query(rp_ctx_t *ctx, const char *object, const json_t *filter,
                                const json_t *opts, json_t **out, char *msg, size_t msglen);
/* crm.create / update / delete (verb), firing the object's triggers; owner
 * is the owner_id to set on create or update (NULL keeps the default). A
 * refused write (by the records engine or a trigger) returns RP_EINVAL with
 * ref filled: the request must then fail with it and roll back. */
rp_status_t rp_script_rec_write(rp_ctx_t *ctx, const char *verb, const char *object, const char *id,
                                const json_t *fields, const json_t *owner, json_t **out,
                                rp_script_refusal_t *ref, char *msg, size_t msglen);

/* Drops the null members of a record's "fields": scripts see an empty
 * field as nil, as Lua has it, and not as crm.json.null. */
void rp_script_record_for_lua(json_t *rec);

/* Fills r (status 422 and the given code) with a formatted detail. */
void rp_script_refuse(rp_script_refusal_t *r, const char *code, const char *limit, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

#endif
