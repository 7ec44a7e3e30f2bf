#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/http_status.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/problem.h"
#include "http/dispatch.h"
#include "http/internal.h"
#include "http/router.h"

typedef struct handler {
    h2o_handler_t super;
    rp_server_t *srv;
} handler_t;

static const struct {
    const char *name;
    rp_method_t m;
} methods[] = {{"GET", RP_GET},        {"POST", RP_POST},     {"PUT", RP_PUT},
               {"PATCH", RP_PATCH},    {"DELETE", RP_DELETE}, {"HEAD", RP_HEAD},
               {"OPTIONS", RP_OPTIONS}};

/* An incoming X-Request-Id is echoed only when it is short and plain, so it
 * can never inject anything into logs or headers. */
static int sane_request_id(const char *s, size_t len)
{
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return 0;
    }
    return 1;
}

static const char *copy_header(rp_pool_t *pool, const h2o_iovec_t *v)
{
    return rp_pool_strndup(pool, v->base, v->len);
}

static void peer_address(h2o_req_t *req, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    socklen_t len = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
    out[0] = '\0';
    if (len == 0)
        return;
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)outlen);
    else if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)outlen);
}

static void on_guard_dispose(void *p)
{
    rp_task_guard_t *g = p;
    if (g->task != NULL)
        g->task->req = NULL;
}

static void task_free(rp_task_t *t)
{
    rp_buf_free(&t->ctx.res.body);
    rp_pool_clear(&t->ctx.pool);
    free(t);
}

static double elapsed(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void flush_log(rp_loop_t *loop)
{
    if (h2o_timeout_is_linked(&loop->log_entry))
        h2o_timeout_unlink(&loop->log_entry);
    if (loop->log_buf.len > 0)
        rp_log_access_batch(loop->log_buf.data, loop->log_buf.len);
    rp_buf_reset(&loop->log_buf);
}

static void on_log_timeout(h2o_timeout_entry_t *entry)
{
    flush_log(H2O_STRUCT_FROM_MEMBER(rp_loop_t, log_entry, entry));
}

void rp_http_log_init(rp_loop_t *loop)
{
    h2o_timeout_init(loop->evloop, &loop->log_timeout, 100);
    loop->log_entry.cb = on_log_timeout;
}

void rp_http_log_dispose(rp_loop_t *loop)
{
    flush_log(loop);
    rp_buf_free(&loop->log_buf);
    h2o_timeout_dispose(loop->evloop, &loop->log_timeout);
}

/* The access log's timestamp, as rp_log_timestamp writes it; the part down
 * to the second is formatted once a second per thread. */
static void stamp_now(char out[80])
{
    static _Thread_local time_t last_sec = -1;
    static _Thread_local char prefix[72];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last_sec = ts.tv_sec;
    }
    int ms = (int)(ts.tv_nsec / 1000000);
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    out[n] = '.';
    out[n + 1] = (char)('0' + ms / 100);
    out[n + 2] = (char)('0' + ms / 10 % 10);
    out[n + 3] = (char)('0' + ms % 10);
    out[n + 4] = 'Z';
    out[n + 5] = '\0';
}

static rp_status_t put_member(rp_buf_t *b, const char *name, const char *value)
{
    if (rp_buf_puts(b, name) != RP_OK)
        return RP_ENOMEM;
    rp_status_t st = rp_buf_put_json_string(b, value);
    return st == RP_EINVAL ? rp_buf_puts(b, "\"(invalid utf-8)\"") : st;
}

/* One JSON line per request, written straight into the loop's batch (a
 * jansson tree and its dump per request cost more than the rest of the
 * line's work together). Same members, order and number formats as
 * before. */
static void access_log(rp_task_t *t, double secs, size_t bytes)
{
    rp_ctx_t *c = &t->ctx;
    rp_loop_t *loop = t->loop;
    rp_buf_t *b = &loop->log_buf;
    size_t mark = b->len;
    char stamp[80], num[64];
    stamp_now(stamp);
    /* jansson's JSON_REAL_PRECISION(6): %.6g, and ".0" after an integer. */
    int n = snprintf(num, sizeof num, "%.6g", secs * 1000.0);
    if (n > 0 && (size_t)n < sizeof num - 2 && strpbrk(num, ".eninf") == NULL)
        memcpy(num + n, ".0", 3);
    rp_status_t st = put_member(b, "{\"ts\":", stamp);
    if (st == RP_OK)
        st = rp_buf_puts(b, ",\"type\":\"access\"");
    if (st == RP_OK)
        st = put_member(b, ",\"request_id\":", c->req.request_id);
    if (st == RP_OK)
        st = put_member(b, ",\"method\":", c->req.method_name ? c->req.method_name : "?");
    if (st == RP_OK)
        st = put_member(b, ",\"path\":", c->req.path ? c->req.path : "");
    if (st == RP_OK)
        st = put_member(b, ",\"route\":", c->route ? c->route->pattern : "unmatched");
    if (st == RP_OK)
        st = rp_buf_printf(b, ",\"status\":%d,\"duration_ms\":%s,\"bytes\":%zu", c->res.status, num,
                           bytes);
    if (st == RP_OK)
        st = put_member(b, ",\"client\":", c->req.client_addr);
    if (st == RP_OK && c->principal.authenticated) {
        st = put_member(b, ",\"tenant_id\":", c->principal.tenant_id);
        if (st == RP_OK)
            st = put_member(b, ",\"user_id\":", c->principal.user_id);
    }
    if (st == RP_OK)
        st = rp_buf_puts(b, "}\n");
    if (st != RP_OK) {
        /* No memory for the line: drop it rather than write half of it. */
        b->len = mark;
        if (b->data != NULL)
            b->data[mark] = '\0';
        return;
    }
    if (b->len >= 16384)
        flush_log(loop);
    else if (!h2o_timeout_is_linked(&loop->log_entry))
        h2o_timeout_link(loop->evloop, &loop->log_timeout, &loop->log_entry);
}

