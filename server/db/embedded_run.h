#ifndef RP_DB_EMBEDDED_RUN_H
#define RP_DB_EMBEDDED_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who PostgreSQL's programs run as: the current user, or (when we are root)
 * an unprivileged system user, since initdb, pg_ctl and postgres all refuse
 * to run as root. */
typedef struct rp_pg_user {
    bool drop; /* switch to uid/gid in the child */
    uid_t uid;
    gid_t gid;
    char name[64];
} rp_pg_user_t;

/* Runs argv[0] (an absolute path) with argv as that user, stdin from
 * /dev/null and stdout/stderr appended to log_path (or discarded when NULL).
 * Returns the exit status, or -1 when it could not run or was killed. */
int rp_pg_run(const rp_pg_user_t *as, char *const argv[], const char *log_path);

/* Runs a program found in PATH as the current user and captures the first
 * line it prints into out. Returns false when it did not run or failed. */
bool rp_pg_capture(const char *prog, const char *arg, char *out, size_t outlen);

/* True when that user can reach path (search permission on it and every
 * directory above it). */
bool rp_pg_can_reach(const rp_pg_user_t *as, const char *path);

#endif
