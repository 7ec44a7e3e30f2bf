#ifndef RP_DB_DB_H
#define RP_DB_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* One PostgreSQL connection. Only server/db sees libpq; everyone else uses
 * these calls. A connection belongs to one thread at a time (a worker owns
 * one for its whole life). */
typedef struct rp_db rp_db_t;

/* The rows of one statement, in text format. */
typedef struct rp_dbres rp_dbres_t;

/* Connects. When set_role is not NULL, the session runs SET ROLE to it once
 * connected (used when the serving role has no login of its own). A
 * connection that fails is still returned (so the caller can retry with
 * rp_db_ensure) together with RP_EDB_UNAVAILABLE; *out is NULL only on
 * RP_ENOMEM. */
rp_status_t rp_db_open(rp_db_t **out, const char *conninfo, const char *set_role);

/* Closes and frees. NULL is fine. */
void rp_db_close(rp_db_t *db);

/* Asks the server to cancel the statement this connection is running, if
 * any. The one call that may come from another thread than the owner's:
 * shutdown uses it to free workers stuck past the drain deadline. */
rp_status_t rp_db_cancel(rp_db_t *db);

/* Makes sure the connection is usable, reconnecting with exponential backoff
 * (50 ms doubling to 5 s) when it was lost: returns RP_OK or, while the
 * database stays away or the backoff has not elapsed, RP_EDB_UNAVAILABLE
 * at once (callers answer 503 instead of waiting). */
rp_status_t rp_db_ensure(rp_db_t *db);

/* True while the connection is believed to be up. */
bool rp_db_connected(const rp_db_t *db);

/* Starts a transaction scoped to tenant_id (NULL: no tenant, which under
 * row-level security sees no tenant rows). Nothing is sent yet: BEGIN, the
 * tenant guard and the first statement go to the server in one pipelined
 * round trip. The guard sets rapport.tenant_id only if the tenant exists
 * and is active; otherwise the first rp_db_exec returns RP_ETENANT. */
rp_status_t rp_db_begin(rp_db_t *db, const char *tenant_id);

/* rp_db_begin for a request that only reads: nothing is sent at the end.
 * Each statement goes out with the tenant guard as one implicit
 * transaction (one round trip, no BEGIN or COMMIT), which under READ
 * COMMITTED sees exactly what it would have seen inside a transaction. A
 * statement that writes would commit at once: read routes must not write.
 * Commit and rollback only end the state. */
rp_status_t rp_db_begin_read(rp_db_t *db, const char *tenant_id);

/* Runs one statement with text parameters ($1..$n; NULL entries are SQL
 * NULL). Inside rp_db_begin it joins the transaction; outside it runs on its
 * own. out may be NULL when the rows are not wanted. On RP_EDB the message,
 * SQLSTATE and constraint are kept for rp_db_error*(); a unique violation
 * returns RP_ECONFLICT. */
rp_status_t rp_db_exec(rp_db_t *db, const char *sql, int nparams, const char *const *params,
                       rp_dbres_t **out);

/* Commits the transaction opened by rp_db_begin. A transaction in which no
 * statement ran costs nothing. */
rp_status_t rp_db_commit(rp_db_t *db);

/* Rolls back (or forgets a transaction that never reached the server). */
void rp_db_rollback(rp_db_t *db);

/* True between rp_db_begin and commit/rollback. */
bool rp_db_in_tx(const rp_db_t *db);

/* Savepoints, for a unit of work that must keep going after one of its
 * parts is refused (an import that reports bad rows and keeps the good
 * ones). name goes into the SQL text, as identifiers cannot be parameters:
 * it must be a constant of lower-case letters, digits and '_' (at most 63,
 * not starting with a digit), else RP_EINVAL. Each needs an open
 * transaction of rp_db_begin (not rp_db_begin_read) and sends one round
 * trip; a savepoint set before the transaction's first statement sends
 * BEGIN and the tenant guard with it. */

/* SAVEPOINT name. */
rp_status_t rp_db_savepoint(rp_db_t *db, const char *name);

/* RELEASE SAVEPOINT name and SAVEPOINT name again, in one round trip: what
 * a loop needs between two parts that went well. */
rp_status_t rp_db_savepoint_next(rp_db_t *db, const char *name);

/* RELEASE SAVEPOINT name: keeps what was done since it was set. */
rp_status_t rp_db_savepoint_release(rp_db_t *db, const char *name);

/* ROLLBACK TO SAVEPOINT name: undoes everything since it was set, and
 * makes the transaction usable again after a statement failed in the
 * meantime (RP_EDB, RP_ECONFLICT). The savepoint stays set. A transaction
 * that cannot go on (a lost connection, a refused tenant, stale metadata)
 * still answers its failure. */
rp_status_t rp_db_savepoint_rollback(rp_db_t *db, const char *name);

/* Optimistic metadata: makes the guard of the transaction just begun also
 * check that the tenant's metadata_version is version, so a request can
 * build its first statement from a cached snapshot and still send it in the
 * same round trip as the guard. When the version differs, the transaction
 * is rolled back before anything it did can commit, every later call
 * answers RP_ESTALE and rp_db_stale() is true: the caller runs the request
 * again with fresh metadata. Only before the first statement. */
