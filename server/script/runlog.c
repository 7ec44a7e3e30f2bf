#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/thread.h"
#include "core/uuid.h"
#include "db/db.h"
#include "script/internal.h"

/* Runs that went well are logged behind the request: queued here and
 * written by one thread in one statement per tenant, so that a trigger
 * costs its request no extra round trip. Failed runs (which count towards
 * disabling a script) and dry runs stay synchronous, and write the queued
 * runs of their tenant first, so the failure count sees runs in order.
 * What the queue holds when the process dies is lost: at most a fraction
 * of a second of successful runs. */

#define QUEUE_MAX 20000
#define SLICE_MS 200

typedef struct queued {
    char tenant_id[RP_UUID_LEN + 1];
    char id[RP_UUID_LEN + 1];
    char started_at[40];
    rp_script_runlog_t run;
    struct queued *next;
} queued_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static queued_t *head, **tail = &head;
static int nqueued;
static atomic_bool running, stopping;
static pthread_t thread;
static rp_db_t *writer_db;

/* A queue entry for run r of tenant_id, stamped with the time now. */
static void fill(queued_t *q, const char *tenant_id, const rp_script_runlog_t *r)
{
    snprintf(q->tenant_id, sizeof q->tenant_id, "%s", tenant_id);
    rp_uuid_v7(q->id);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char day[24];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(q->started_at, sizeof q->started_at, "%s.%03ldZ", day, ts.tv_nsec / 1000000);
    q->run = *r;
    q->run.next = NULL;
    q->next = NULL;
}

bool rp_script_runlog_enqueue(const char *tenant_id, const rp_script_runlog_t *r)
{
    if (!atomic_load(&running))
        return false;
    queued_t *q = calloc(1, sizeof *q);
    if (q == NULL)
        return false;
    fill(q, tenant_id, r);
    pthread_mutex_lock(&lock);
    bool ok = nqueued < QUEUE_MAX;
    if (ok) {
        *tail = q;
        tail = &q->next;
        nqueued++;
    }
    pthread_mutex_unlock(&lock);
    if (!ok)
        free(q);
    return ok;
}

/* Takes the queued runs of tenant_id (NULL: the first queued tenant's) off
 * the queue, in order. */
static queued_t *take(const char *tenant_id)
{
    queued_t *out = NULL, **otail = &out;
    pthread_mutex_lock(&lock);
    if (tenant_id == NULL && head != NULL)
        tenant_id = head->tenant_id;
    char tid[RP_UUID_LEN + 1] = "";
    if (tenant_id != NULL)
        snprintf(tid, sizeof tid, "%s", tenant_id);
    for (queued_t **pp = &head; *pp != NULL;) {
        queued_t *q = *pp;
        if (tid[0] != '\0' && strcmp(q->tenant_id, tid) == 0) {
            *pp = q->next;
            q->next = NULL;
            *otail = q;
            otail = &q->next;
            nqueued--;
        } else {
            pp = &q->next;
        }
    }
    tail = &head;
    while (*tail != NULL)
        tail = &(*tail)->next;
    pthread_mutex_unlock(&lock);
    return out;
}

static void free_list(queued_t *q)
{
    while (q != NULL) {
        queued_t *next = q->next;
        free(q);
        q = next;
    }
}

/* Appends v to a PostgreSQL array literal: quoted, with " and \ escaped;
 * NULL unquoted. */
static rp_status_t elem(rp_buf_t *b, bool first, const char *v)
{
    rp_status_t st = first ? RP_OK : rp_buf_puts(b, ",");
    if (st != RP_OK || v == NULL)
        return st == RP_OK ? rp_buf_puts(b, "NULL") : st;
    st = rp_buf_puts(b, "\"");
    for (const char *p = v; st == RP_OK && *p; p++)
        st = (*p == '"' || *p == '\\') ? rp_buf_printf(b, "\\%c", *p) : rp_buf_append(b, p, 1);
    return st == RP_OK ? rp_buf_puts(b, "\"") : st;
}

enum { C_ID, C_SCRIPT, C_AT, C_DUR, C_INS, C_MEM, C_VIA, C_OUTCOME, C_ERROR, NCOLS };

/* Writes the runs of one tenant (a list from take) in one statement: the
 * rows, and the failure counts of their scripts back to zero. In db's
 * transaction when it has one, else as one guarded implicit transaction. */
