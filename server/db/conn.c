#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "db/internal.h"
#include "db/util.h"

int64_t rp_db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rp_db_clear_error(rp_db_t *db)
{
    db->errmsg[0] = db->sqlstate[0] = db->constraint[0] = '\0';
    db->errpos = 0;
}

void rp_db_set_error(rp_db_t *db, const char *msg)
{
    rp_db_clear_error(db);
    /* Long messages are cut to the buffer on purpose. */
    size_t n = msg ? strnlen(msg, sizeof db->errmsg - 1) : 0;
    if (n > 0)
        memcpy(db->errmsg, msg, n);
    db->errmsg[n] = '\0';
    /* libpq ends its messages with a newline; a log line should not. */
    while (n > 0 && (db->errmsg[n - 1] == '\n' || db->errmsg[n - 1] == ' '))
        db->errmsg[--n] = '\0';
}

bool rp_db_conn_broken(const rp_db_t *db)
{
    return db->l->conn == NULL || PQstatus(db->l->conn) == CONNECTION_BAD;
}

void rp_db_mark_lost(rp_db_t *db, const char *why)
{
    if (db->l->connected)
        rp_log_warn("database connection lost: %s", why && *why ? why : "connection closed");
    db->l->connected = false;
    /* The first attempt after a loss is immediate: PostgreSQL may already be
     * back (a restart), and the backoff only paces repeated failures. */
    db->l->next_attempt_ms = rp_db_now_ms();
    db->l->backoff_ms = RP_DB_BACKOFF_MIN_MS;
    if (db->in_tx)
        db->tx_failure = RP_EDB_UNAVAILABLE;
}

rp_status_t rp_db_fail_result(rp_db_t *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *cons = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    if (primary == NULL || *primary == '\0')
        primary = res ? PQresultErrorMessage(res) : NULL;
    if (primary == NULL || *primary == '\0')
        primary = db->l->conn ? PQerrorMessage(db->l->conn) : "no connection";
    rp_db_set_error(db, primary);
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    snprintf(db->constraint, sizeof db->constraint, "%s", cons ? cons : "");
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    db->errpos = pos ? atoi(pos) : 0;
    rp_status_t st = rp_db_status_of_sqlstate(db->sqlstate);
    if (st == RP_EDB_UNAVAILABLE || rp_db_conn_broken(db)) {
        rp_db_mark_lost(db, db->errmsg);
        return RP_EDB_UNAVAILABLE;
    }
    return st;
}

static void reset_tx(rp_db_t *db)
{
    db->in_tx = false;
    db->tx_sent = false;
    db->tx_failure = RP_OK;
    db->has_tenant = false;
    db->read_mode = false;
    db->tenant_id[0] = '\0';
    db->expect_set = false;
    db->version_known = false;
    db->stale = false;
}

/* Server notices (a NOTICE from CREATE ... IF NOT EXISTS) are not errors:
 * they go to the debug log instead of libpq's default, stderr. */
static void on_notice(void *arg, const char *message)
{
    (void)arg;
    size_t n = strlen(message);
    while (n > 0 && message[n - 1] == '\n')
        n--;
    rp_log_debug("postgresql: %.*s", (int)n, message);
}

/* One connection attempt. Blocking, but bounded by connect_timeout; a local
 * socket that is absent fails at once. */
static void set_cancel(rp_db_t *db, PGcancel *c)
{
    pthread_mutex_lock(&db->l->cancel_lock);
    if (db->l->cancel != NULL)
        PQfreeCancel(db->l->cancel);
    db->l->cancel = c;
    pthread_mutex_unlock(&db->l->cancel_lock);
}

rp_status_t rp_db_cancel(rp_db_t *db)
{
    if (db == NULL)
        return RP_OK;
    char err[256];
    int ok = 1;
    pthread_mutex_lock(&db->l->cancel_lock);
    if (db->l->cancel != NULL)
        ok = PQcancel(db->l->cancel, err, sizeof err);
    pthread_mutex_unlock(&db->l->cancel_lock);
    return ok ? RP_OK : RP_EDB_UNAVAILABLE;
}

static rp_status_t connect_now(rp_db_t *db)
{
    set_cancel(db, NULL);
    if (db->l->conn != NULL) {
        PQfinish(db->l->conn);
        db->l->conn = NULL;
    }
    rp_db_stmt_reset(db);
    db->l->ndealloc = 0;
    /* Our defaults come before dbname so that anything the operator wrote in
     * the connection string (expanded in place of dbname) wins. */
    const char *keys[] = {"connect_timeout",  "keepalives",
                          "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "fallback_application_name",
                          "dbname",           NULL};
    const char *vals[] = {"3", "1", "30", "10", "3", "rapport", db->l->conninfo, NULL};
    db->l->conn = PQconnectdbParams(keys, vals, 1);
    if (db->l->conn == NULL) {
        rp_db_set_error(db, "out of memory");
        goto fail;
    }
    if (PQstatus(db->l->conn) != CONNECTION_OK) {
        rp_db_set_error(db, PQerrorMessage(db->l->conn));
        goto fail;
    }
    PQsetNoticeProcessor(db->l->conn, on_notice, NULL);
    if (db->l->set_role != NULL) {
        /* set_config('role') is SET ROLE with the role name as a parameter. */
        const char *params[] = {db->l->set_role};
        PGresult *r = PQexecParams(db->l->conn, "SELECT set_config('role', $1, false)", 1, NULL,
                                   params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            rp_db_fail_result(db, r);
            char msg[sizeof db->errmsg + 128];
            snprintf(msg, sizeof msg, "SET ROLE %.100s: %s", db->l->set_role, db->errmsg);
            rp_db_set_error(db, msg);
            PQclear(r);
            goto fail;
        }
        PQclear(r);
    }
    set_cancel(db, PQgetCancel(db->l->conn));
    db->l->connected = true;
    db->l->generation++;
    db->l->backoff_ms = RP_DB_BACKOFF_MIN_MS;
    db->l->next_attempt_ms = 0;
    rp_db_clear_error(db);
    return RP_OK;
fail:
    db->l->connected = false;
    db->l->next_attempt_ms = rp_db_now_ms() + db->l->backoff_ms;
    db->l->backoff_ms = rp_db_backoff_next(db->l->backoff_ms);
    return RP_EDB_UNAVAILABLE;
}

