#include <stdio.h>
#include <string.h>

#include "db/internal.h"

/* Savepoints: SAVEPOINT and RELEASE go through rp_db_script, which opens
 * the transaction on the server when needed and records a failure like any
 * statement; ROLLBACK TO must also clear the failure it undoes, which only
 * this layer may touch. */

/* A name that can be written into SQL text as it is. */
static bool plain_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 63 || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static rp_status_t misuse(rp_db_t *db, const char *what)
{
    rp_db_set_error(db, what);
    return RP_EINVAL;
}

static rp_status_t checked(rp_db_t *db, const char *name)
{
    if (!plain_name(name))
        return misuse(db, "a savepoint name must be a plain lower-case identifier");
    if (!db->in_tx || db->read_mode)
        return misuse(db, "a savepoint needs a read-write transaction");
    return RP_OK;
}

/* Sends "<before> name" and, when again is set, "; SAVEPOINT name" in the
 * same round trip. */
static rp_status_t command(rp_db_t *db, const char *before, const char *name, bool again)
{
    rp_status_t st = checked(db, name);
    if (st != RP_OK)
        return st;
    char sql[192];
    snprintf(sql, sizeof sql, "%s %s%s%s", before, name, again ? "; SAVEPOINT " : "",
             again ? name : "");
    return rp_db_script(db, sql);
}

rp_status_t rp_db_savepoint(rp_db_t *db, const char *name)
{
    return command(db, "SAVEPOINT", name, false);
}

rp_status_t rp_db_savepoint_next(rp_db_t *db, const char *name)
{
    return command(db, "RELEASE SAVEPOINT", name, true);
}

rp_status_t rp_db_savepoint_release(rp_db_t *db, const char *name)
{
    return command(db, "RELEASE SAVEPOINT", name, false);
}

rp_status_t rp_db_savepoint_rollback(rp_db_t *db, const char *name)
{
    rp_status_t st = checked(db, name);
    if (st != RP_OK)
        return st;
    /* Only a statement's own failure is undone by the rollback; the others
     * mean the transaction, or the connection, is gone. */
    if (db->tx_failure != RP_OK && db->tx_failure != RP_EDB && db->tx_failure != RP_ECONFLICT)
        return db->tx_failure;
    if (!db->tx_sent)
        return misuse(db, "no savepoint can be set before the transaction started");
    if (!db->l->connected || rp_db_conn_broken(db)) {
        rp_db_mark_lost(db, "the connection to the database broke mid-request");
        return RP_EDB_UNAVAILABLE;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT %s", name);
    PGresult *r = PQexec(db->l->conn, sql);
    ExecStatusType rs = PQresultStatus(r);
    if (r != NULL && rs == PGRES_COMMAND_OK) {
        db->tx_failure = RP_OK;
        rp_db_clear_error(db);
        st = RP_OK;
    } else {
        st = rp_db_fail_result(db, r);
        db->tx_failure = st;
    }
    PQclear(r);
    return st;
}
