#include "http/server.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/metrics.h"
#include "http/internal.h"

rp_server_t *rp_http_current;

static int open_listener(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "listen address %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    rp_loop_t *loop = listener->data;
    /* Accept in a small batch: SO_REUSEPORT spreads connections, and a
     * bounded batch keeps one busy loop from starving its requests. */
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
        h2o_accept(&loop->accept_ctx, sock);
    }
}

static void on_control(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    rp_loop_t *loop = H2O_STRUCT_FROM_MEMBER(rp_loop_t, control_receiver, receiver);
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *m =
            H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&m->link);
    }
    if (loop->stopping)
        return;
    loop->stopping = 1;
    clock_gettime(CLOCK_MONOTONIC, &loop->deadline);
    loop->deadline.tv_sec += loop->server->app->cfg.shutdown_timeout;
    if (loop->listener != NULL) {
        h2o_socket_read_stop(loop->listener);
        h2o_socket_close(loop->listener);
        loop->listener = NULL;
    }
    /* Idle keep-alive connections are closed and busy ones told to close
     * after their response. */
    h2o_context_request_shutdown(&loop->ctx);
}

static int past(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

static rp_status_t loop_init(rp_server_t *srv, rp_loop_t *loop, int index, char *err, size_t errlen)
{
    loop->index = index;
    loop->server = srv;
    loop->evloop = h2o_evloop_create();
    rp_http_log_init(loop);
    /* A database that is down only means the first reads answer 503 and
     * reconnect, as on the workers. */
    if (srv->app->cfg.loop_reads &&
        rp_db_open(&loop->db, srv->app->app_conninfo, srv->app->app_set_role) == RP_ENOMEM) {
        snprintf(err, errlen, "out of memory");
        return RP_ENOMEM;
    }
    h2o_context_init(&loop->ctx, loop->evloop, &srv->globalconf);
    loop->accept_ctx.ctx = &loop->ctx;
    loop->accept_ctx.hosts = srv->globalconf.hosts;
    loop->queue = h2o_multithread_create_queue(loop->evloop);
    h2o_multithread_register_receiver(loop->queue, &loop->done_receiver, rp_http_on_tasks_done);
    h2o_multithread_register_receiver(loop->queue, &loop->control_receiver, on_control);
    h2o_linklist_init_anchor(&loop->streams);
    int fd = open_listener(srv->app->cfg.listen_host, srv->app->cfg.listen_port, err, errlen);
    if (fd < 0)
        return RP_EIO;
    loop->listener = h2o_evloop_socket_create(loop->evloop, fd, H2O_SOCKET_FLAG_DONT_READ);
    loop->listener->data = loop;
    h2o_socket_read_start(loop->listener, on_accept);
    return RP_OK;
}

/* h2o 2.2 cannot close idle HTTP/1 keep-alive connections on request; a
 * context that still has connections (they sit in its timeouts) cannot be
 * disposed without tripping h2o's assertions. Such a context is left as it
 * is, with the server that configures it, still reachable from kept_server,
 * for the process exit to reclaim. */
static rp_server_t *kept_server;

static int timeout_idle(h2o_timeout_t *t)
{
    return h2o_linklist_is_empty(&t->_entries);
}

static int ctx_quiet(h2o_context_t *c)
{
    return timeout_idle(&c->zero_timeout) && timeout_idle(&c->one_sec_timeout) &&
           timeout_idle(&c->hundred_ms_timeout) && timeout_idle(&c->handshake_timeout) &&
           timeout_idle(&c->http1.req_timeout) && timeout_idle(&c->http2.idle_timeout) &&
           timeout_idle(&c->http2.graceful_shutdown_timeout) && timeout_idle(&c->proxy.io_timeout);
}

/* Returns 0 when the loop was torn down, 1 when it had to be kept. */
static int loop_dispose(rp_loop_t *loop)
{
    if (loop->evloop == NULL)
        return 0;
    if (loop->listener != NULL) {
        h2o_socket_read_stop(loop->listener);
        h2o_socket_close(loop->listener);
        loop->listener = NULL;
    }
    /* Deliver whatever the workers handed back after the loop stopped, so
     * every task is freed. */
    h2o_evloop_run(loop->evloop, 0);
    rp_http_loopread_dispose(loop);
    rp_http_log_dispose(loop);
    rp_db_close(loop->db);
    loop->db = NULL;
    if (!ctx_quiet(&loop->ctx))
        return 1;
    h2o_multithread_unregister_receiver(loop->queue, &loop->done_receiver);
    h2o_multithread_unregister_receiver(loop->queue, &loop->control_receiver);
    h2o_multithread_destroy_queue(loop->queue);
    h2o_multithread_queue_t *ctx_queue = loop->ctx.queue;
    h2o_context_dispose(&loop->ctx);
    /* h2o 2.2's evloop build closes a queue's socket but never frees the
     * queue itself (its libuv build does): ours, and the context's. */
    free(loop->queue);
    free(ctx_queue);
    loop->queue = NULL;
    h2o_evloop_destroy(loop->evloop);
    loop->evloop = NULL;
    return 0;
}

/* Everything h2o of a loop is created, run and destroyed on the loop's own
 * thread: h2o keeps per-thread buffer recyclers, and a socket created on
 * one thread but read on another would share that thread's recycler
 * without a lock. */
static void *loop_main(void *p)
{
    rp_loop_t *loop = p;
    rp_server_t *srv = loop->server;
    char err[256] = "";
    rp_status_t st = loop_init(srv, loop, loop->index, err, sizeof err);
    pthread_mutex_lock(&srv->phase_lock);
    if (st != RP_OK && !srv->init_failed) {
        srv->init_failed = 1;
        snprintf(srv->init_err, sizeof srv->init_err, "%s", err[0] ? err : "loop init failed");
    }
    srv->loops_ready++;
    pthread_cond_broadcast(&srv->phase_cond);
    while (srv->go == 0)
        pthread_cond_wait(&srv->phase_cond, &srv->phase_lock);
    int go = srv->go;
    pthread_mutex_unlock(&srv->phase_lock);
    if (go < 0) {
        loop_dispose(loop);
        return NULL;
    }

    for (;;) {
        bool late = loop->stopping && past(&loop->deadline);
        if (late && rp_http_loopread_abort(loop))
            h2o_evloop_run(loop->evloop, 0); /* their 503s go out */
        if (loop->stopping && (loop->inflight == 0 || late))
            break;
        h2o_evloop_run(loop->evloop, loop->stopping ? 50 : INT32_MAX);
    }
    if (loop->inflight > 0)
        rp_log_warn("loop %d: %ld requests still running at the shutdown deadline", loop->index,
                    loop->inflight);
    /* Handlers still streaming to clients that do not read would keep
     * their workers (and the shutdown) waiting: their writes fail now. */
    rp_http_stream_abort_all(loop);

    pthread_mutex_lock(&srv->phase_lock);
    srv->loops_drained++;
    pthread_cond_broadcast(&srv->phase_cond);
    while (!srv->workers_stopped)
        pthread_cond_wait(&srv->phase_cond, &srv->phase_lock);
    pthread_mutex_unlock(&srv->phase_lock);

    /* The workers are gone: whatever they handed back is in our queue now. */
    int kept = loop_dispose(loop);
    pthread_mutex_lock(&srv->phase_lock);
    srv->loops_kept += kept;
    pthread_mutex_unlock(&srv->phase_lock);
    return NULL;
}

/* A second SIGTERM or SIGINT that arrived while draining must not kill the
 * process once the signals are unblocked: the caller still has to stop the
 * embedded database. Pending ones are taken here and dropped. */
static void unblock_signals(const sigset_t *sigs)
{
    struct timespec zero = {0, 0};
    while (sigtimedwait(sigs, NULL, &zero) > 0)
        ;
    pthread_sigmask(SIG_UNBLOCK, sigs, NULL);
}

void rp_http_gauges(rp_server_t *srv, rp_metrics_gauges_t *g)
{
    memset(g, 0, sizeof *g);
    if (srv->workers)
        rp_workers_stats(srv->workers, &g->queue_depth, &g->workers_busy, &g->db_connected,
                         &g->workers);
    g->inflight = atomic_load(&srv->inflight);
}

rp_status_t rp_server_run(rp_app_t *app)
{
    rp_status_t st = RP_OK;
    char err[256] = "";
    rp_server_t *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return RP_ENOMEM;
    srv->app = app;
    pthread_mutex_init(&srv->phase_lock, NULL);
    pthread_cond_init(&srv->phase_cond, NULL);
    rp_http_current = srv;

    /* Signals are taken by sigwait in this thread only; every thread created
     * below inherits the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    h2o_config_init(&srv->globalconf);
    /* h2o reads a whole body before any handler runs, so its limit is the
     * larger of the two; routes without RP_ROUTE_LARGE_BODY refuse bodies
     * above max_body once routed (handler.c). */
    srv->globalconf.max_request_entity_size =
        app->cfg.max_import > app->cfg.max_body ? app->cfg.max_import : app->cfg.max_body;
    srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("rapport"));
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    rp_http_setup_handlers(srv, host);

    st = rp_workers_start(&srv->workers, app->cfg.workers, 4096, app->app_conninfo,
                          app->app_set_role, rp_http_run_task, rp_http_drop_task, srv);
    if (st != RP_OK) {
        snprintf(err, sizeof err, "could not start the workers");
        goto fail;
    }

    srv->nloops = app->cfg.http_threads;
    srv->loops = calloc((size_t)srv->nloops, sizeof(rp_loop_t));
    if (srv->loops == NULL) {
        st = RP_ENOMEM;
        goto fail;
    }
    int started = 0;
    for (; started < srv->nloops; started++) {
        srv->loops[started].index = started;
        srv->loops[started].server = srv;
        if (pthread_create(&srv->loops[started].thread, NULL, loop_main, &srv->loops[started]) != 0)
            break;
    }
    pthread_mutex_lock(&srv->phase_lock);
    while (srv->loops_ready < started)
        pthread_cond_wait(&srv->phase_cond, &srv->phase_lock);
    int ok = started == srv->nloops && !srv->init_failed;
    srv->go = ok ? 1 : -1;
    pthread_cond_broadcast(&srv->phase_cond);
    pthread_mutex_unlock(&srv->phase_lock);
    if (!ok) {
        for (int i = 0; i < started; i++)
            pthread_join(srv->loops[i].thread, NULL);
        snprintf(err, sizeof err, "%s",
                 srv->init_failed ? srv->init_err : "could not start the HTTP threads");
        st = RP_EIO;
        goto fail;
    }

    const char *h = app->cfg.listen_host;
    int v6 = strchr(h, ':') != NULL;
    rp_log_info("listening on http://%s%s%s:%d (%d HTTP threads, %d workers)", v6 ? "[" : "", h,
                v6 ? "]" : "", app->cfg.listen_port, srv->nloops, app->cfg.workers);

    int sig = 0;
    sigwait(&sigs, &sig);
    rp_log_info("%s received: draining (at most %d s)", sig == SIGINT ? "SIGINT" : "SIGTERM",
                app->cfg.shutdown_timeout);
    for (int i = 0; i < srv->nloops; i++)
        h2o_multithread_send_message(&srv->loops[i].control_receiver, &srv->loops[i].stop_msg);
    /* A loop inside a short read of its own (RAPPORT_LOOP_READS) cannot
     * see its deadline while the statement waits (a table locked by hand):
     * past the shutdown timeout, its statement is cancelled, as the
     * workers' are. Until the loops have drained, every loop's connection
     * is still open. */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += app->cfg.shutdown_timeout + 1;
    bool cancelled = false;
    pthread_mutex_lock(&srv->phase_lock);
    while (srv->loops_drained < srv->nloops) {
        if (cancelled) {
            pthread_cond_wait(&srv->phase_cond, &srv->phase_lock);
        } else if (pthread_cond_timedwait(&srv->phase_cond, &srv->phase_lock, &until) ==
                   ETIMEDOUT) {
            for (int i = 0; i < srv->nloops; i++)
                if (srv->loops[i].db != NULL)
                    rp_db_cancel(srv->loops[i].db);
            cancelled = true;
        }
    }
    pthread_mutex_unlock(&srv->phase_lock);
    rp_workers_stop(srv->workers);
    srv->workers = NULL;
    pthread_mutex_lock(&srv->phase_lock);
    srv->workers_stopped = 1;
    pthread_cond_broadcast(&srv->phase_cond);
    pthread_mutex_unlock(&srv->phase_lock);
    for (int i = 0; i < srv->nloops; i++)
        pthread_join(srv->loops[i].thread, NULL);
    rp_log_info("stopped");
    if (srv->loops_kept) {
        kept_server = srv;
        rp_http_current = NULL;
        unblock_signals(&sigs);
        return RP_OK;
    }
    goto done;

fail:
    if (err[0])
        rp_log_error("%s", err);
    if (st == RP_OK)
        st = RP_ERR;
    rp_workers_stop(srv->workers);
    srv->workers = NULL;
done:
    pthread_cond_destroy(&srv->phase_cond);
    pthread_mutex_destroy(&srv->phase_lock);
    free(srv->loops);
    h2o_config_dispose(&srv->globalconf);
    rp_http_current = NULL;
    free(srv);
    unblock_signals(&sigs);
    return st;
}