rp_status_t rp_db_open(rp_db_t **out, const char *conninfo, const char *set_role)
{
    *out = NULL;
    rp_db_t *db = calloc(1, sizeof *db);
    rp_dblink_t *l = calloc(1, sizeof *l);
    if (db == NULL || l == NULL)
        goto nomem;
    db->own = db->l = l;
    l->conninfo = strdup(conninfo ? conninfo : "");
    l->set_role = set_role ? strdup(set_role) : NULL;
    if (l->conninfo == NULL || (set_role && l->set_role == NULL))
        goto nomem;
    l->backoff_ms = RP_DB_BACKOFF_MIN_MS;
    pthread_mutex_init(&l->cancel_lock, NULL);
    *out = db;
    return connect_now(db);
nomem:
    if (l != NULL) {
        free(l->conninfo);
        free(l->set_role);
    }
    free(l);
    free(db);
    return RP_ENOMEM;
}

void rp_db_close(rp_db_t *db)
{
    if (db == NULL)
        return;
    if (db->owner != NULL) {
        /* A session: the connection stays with its owner. */
        rp_db_session_close(db);
        return;
    }
    if (db->l->has_reconnector)
        pthread_join(db->l->reconnector, NULL);
    set_cancel(db, NULL);
    pthread_mutex_destroy(&db->l->cancel_lock);
    if (db->l->conn != NULL)
        PQfinish(db->l->conn);
    rp_db_stmt_free(db);
    free(db->l->conninfo);
    free(db->l->set_role);
    free(db->own);
    free(db);
}

/* An idle connection learns that the server went away (a restart, an
 * administrator's terminate) only when it reads. Reading now, without
 * blocking, turns that into a reconnect instead of a failed request. The
 * server's farewell and the end of the stream may take two reads. */
bool rp_db_probe(rp_db_t *db)
{
    for (int i = 0; i < 2; i++)
        if (PQconsumeInput(db->l->conn) == 0 || rp_db_conn_broken(db))
            return false;
    return true;
}

rp_status_t rp_db_ensure(rp_db_t *db)
{
    rp_dblink_t *l = db->l;
    /* With round trips of other sessions on the wire, their reads are what
     * watch the socket: no probe is needed, and none may steal their
     * place. */
    if (l->connected && !rp_db_conn_broken(db) && (l->wait_head != NULL || rp_db_probe(db)))
        return RP_OK;
    if (l->connected)
        rp_db_mark_lost(db, PQerrorMessage(l->conn));
    if (db->in_tx) {
        /* Reconnecting mid-transaction would silently drop its first half. */
        return RP_EDB_UNAVAILABLE;
    }
    if (l->wait_head != NULL) {
        /* Sessions still to learn that their round trips were lost: the
         * new connection waits until they have. */
        rp_db_set_error(db, "the connection to the database was lost");
        return RP_EDB_UNAVAILABLE;
    }
    if (l->closed) {
        rp_db_set_error(db, "the server is shutting down");
        return RP_EDB_UNAVAILABLE;
    }
    if (db->owner != NULL) {
        /* A session's thread must not block in a connect: the connection
         * comes back in the background (rp_db_share_usable). */
        rp_db_set_error(db, "the connection to the database was lost");
        return RP_EDB_UNAVAILABLE;
    }
    if (rp_db_now_ms() < db->l->next_attempt_ms)
        return RP_EDB_UNAVAILABLE;
    rp_status_t st = connect_now(db);
    if (st == RP_OK)
        rp_log_info("database connection re-established");
    return st;
}

rp_status_t rp_db_connect(rp_db_t *db)
{
    return connect_now(db);
}

rp_status_t rp_db_reconnect_once(rp_db_t *db)
{
    bool in_tx = db->in_tx;
    db->in_tx = false;
    rp_status_t st = rp_db_ensure(db);
    db->in_tx = in_tx;
    if (st == RP_OK) {
        db->tx_sent = false;
        db->tx_failure = RP_OK;
    }
    return st;
}

bool rp_db_connected(const rp_db_t *db)
{
    return db != NULL && db->l->connected && !rp_db_conn_broken(db);
}

bool rp_db_in_tx(const rp_db_t *db)
{
    return db->in_tx;
}

const char *rp_db_error(const rp_db_t *db)
{
    return db ? db->errmsg : "";
}

const char *rp_db_sqlstate(const rp_db_t *db)
{
    return db ? db->sqlstate : "";
}

const char *rp_db_constraint(const rp_db_t *db)
{
    return db ? db->constraint : "";
}

void rp_db_reset_tx(rp_db_t *db)
{
    reset_tx(db);
}