/* Writes the task's response to its request (if the client is still there),
 * logs and counts it, and frees the task. Runs on the task's loop thread. */
static void finish(rp_task_t *t)
{
    rp_loop_t *loop = t->loop;
    rp_ctx_t *c = &t->ctx;
    double secs = elapsed(&t->started);
    size_t bytes = c->res.body.len;
    bool streamed = t->stream != NULL;
    if (streamed)
        bytes = rp_http_stream_task_done(t); /* the response went out as a stream */
    else if (c->res.status == 0)
        rp_resp_problem(c, 500, "internal", "no response");
    h2o_req_t *req = t->req;
    if (req != NULL && streamed) {
        t->guard->task = NULL;
        req = NULL;
    }
    if (req != NULL) {
        t->guard->task = NULL;
        req->res.status = c->res.status;
        req->res.reason = rp_http_reason(c->res.status);
        req->res.content_length = c->res.body.len;
        if (c->res.content_type)
            h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                           c->res.content_type, strlen(c->res.content_type));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                              c->req.request_id, strlen(c->req.request_id));
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("no-store"));
        for (int i = 0; i < c->res.nheaders; i++) {
            const char *n = c->res.headers[i].name, *v = c->res.headers[i].value;
            /* h2o keeps header names by reference: copy them into its pool. */
            h2o_iovec_t nm = h2o_strdup(&req->pool, n, strlen(n));
            for (size_t k = 0; k < nm.len; k++)
                nm.base[k] = (char)tolower((unsigned char)nm.base[k]);
            h2o_add_header_by_str(&req->pool, &req->res.headers, nm.base, nm.len, 0, NULL, v,
                                  strlen(v));
        }
        h2o_send_inline(req, c->res.body.data ? c->res.body.data : "", c->res.body.len);
    }
    rp_metrics_observe(c->route ? c->route->pattern : "unmatched",
                       c->req.method_name ? c->req.method_name : "OTHER", c->res.status, secs);
    access_log(t, secs, bytes);
    loop->inflight--;
    atomic_fetch_sub(&loop->server->inflight, 1);
    task_free(t);
}

void rp_http_finish(rp_task_t *t)
{
    finish(t);
}

void rp_http_run_task(void *job, rp_db_t *db, void *arg)
{
    rp_task_t *t = job;
    rp_dispatch_run(&t->ctx, db);
    t->ctx.db = NULL;
    h2o_multithread_send_message(&t->loop->done_receiver, &t->msg.msg);
}

void rp_http_drop_task(void *job, void *arg)
{
    rp_task_t *t = job;
    rp_resp_problem(&t->ctx, 503, "shutting_down", "the server is shutting down");
    rp_resp_header(&t->ctx, "Retry-After", "1");
    h2o_multithread_send_message(&t->loop->done_receiver, &t->msg.msg);
}

