#ifndef RP_CORE_WORKER_H
#define RP_CORE_WORKER_H

#include <stddef.h>

#include "core/status.h"
#include "db/db.h"

/* A fixed pool of threads, each owning one database connection, that run
 * jobs in FIFO order. This is where everything that may block happens:
 * queries, password hashing, and later Lua. */
typedef struct rp_workers rp_workers_t;

/* Runs one job on a worker with its connection (db may be disconnected: the
 * job calls rp_db_ensure and answers 503 if it stays down). */
typedef void (*rp_job_run_fn)(void *job, rp_db_t *db, void *arg);

/* Called for jobs still queued when the pool stops, so their owner can
 * release them without running them. */
typedef void (*rp_job_drop_fn)(void *job, void *arg);

/* Starts n workers connecting to conninfo (then SET ROLE set_role when not
 * NULL). Connections are attempted at start; a database that is down only
 * means the first jobs answer 503. max_queue bounds the waiting jobs. */
rp_status_t rp_workers_start(rp_workers_t **out, int n, size_t max_queue, const char *conninfo,
                             const char *set_role, rp_job_run_fn run, rp_job_drop_fn drop,
                             void *arg);

/* Queues a job. RP_ELIMIT when the queue is full (answer 503 at once). */
rp_status_t rp_workers_submit(rp_workers_t *w, void *job);

/* Current state, for /metrics and /readyz. */
void rp_workers_stats(rp_workers_t *w, long *queued, long *busy, long *connected, long *total);

/* Lets running jobs finish, drops queued ones through drop, joins the
 * threads, closes the connections and frees the pool. */
void rp_workers_stop(rp_workers_t *w);

#endif
