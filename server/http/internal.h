#ifndef RP_HTTP_INTERNAL_H
#define RP_HTTP_INTERNAL_H

/* Shared between the files of server/http that speak h2o. Nothing outside
 * server/http includes this. */

#include <h2o.h>
#include <stdatomic.h>
#include <time.h>

#include "core/app.h"
#include "core/metrics.h"
#include "core/request.h"
#include "core/worker.h"

typedef struct rp_loop rp_loop_t;
typedef struct rp_stream rp_stream_t;

/* What workers hand back to a loop through its done receiver: a finished
 * task, or news of a streamed response. One receiver for both keeps them
 * in the order they were sent. */
enum { RP_LOOP_MSG_TASK, RP_LOOP_MSG_STREAM };
typedef struct rp_loop_msg {
    h2o_multithread_message_t msg;
    int kind;
} rp_loop_msg_t;

/* One request travelling from an HTTP thread to a worker and back. */
typedef struct rp_task {
    rp_loop_msg_t msg; /* how the worker hands it back */
    rp_ctx_t ctx;
    rp_loop_t *loop;
    h2o_req_t *req; /* NULL once the client has gone away */
    struct rp_task_guard *guard;
    struct timespec started;
    rp_stream_t *stream; /* set by the worker when the response is streamed */
} rp_task_t;

/* Lives in the h2o request pool; its dispose callback tells the task that the
 * request is gone, so a late response is dropped instead of written to freed
 * memory. */
typedef struct rp_task_guard {
    rp_task_t *task;
} rp_task_guard_t;

/* One event loop thread. */
struct rp_loop {
    int index;
    pthread_t thread;
    h2o_evloop_t *evloop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    h2o_multithread_queue_t *queue;
    h2o_multithread_receiver_t done_receiver;    /* finished tasks */
    h2o_multithread_receiver_t control_receiver; /* shutdown */
    h2o_multithread_message_t stop_msg;
    long inflight;          /* touched only by this loop's thread */
    h2o_linklist_t streams; /* streamed responses being sent; this thread only */
    /* Access-log lines waiting to be written: flushed at 16 KiB, after
     * 100 ms, and when the loop stops. */
    rp_buf_t log_buf;
    h2o_timeout_t log_timeout;
    h2o_timeout_entry_t log_entry;
    int stopping;
    struct timespec deadline;
    struct rp_server *server;
    /* This thread's own connection for RP_ROUTE_LOOP reads (NULL when
     * RAPPORT_LOOP_READS is off), shared by the reads in flight, each in a
     * fiber (loopread.c); its socket, watched while some read waits. */
    rp_db_t *db;
    struct rp_loopslot *free_slots;
    int nslots;
    h2o_socket_t *dbsock;
    unsigned long dbsock_gen;
};

/* The running server. */
typedef struct rp_server {
    rp_app_t *app;
    h2o_globalconf_t globalconf;
    rp_workers_t *workers;
    rp_loop_t *loops;
    int nloops;
    atomic_long inflight; /* across loops, for metrics */
    /* Shutdown phases: loops drain, then the workers stop, then each loop
     * tears itself down on its own thread (h2o's allocators are per thread). */
    pthread_mutex_t phase_lock;
    pthread_cond_t phase_cond;
    int loops_ready; /* loops that finished initialising, well or not */
    int init_failed; /* a loop could not initialise (err holds why) */
    int go;          /* 1: serve, -1: give up */
    char init_err[256];
    int loops_drained;
    int workers_stopped;
    int loops_kept;
} rp_server_t;

/* Installs the request handler and the problem filter on the host config. */
void rp_http_setup_handlers(rp_server_t *srv, h2o_hostconf_t *host);

/* Worker-side job entry points for rp_workers_start. */
void rp_http_run_task(void *job, rp_db_t *db, void *arg);
void rp_http_drop_task(void *job, void *arg);

/* The loop-side receiver of finished tasks. */
void rp_http_on_tasks_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

/* On the loop thread: news from a worker about a stream (started, data
 * queued, ended); m is the stream's message. */
void rp_http_stream_on_message(rp_loop_msg_t *m);

/* On the loop thread, when the worker is done with task t whose response
 * was streamed: ends the stream (cut short if the handler never ended it)
 * and gives up the task's hold on it. Returns the bytes of body queued, for
 * the access log. */
size_t rp_http_stream_task_done(rp_task_t *t);

/* On the loop thread at the shutdown deadline: every stream still being
 * sent counts as gone, so handlers blocked writing to it return. */
void rp_http_stream_abort_all(rp_loop_t *loop);

/* Adds the problem filter that rewrites h2o's own plain-text errors (413 and
 * friends) into RFC 9457 documents. */
void rp_http_register_problem_filter(h2o_pathconf_t *pathconf);

/* Sets up the loop's access-log buffer (on the loop's thread). */
void rp_http_log_init(rp_loop_t *loop);

/* Writes out and releases the loop's access-log buffer. */
void rp_http_log_dispose(rp_loop_t *loop);

/* On the loop thread: answers t's request with the response its handler
 * built, logs and counts it, and frees t. */
void rp_http_finish(rp_task_t *t);

/* On the loop thread: runs an RP_ROUTE_LOOP request in a fiber on the
 * loop's shared connection. False when every fiber is busy, the connection
 * is being re-established, or memory is short: the caller hands the
 * request to the workers instead. */
bool rp_http_loopread_start(rp_loop_t *loop, rp_task_t *t);

/* Past the shutdown deadline: ends the reads still waiting for
 * PostgreSQL with 503 by dropping the loop's connection. False when none
 * waited. */
bool rp_http_loopread_abort(rp_loop_t *loop);

/* At loop teardown, before its connection closes: ends reads still
 * waiting and frees the fibers. */
void rp_http_loopread_dispose(rp_loop_t *loop);

/* Current gauges for /metrics. */
void rp_http_gauges(rp_server_t *srv, rp_metrics_gauges_t *g);

/* The server, for inline handlers (/metrics) that need its gauges. */
extern rp_server_t *rp_http_current;

#endif
