#ifndef RP_DB_EMBEDDED_H
#define RP_DB_EMBEDDED_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/status.h"

/* The embedded default: a private PostgreSQL cluster in <data_dir>/pg,
 * reachable only through a unix socket inside that directory (no TCP port),
 * with an owner role `rapport` (owns the database and every table) and a
 * serving role `rapport_app` (owns nothing, no BYPASSRLS).
 *
 * One file, <data_dir>/rapport.lock, says who runs the cluster: `serve`
 * holds it for its whole life; any other command either finds a serve
 * there and uses its cluster, or takes the lock and runs the cluster for its
 * own duration. Whoever holds the lock stops the cluster when done; a crashed
 * holder leaves a running or stale cluster that the next holder adopts or
 * restarts. */
typedef struct rp_embedded rp_embedded_t;

typedef enum rp_embedded_mode {
    RP_EMBEDDED_SERVE,   /* exclusive for the process's life; refuses a second serve */
    RP_EMBEDDED_COMMAND, /* a short command: shares a serve's cluster or runs its own */
} rp_embedded_mode_t;

/* Takes the data directory (created if missing), creates the cluster on first
 * use, starts or adopts it, and makes sure both roles and the database
 * exist. Progress worth knowing (root handling, first initialisation) goes to
 * stderr as plain lines. RP_EBUSY when another serve holds the directory;
 * other failures carry a one-line reason in err. */
rp_status_t rp_embedded_acquire(const char *data_dir, rp_embedded_mode_t mode, rp_embedded_t **out,
                                char *err, size_t errlen);

/* libpq connection string for the owner role (migrations, CLI). */
const char *rp_embedded_owner_conninfo(const rp_embedded_t *e);

/* libpq connection string for the serving role (workers). */
const char *rp_embedded_app_conninfo(const rp_embedded_t *e);

/* The cluster directory actually used (after following a symlink). */
const char *rp_embedded_cluster_dir(const rp_embedded_t *e);

/* True when the cluster belongs to a running `serve` and this process only
 * borrows it. */
bool rp_embedded_borrowed(const rp_embedded_t *e);

/* Stops the cluster when this process holds the lock, releases the lock and
 * frees e. NULL is fine. */
void rp_embedded_release(rp_embedded_t *e);

/* What a lock file says about its holder. */
typedef struct rp_lock_holder {
    char role[16]; /* "serve", "starting" (a serve not ready yet), "command" or "" */
    pid_t pid;     /* 0 when unknown */
} rp_lock_holder_t;

/* Parses the lock file's text ("serve 1234\n"). Returns false, with an empty
 * holder, for anything else. */
bool rp_embedded_parse_lock(const char *text, rp_lock_holder_t *out);

/* Longest directory whose PostgreSQL socket path (dir + "/.s.PGSQL.5432")
 * still fits a unix socket address. */
size_t rp_embedded_max_socket_dir(void);

/* Writes the postgresql.conf include that pins the cluster to its socket
 * directory (quoted as PostgreSQL requires) into out. */
rp_status_t rp_embedded_conf_text(const char *socket_dir, char *out, size_t outlen);

#endif
