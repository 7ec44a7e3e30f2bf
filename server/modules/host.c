#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "modules/internal.h"

/* The host table itself, and the functions that read the call's context:
 * logging, the caller, the record a hook sees and the request an action
 * serves. */

#define J(v) ((json_t *)(v))
#define H(v) ((rp_json_t *)(v))

static void host_log(rp_mctx_t *mc, rp_mlog_level_t level, const char *msg)
{
    rp_log_level_t l = level == RP_MLOG_DEBUG   ? RP_LOG_DEBUG
                       : level == RP_MLOG_WARN  ? RP_LOG_WARN
                       : level == RP_MLOG_ERROR ? RP_LOG_ERROR
                                                : RP_LOG_INFO;
    rp_log(l, "module %s: %s", mc && mc->mod ? mc->mod->name : "?", msg ? msg : "");
}

static void host_fail(rp_mctx_t *mc, const char *msg)
{
    if (mc != NULL)
        snprintf(mc->failure, sizeof mc->failure, "%s", msg ? msg : "failed");
}

static const char *host_user_id(rp_mctx_t *mc)
{
    return mc && mc->ctx ? mc->ctx->principal.user_id : "";
}

static const char *host_user_role(rp_mctx_t *mc)
{
    return mc && mc->ctx ? rp_role_name(mc->ctx->principal.role) : "none";
}

static const char *host_tenant_id(rp_mctx_t *mc)
{
    return mc && mc->ctx ? mc->ctx->principal.tenant_id : "";
}

static rp_json_t *host_tenant_setting(rp_mctx_t *mc, const char *key)
{
    if (mc == NULL || mc->ctx == NULL || mc->ctx->db == NULL || key == NULL)
        return NULL;
    const char *p[] = {mc->ctx->principal.tenant_id, key};
    rp_dbres_t *res = NULL;
    json_t *v = NULL;
    /* The tenant row is global (read before a tenant is known), so the
     * filter on the caller's own tenant is what keeps this to it. */
    if (rp_db_exec(mc->ctx->db, "SELECT settings -> $2 FROM tenants WHERE id = $1::uuid", 2, p,
                   &res) == RP_OK &&
        rp_dbres_rows(res) == 1 && !rp_dbres_null(res, 0, 0))
        v = json_loads(rp_dbres_get(res, 0, 0), JSON_DECODE_ANY, NULL);
    rp_dbres_free(res);
    return H(v);
}

static const char *rec_object(const rp_mrecord_t *r)
{
    return r ? r->object : NULL;
}

static const char *rec_id(const rp_mrecord_t *r)
{
    return r ? r->id : NULL;
}

static rp_hook_event_t rec_event(const rp_mrecord_t *r)
{
    return r ? r->event : RP_HOOK_BEFORE_CREATE;
}

static rp_json_t *rec_fields(rp_mrecord_t *r)
{
    return r ? H(r->fields) : NULL;
}

static const rp_json_t *rec_old(const rp_mrecord_t *r)
{
    return r ? (const rp_json_t *)r->old : NULL;
}

static rp_mstatus_t rec_set(rp_mrecord_t *r, const char *field, rp_json_t *value)
{
    if (r == NULL || !r->writable || field == NULL || value == NULL || !json_is_object(r->fields)) {
        json_decref(J(value));
        return RP_M_EINVAL;
    }
    return json_object_set_new(r->fields, field, J(value)) == 0 ? RP_M_OK : RP_M_ENOMEM;
}

static rp_mstatus_t rec_reject(rp_mrecord_t *r, const char *field, const char *message)
{
    if (r == NULL || r->errors == NULL || field == NULL || message == NULL)
        return RP_M_EINVAL;
    /* The first message for a field wins, as in the records validation. */
    if (json_object_get(r->errors, field) != NULL)
        return RP_M_OK;
    json_t *m = json_string(message);
    return m && json_object_set_new(r->errors, field, m) == 0 ? RP_M_OK : RP_M_ENOMEM;
}

static const char *req_path_param(rp_mctx_t *mc, int i)
{
    if (mc == NULL || mc->ctx == NULL || i < 0 || i >= mc->ctx->req.nparams)
        return NULL;
    return mc->ctx->req.params[i];
}

static const char *req_query_param(rp_mctx_t *mc, const char *name)
{
    return mc && mc->ctx && name ? rp_req_query_param(mc->ctx, name) : NULL;
}

static rp_json_t *req_json(rp_mctx_t *mc)
{
    return mc && mc->ctx ? H(rp_req_json_object(mc->ctx)) : NULL;
}

static void respond_json(rp_mctx_t *mc, int status, rp_json_t *body)
{
    if (mc == NULL || mc->ctx == NULL || body == NULL || status < 200 || status > 599) {
        json_decref(J(body));
        host_fail(mc, "respond_json: bad status or body");
        return;
    }
    rp_resp_json(mc->ctx, status, J(body));
}

