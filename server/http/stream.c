/* Streamed responses: a worker produces the body while the loop thread
 * sends it. The worker appends to a bounded pending buffer and blocks when
 * it is full; the loop hands the pending bytes to h2o one buffer at a time
 * and asks for more when h2o calls the generator's proceed. Worker and loop
 * meet under the stream's mutex; the worker wakes the loop with a message
 * on the loop's done receiver (the same one finished tasks use, so the
 * loop always sees a stream's news before the end of its task). */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/http_status.h"
#include "http/internal.h"

/* Most body bytes waiting for the loop: past it the worker waits. A second
 * buffer of at most this size may be in h2o's hands. */
#define PENDING_MAX (256u << 10)

/* Pending bytes that make the worker wake an idle loop; smaller writes wait
 * for more, for the end, or for h2o to ask. */
#define PENDING_WAKE (16u << 10)

/* How long a worker waits for a client that reads nothing before it gives
 * up on it: a client must not hold a worker and its transaction forever. */
#define STALL_SECONDS 30

struct rp_stream {
    rp_loop_msg_t msg; /* the worker's wake-up call to the loop */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    h2o_generator_t gen;
    h2o_linklist_t link; /* in the loop's streams while h2o holds the request */
    rp_loop_t *loop;
    rp_task_t *task; /* valid on the loop thread until the task is done */
    h2o_req_t *req;  /* loop side; NULL before the start and once gone */
    int status;
    char *content_type;
    rp_buf_t headers; /* "name\0value\0" pairs, copied at begin */
    int nheaders;
    rp_buf_t pending; /* filled by the worker */
    rp_buf_t sending; /* in h2o's hands while busy */
    size_t total;
    size_t sent;      /* bytes handed to h2o so far: progress, for the stall check */
    bool queued;      /* msg is on its way to the loop */
    bool started;     /* the loop has seen the stream */
    bool busy;        /* h2o has a buffer and has not asked for more */
    bool ended;       /* the worker called end */
    bool worker_done; /* the task is finished */
    bool final_sent;  /* the last buffer went to h2o */
    bool gone;        /* the client went away (or never saw the start) */
    bool abandoned;   /* the worker gave up on a stalled client, or shutdown */
    int refs;         /* the task's and h2o's holds; loop thread only */
};

static rp_stream_t *stream_of(rp_ctx_t *ctx)
{
    rp_task_t *t = ctx->transport;
    return t ? t->stream : NULL;
}

/* Sends the wake-up message unless one is already on its way. Called with
 * the lock held. */
static void wake_locked(rp_stream_t *s, bool *send)
{
    *send = !s->queued;
    s->queued = true;
}

static void wake_send(rp_stream_t *s)
{
    h2o_multithread_send_message(&s->loop->done_receiver, &s->msg.msg);
}

