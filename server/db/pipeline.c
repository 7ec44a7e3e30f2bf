#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

/* Sets the tenant for the current transaction, but only for a tenant that
 * exists and is active: zero rows back means the request must not go on. */
static const char GUARD_SQL[] =
    "SELECT set_config('rapport.tenant_id', id::text, true), metadata_version FROM tenants "
    "WHERE id = $1::uuid AND status = 'active'";

/* One statement of a pipelined round trip. */
typedef struct call {
    const char *sql;
    int nparams;
    const char *const *params;
    rp_stmt_t *stmt;
    bool fresh;     /* a Parse goes out before the Execute */
    char name[24];  /* stmt's name when sent: on a shared connection another
                     * session may evict and reuse the slot meanwhile */
    PGresult *prep; /* the Parse's result */
    PGresult *res;  /* the Execute's result */
} call_t;

static rp_status_t read_in_tx(rp_db_t *db, const char *sql, int nparams, const char *const *params,
                              rp_dbres_t **out);

static void clear_calls(call_t *calls, int n)
{
    for (int i = 0; i < n; i++) {
        PQclear(calls[i].prep);
        PQclear(calls[i].res);
        calls[i].prep = calls[i].res = NULL;
    }
}

/* On a shared connection the session waits for its results without
 * blocking the thread: it joins the queue of sessions with round trips on
 * the wire and yields until it is at the head and PostgreSQL's answer has
 * arrived (rp_db_share_next tells the thread whom to resume). */
static void enqueue(rp_db_t *db)
{
    rp_dblink_t *l = db->l;
    db->wait_next = NULL;
    if (l->wait_tail != NULL)
        l->wait_tail->wait_next = db;
    else
        l->wait_head = db;
    l->wait_tail = db;
    db->waiting = true;
}

static void dequeue(rp_db_t *db)
{
    if (!db->waiting)
        return;
    rp_dblink_t *l = db->l;
    rp_db_t **pp = &l->wait_head, *prev = NULL;
    while (*pp != NULL && *pp != db) {
        prev = *pp;
        pp = &(*pp)->wait_next;
    }
    if (*pp == db) {
        *pp = db->wait_next;
        if (l->wait_tail == db)
            l->wait_tail = prev;
    }
    db->wait_next = NULL;
    db->waiting = false;
}

/* True when the session may call PQgetResult without blocking. */
static bool may_read(rp_db_t *db)
{
    rp_dblink_t *l = db->l;
    if (l->wait_head != db)
        return false;
    if (rp_db_conn_broken(db) || !PQisBusy(l->conn))
        return true;
    if (PQconsumeInput(l->conn) == 0)
        return true; /* broken now: the read reports it */
    return !PQisBusy(l->conn);
}

static PGresult *get_result(rp_db_t *db)
{
    if (db->yield != NULL)
        while (!may_read(db))
            db->yield(db->yield_arg);
    return PQgetResult(db->l->conn);
}

/* Reads the results of one pipelined query up to its terminating NULL and
 * returns the first (a statement we send yields exactly one). NULL means the
 * connection broke or the stream lost its shape. */
static PGresult *read_one(rp_db_t *db)
{
    PGresult *first = NULL;
    for (;;) {
        PGresult *r = get_result(db);
        if (r == NULL)
            return first;
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_PIPELINE_SYNC) {
            /* A sync where a query's results were expected: out of step. */
            PQclear(r);
            PQclear(first);
            return NULL;
        }
        if (first == NULL)
            first = r;
        else
            PQclear(r);
        if (rp_db_conn_broken(db))
            return first;
    }
}