static rp_status_t write_runs(rp_db_t *db, const queued_t *list)
{
    if (list == NULL)
        return RP_OK;
    rp_buf_t cols[NCOLS] = {{0}};
    rp_status_t st = RP_OK;
    for (int c = 0; st == RP_OK && c < NCOLS; c++)
        st = rp_buf_puts(&cols[c], "{");
    bool first = true;
    for (const queued_t *q = list; st == RP_OK && q != NULL; q = q->next, first = false) {
        char dur[32], ins[32], mem[32];
        snprintf(dur, sizeof dur, "%.3f", q->run.duration_ms);
        snprintf(ins, sizeof ins, "%lld", q->run.instructions);
        snprintf(mem, sizeof mem, "%lld", q->run.memory);
        const char *v[NCOLS] = {q->id,
                                q->run.script_id,
                                q->started_at,
                                dur,
                                ins,
                                mem,
                                q->run.via,
                                q->run.outcome,
                                q->run.error[0] ? q->run.error : NULL};
        for (int c = 0; st == RP_OK && c < NCOLS; c++)
            st = elem(&cols[c], first, v[c]);
    }
    for (int c = 0; st == RP_OK && c < NCOLS; c++)
        st = rp_buf_puts(&cols[c], "}");
    if (st == RP_OK) {
        const char *p[NCOLS + 1] = {list->tenant_id};
        for (int c = 0; c < NCOLS; c++)
            p[c + 1] = cols[c].data;
        static const char sql[] =
            "WITH r AS (SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], "
            "$5::float8[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[]) "
            "AS u(id, script_id, started_at, duration_ms, instructions, memory, via, outcome, "
            "error)), ins AS (INSERT INTO script_runs (tenant_id, id, script_id, started_at, "
            "duration_ms, instructions, memory, via, dry_run, outcome, error) SELECT $1::uuid, "
            "r.id, r.script_id, r.started_at, r.duration_ms, r.instructions, r.memory, r.via, "
            "false, r.outcome, r.error FROM r WHERE EXISTS (SELECT 1 FROM scripts s WHERE "
            "s.tenant_id = $1::uuid AND s.id = r.script_id)) "
            "UPDATE scripts SET failures = 0 WHERE tenant_id = $1::uuid AND "
            "id IN (SELECT script_id FROM r) AND failures <> 0";
        st = rp_db_in_tx(db) ? rp_db_exec(db, sql, NCOLS + 1, p, NULL)
                             : rp_db_read(db, list->tenant_id, sql, NCOLS + 1, p, NULL);
    }
    for (int c = 0; c < NCOLS; c++)
        rp_buf_free(&cols[c]);
    return st;
}

rp_status_t rp_script_runlog_write(rp_db_t *db, const char *tenant_id, const rp_script_runlog_t *r)
{
    queued_t q;
    memset(&q, 0, sizeof q);
    fill(&q, tenant_id, r);
    return write_runs(db, &q);
}

rp_status_t rp_script_runlog_drain(rp_db_t *db, const char *tenant_id)
{
    queued_t *list = take(tenant_id);
    rp_status_t st = write_runs(db, list);
    free_list(list);
    return st;
}

/* Writes every queued run, tenant by tenant. */
static void drain_all(void)
{
    queued_t *list;
    while ((list = take(NULL)) != NULL) {
        if (rp_db_ensure(writer_db) != RP_OK || write_runs(writer_db, list) != RP_OK)
            rp_log_warn("script run log of tenant %s not written: %s", list->tenant_id,
                        rp_db_error(writer_db));
        free_list(list);
    }
}

static void *writer_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stopping)) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = SLICE_MS * 1000000L};
        nanosleep(&ts, NULL);
        drain_all();
    }
    drain_all();
    return NULL;
}

rp_status_t rp_script_runlog_start(const char *conninfo, const char *set_role)
{
    if (atomic_load(&running))
        return RP_OK;
    rp_status_t st = rp_db_open(&writer_db, conninfo, set_role);
    if (writer_db == NULL)
        return st;
    atomic_store(&stopping, false);
    int rc = rp_thread_start(&thread, writer_main, NULL);
    if (rc != 0) {
        rp_db_close(writer_db);
        writer_db = NULL;
        return RP_ERR;
    }
    atomic_store(&running, true);
    return RP_OK;
}

void rp_script_runlog_stop(void)
{
    if (!atomic_load(&running))
        return;
    /* Requests still finishing fall back to writing their runs themselves. */
    atomic_store(&running, false);
    atomic_store(&stopping, true);
    pthread_join(thread, NULL);
    rp_db_close(writer_db);
    writer_db = NULL;
    free_list(take(NULL));
}