rp_status_t rp_resp_stream_begin(rp_ctx_t *ctx, int status, const char *content_type)
{
    rp_task_t *t = ctx->transport;
    if (t == NULL || t->stream != NULL)
        return RP_EINVAL;
    rp_stream_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RP_ENOMEM;
    s->msg.kind = RP_LOOP_MSG_STREAM;
    s->task = t;
    s->loop = t->loop;
    s->status = status;
    s->refs = 1;
    s->content_type = content_type ? strdup(content_type) : NULL;
    bool ok = content_type == NULL || s->content_type != NULL;
    for (int i = 0; ok && i < ctx->res.nheaders; i++) {
        const rp_header_kv_t *h = &ctx->res.headers[i];
        ok = rp_buf_append(&s->headers, h->name, strlen(h->name) + 1) == RP_OK &&
             rp_buf_append(&s->headers, h->value, strlen(h->value) + 1) == RP_OK;
        s->nheaders++;
    }
    if (!ok) {
        rp_buf_free(&s->headers);
        free(s->content_type);
        free(s);
        return RP_ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    t->stream = s;
    /* The request counts as answered with this status: its transaction
     * commits, and the access log says so. */
    ctx->res.status = status;
    ctx->res.content_type = content_type;
    pthread_mutex_lock(&s->lock);
    bool send;
    wake_locked(s, &send);
    pthread_mutex_unlock(&s->lock);
    if (send)
        wake_send(s);
    return RP_OK;
}

rp_status_t rp_resp_stream_write(rp_ctx_t *ctx, const void *data, size_t len)
{
    rp_stream_t *s = stream_of(ctx);
    if (s == NULL)
        return RP_EINVAL;
    rp_status_t st = RP_OK;
    bool send = false;
    pthread_mutex_lock(&s->lock);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += STALL_SECONDS;
    size_t seen = s->sent;
    while (!s->gone && !s->abandoned && s->pending.len >= PENDING_MAX) {
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) != 0 && s->sent == seen) {
            /* The client stalled: the handler stops; h2o keeps the
             * connection until the client reads or leaves. */
            s->abandoned = true;
            break;
        }
        if (s->sent != seen) {
            /* Progress: the client reads, however slowly. */
            seen = s->sent;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += STALL_SECONDS;
        }
    }
    if (s->gone || s->abandoned) {
        st = RP_EIO;
    } else if (rp_buf_append(&s->pending, data, len) != RP_OK) {
        st = RP_ENOMEM;
    } else {
        s->total += len;
        if (!s->busy && s->pending.len >= PENDING_WAKE)
            wake_locked(s, &send);
    }
    pthread_mutex_unlock(&s->lock);
    if (send)
        wake_send(s);
    return st;
}

rp_status_t rp_resp_stream_end(rp_ctx_t *ctx)
{
    rp_stream_t *s = stream_of(ctx);
    if (s == NULL)
        return RP_EINVAL;
    bool send = false;
    pthread_mutex_lock(&s->lock);
    rp_status_t st = s->gone || s->abandoned ? RP_EIO : RP_OK;
    s->ended = st == RP_OK;
    if (s->ended)
        wake_locked(s, &send);
    pthread_mutex_unlock(&s->lock);
    if (send)
        wake_send(s);
    return st;
}

/* ---- the loop side ---------------------------------------------------- */

static void release(rp_stream_t *s)
{
    if (--s->refs > 0)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    rp_buf_free(&s->pending);
    rp_buf_free(&s->sending);
    rp_buf_free(&s->headers);
    free(s->content_type);
    free(s);
}