void rp_http_on_tasks_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
        rp_loop_msg_t *lm = H2O_STRUCT_FROM_MEMBER(rp_loop_msg_t, msg, m);
        if (lm->kind == RP_LOOP_MSG_STREAM)
            rp_http_stream_on_message(lm);
        else
            finish(H2O_STRUCT_FROM_MEMBER(rp_task_t, msg, lm));
    }
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    handler_t *h = (handler_t *)self;
    rp_server_t *srv = h->srv;
    rp_loop_t *loop = H2O_STRUCT_FROM_MEMBER(rp_loop_t, ctx, req->conn->ctx);

    rp_task_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        h2o_send_error_503(req, "Service Unavailable", "out of memory", 0);
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t->started);
    t->loop = loop;
    t->req = req;
    loop->inflight++;
    atomic_fetch_add(&srv->inflight, 1);
    rp_ctx_t *c = &t->ctx;
    c->app = srv->app;
    c->transport = t;
    t->msg.kind = RP_LOOP_MSG_TASK;

    t->guard = h2o_mem_alloc_shared(&req->pool, sizeof(rp_task_guard_t), on_guard_dispose);
    t->guard->task = t;

    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (h2o_memis(req->method.base, req->method.len, methods[i].name,
                      strlen(methods[i].name))) {
            c->req.method = methods[i].m;
            c->req.method_name = methods[i].name;
        }
    c->req.path = rp_pool_strndup(&c->pool, req->path_normalized.base, req->path_normalized.len);
    c->req.query = (req->query_at != SIZE_MAX)
                       ? rp_pool_strndup(&c->pool, req->path.base + req->query_at + 1,
                                         req->path.len - req->query_at - 1)
                       : "";
    for (size_t i = 0; i != req->headers.size; i++) {
        const h2o_header_t *hd = &req->headers.entries[i];
        if (hd->name == &H2O_TOKEN_AUTHORIZATION->buf)
            c->req.authorization = copy_header(&c->pool, &hd->value);
        else if (hd->name == &H2O_TOKEN_CONTENT_TYPE->buf)
            c->req.content_type = copy_header(&c->pool, &hd->value);
        else if (hd->name == &H2O_TOKEN_IF_MATCH->buf)
            c->req.if_match = copy_header(&c->pool, &hd->value);
        else if (hd->name == &H2O_TOKEN_USER_AGENT->buf)
            c->req.user_agent = copy_header(&c->pool, &hd->value);
        else if (h2o_memis(hd->name->base, hd->name->len, H2O_STRLIT("idempotency-key")))
            c->req.idempotency_key = copy_header(&c->pool, &hd->value);
        else if (h2o_memis(hd->name->base, hd->name->len, H2O_STRLIT("x-request-id")) &&
                 sane_request_id(hd->value.base, hd->value.len)) {
            memcpy(c->req.request_id, hd->value.base, hd->value.len);
            c->req.request_id[hd->value.len] = '\0';
        }
    }
    if (c->req.request_id[0] == '\0')
        rp_uuid_v7(c->req.request_id);
    peer_address(req, c->req.client_addr, sizeof c->req.client_addr);
    if (c->req.path == NULL || c->req.query == NULL) {
        rp_resp_fail(c, RP_ENOMEM);
        finish(t);
        return 0;
    }

    if (c->req.method == 0) {
        rp_resp_problem(c, 405, "method_not_allowed", "this method is not supported");
        finish(t);
        return 0;
    }
    unsigned allowed = 0;
    rp_status_t st = rp_router_match(srv->app->router, c->req.method, c->req.path, &c->pool,
                                     &c->route, c->req.params, &c->req.nparams, &allowed);
    if (st == RP_ENOTFOUND) {
        rp_resp_problem(c, 404, "not_found", "no resource at this path");
        finish(t);
        return 0;
    }
    if (st == RP_EINVAL) {
        char allow[80] = "";
        for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
            if (allowed & methods[i].m) {
                if (allow[0])
                    strcat(allow, ", ");
                strcat(allow, methods[i].name);
            }
        rp_resp_problem(c, 405, "method_not_allowed", "this method is not allowed on this path");
        rp_resp_header(c, "Allow", rp_pool_strdup(&c->pool, allow));
        finish(t);
        return 0;
    }
    if (st != RP_OK) {
        rp_resp_fail(c, st);
        finish(t);
        return 0;
    }
    if (req->entity.base != NULL) {
        if (!rp_dispatch_body_allowed(c, req->entity.len)) {
            finish(t);
            return 0;
        }
        /* The worker may outlive the h2o request (client gone), so it gets
         * its own copy of the body. */
        c->req.body = rp_pool_strndup(&c->pool, req->entity.base, req->entity.len);
        c->req.body_len = req->entity.len;
        if (c->req.body == NULL) {
            rp_resp_fail(c, RP_ENOMEM);
            finish(t);
            return 0;
        }
    }
    if (!rp_dispatch_authenticate(c)) {
        finish(t);
        return 0;
    }
    if (c->route->flags & RP_ROUTE_INLINE) {
        c->route->handler(c);
        finish(t);
        return 0;
    }
    if ((c->route->flags & RP_ROUTE_LOOP) && loop->db != NULL && rp_http_loopread_start(loop, t))
        return 0;
    st = rp_workers_submit(srv->workers, t);
    if (st != RP_OK) {
        rp_resp_problem(c, 503, "overloaded", "too many requests are waiting; retry shortly");
        rp_resp_header(c, "Retry-After", "1");
        finish(t);
    }
    return 0;
}

void rp_http_setup_handlers(rp_server_t *srv, h2o_hostconf_t *host)
{
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    handler_t *h = (handler_t *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = on_req;
    h->srv = srv;
    rp_http_register_problem_filter(path);
    /* Errors h2o raises before any path matched (oversized bodies among them)
     * are sent through the host's fallback path. */
    rp_http_register_problem_filter(&host->fallback_path);
}
