#ifndef RP_IT_INTERNAL_H
#define RP_IT_INTERNAL_H

/* Shared between the harness files only; tests include it.h. */

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

/* What the harness has started, so clean-up can stop it by PID. */
typedef struct rp_it_state {
    char name[64];
    char dir[64];           /* the mkdtemp work directory */
    char pgdata[PATH_MAX];  /* the cluster's data directory */
    char sockdir[PATH_MAX]; /* the cluster's socket directory */
    char datadir[PATH_MAX]; /* RAPPORT_DATA_DIR */
    char server_log[PATH_MAX];
    char pg_log[PATH_MAX];
    char bindir[PATH_MAX]; /* PostgreSQL's programs */
    bool initialised;      /* initdb and the roles are done */
    pid_t pg_pid;          /* the postmaster, 0 when not running */
    pid_t server_pid;      /* rapport serve, 0 when not running */
    int server_rc;         /* exit code of the last server that exited, -1 if none */
    int server_port;
    int cli_runs; /* numbers capture files */
} rp_it_state_t;

extern rp_it_state_t rp_it_g;

/* How a child is started. */
typedef struct rp_it_spawn {
    const char *const *argv;
    const char *const *env; /* "NAME=value" added to a cleaned copy of environ */
    bool as_postgres;       /* when root, run as the postgres user */
    const char *stdin_path; /* NULL: /dev/null */
    const char *out_path;   /* NULL: /dev/null; opened for append */
    const char *err_path;   /* NULL: same as out_path */
    int death_signal;       /* sent to the child if this program dies first; 0 none */
    const char *cwd;        /* working directory of the child; NULL: inherited */
} rp_it_spawn_t;

/* Forks and execs; returns the child's PID or -1 (errno set). */
pid_t rp_it_spawn(const rp_it_spawn_t *s);

/* Waits up to timeout_s for pid; returns its exit code (128 + signal when
 * killed), or -2 on timeout (the child keeps running). */
int rp_it_wait(pid_t pid, double timeout_s);

/* Spawns, waits up to timeout_s, and kills the child on timeout (then
 * returns -1). */
int rp_it_run(const rp_it_spawn_t *s, double timeout_s);

/* Reads a whole file into a malloc'd NUL-terminated string; NULL on error. */
char *rp_it_read_file(const char *path, size_t *len);

/* Writes data to path (mode 0600); 0 on success. */
int rp_it_write_file(const char *path, const char *data);

/* Removes a directory tree; best effort. */
void rp_it_rmtree(const char *path);

/* Prints the last max_lines lines of a file to stderr under a title. */
void rp_it_print_tail(const char *title, const char *path, int max_lines);

/* Stops the server and the cluster at once, without assertions. */
void rp_it_stop_all(void);

/* The environment every rapport child gets: database, data dir, secret. */
const char *const *rp_it_rapport_env(void);

#endif
