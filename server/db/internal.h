#ifndef RP_DB_INTERNAL_H
#define RP_DB_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/uuid.h"
#include "db/db.h"

/* Shared by the files of server/db only: nothing outside this folder may
 * include it, so libpq types stay here. */

/* Prepared statements kept per connection. Bounded so that generated SQL
 * (query compiler, scripts) cannot grow a backend's memory without limit. */
#define RP_DB_STMT_CACHE 128

/* Statements evicted from the cache whose DEALLOCATE has not been sent yet. */
#define RP_DB_DEALLOC_MAX 64

/* One cached prepared statement of a connection. */
typedef struct rp_stmt {
    char *sql;     /* the key; NULL when the slot is free */
    uint64_t hash; /* of sql, compared before the text */
    uint64_t used; /* last use tick, for least-recently-used eviction */
    char name[24]; /* server-side statement name */
    bool ready;    /* the server has it (the Parse succeeded) */
    bool sent;     /* its Parse is on the wire (shared connections): do not send another */
} rp_stmt_t;

/* The connection itself: the libpq handle, its reconnection pacing and
 * its statement cache. A plain rp_db_t owns one; sessions opened on a
 * shared connection (rp_db_session_open) point at their owner's, so the
 * prepared statements of one backend serve every session. */
typedef struct rp_dblink {
    PGconn *conn;
    /* What rp_db_cancel uses from another thread; guarded by cancel_lock
     * because a reconnect replaces it. */
    pthread_mutex_t cancel_lock;
    PGcancel *cancel;
    char *conninfo;
    char *set_role;
    bool connected;

    /* Reconnection pacing, in monotonic milliseconds. */
    int64_t next_attempt_ms;
    int backoff_ms;

    rp_stmt_t stmts[RP_DB_STMT_CACHE];
    uint64_t tick;
    unsigned long next_stmt_id;
    char dealloc[RP_DB_DEALLOC_MAX][24];
    int ndealloc;

    /* Sharing: the sessions whose round trips are on the wire, in the order
     * they were sent (their results come back in that order). */
    bool shared;
    bool closed; /* rp_db_share_abort: never to connect again */
    /* A shared connection is re-established by a thread of its own, so that
     * the thread that shares it never blocks in a connect: while
     * reconnecting is set, that thread does not touch the link. */
    atomic_bool reconnecting;
    pthread_t reconnector;
    bool has_reconnector;
    unsigned long generation; /* counts connects: a new socket may reuse the old number */
    rp_db_t *wait_head, *wait_tail;
    int nsessions;
} rp_dblink_t;

/* A unit of work on a connection: its transaction and its last error (see
 * db.h). */
struct rp_db {
    rp_dblink_t *l; /* &own, or the owner's link for a session */
    rp_dblink_t *own;
    rp_db_t *owner; /* sessions: the connection they share */

    /* Sessions: how to wait for the shared connection without blocking the
     * thread, and the next session in the link's wait queue. */
    void (*yield)(void *arg);
    void *yield_arg;
    rp_db_t *wait_next;
    bool waiting;

    /* Transaction state between rp_db_begin and commit/rollback. */
    bool in_tx;
    bool tx_sent;           /* BEGIN reached the server */
    rp_status_t tx_failure; /* RP_OK, or why the transaction can no longer commit */
    bool has_tenant;
    bool read_mode; /* rp_db_begin_read: each statement its own guarded implicit transaction */
    char tenant_id[RP_UUID_LEN + 1];
    /* The tenant's metadata version: the one the caller expects (checked by
     * the guard), the one the guard read, and whether they differed. */
    bool expect_set;
    long long expect_version;
    bool version_known;
    long long version;
    bool stale;

    char errmsg[512];
    char sqlstate[6];
    char constraint[128];
    int errpos; /* 1-based character position of the error in the statement, 0 if none */
};

/* A result handed to the caller: it owns the PGresult. */
struct rp_dbres {
    PGresult *res;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t rp_db_now_ms(void);

/* Records a client-side error message (no SQLSTATE). */
void rp_db_set_error(rp_db_t *db, const char *msg);

/* Clears the last error. */
void rp_db_clear_error(rp_db_t *db);

/* Records the error carried by res and returns the status it maps to:
 * RP_ECONFLICT for a unique violation, RP_EDB_UNAVAILABLE when the
 * connection is gone (and marks it so), RP_EDB otherwise. */
rp_status_t rp_db_fail_result(rp_db_t *db, const PGresult *res);

/* Marks the connection lost: the next rp_db_ensure reconnects. */
void rp_db_mark_lost(rp_db_t *db, const char *why);

/* True when the connection is no longer usable after an error. */
bool rp_db_conn_broken(const rp_db_t *db);

/* After a loss seen on the first round trip of a unit of work (so nothing
 * of it can have committed), reconnects at once even though the caller's
 * transaction has begun on our side; the caller then sends it again. */
rp_status_t rp_db_reconnect_once(rp_db_t *db);

/* Connects (again) now, blocking; RP_OK or RP_EDB_UNAVAILABLE with the
 * backoff advanced. */
rp_status_t rp_db_connect(rp_db_t *db);

/* Reads what an idle connection received, without blocking: false when
 * the server has gone away meanwhile. */
bool rp_db_probe(rp_db_t *db);

/* Forgets the transaction state (after commit, rollback or a lost
 * connection). */
void rp_db_reset_tx(rp_db_t *db);

/* Finds sql in the cache (or makes room for it) and returns its slot.
 * *fresh is set when the statement must be prepared on the server first. */
rp_stmt_t *rp_db_stmt_get(rp_db_t *db, const char *sql, bool *fresh);

/* Forgets a statement whose preparation failed or whose plan went stale. */
void rp_db_stmt_drop(rp_db_t *db, rp_stmt_t *s);

/* Empties the cache without telling the server (after a reconnect the old
 * session's statements are gone anyway). */
void rp_db_stmt_reset(rp_db_t *db);

/* Frees the cache's memory. */
void rp_db_stmt_free(rp_db_t *db);

#endif