static void mark_gone(rp_stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->gone = true;
    s->req = NULL;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Hands h2o the next buffer when it is ready for one. h2o_send is the last
 * thing done: it may dispose of the request, and with it the stream. */
static void pump(rp_stream_t *s)
{
    h2o_send_state_t state = H2O_SEND_STATE_IN_PROGRESS;
    bool go = false;
    pthread_mutex_lock(&s->lock);
    h2o_req_t *req = s->req;
    if (req != NULL && !s->gone && !s->final_sent && !s->busy) {
        if (s->ended || s->pending.len > 0) {
            rp_buf_t tmp = s->sending;
            s->sending = s->pending;
            s->pending = tmp;
            rp_buf_reset(&s->pending);
            s->sent += s->sending.len;
            go = true;
            if (s->ended) {
                state = H2O_SEND_STATE_FINAL;
                s->final_sent = true;
            } else {
                s->busy = true;
            }
        } else if (s->worker_done) {
            /* The handler gave up midway: cut the response short, so the
             * client cannot take a partial body for a whole one. */
            state = H2O_SEND_STATE_ERROR;
            s->final_sent = true;
            rp_buf_reset(&s->sending);
            go = true;
        }
        pthread_cond_broadcast(&s->cond); /* room in pending again */
    }
    h2o_iovec_t buf = h2o_iovec_init(s->sending.data ? s->sending.data : "", s->sending.len);
    pthread_mutex_unlock(&s->lock);
    if (go)
        h2o_send(req, &buf, buf.len > 0 ? 1 : 0, state);
}

static void on_proceed(h2o_generator_t *gen, h2o_req_t *req)
{
    rp_stream_t *s = H2O_STRUCT_FROM_MEMBER(rp_stream_t, gen, gen);
    pthread_mutex_lock(&s->lock);
    s->busy = false;
    pthread_mutex_unlock(&s->lock);
    pump(s);
}

static void on_stop(h2o_generator_t *gen, h2o_req_t *req)
{
    mark_gone(H2O_STRUCT_FROM_MEMBER(rp_stream_t, gen, gen));
}

/* Runs when h2o frees the request: h2o is done with every buffer. */
static void on_req_dispose(void *p)
{
    rp_stream_t *s = *(rp_stream_t **)p;
    h2o_linklist_unlink(&s->link);
    mark_gone(s);
    release(s);
}

void rp_http_stream_abort_all(rp_loop_t *loop)
{
    for (h2o_linklist_t *l = loop->streams.next; l != &loop->streams; l = l->next) {
        rp_stream_t *s = H2O_STRUCT_FROM_MEMBER(rp_stream_t, link, l);
        pthread_mutex_lock(&s->lock);
        s->abandoned = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
}

/* Sends the status and headers. */
static void start(rp_stream_t *s)
{
    s->started = true;
    h2o_req_t *req = s->task->req;
    if (req == NULL) {
        mark_gone(s);
        return;
    }
    rp_stream_t **hold = h2o_mem_alloc_shared(&req->pool, sizeof *hold, on_req_dispose);
    *hold = s;
    s->refs++;
    h2o_linklist_insert(&s->loop->streams, &s->link);
    req->res.status = s->status;
    req->res.reason = rp_http_reason(s->status);
    if (s->content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, s->content_type,
                       strlen(s->content_type));
    const char *rid = s->task->ctx.req.request_id;
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, rid,
                          strlen(rid));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                   H2O_STRLIT("no-store"));
    const char *p = s->headers.data;
    for (int i = 0; i < s->nheaders; i++) {
        const char *n = p, *v = p + strlen(p) + 1;
        p = v + strlen(v) + 1;
        h2o_iovec_t nm = h2o_strdup(&req->pool, n, strlen(n));
        for (size_t k = 0; k < nm.len; k++)
            if (nm.base[k] >= 'A' && nm.base[k] <= 'Z')
                nm.base[k] = (char)(nm.base[k] - 'A' + 'a');
        h2o_iovec_t val = h2o_strdup(&req->pool, v, strlen(v));
        h2o_add_header_by_str(&req->pool, &req->res.headers, nm.base, nm.len, 0, NULL, val.base,
                              val.len);
    }
    s->gen.proceed = on_proceed;
    s->gen.stop = on_stop;
    pthread_mutex_lock(&s->lock);
    s->req = req;
    pthread_mutex_unlock(&s->lock);
    h2o_start_response(req, &s->gen);
}

void rp_http_stream_on_message(rp_loop_msg_t *m)
{
    rp_stream_t *s = H2O_STRUCT_FROM_MEMBER(rp_stream_t, msg, m);
    pthread_mutex_lock(&s->lock);
    s->queued = false;
    pthread_mutex_unlock(&s->lock);
    if (!s->started)
        start(s);
    pump(s);
}

size_t rp_http_stream_task_done(rp_task_t *t)
{
    rp_stream_t *s = t->stream;
    t->stream = NULL;
    pthread_mutex_lock(&s->lock);
    s->worker_done = true;
    s->task = NULL;
    size_t total = s->total;
    pthread_mutex_unlock(&s->lock);
    /* The task's reference keeps the stream alive through the pump, even
     * if h2o frees the request (and drops its own) inside h2o_send. */
    pump(s);
    release(s);
    return total;
}
