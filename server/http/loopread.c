#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/log.h"
#include "http/dispatch.h"
#include "http/fiber.h"
#include "http/internal.h"

/* Short reads on the HTTP thread, many at once on the thread's one
 * connection. Each RP_ROUTE_LOOP request runs in a fiber with a session on
 * the loop's shared connection (db.h, "Sharing one connection"): when it
 * sends its round trip it yields, and the loop goes on reading other
 * requests, whose round trips join the same pipeline. When PostgreSQL's
 * answers arrive, the fibers are resumed in the order they sent. */

/* Deep enough for the records engine's read path and jansson, with room
 * to spare; only the pages a request touches become resident. The
 * sanitizers' red zones make frames several times larger. */
#if defined(__SANITIZE_ADDRESS__)
#define STACK_SIZE (1024 * 1024)
#else
#define STACK_SIZE (256 * 1024)
#endif

/* Past this many reads in flight on one thread, requests go to the workers:
 * the pipeline is long enough to keep PostgreSQL busy, and memory stays
 * bounded whatever the number of clients. */
#define MAX_SLOTS 128

struct rp_loopslot {
    rp_fiber_t *fiber;
    rp_db_t *session;
    rp_task_t *task;
    rp_loop_t *loop;
    struct rp_loopslot *next_free;
};
typedef struct rp_loopslot slot_t;

static void yield_slot(void *arg)
{
    slot_t *s = arg;
    rp_fiber_yield(s->fiber);
}

static void run_task(void *arg)
{
    slot_t *s = arg;
    rp_task_t *t = s->task;
    rp_dispatch_run(&t->ctx, s->session);
    t->ctx.db = NULL;
}

static void slot_free(slot_t *s)
{
    rp_db_session_close(s->session);
    rp_fiber_free(s->fiber);
    free(s);
}

static slot_t *slot_take(rp_loop_t *loop)
{
    slot_t *s = loop->free_slots;
    if (s != NULL) {
        loop->free_slots = s->next_free;
        return s;
    }
    if (loop->nslots >= MAX_SLOTS)
        return NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->loop = loop;
    s->fiber = rp_fiber_new(STACK_SIZE);
    if (s->fiber == NULL || rp_db_session_open(&s->session, loop->db, yield_slot, s) != RP_OK) {
        rp_fiber_free(s->fiber);
        free(s);
        return NULL;
    }
    loop->nslots++;
    return s;
}

/* After the fiber yielded or returned: a finished request is answered and
 * its slot goes back to the free list. */
static void settle(slot_t *s)
{
    if (!rp_fiber_done(s->fiber))
        return;
    rp_task_t *t = s->task;
    s->task = NULL;
    s->next_free = s->loop->free_slots;
    s->loop->free_slots = s;
    rp_http_finish(t);
}

static void on_db_readable(h2o_socket_t *sock, const char *err);

/* Resumes, one after the other, every session whose answer is there. */
static void resume_ready(rp_loop_t *loop)
{
    rp_db_t *next;
    while ((next = rp_db_share_next(loop->db)) != NULL) {
        slot_t *s = rp_db_session_arg(next);
        rp_fiber_resume(s->fiber);
        settle(s);
    }
}

/* Without a descriptor to give the event loop (the process is out of
 * them), the reads in flight are waited for here, the thread blocked, as
 * if there were no fibers. */
static void wait_blocking(rp_loop_t *loop)
{
    unsigned long gen;
    while (rp_db_share_waiting(loop->db)) {
        int fd = rp_db_share_socket(loop->db, &gen);
        if (fd >= 0) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            poll(&p, 1, 1000);
        }
        resume_ready(loop);
    }
}

/* Watches the connection's socket from the first read that waits on it
 * until the connection goes: turning the watch on and off around every
 * batch would cost two epoll_ctl calls each time. */
static void watch(rp_loop_t *loop)
{
    unsigned long gen = 0;
    int fd = rp_db_share_socket(loop->db, &gen);
    if (loop->dbsock != NULL && (fd < 0 || gen != loop->dbsock_gen)) {
        h2o_socket_read_stop(loop->dbsock);
        h2o_socket_close(loop->dbsock);
        loop->dbsock = NULL;
    }
    if (fd < 0 || loop->dbsock != NULL || !rp_db_share_waiting(loop->db))
        return;
    /* h2o closes the descriptor of a socket it disposes of: it gets its own
     * copy, libpq keeps the original. */
    int copy = dup(fd);
    if (copy < 0) {
        rp_log_warn("loop %d: cannot watch the database socket; waiting for it", loop->index);
        wait_blocking(loop);
        return;
    }
    loop->dbsock = h2o_evloop_socket_create(loop->evloop, copy, H2O_SOCKET_FLAG_DONT_READ);
    loop->dbsock->data = loop;
    loop->dbsock_gen = gen;
    h2o_socket_read_start(loop->dbsock, on_db_readable);
}

static void pump(rp_loop_t *loop)
{
    resume_ready(loop);
    watch(loop);
}

static void on_db_readable(h2o_socket_t *sock, const char *err)
{
    (void)err; /* a closed or failed socket is found out by the reads */
    pump(sock->data);
}

bool rp_http_loopread_start(rp_loop_t *loop, rp_task_t *t)
{
    /* A lost connection comes back in the background; until then the
     * workers serve these requests (and reconnect themselves). */
    if (!rp_db_share_usable(loop->db))
        return false;
    slot_t *s = slot_take(loop);
    if (s == NULL)
        return false;
    s->task = t;
    rp_fiber_run(s->fiber, run_task, s);
    settle(s);
    pump(loop);
    return true;
}

bool rp_http_loopread_abort(rp_loop_t *loop)
{
    if (loop->db == NULL || !rp_db_share_waiting(loop->db))
        return false;
    /* Past the shutdown deadline, reads still waiting (a table locked by
     * hand) end now: without a connection, each answers 503. */
    rp_log_warn("loop %d: dropping the database connection under reads still waiting", loop->index);
    rp_db_share_abort(loop->db);
    pump(loop);
    return true;
}

void rp_http_loopread_dispose(rp_loop_t *loop)
{
    rp_http_loopread_abort(loop);
    if (loop->dbsock != NULL) {
        h2o_socket_read_stop(loop->dbsock);
        h2o_socket_close(loop->dbsock);
        loop->dbsock = NULL;
    }
    if (loop->nslots > 0 && loop->db != NULL) {
        int busy = loop->nslots;
        for (slot_t *s = loop->free_slots; s != NULL; s = s->next_free)
            busy--;
        if (busy > 0)
            rp_log_warn("loop %d: %d reads never finished", loop->index, busy);
    }
    while (loop->free_slots != NULL) {
        slot_t *s = loop->free_slots;
        loop->free_slots = s->next_free;
        slot_free(s);
        loop->nslots--;
    }
}
