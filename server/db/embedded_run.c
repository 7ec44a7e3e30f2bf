#include "db/embedded_run.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* In the child only: become the user, or die trying (never run PostgreSQL's
 * tools as root by accident). */
static void become(const rp_pg_user_t *as)
{
    if (!as->drop)
        return;
    if (setgid(as->gid) != 0 || initgroups(as->name, as->gid) != 0 || setuid(as->uid) != 0)
        _exit(126);
    if (setuid(0) == 0)
        _exit(126);
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int rp_pg_run(const rp_pg_user_t *as, char *const argv[], const char *log_path)
{
    int out = log_path ? open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)
                       : open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (out < 0)
        return -1;
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        close(out);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(126);
        become(as);
        /* A working directory the user may not enter makes initdb and
         * postgres complain; "/" is always reachable. */
        if (chdir("/") != 0)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in);
    close(out);
    if (pid < 0)
        return -1;
    return wait_child(pid);
}

bool rp_pg_capture(const char *prog, const char *arg, char *out, size_t outlen)
{
    int fds[2];
    if (outlen == 0 || pipe2(fds, O_CLOEXEC) != 0)
        return false;
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (dup2(fds[1], 1) < 0 || devnull < 0 || dup2(devnull, 2) < 0 || dup2(devnull, 0) < 0)
            _exit(126);
        execlp(prog, prog, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return false;
    }
    size_t len = 0;
    char scratch[256];
    for (;;) {
        /* Past the caller's room, keep draining so the child never blocks. */
        bool full = len >= outlen - 1;
        ssize_t n = full ? read(fds[0], scratch, sizeof scratch)
                         : read(fds[0], out + len, outlen - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (!full)
            len += (size_t)n;
    }
    close(fds[0]);
    out[len] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return wait_child(pid) == 0 && out[0] != '\0';
}

bool rp_pg_can_reach(const rp_pg_user_t *as, const char *path)
{
    if (!as->drop)
        return access(path, X_OK) == 0;
    pid_t pid = fork();
    if (pid == 0) {
        become(as);
        _exit(access(path, X_OK) == 0 ? 0 : 1);
    }
    if (pid < 0)
        return false;
    return wait_child(pid) == 0;
}
