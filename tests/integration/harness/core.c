#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "it.h"

rp_it_state_t rp_it_g;

typedef struct tracked {
    void *p;
    void (*freefn)(void *);
    struct tracked *next;
} tracked_t;

static tracked_t *tracked_head;
static pthread_mutex_t tracked_lock = PTHREAD_MUTEX_INITIALIZER;
static bool finished;

void *rp_it_track(void *p, void (*freefn)(void *))
{
    if (p == NULL)
        return NULL;
    tracked_t *t = malloc(sizeof *t);
    if (t == NULL) {
        freefn(p);
        fprintf(stderr, "rapport-it: out of memory\n");
        abort();
    }
    t->p = p;
    t->freefn = freefn;
    pthread_mutex_lock(&tracked_lock);
    t->next = tracked_head;
    tracked_head = t;
    pthread_mutex_unlock(&tracked_lock);
    return p;
}

static void free_tracked(void)
{
    pthread_mutex_lock(&tracked_lock);
    tracked_t *t = tracked_head;
    tracked_head = NULL;
    pthread_mutex_unlock(&tracked_lock);
    while (t != NULL) {
        tracked_t *next = t->next;
        t->freefn(t->p);
        free(t);
        t = next;
    }
}

static void json_free(void *p)
{
    json_decref(p);
}

json_t *rp_it_track_json(json_t *j)
{
    return rp_it_track(j, json_free);
}

int rp_it_test_teardown(void **state)
{
    (void)state;
    free_tracked();
    return 0;
}

const char *rp_it_dir(void)
{
    return rp_it_g.dir;
}

/* A test program killed from outside (ctest's timeout, ^C) must not leave a
 * server or a cluster behind: stop ours by PID and go. Only kill() and
 * _exit() here, which are safe in a signal handler. */
static void on_signal(int sig)
{
    if (rp_it_g.server_pid > 0)
        kill(rp_it_g.server_pid, SIGKILL);
    if (rp_it_g.pg_pid > 0)
        kill(rp_it_g.pg_pid, SIGQUIT);
    _exit(128 + sig);
}

static void at_exit(void)
{
    if (finished)
        return;
    finished = true;
    rp_it_stop_all();
    if (rp_it_g.dir[0] && getenv("RAPPORT_IT_KEEP") == NULL)
        rp_it_rmtree(rp_it_g.dir);
}

/* A helper process that outlives this program, however it ends (even
 * SIGKILL from ctest's timeout), and then removes the work directory once
 * PostgreSQL, stopped by its parent-death signal, has let go of it. */
static void start_reaper(void)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return;
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid > 0) {
        close(fds[0]); /* the write end stays open for our whole life */
        return;
    }
    close(fds[1]);
    /* Holding the test's output open would make ctest wait for us. */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    char c;
    while (read(fds[0], &c, 1) < 0 && errno == EINTR)
        ;
    char pidfile[PATH_MAX + 32];
    snprintf(pidfile, sizeof pidfile, "%s/postmaster.pid", rp_it_g.pgdata);
    for (int i = 0; i < 300 && access(pidfile, F_OK) == 0; i++)
        rp_it_sleep_ms(100);
    if (access(rp_it_g.dir, F_OK) == 0 && getenv("RAPPORT_IT_KEEP") == NULL)
        rp_it_rmtree(rp_it_g.dir);
    _exit(0);
}

void rp_it_init(const char *name)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(rp_it_g.name, sizeof rp_it_g.name, "%s", name);
    rp_it_g.server_rc = -1;
    const char *filter = getenv("RAPPORT_IT_FILTER");
    if (filter != NULL && *filter)
        cmocka_set_test_filter(filter);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || sodium_init() < 0) {
        fprintf(stderr, "rapport-it: cannot initialise libcurl or libsodium\n");
        exit(1);
    }
    snprintf(rp_it_g.dir, sizeof rp_it_g.dir, "/tmp/rpit-XXXXXX");
    if (mkdtemp(rp_it_g.dir) == NULL) {
        fprintf(stderr, "rapport-it: mkdtemp: %s\n", strerror(errno));
        exit(1);
    }
    /* PostgreSQL may run as another user, who must be able to traverse it. */
    chmod(rp_it_g.dir, 0755);
    snprintf(rp_it_g.pgdata, sizeof rp_it_g.pgdata, "%s/pg", rp_it_g.dir);
    snprintf(rp_it_g.sockdir, sizeof rp_it_g.sockdir, "%s/sock", rp_it_g.dir);
    snprintf(rp_it_g.datadir, sizeof rp_it_g.datadir, "%s/data", rp_it_g.dir);
    snprintf(rp_it_g.server_log, sizeof rp_it_g.server_log, "%s/server.log", rp_it_g.dir);
    snprintf(rp_it_g.pg_log, sizeof rp_it_g.pg_log, "%s/postgres.log", rp_it_g.dir);
    if (mkdir(rp_it_g.datadir, 0700) != 0) {
        fprintf(stderr, "rapport-it: mkdir %s: %s\n", rp_it_g.datadir, strerror(errno));
        exit(1);
    }
    start_reaper();
    atexit(at_exit);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* A server that dies mid-response must fail a test, not kill the program. */
    signal(SIGPIPE, SIG_IGN);
    printf("# %s: work directory %s\n", name, rp_it_g.dir);
}

int rp_it_finish(int failed)
{
    if (failed) {
        rp_it_print_tail("rapport serve log", rp_it_g.server_log, 200);
        rp_it_print_tail("PostgreSQL log", rp_it_g.pg_log, 60);
    }
    rp_it_stop_all();
    free_tracked();
    curl_global_cleanup();
    if (getenv("RAPPORT_IT_KEEP") == NULL)
        rp_it_rmtree(rp_it_g.dir);
    else
        fprintf(stderr, "# %s: kept %s\n", rp_it_g.name, rp_it_g.dir);
    finished = true;
    return failed ? 1 : 0;
}

void rp_it_fail_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint_error(fmt, ap);
    va_end(ap);
    print_error("\n");
    _fail(file, line);
    abort(); /* _fail does not return inside a test */
}

const char *rp_it_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        RP_IT_FAIL("out of memory");
    return rp_it_track(s, free);
}

int rp_it_count_lines(const char *s)
{
    int n = 0;
    if (s == NULL)
        return 0;
    for (const char *p = s; *p; p++)
        if (*p == '\n')
            n++;
    size_t len = strlen(s);
    if (len > 0 && s[len - 1] != '\n')
        n++;
    return n;
}
