#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "it.h"

extern char **environ;

/* The child must not see settings from the shell that ran the suite: a
 * RAPPORT_* or PG* variable there would silently change what is tested. */
static bool inherited(const char *kv)
{
    return strncmp(kv, "RAPPORT_", 8) != 0 && strncmp(kv, "PG", 2) != 0;
}

static bool same_name(const char *a, const char *b)
{
    size_t na = strcspn(a, "="), nb = strcspn(b, "=");
    return na == nb && memcmp(a, b, na) == 0;
}

/* environ without the inherited settings, then env; a later entry replaces
 * an earlier one of the same name. The array is malloc'd, the strings are
 * borrowed. */
static char **build_env(const char *const *env)
{
    size_t n = 0, m = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (const char *const *e = env; e && *e; e++)
        m++;
    char **out = calloc(n + m + 1, sizeof *out);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (char **e = environ; *e; e++)
        if (inherited(*e))
            out[k++] = *e;
    for (const char *const *e = env; e && *e; e++) {
        size_t i;
        for (i = 0; i < k; i++)
            if (same_name(out[i], *e))
                break;
        out[i] = (char *)*e;
        if (i == k)
            k++;
    }
    out[k] = NULL;
    return out;
}

static int open_out(const char *path)
{
    return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

pid_t rp_it_spawn(const rp_it_spawn_t *s)
{
    /* Everything that allocates happens before fork: another thread of the
     * test may hold the allocator's lock at that moment. */
    char **envp = build_env(s->env);
    if (envp == NULL)
        return -1;
    uid_t uid = 0;
    gid_t gid = 0;
    bool drop = s->as_postgres && geteuid() == 0;
    if (drop) {
        struct passwd *pw = getpwnam("postgres");
        if (pw == NULL) {
            free(envp);
            errno = ESRCH;
            return -1;
        }
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }
    int in = open(s->stdin_path ? s->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
    int out = open_out(s->out_path);
    int err = s->err_path ? open_out(s->err_path) : dup(out);
    if (in < 0 || out < 0 || err < 0) {
        int e = errno;
        if (in >= 0)
            close(in);
        if (out >= 0)
            close(out);
        if (err >= 0)
            close(err);
        free(envp);
        errno = e;
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
            _exit(126);
        /* Sockets of the test program (libcurl's, libpq's) stay with it. */
        close_range(3, ~0U, 0);
        if (drop && (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0))
            _exit(126);
        /* Set after the change of user, which clears it. */
        if (s->death_signal && prctl(PR_SET_PDEATHSIG, s->death_signal) != 0)
            _exit(126);
        if (getppid() != parent)
            _exit(126);
        if (s->cwd != NULL && chdir(s->cwd) != 0)
            _exit(126);
        execve(s->argv[0], (char *const *)s->argv, envp);
        _exit(127);
    }
    int e = errno;
    close(in);
    close(out);
    close(err);
    free(envp);
    errno = e;
    return pid;
}

int rp_it_wait(pid_t pid, double timeout_s)
{
    double deadline = rp_it_now() + timeout_s;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status))
                return WEXITSTATUS(status);
            if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
            continue;
        }
        if (r < 0 && errno != EINTR)
            return -1;
        if (rp_it_now() >= deadline)
            return -2;
        rp_it_sleep_ms(10);
    }
}

int rp_it_run(const rp_it_spawn_t *s, double timeout_s)
{
    pid_t pid = rp_it_spawn(s);
    if (pid < 0)
        return -1;
    int rc = rp_it_wait(pid, timeout_s);
    if (rc == -2) {
        kill(pid, SIGKILL);
        rp_it_wait(pid, 10);
        return -1;
    }
    return rc;
}

char *rp_it_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf == NULL)
        return NULL;
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int rp_it_write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(data), off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

void rp_it_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (d != NULL) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char child[PATH_MAX];
            if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child)
                continue;
            struct stat st;
            if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
                rp_it_rmtree(child);
            else
                unlink(child);
        }
        closedir(d);
    }
    rmdir(path);
}

void rp_it_print_tail(const char *title, const char *path, int max_lines)
{
    size_t len = 0;
    char *text = rp_it_read_file(path, &len);
    if (text == NULL)
        return;
    const char *start = text + len;
    int lines = 0;
    while (start > text) {
        if (start[-1] == '\n' && ++lines > max_lines)
            break;
        start--;
    }
    fprintf(stderr, "----- %s (%s, last %d lines) -----\n%s", title, path, max_lines, start);
    if (len > 0 && text[len - 1] != '\n')
        fputc('\n', stderr);
    fprintf(stderr, "----- end of %s -----\n", title);
    free(text);
}

double rp_it_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rp_it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
