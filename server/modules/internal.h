#ifndef RP_MODULES_INTERNAL_H
#define RP_MODULES_INTERNAL_H

#include <jansson.h>

#include "modules/modules.h"

/* Shared by the files of server/modules. */

/* What a module's code gets as rp_mctx_t: the request (or NULL in unit
 * tests and jobs without one) and the module being called. */
struct rp_mctx {
    rp_ctx_t *ctx;
    const rp_module_t *mod;
    char failure[256]; /* set by host->fail */
};

/* What a hook gets as rp_mrecord_t. */
struct rp_mrecord {
    const char *object;
    const char *id;
    rp_hook_event_t event;
    json_t *fields;    /* borrowed from the caller */
    const json_t *old; /* borrowed, may be NULL */
    json_t *errors;    /* the caller's {field: message} */
    bool writable;     /* before hooks only */
};

/* What init gets as rp_mreg_t: the module being registered, valid only
 * while its init runs. */
struct rp_mreg {
    rp_module_t *mod;
    bool open;
};

/* The host API table handed to every module. */
extern const rp_host_api_t rp_modules_host_api;

/* The registry's modules, in load order (rp_modules_count of them). */
extern rp_module_t *rp_modules_loaded[RP_MODULES_MAX];
extern int rp_modules_nloaded;

/* Adds a dlopen'ed candidate whose magic already passed (load.c); takes
 * handle. A bad descriptor is refused (logged) and RP_OK returned. */
rp_status_t rp_modules_add_loaded(void *handle, const char *path, const char *migration_dir,
                                  const rp_module_info_t *info, rp_module_init_fn init);

/* Frees one module's registry entry (and dlcloses it). */
void rp_module_free(rp_module_t *m);

/* Frees what init registered, so that a refused module leaves nothing. */
void rp_module_drop_registrations(rp_module_t *m);

/* Maps a server status to the module ABI's and back. */
rp_mstatus_t rp_modules_mstatus(rp_status_t st);

/* The registration functions of the host table (host_reg.c). */
rp_mstatus_t rp_host_register_hook(rp_mreg_t *reg, const char *object, rp_hook_event_t event,
                                   rp_hook_fn fn, void *user);
rp_mstatus_t rp_host_register_action(rp_mreg_t *reg, rp_action_method_t method, const char *path,
                                     rp_action_role_t min_role, rp_action_fn fn, void *user);
rp_mstatus_t rp_host_register_job(rp_mreg_t *reg, const char *name, const char *schedule,
                                  rp_job_fn fn, void *user);
rp_mstatus_t rp_host_register_lua(rp_mreg_t *reg, const char *name, rp_lua_fn fn, void *user);
rp_mstatus_t rp_host_register_plugin(rp_mreg_t *reg, int kind, const char *name, const void *ops,
                                     uint32_t ops_size, void *user);

/* The JSON functions of the host table (host_json.c): thin casts over
 * jansson, since rp_json_t is a json_t under another name. */
rp_json_t *rp_host_json_parse(const char *text, size_t len);
rp_mstatus_t rp_host_json_object_each(const rp_json_t *obj, rp_json_each_fn fn, void *user);
size_t rp_host_json_object_size(const rp_json_t *obj);
char *rp_host_json_dump(const rp_json_t *v);
void rp_host_json_free(rp_json_t *v);
rp_json_kind_t rp_host_json_kind(const rp_json_t *v);
rp_json_t *rp_host_json_object_new(void);
rp_json_t *rp_host_json_array_new(void);
rp_json_t *rp_host_json_string_new(const char *s);
rp_json_t *rp_host_json_integer_new(long long n);
rp_json_t *rp_host_json_real_new(double d);
rp_json_t *rp_host_json_bool_new(int b);
rp_json_t *rp_host_json_null_new(void);
rp_json_t *rp_host_json_get(const rp_json_t *obj, const char *key);
rp_mstatus_t rp_host_json_set(rp_json_t *obj, const char *key, rp_json_t *value);
size_t rp_host_json_array_size(const rp_json_t *arr);
rp_json_t *rp_host_json_array_get(const rp_json_t *arr, size_t i);
rp_mstatus_t rp_host_json_array_append(rp_json_t *arr, rp_json_t *value);
const char *rp_host_json_string(const rp_json_t *v);
long long rp_host_json_integer(const rp_json_t *v);
double rp_host_json_real(const rp_json_t *v);
int rp_host_json_bool(const rp_json_t *v);
void rp_host_mem_free(void *p);
rp_json_t *rp_host_json_copy(const rp_json_t *v);

struct rp_crud;
struct rp_object;

/* Prepares c, the caller's writer over the tenant metadata of mc's
 * request, and finds object there (*o). RP_M_ENOTFOUND when the tenant has
 * no such object, RP_M_EINVAL without a request. */
rp_mstatus_t rp_host_open_object(rp_mctx_t *mc, const char *object, struct rp_crud *c,
                                 const struct rp_object **o);

/* The records and SQL functions of the host table (host_records.c, and
 * host_query.c for the queries). */
rp_mstatus_t rp_host_record_get(rp_mctx_t *ctx, const char *object, const char *id,
                                rp_json_t **out);
rp_mstatus_t rp_host_record_create(rp_mctx_t *ctx, const char *object, const rp_json_t *fields,
                                   rp_json_t **out, rp_json_t **errors);
rp_mstatus_t rp_host_record_update(rp_mctx_t *ctx, const char *object, const char *id,
                                   const rp_json_t *fields, rp_json_t **out, rp_json_t **errors);
/* record_create and record_update with RP_MWRITE_* flags (ABI 1.1). */
rp_mstatus_t rp_host_record_create_ex(rp_mctx_t *ctx, const char *object, const rp_json_t *fields,
                                      unsigned flags, rp_json_t **out, rp_json_t **errors);
rp_mstatus_t rp_host_record_update_ex(rp_mctx_t *ctx, const char *object, const char *id,
                                      const rp_json_t *fields, unsigned flags, rp_json_t **out,
                                      rp_json_t **errors);
rp_mstatus_t rp_host_record_delete(rp_mctx_t *ctx, const char *object, const char *id);
rp_mstatus_t rp_host_record_query(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                                  const char *sort, int limit, rp_json_t **out);
/* record_query one page at a time, with a cursor (host_query.c). */
rp_mstatus_t rp_host_record_query_page(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                                       const char *sort, int limit, const char *cursor,
                                       rp_json_t **out, char **next);
rp_mstatus_t rp_host_sql_exec(rp_mctx_t *ctx, const char *sql, int nparams,
                              const char *const *params, rp_mrows_t **out);
int rp_host_rows_count(const rp_mrows_t *rows);
const char *rp_host_rows_get(const rp_mrows_t *rows, int row, int col);
int rp_host_rows_is_null(const rp_mrows_t *rows, int row, int col);
void rp_host_rows_free(rp_mrows_t *rows);

/* Frees the action routes built by rp_modules_mount (after the router that
 * borrowed them is gone). */
void rp_modules_routes_free(void);

/* The /api/v1/modules handlers. */
void rp_modules_list_handler(rp_ctx_t *ctx);
void rp_modules_enable_handler(rp_ctx_t *ctx);
void rp_modules_disable_handler(rp_ctx_t *ctx);

#endif