static void respond_problem(rp_mctx_t *mc, int status, const char *code, const char *detail,
                            rp_json_t *errors)
{
    if (mc == NULL || mc->ctx == NULL || status < 400 || status > 599) {
        json_decref(J(errors));
        host_fail(mc, "respond_problem: bad status");
        return;
    }
    const char *c = code ? code : "module_error";
    const char *d = detail ? detail : "the module refused the request";
    if (errors != NULL)
        rp_resp_problem_fields(mc->ctx, status, c, d, J(errors));
    else
        rp_resp_problem(mc->ctx, status, c, d);
}

/* A content type goes out as a header: printable ASCII only, so that no
 * module can split the response with a line break. */
static bool content_type_ok(const char *ct)
{
    size_t n = ct ? strlen(ct) : 0;
    if (n == 0 || n > 200)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ct[i] < 0x20 || ct[i] > 0x7e)
            return false;
    return true;
}

static void respond_text(rp_mctx_t *mc, int status, const char *content_type, const char *body,
                         size_t len)
{
    if (mc == NULL || mc->ctx == NULL || status < 200 || status > 599 ||
        !content_type_ok(content_type) || (body == NULL && len > 0)) {
        host_fail(mc, "respond_text: bad status, content type or body");
        return;
    }
    rp_ctx_t *ctx = mc->ctx;
    /* The response outlives the module's buffer: both are copied. */
    const char *ct = rp_pool_strdup(&ctx->pool, content_type);
    rp_buf_reset(&ctx->res.body);
    if (ct == NULL || (len > 0 && rp_buf_append(&ctx->res.body, body, len) != RP_OK)) {
        rp_resp_problem(ctx, 500, "internal", "out of memory");
        return;
    }
    ctx->res.status = status;
    ctx->res.content_type = ct;
}

const rp_host_api_t rp_modules_host_api = {
    .size = sizeof(rp_host_api_t),
    .abi_major = RAPPORT_ABI_MAJOR,
    .abi_minor = RAPPORT_ABI_MINOR,
#ifdef RAPPORT_VERSION
    .server_version = RAPPORT_VERSION,
#else
    .server_version = "0.0.0",
#endif
    .register_hook = rp_host_register_hook,
    .register_action = rp_host_register_action,
    .register_job = rp_host_register_job,
    .register_lua = rp_host_register_lua,
    .log = host_log,
    .set_error = host_fail,
    .user_id = host_user_id,
    .user_role = host_user_role,
    .tenant_id = host_tenant_id,
    .tenant_setting = host_tenant_setting,
    .json_parse = rp_host_json_parse,
    .json_dump = rp_host_json_dump,
    .json_free = rp_host_json_free,
    .json_kind = rp_host_json_kind,
    .json_object_new = rp_host_json_object_new,
    .json_array_new = rp_host_json_array_new,
    .json_string_new = rp_host_json_string_new,
    .json_integer_new = rp_host_json_integer_new,
    .json_real_new = rp_host_json_real_new,
    .json_bool_new = rp_host_json_bool_new,
    .json_null_new = rp_host_json_null_new,
    .json_get = rp_host_json_get,
    .json_set = rp_host_json_set,
    .json_array_size = rp_host_json_array_size,
    .json_array_get = rp_host_json_array_get,
    .json_array_append = rp_host_json_array_append,
    .json_string = rp_host_json_string,
    .json_integer = rp_host_json_integer,
    .json_real = rp_host_json_real,
    .json_bool = rp_host_json_bool,
    .mem_free = rp_host_mem_free,
    .record_get = rp_host_record_get,
    .record_create = rp_host_record_create,
    .record_update = rp_host_record_update,
    .record_delete = rp_host_record_delete,
    .record_query = rp_host_record_query,
    .record_object = rec_object,
    .record_id = rec_id,
    .record_event = rec_event,
    .record_fields = rec_fields,
    .record_old = rec_old,
    .record_set = rec_set,
    .reject_field = rec_reject,
    .path_param = req_path_param,
    .query_param = req_query_param,
    .request_json = req_json,
    .respond_json = respond_json,
    .respond_problem = respond_problem,
    .sql_exec = rp_host_sql_exec,
    .rows_count = rp_host_rows_count,
    .rows_get = rp_host_rows_get,
    .rows_is_null = rp_host_rows_is_null,
    .rows_free = rp_host_rows_free,
    .register_plugin = rp_host_register_plugin,
    .json_copy = rp_host_json_copy,
    .respond_text = respond_text,
    .record_create_ex = rp_host_record_create_ex,
    .record_update_ex = rp_host_record_update_ex,
    .record_query_page = rp_host_record_query_page,
    .json_object_each = rp_host_json_object_each,
    .json_object_size = rp_host_json_object_size,
};