static bool read_sync(rp_db_t *db)
{
    PGresult *r = get_result(db);
    bool ok = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
    PQclear(r);
    return ok;
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = PQresultStatus(r);
    return r != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* Brings the connection back to a known state after the pipeline went
 * wrong: the session is unusable, so the next rp_db_ensure starts afresh. */
static rp_status_t lost(rp_db_t *db)
{
    const char *m = db->l->conn ? PQerrorMessage(db->l->conn) : "";
    char msg[sizeof db->errmsg];
    snprintf(msg, sizeof msg, "%s", *m ? m : "the connection to the database broke mid-request");
    rp_db_set_error(db, msg);
    rp_db_mark_lost(db, db->errmsg);
    return RP_EDB_UNAVAILABLE;
}

/* True while the call's cache slot still holds the statement it sent. */
static bool same_stmt(const call_t *c)
{
    return c->stmt->sql != NULL && strcmp(c->stmt->name, c->name) == 0;
}

/* Sends pending DEALLOCATEs, an optional BEGIN and the calls, then one Sync,
 * and reads everything back: one round trip. Fills each call's results; the
 * return value only reports transport failures (and RP_ENOMEM). */
static rp_status_t pipeline(rp_db_t *db, bool begin, call_t *calls, int ncalls,
                            PGresult **begin_res)
{
    *begin_res = NULL;
    if (!db->l->connected || rp_db_conn_broken(db))
        return lost(db);
    for (int i = 0; i < ncalls; i++) {
        calls[i].stmt = rp_db_stmt_get(db, calls[i].sql, &calls[i].fresh);
        if (calls[i].stmt == NULL) {
            rp_db_set_error(db, "out of memory");
            return RP_ENOMEM;
        }
    }
    bool shared = db->yield != NULL;
    /* A shared connection stays in pipeline mode: other sessions' round
     * trips may be on the wire whenever this one starts. */
    if (PQpipelineStatus(db->l->conn) == PQ_PIPELINE_OFF && PQenterPipelineMode(db->l->conn) != 1)
        return lost(db);

    /* Inside a transaction block even a failed DEALLOCATE would abort the
     * transaction: those wait for a round trip that starts outside one.
     * Sessions never open one (they only read). */
    int ndealloc =
        (shared || PQtransactionStatus(db->l->conn) == PQTRANS_IDLE) ? db->l->ndealloc : 0;
    for (int i = 0; i < ndealloc; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", db->l->dealloc[i]);
        if (PQsendQueryParams(db->l->conn, sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
            return lost(db);
    }
    if (ndealloc > 0)
        db->l->ndealloc = 0;
    /* A DEALLOCATE that fails must not abort the real work: its own Sync
     * keeps it in a separate segment of the same round trip. */
    if (ndealloc > 0 && PQpipelineSync(db->l->conn) != 1)
        return lost(db);
    if (begin && PQsendQueryParams(db->l->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return lost(db);
    for (int i = 0; i < ncalls; i++) {
        call_t *c = &calls[i];
        memcpy(c->name, c->stmt->name, sizeof c->name);
        if (c->fresh && PQsendPrepare(db->l->conn, c->stmt->name, c->sql, c->nparams, NULL) != 1)
            return lost(db);
        if (c->fresh)
            c->stmt->sent = true;
        if (PQsendQueryPrepared(db->l->conn, c->stmt->name, c->nparams, c->params, NULL, NULL, 0) !=
            1)
            return lost(db);
    }
    if (PQpipelineSync(db->l->conn) != 1)
        return lost(db);
    if (shared)
        enqueue(db);

    for (int i = 0; i < ndealloc; i++) {
        PGresult *r = read_one(db);
        if (r == NULL)
            goto broken;
        PQclear(r);
    }
    if (ndealloc > 0 && !read_sync(db))
        goto broken;
    if (begin && (*begin_res = read_one(db)) == NULL)
        goto broken;
    for (int i = 0; i < ncalls; i++) {
        call_t *c = &calls[i];
        if (c->fresh && (c->prep = read_one(db)) == NULL)
            goto broken;
        if ((c->res = read_one(db)) == NULL)
            goto broken;
    }
    if (!read_sync(db))
        goto broken;
    dequeue(db);
    if (!shared && PQexitPipelineMode(db->l->conn) != 1)
        goto broken;

    for (int i = 0; i < ncalls; i++) {
        call_t *c = &calls[i];
        if (!same_stmt(c))
            continue; /* evicted by another session meanwhile */
        c->stmt->sent = false;
        if (c->fresh) {
            if (result_ok(c->prep))
                c->stmt->ready = true;
            else
                rp_db_stmt_drop(db, c->stmt);
        } else if (!result_ok(c->res) && PQresultStatus(c->res) == PGRES_FATAL_ERROR) {
            /* A statement the server no longer has, or whose cached plan went
             * stale after a schema change, is prepared afresh next time. */
            const char *state = PQresultErrorField(c->res, PG_DIAG_SQLSTATE);
            if (state && (strcmp(state, "26000") == 0 || strcmp(state, "0A000") == 0))
                rp_db_stmt_drop(db, c->stmt);
        }
    }
    return RP_OK;

broken:
    dequeue(db);
    for (int i = 0; i < ncalls; i++)
        if (calls[i].fresh && same_stmt(&calls[i]))
            rp_db_stmt_drop(db, calls[i].stmt);
    PQclear(*begin_res);
    *begin_res = NULL;
    clear_calls(calls, ncalls);
    return lost(db);
}

/* The status of the first failure among the results, in the order the
 * server ran them; RP_OK when all succeeded. */
static rp_status_t first_failure(rp_db_t *db, PGresult *begin_res, call_t *calls, int ncalls)
{
    if (begin_res != NULL && !result_ok(begin_res))
        return rp_db_fail_result(db, begin_res);
    for (int i = 0; i < ncalls; i++) {
        if (calls[i].fresh && !result_ok(calls[i].prep))
            return rp_db_fail_result(db, calls[i].prep);
        if (!result_ok(calls[i].res))
            return rp_db_fail_result(db, calls[i].res);
    }
    return RP_OK;
}

static bool guard_passed(const call_t *guard)
{
    return PQresultStatus(guard->res) == PGRES_TUPLES_OK && PQntuples(guard->res) == 1;
}

static rp_status_t hand_over(rp_db_t *db, call_t *c, rp_dbres_t **out)
{
    if (out == NULL)
        return RP_OK;
    rp_dbres_t *r = malloc(sizeof *r);
    if (r == NULL) {
        rp_db_set_error(db, "out of memory");
        return RP_ENOMEM;
    }
    r->res = c->res;
    c->res = NULL;
    *out = r;
    return RP_OK;
}

static rp_status_t simple(rp_db_t *db, const char *sql)
{
    PGresult *r = PQexec(db->l->conn, sql);
    rp_status_t st = RP_OK;
    if (!result_ok(r))
        st = rp_db_fail_result(db, r);
    PQclear(r);
    return st;
}

static rp_status_t tenant_refused(rp_db_t *db)
{
    rp_db_set_error(db, "the tenant does not exist or is not active");
    return RP_ETENANT;
}

static rp_status_t stale_refused(rp_db_t *db)
{
    rp_db_set_error(db, "the tenant's metadata changed since the snapshot this request used");
    return RP_ESTALE;
}

/* Reads the version the guard saw; RP_ESTALE when the caller expected
 * another one. */
static rp_status_t check_version(rp_db_t *db, const call_t *guard)
{
    const char *v = PQgetvalue(guard->res, 0, 1);
    db->version = strtoll(v, NULL, 10);
    db->version_known = true;
    if (db->expect_set && db->version != db->expect_version) {
        db->stale = true;
        return stale_refused(db);
    }
    return RP_OK;
}

/* The first statement of a transaction: BEGIN, the tenant guard and the
 * statement in one round trip. sql may be NULL to open the transaction
 * alone (before a script). */
static rp_status_t start_tx_once(rp_db_t *db, const char *sql, int nparams,
                                 const char *const *params, rp_dbres_t **out)
{
    rp_db_clear_error(db);
    call_t calls[2];
    memset(calls, 0, sizeof calls);
    int n = 0;
    const char *tp[1] = {db->tenant_id};
    if (db->has_tenant)
        calls[n++] = (call_t){.sql = GUARD_SQL, .nparams = 1, .params = tp};
    if (sql != NULL)
        calls[n++] = (call_t){.sql = sql, .nparams = nparams, .params = params};
    PGresult *begin_res = NULL;
    rp_status_t st = pipeline(db, true, calls, n, &begin_res);
    if (st != RP_OK) {
        db->tx_failure = st;
        return st;
    }
    db->tx_sent = true;
    st = first_failure(db, begin_res, db->has_tenant ? calls : NULL, db->has_tenant ? 1 : 0);
    if (st == RP_OK && db->has_tenant && !guard_passed(&calls[0])) {
        /* The statement ran without a tenant (so row-level security showed
         * it nothing); whatever it did to global tables is undone here. */
        st = tenant_refused(db);
        if (simple(db, "ROLLBACK") == RP_OK)
            db->tx_sent = false;
    } else if (st == RP_OK && db->has_tenant && check_version(db, &calls[0]) != RP_OK) {
        /* The statement was built from metadata that is no longer current:
         * undo whatever it did; the caller runs the request again. */
        st = RP_ESTALE;
        if (simple(db, "ROLLBACK") == RP_OK)
            db->tx_sent = false;
    }
    if (st == RP_OK)
        st = first_failure(db, NULL, calls, n);
    if (st == RP_OK && sql != NULL)
        st = hand_over(db, &calls[n - 1], out);
    if (st != RP_OK)
        db->tx_failure = st;
    PQclear(begin_res);
    clear_calls(calls, n);
    return st;
}

/* A connection that died before this round trip (PostgreSQL restarted
 * since the last request) costs one reconnect, not a failed request:
 * nothing of the transaction can have committed, so it is sent again. */
static rp_status_t start_tx(rp_db_t *db, const char *sql, int nparams, const char *const *params,
                            rp_dbres_t **out)
{
    rp_status_t st = start_tx_once(db, sql, nparams, params, out);
    if (st == RP_EDB_UNAVAILABLE && rp_db_reconnect_once(db) == RP_OK)
        st = start_tx_once(db, sql, nparams, params, out);
    return st;
}

static rp_status_t begin(rp_db_t *db, const char *tenant_id, bool read)
{
    if (!read && db->owner != NULL) {
        /* A transaction block would hold the shared connection across
         * round trips, and its COMMIT would wait behind everyone's. */
        rp_db_set_error(db, "a session on a shared connection only reads");
        return RP_EINVAL;
    }
    if (db->in_tx) {
        rp_db_set_error(db, "a transaction is already open on this connection");
        return RP_EINVAL;
    }
    rp_status_t st = rp_db_ensure(db);
    if (st != RP_OK)
        return st;
    rp_db_reset_tx(db);
    db->in_tx = true;
    db->read_mode = read;
    if (tenant_id != NULL) {
        db->has_tenant = true;
        snprintf(db->tenant_id, sizeof db->tenant_id, "%s", tenant_id);
        /* Not even a well-formed id: no need to ask the server. */
        if (!rp_uuid_valid(tenant_id))
            db->tx_failure = RP_ETENANT;
    }
    return RP_OK;
}

rp_status_t rp_db_begin(rp_db_t *db, const char *tenant_id)
{
    return begin(db, tenant_id, false);
}

rp_status_t rp_db_exec(rp_db_t *db, const char *sql, int nparams, const char *const *params,
                       rp_dbres_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (db->in_tx) {
        if (db->tx_failure == RP_ETENANT)
            return tenant_refused(db);
        if (db->tx_failure == RP_ESTALE)
            return stale_refused(db);
        if (db->tx_failure != RP_OK) {
            if (db->errmsg[0] == '\0')
                rp_db_set_error(db, "the transaction was aborted by an earlier error");
            return db->tx_failure;
        }
        if (db->read_mode)
            return read_in_tx(db, sql, nparams, params, out);
        if (!db->tx_sent)
            return start_tx(db, sql, nparams, params, out);
    } else {
        rp_status_t st = rp_db_ensure(db);
        if (st != RP_OK)
            return st;
    }
    rp_db_clear_error(db);
    call_t c = {.sql = sql, .nparams = nparams, .params = params};
    PGresult *none;
    rp_status_t st = pipeline(db, false, &c, 1, &none);
    if (st == RP_OK)
        st = first_failure(db, NULL, &c, 1);
    if (st == RP_OK)
        st = hand_over(db, &c, out);
    if (st != RP_OK && db->in_tx)
        db->tx_failure = st;
    clear_calls(&c, 1);
    return st;
}

static rp_status_t read_once(rp_db_t *db, const char *tenant_id, const char *sql, int nparams,
                             const char *const *params, rp_dbres_t **out)
{
    rp_status_t st;
    rp_db_clear_error(db);
    const char *tp[1] = {tenant_id};
    call_t calls[2] = {
        {.sql = GUARD_SQL, .nparams = 1, .params = tp},
        {.sql = sql, .nparams = nparams, .params = params},
    };
    call_t *c = tenant_id ? calls : calls + 1;
    int n = (tenant_id ? 1 : 0) + (sql ? 1 : 0);
    st = pipeline(db, false, c, n, &(PGresult *){NULL});
    if (st == RP_OK && tenant_id != NULL) {
        st = first_failure(db, NULL, c, 1);
        if (st == RP_OK && !guard_passed(&c[0]))
            st = tenant_refused(db);
        else if (st == RP_OK)
            st = check_version(db, &c[0]);
    }
    if (st == RP_OK)
        st = first_failure(db, NULL, c, n);
    if (st == RP_OK && sql != NULL)
        st = hand_over(db, &c[n - 1], out);
    clear_calls(c, n);
    return st;
}

/* One statement (or the guard alone, sql NULL) of a read-mode request. */
static rp_status_t read_in_tx(rp_db_t *db, const char *sql, int nparams, const char *const *params,
                              rp_dbres_t **out)
{
    const char *tid = db->has_tenant ? db->tenant_id : NULL;
    rp_status_t st = rp_db_ensure(db);
    if (st == RP_OK)
        st = read_once(db, tid, sql, nparams, params, out);
    if (st == RP_EDB_UNAVAILABLE && rp_db_reconnect_once(db) == RP_OK)
        st = read_once(db, tid, sql, nparams, params, out);
    db->tx_sent = true;
    if (st != RP_OK)
        db->tx_failure = st;
    return st;
}

rp_status_t rp_db_begin_read(rp_db_t *db, const char *tenant_id)
{
    return begin(db, tenant_id, true);
}

rp_status_t rp_db_read(rp_db_t *db, const char *tenant_id, const char *sql, int nparams,
                       const char *const *params, rp_dbres_t **out)
{
    if (out != NULL)
        *out = NULL;
    if (db->in_tx) {
        rp_db_set_error(db, "rp_db_read inside a transaction: use rp_db_exec");
        return RP_EINVAL;
    }
    rp_status_t st = rp_db_ensure(db);
    if (st != RP_OK)
        return st;
    if (tenant_id != NULL && !rp_uuid_valid(tenant_id))
        return tenant_refused(db);
    st = read_once(db, tenant_id, sql, nparams, params, out);
    /* A read is safe to send again on a fresh connection. */
    if (st == RP_EDB_UNAVAILABLE && rp_db_reconnect_once(db) == RP_OK)
        st = read_once(db, tenant_id, sql, nparams, params, out);
    return st;
}

void rp_db_expect_version(rp_db_t *db, long long version)
{
    if (db->in_tx && !db->tx_sent) {
        db->expect_set = true;
        db->expect_version = version;
    }
}

bool rp_db_tenant_version(const rp_db_t *db, long long *out)
{
    if (db->version_known)
        *out = db->version;
    return db->version_known;
}

bool rp_db_stale(const rp_db_t *db)
{
    return db->stale;
}

rp_status_t rp_db_settle(rp_db_t *db)
{
    if (!db->in_tx || !db->expect_set || db->tx_sent || db->tx_failure != RP_OK)
        return db->in_tx && db->tx_failure != RP_OK ? db->tx_failure : RP_OK;
    if (db->read_mode)
        return read_in_tx(db, NULL, 0, NULL, NULL);
    return start_tx(db, NULL, 0, NULL, NULL);
}

rp_status_t rp_db_commit(rp_db_t *db)
{
    if (!db->in_tx) {
        rp_db_set_error(db, "commit without a transaction");
        return RP_EINVAL;
    }
    rp_status_t st = db->tx_failure;
    if (st == RP_ETENANT)
        tenant_refused(db);
    if (db->read_mode) {
        /* Every statement has committed as it ran: nothing to send. */
        rp_db_reset_tx(db);
        return st;
    }
    if (st == RP_OK && db->tx_sent) {
        if (rp_db_conn_broken(db)) {
            st = lost(db);
        } else {
            PGresult *r = PQexec(db->l->conn, "COMMIT");
            if (!result_ok(r))
                st = rp_db_fail_result(db, r);
            else if (strcmp(PQcmdStatus(r), "ROLLBACK") == 0) {
                rp_db_set_error(db, "the transaction was rolled back by the server");
                st = RP_EDB;
            }
            PQclear(r);
        }
    } else if (st != RP_OK && db->tx_sent && db->l->connected) {
        simple(db, "ROLLBACK");
    }
    rp_db_reset_tx(db);
    return st;
}

void rp_db_rollback(rp_db_t *db)
{
    if (db->in_tx && !db->read_mode && db->tx_sent && db->l->connected && !rp_db_conn_broken(db)) {
        PGresult *r = PQexec(db->l->conn, "ROLLBACK");
        if (!result_ok(r) && rp_db_conn_broken(db))
            rp_db_mark_lost(db, PQerrorMessage(db->l->conn));
        PQclear(r);
    }
    rp_db_reset_tx(db);
}

rp_status_t rp_db_script(rp_db_t *db, const char *sql)
{
    rp_status_t st;
    if (db->owner != NULL) {
        rp_db_set_error(db, "a session on a shared connection runs statements one at a time");
        return RP_EINVAL;
    }
    if (db->in_tx) {
        if (db->tx_failure != RP_OK)
            return db->tx_failure == RP_ETENANT ? tenant_refused(db) : db->tx_failure;
        if (db->read_mode) {
            rp_db_set_error(db, "a read-only request runs statements one at a time");
            db->tx_failure = RP_EINVAL;
            return RP_EINVAL;
        }
        if (!db->tx_sent && (st = start_tx(db, NULL, 0, NULL, NULL)) != RP_OK)
            return st;
    } else if ((st = rp_db_ensure(db)) != RP_OK) {
        return st;
    }
    rp_db_clear_error(db);
    PGresult *r = PQexec(db->l->conn, sql);
    ExecStatusType rs = PQresultStatus(r);
    st = RP_OK;
    if (r == NULL || (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && rs != PGRES_EMPTY_QUERY))
        st = rp_db_fail_result(db, r);
    PQclear(r);
    if (st != RP_OK && db->in_tx)
        db->tx_failure = st;
    return st;
}
