#ifndef RP_DB_EMBEDDED_INTERNAL_H
#define RP_DB_EMBEDDED_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/embedded.h"
#include "db/embedded_run.h"

/* Shared by the embedded_*.c files only. */

/* Where the cluster goes when the PostgreSQL user cannot reach the data
 * directory (a data dir under a root-only home). */
#define RP_EMBEDDED_RELOCATED_ROOT "/var/lib/rapport/clusters"

/* How long a command waits for another command to finish with the data dir,
 * and for a cluster to accept connections. */
#define RP_EMBEDDED_LOCK_WAIT_MS 60000
#define RP_EMBEDDED_READY_WAIT_MS 120000

struct rp_embedded {
    char data_dir[PATH_MAX]; /* absolute */
    char pg_link[PATH_MAX];  /* <data_dir>/pg, a directory or a symlink to one */
    char cluster[PATH_MAX];  /* the real cluster directory (PGDATA and socket dir) */
    char bindir[PATH_MAX];
    char setup_log[PATH_MAX];
    rp_pg_user_t user;
    int lock_fd;
    bool holder;   /* we hold rapport.lock: the cluster is ours to stop */
    bool borrowed; /* a serve holds it: we only connect */
    bool serve;    /* for the life of a server: worth saying more */
    rp_buf_t owner_conninfo;
    rp_buf_t app_conninfo;
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t rp_embedded_now_ms(void);

/* Sleeps, resuming after signals. */
void rp_embedded_sleep_ms(int ms);

/* out = a + "/" + b; false when it does not fit. */
bool rp_embedded_path(char *out, size_t outlen, const char *a, const char *b);

/* True for an existing regular file. */
bool rp_embedded_is_file(const char *path);

/* mkdir -p; the last component gets mode. */
rp_status_t rp_embedded_mkdir_p(const char *path, mode_t mode, char *err, size_t errlen);

/* Takes rapport.lock (holder) or finds a serve holding it (borrowed). */
rp_status_t rp_embedded_take_lock(rp_embedded_t *e, rp_embedded_mode_t mode, char *err,
                                  size_t errlen);

/* Writes "ROLE PID" into the held lock file. */
bool rp_embedded_write_holder(int fd, const char *role);

/* Finds initdb and pg_ctl (RAPPORT_PG_BINDIR, the cluster's own major
 * version, pg_config --bindir, the newest /usr/lib/postgresql/N/bin). */
rp_status_t rp_embedded_find_bindir(rp_embedded_t *e, char *err, size_t errlen);

/* Chooses who runs PostgreSQL: ourselves, or 'postgres' when we are root. */
rp_status_t rp_embedded_pick_user(rp_embedded_t *e, char *err, size_t errlen);

/* Decides where the cluster lives (<data_dir>/pg, or a relocated directory
 * linked from there) and makes it ready for the PostgreSQL user. */
rp_status_t rp_embedded_prepare_dir(rp_embedded_t *e, char *err, size_t errlen);

/* Follows <data_dir>/pg without creating anything. */
rp_status_t rp_embedded_locate(rp_embedded_t *e, char *err, size_t errlen);

/* Fails clearly when the socket path would not fit a unix address. */
rp_status_t rp_embedded_check_socket(rp_embedded_t *e, char *err, size_t errlen);

/* (Re)writes <cluster>/rapport.conf. */
rp_status_t rp_embedded_write_conf(rp_embedded_t *e, char *err, size_t errlen);

/* Runs pg_ctl ACTION -D <cluster> followed by extra (NULL-terminated, may
 * be NULL); returns its exit status. */
int rp_embedded_pg_ctl(rp_embedded_t *e, const char *action, const char *const *extra);

/* initdb into the empty cluster directory, then the include line. */
rp_status_t rp_embedded_initdb(rp_embedded_t *e, char *err, size_t errlen);

/* A keyword/value connection string to the cluster's socket. */
rp_status_t rp_embedded_conninfo(rp_buf_t *b, const char *dir, const char *db, const char *user);

/* Waits up to wait_ms for the cluster to take connections. */
bool rp_embedded_wait_ready(rp_embedded_t *e, int64_t wait_ms);

/* Adopts a running cluster or starts it, then waits until it answers. */
rp_status_t rp_embedded_start(rp_embedded_t *e, char *err, size_t errlen);

/* Creates or re-asserts the roles and the database. */
rp_status_t rp_embedded_bootstrap(rp_embedded_t *e, char *err, size_t errlen);

#endif