void rp_db_expect_version(rp_db_t *db, long long version);

/* The tenant's metadata_version as the transaction's guard read it; false
 * until the first statement has run. */
bool rp_db_tenant_version(const rp_db_t *db, long long *out);

/* True when the guard found another metadata version than the expected one
 * (until commit or rollback). */
bool rp_db_stale(const rp_db_t *db);

/* Sends the guard now if a version is expected and no statement has run
 * yet, so that an answer built from a cached snapshot alone is checked
 * before it is given. RP_ESTALE, RP_ETENANT, or a database failure. */
rp_status_t rp_db_settle(rp_db_t *db);

/* A single read in one round trip: tenant guard and statement pipelined in
 * one implicit transaction, no BEGIN/COMMIT. Returns RP_ETENANT when the
 * tenant is not active. */
rp_status_t rp_db_read(rp_db_t *db, const char *tenant_id, const char *sql, int nparams,
                       const char *const *params, rp_dbres_t **out);

/* Sharing one connection between many units of work on one thread (the
 * HTTP threads' short reads): each unit opens a session on the shared
 * connection and uses it like a connection of its own, but only for reads
 * (rp_db_begin_read, rp_db_read, rp_db_exec outside a transaction;
 * rp_db_begin and rp_db_script answer RP_EINVAL). A session's round trip
 * goes on the wire at once, pipelined behind the others' (each its own
 * guarded implicit transaction), and instead of blocking for the answer
 * the session calls yield(arg), which must switch to the thread's
 * scheduler. The scheduler resumes, one at a time, the sessions that
 * rp_db_share_next names, whenever the socket of rp_db_share_socket is
 * readable or a session has just yielded or finished. So a thread keeps
 * serving while PostgreSQL works, and PostgreSQL answers many requests per
 * wake-up. Modelled on how event-driven servers multiplex one database
 * connection between requests. */

/* Opens a session on owner, a connection from rp_db_open that is used only
 * through sessions from now on. RP_EINVAL when owner is itself a session. */
rp_status_t rp_db_session_open(rp_db_t **out, rp_db_t *owner, void (*yield)(void *arg), void *arg);

/* Closes a session (between units of work); rp_db_close does the same. The
 * owner is closed only after all its sessions. */
void rp_db_session_close(rp_db_t *s);

/* The arg the session was opened with: who to resume. */
void *rp_db_session_arg(const rp_db_t *s);

/* The shared connection's socket to watch for readability, -1 while it is
 * down (or found closed by rp_db_share_next). It changes when the connection is re-established,
 * perhaps to the same number: *generation changes with every new connection. */
int rp_db_share_socket(const rp_db_t *owner, unsigned long *generation);

/* True while some session waits for an answer on owner. */
bool rp_db_share_waiting(const rp_db_t *owner);

/* Reads what has arrived (never blocks) and returns the session that can
 * now take its results without blocking, or NULL. Resume it, then ask
 * again. */
rp_db_t *rp_db_share_next(rp_db_t *owner);

/* True when owner can take a session's round trip now: connected, and,
 * when nobody waits on it, still there (a non-blocking probe). Otherwise
 * false, and a connection that was lost is re-established on a thread of
 * its own (with the usual backoff), never blocking the caller; meanwhile
 * the caller sends its work elsewhere (the workers). */
bool rp_db_share_usable(rp_db_t *owner);

/* Drops the shared connection at once (shutdown past its deadline): every
 * waiting session, once resumed, answers RP_EDB_UNAVAILABLE. */
void rp_db_share_abort(rp_db_t *owner);

/* Runs a multi-statement SQL script with the simple query protocol (no
 * parameters); used by migrations. */
rp_status_t rp_db_script(rp_db_t *db, const char *sql);

/* The last error message from the server or the connection ("" if none). */
const char *rp_db_error(const rp_db_t *db);

/* The SQLSTATE of the last error ("" if none). */
const char *rp_db_sqlstate(const rp_db_t *db);

/* The constraint named by the last error ("" if none). */
const char *rp_db_constraint(const rp_db_t *db);

/* Describes a connection string (keyword/value or URI) for logs and
 * messages as user@host:port/dbname, never with its password. Writes
 * "(unparsable connection string)" when libpq cannot read it. */
void rp_db_describe(const char *conninfo, char *out, size_t outlen);

/* Number of rows. */
int rp_dbres_rows(const rp_dbres_t *res);

/* Rows affected by an INSERT/UPDATE/DELETE. */
long rp_dbres_affected(const rp_dbres_t *res);

/* Value at row, col in text form; "" for NULL. */
const char *rp_dbres_get(const rp_dbres_t *res, int row, int col);

/* True when the value is SQL NULL. */
bool rp_dbres_null(const rp_dbres_t *res, int row, int col);

/* Column index by name, -1 if absent. */
int rp_dbres_col(const rp_dbres_t *res, const char *name);

/* Frees a result. NULL is fine. */
void rp_dbres_free(rp_dbres_t *res);

#endif
