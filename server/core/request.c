#include "core/request.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/problem.h"

static const char *role_names[] = {"none", "readonly", "user", "manager", "admin"};

rp_role_t rp_role_parse(const char *name)
{
    if (name == NULL)
        return RP_ROLE_NONE;
    for (int i = 1; i < 5; i++)
        if (strcmp(name, role_names[i]) == 0)
            return (rp_role_t)i;
    return RP_ROLE_NONE;
}

const char *rp_role_name(rp_role_t role)
{
    return (role >= RP_ROLE_NONE && role <= RP_ROLE_ADMIN) ? role_names[role] : "none";
}

rp_status_t rp_resp_header(rp_ctx_t *ctx, const char *name, const char *value)
{
    for (int i = 0; i < ctx->res.nheaders; i++) {
        if (strcasecmp(ctx->res.headers[i].name, name) == 0) {
            ctx->res.headers[i].value = value;
            return RP_OK;
        }
    }
    if (ctx->res.nheaders >= RP_MAX_RESP_HEADERS)
        return RP_ELIMIT;
    ctx->res.headers[ctx->res.nheaders].name = name;
    ctx->res.headers[ctx->res.nheaders].value = value;
    ctx->res.nheaders++;
    return RP_OK;
}

void rp_resp_json(rp_ctx_t *ctx, int status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (s == NULL) {
        rp_resp_problem(ctx, 500, "internal", "the response could not be encoded");
        return;
    }
    rp_buf_reset(&ctx->res.body);
    if (rp_buf_puts(&ctx->res.body, s) != RP_OK) {
        free(s);
        rp_resp_problem(ctx, 500, "internal", "out of memory");
        return;
    }
    free(s);
    ctx->res.status = status;
    ctx->res.content_type = "application/json";
}

void rp_resp_no_content(rp_ctx_t *ctx)
{
    rp_buf_reset(&ctx->res.body);
    ctx->res.status = 204;
    ctx->res.content_type = NULL;
}

void rp_resp_problem_fields(rp_ctx_t *ctx, int status, const char *code, const char *detail,
                            json_t *errors)
{
    ctx->res.status = status;
    ctx->res.content_type = RP_PROBLEM_CONTENT_TYPE;
    if (rp_problem_render(&ctx->res.body, status, code, detail, ctx->req.path, ctx->req.request_id,
                          errors) != RP_OK) {
        rp_buf_reset(&ctx->res.body);
        rp_buf_puts(&ctx->res.body, "{\"status\":500,\"code\":\"internal\"}");
        ctx->res.status = 500;
    }
    json_decref(errors);
}

void rp_resp_reset(rp_ctx_t *ctx)
{
    ctx->res.status = 0;
    ctx->res.content_type = NULL;
    ctx->res.nheaders = 0;
    rp_buf_reset(&ctx->res.body);
}

void rp_resp_problem(rp_ctx_t *ctx, int status, const char *code, const char *detail)
{
    rp_resp_problem_fields(ctx, status, code, detail, NULL);
}

void rp_resp_fail(rp_ctx_t *ctx, rp_status_t st)
{
    switch (st) {
    case RP_EDB_UNAVAILABLE:
        rp_resp_problem(ctx, 503, "database_unavailable",
                        "the database is unreachable; retry shortly");
        rp_resp_header(ctx, "Retry-After", "1");
        break;
    case RP_ETENANT:
        rp_resp_problem(ctx, 403, "tenant_suspended", "this tenant is suspended or does not exist");
        break;
    case RP_ENOTFOUND:
        rp_resp_problem(ctx, 404, "not_found", "no such resource");
        break;
    case RP_ECONFLICT:
        rp_resp_problem(ctx, 409, "conflict", "the resource already exists");
        break;
    case RP_EAUTH:
        rp_resp_problem(ctx, 401, "unauthorized", "valid credentials are required");
        break;
    case RP_EFORBIDDEN:
        rp_resp_problem(ctx, 403, "forbidden", "your role does not allow this");
        break;
    case RP_ESTALE:
        rp_resp_problem(ctx, 412, "precondition_failed", "the resource has changed");
        break;
    case RP_ELIMIT:
        rp_resp_problem(ctx, 429, "limit_exceeded", "a limit was exceeded");
        break;
    case RP_ENOMEM:
        rp_resp_problem(ctx, 503, "overloaded", "the server is out of memory; retry shortly");
        rp_resp_header(ctx, "Retry-After", "1");
        break;
    default:
        rp_log_error("request %s failed: %s", ctx->req.request_id, rp_status_name(st));
        rp_resp_problem(ctx, 500, "internal", "an internal error occurred");
        break;
    }
}

json_t *rp_req_json_object(rp_ctx_t *ctx)
{
    const char *ct = ctx->req.content_type;
    if (ct != NULL && *ct != '\0') {
        size_t n = strcspn(ct, ";");
        while (n > 0 && ct[n - 1] == ' ')
            n--;
        if (!(n == 16 && strncasecmp(ct, "application/json", 16) == 0) &&
            !(n > 5 && strncasecmp(ct + n - 5, "+json", 5) == 0)) {
            rp_resp_problem(ctx, 415, "unsupported_media_type",
                            "the request body must be application/json");
            return NULL;
        }
    }
    if (ctx->req.body == NULL || ctx->req.body_len == 0) {
        rp_resp_problem(ctx, 400, "malformed_json", "a JSON object body is required");
        return NULL;
    }
    json_error_t err;
    json_t *v = json_loadb(ctx->req.body, ctx->req.body_len, JSON_REJECT_DUPLICATES, &err);
    if (v == NULL) {
        char *detail = rp_pool_printf(&ctx->pool, "malformed JSON at line %d column %d: %s",
                                      err.line, err.column, err.text);
        rp_resp_problem(ctx, 400, "malformed_json", detail ? detail : "malformed JSON");
        return NULL;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        rp_resp_problem(ctx, 400, "malformed_json", "the request body must be a JSON object");
        return NULL;
    }
    return v;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes application/x-www-form-urlencoded text ('+' is a space). Returns
 * NULL for a broken %-escape. */
static char *decode(rp_pool_t *pool, const char *s, size_t len)
{
    char *out = rp_pool_alloc(pool, len + 1);
    if (out == NULL)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            out[j++] = ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= len)
                return NULL;
            int h = hexval((unsigned char)s[i + 1]), l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0)
                return NULL;
            out[j++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}

const char *rp_req_query_param(rp_ctx_t *ctx, const char *name)
{
    const char *q = ctx->req.query;
    if (q == NULL)
        return NULL;
    size_t nlen = strlen(name);
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        char *key = decode(&ctx->pool, q, klen);
        if (key && strlen(key) == nlen && memcmp(key, name, nlen) == 0) {
            if (eq == NULL)
                return "";
            return decode(&ctx->pool, eq + 1, len - klen - 1);
        }
        q += len;
        if (*q == '&')
            q++;
    }
    return NULL;
}

bool rp_req_require_role(rp_ctx_t *ctx, rp_role_t role)
{
    if (ctx->principal.role >= role)
        return true;
    rp_resp_problem(ctx, 403, "forbidden", "your role does not allow this");
    return false;
}
