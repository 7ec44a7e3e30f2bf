#include <string.h>

#include "core/problem.h"
#include "core/uuid.h"
#include "http/internal.h"

/* h2o answers some errors itself (an oversized body is refused before any
 * handler runs) with a text/plain body. This filter turns those into the
 * same problem+json documents every other error uses. */

typedef struct problem_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
} problem_ostream_t;

static void do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt,
                    h2o_send_state_t state)
{
    problem_ostream_t *o = (problem_ostream_t *)self;
    /* The replacement goes out once, with the first call; any further plain
     * text h2o produces is swallowed. */
    if (o->body.base != NULL) {
        h2o_iovec_t b = o->body;
        o->body = h2o_iovec_init(NULL, 0);
        h2o_ostream_send_next(&o->super, req, &b, 1, state);
    } else {
        h2o_ostream_send_next(&o->super, req, NULL, 0, state);
    }
}

static const char *code_for(int status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 408:
        return "request_timeout";
    case 413:
        return "payload_too_large";
    case 417:
        return "expectation_failed";
    case 503:
        return "unavailable";
    default:
        return status >= 500 ? "internal" : "bad_request";
    }
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    ssize_t ct = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    int ours = ct != -1 && h2o_memis(req->res.headers.entries[ct].value.base,
                                     req->res.headers.entries[ct].value.len,
                                     H2O_STRLIT(RP_PROBLEM_CONTENT_TYPE));
    int plain_error = req->res.status >= 400 && !ours &&
                      (ct == -1 || h2o_memis(req->res.headers.entries[ct].value.base,
                                             req->res.headers.entries[ct].value.len,
                                             H2O_STRLIT("text/plain; charset=utf-8")));
    if (!plain_error) {
        h2o_setup_next_ostream(req, slot);
        return;
    }
    const char *detail = req->res.status == 413
                             ? "the request body is larger than the server accepts"
                             : "the request could not be processed";
    rp_buf_t buf = {0};
    char path[512];
    snprintf(path, sizeof path, "%.*s",
             (int)(req->path_normalized.len < 500 ? req->path_normalized.len : 500),
             req->path_normalized.base ? req->path_normalized.base : "");
    /* No handler saw this request, so it has no id yet: give it one, as
     * every response carries X-Request-Id. */
    char rid[RP_UUID_LEN + 1];
    rp_uuid_v7(rid);
    if (rp_problem_render(&buf, req->res.status, code_for(req->res.status), detail, path, rid,
                          NULL) != RP_OK) {
        rp_buf_free(&buf);
        h2o_setup_next_ostream(req, slot);
        return;
    }
    problem_ostream_t *o = (problem_ostream_t *)h2o_add_ostream(req, sizeof *o, slot);
    o->super.do_send = do_send;
    o->body = h2o_strdup(&req->pool, buf.data, buf.len);
    rp_buf_free(&buf);
    req->res.content_length = o->body.len;
    if (ct != -1)
        req->res.headers.entries[ct].value = h2o_iovec_init(H2O_STRLIT(RP_PROBLEM_CONTENT_TYPE));
    else
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                       H2O_STRLIT(RP_PROBLEM_CONTENT_TYPE));
    if (h2o_find_header_by_str(&req->res.headers, H2O_STRLIT("x-request-id"), -1) == -1)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                              h2o_strdup(&req->pool, rid, strlen(rid)).base, strlen(rid));
    slot = &o->super.next;
    h2o_setup_next_ostream(req, slot);
}

void rp_http_register_problem_filter(h2o_pathconf_t *pathconf)
{
    h2o_filter_t *f = h2o_create_filter(pathconf, sizeof *f);
    f->on_setup_ostream = on_setup_ostream;
}
