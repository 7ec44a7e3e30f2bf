#include "core/worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

typedef struct node {
    struct node *next;
    void *job;
} node_t;

typedef struct worker {
    pthread_t thread;
    rp_db_t *db;
    struct rp_workers *pool;
} worker_t;

struct rp_workers {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    node_t *head, *tail;
    size_t queued, max_queue;
    int stopping;
    int n;
    atomic_long busy;
    rp_job_run_fn run;
    rp_job_drop_fn drop;
    void *arg;
    worker_t *workers;
};

static void *worker_main(void *p)
{
    worker_t *self = p;
    rp_workers_t *w = self->pool;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (w->head == NULL && !w->stopping)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->stopping) {
            pthread_mutex_unlock(&w->lock);
            break;
        }
        node_t *nd = w->head;
        w->head = nd->next;
        if (w->head == NULL)
            w->tail = NULL;
        w->queued--;
        pthread_mutex_unlock(&w->lock);

        void *job = nd->job;
        free(nd);
        atomic_fetch_add(&w->busy, 1);
        w->run(job, self->db, w->arg);
        atomic_fetch_sub(&w->busy, 1);
    }
    return NULL;
}

rp_status_t rp_workers_start(rp_workers_t **out, int n, size_t max_queue, const char *conninfo,
                             const char *set_role, rp_job_run_fn run, rp_job_drop_fn drop,
                             void *arg)
{
    rp_workers_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return RP_ENOMEM;
    w->workers = calloc((size_t)n, sizeof(worker_t));
    if (w->workers == NULL) {
        free(w);
        return RP_ENOMEM;
    }
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->max_queue = max_queue;
    w->run = run;
    w->drop = drop;
    w->arg = arg;
    int down = 0;
    for (int i = 0; i < n; i++) {
        worker_t *wk = &w->workers[i];
        wk->pool = w;
        rp_status_t st = rp_db_open(&wk->db, conninfo, set_role);
        if (wk->db == NULL)
            goto fail;
        if (st != RP_OK)
            down++;
        if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
            rp_db_close(wk->db);
            wk->db = NULL;
            goto fail;
        }
        w->n++;
    }
    if (down)
        rp_log_warn("%d of %d worker connections could not reach the database yet: %s", down, n,
                    rp_db_error(w->workers[0].db));
    *out = w;
    return RP_OK;
fail:
    rp_log_error("could not start worker %d of %d", w->n + 1, n);
    rp_workers_stop(w);
    return RP_ENOMEM;
}

rp_status_t rp_workers_submit(rp_workers_t *w, void *job)
{
    node_t *nd = malloc(sizeof *nd);
    if (nd == NULL)
        return RP_ENOMEM;
    nd->next = NULL;
    nd->job = job;
    pthread_mutex_lock(&w->lock);
    if (w->stopping || w->queued >= w->max_queue) {
        pthread_mutex_unlock(&w->lock);
        free(nd);
        return RP_ELIMIT;
    }
    if (w->tail)
        w->tail->next = nd;
    else
        w->head = nd;
    w->tail = nd;
    w->queued++;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return RP_OK;
}

void rp_workers_stats(rp_workers_t *w, long *queued, long *busy, long *connected, long *total)
{
    pthread_mutex_lock(&w->lock);
    *queued = (long)w->queued;
    pthread_mutex_unlock(&w->lock);
    *busy = atomic_load(&w->busy);
    long c = 0;
    /* Reading another thread's connection flag without its lock is a benign
     * race: the gauge is a snapshot either way. */
    for (int i = 0; i < w->n; i++)
        c += rp_db_connected(w->workers[i].db) ? 1 : 0;
    *connected = c;
    *total = w->n;
}

void rp_workers_stop(rp_workers_t *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    node_t *nd = w->head;
    w->head = w->tail = NULL;
    w->queued = 0;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    while (nd) {
        node_t *next = nd->next;
        if (w->drop)
            w->drop(nd->job, w->arg);
        free(nd);
        nd = next;
    }
    /* The HTTP side has stopped waiting (drained or past its deadline): a
     * worker still inside a statement (a lock wait, a slow query) would
     * block the exit, so its statement is cancelled. */
    if (atomic_load(&w->busy) > 0)
        for (int i = 0; i < w->n; i++)
            rp_db_cancel(w->workers[i].db);
    for (int i = 0; i < w->n; i++) {
        pthread_join(w->workers[i].thread, NULL);
        rp_db_close(w->workers[i].db);
    }
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->workers);
    free(w);
}
