#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db/embedded_internal.h"

bool rp_embedded_parse_lock(const char *text, rp_lock_holder_t *out)
{
    memset(out, 0, sizeof *out);
    if (text == NULL)
        return false;
    const char *sp = strchr(text, ' ');
    if (sp == NULL)
        return false;
    size_t rlen = (size_t)(sp - text);
    bool known = (rlen == 5 && strncmp(text, "serve", 5) == 0) ||
                 (rlen == 7 && strncmp(text, "command", 7) == 0) ||
                 (rlen == 8 && strncmp(text, "starting", 8) == 0);
    if (!known)
        return false;
    const char *p = sp + 1;
    if (!isdigit((unsigned char)*p))
        return false;
    char *end;
    long pid = strtol(p, &end, 10);
    if (pid <= 0 || pid > 0x7fffffffL || (*end != '\0' && *end != '\n'))
        return false;
    memcpy(out->role, text, rlen);
    out->role[rlen] = '\0';
    out->pid = (pid_t)pid;
    return true;
}

static void read_holder(int fd, rp_lock_holder_t *h)
{
    char text[64];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    text[n > 0 ? n : 0] = '\0';
    rp_embedded_parse_lock(text, h);
}

bool rp_embedded_write_holder(int fd, const char *role)
{
    char text[64];
    int n = snprintf(text, sizeof text, "%s %ld\n", role, (long)getpid());
    return ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)n, 0) == n;
}

/* Takes rapport.lock, or learns that a serve holds it (borrowed). Another
 * command holding it is waited for: commands are short. */
rp_status_t rp_embedded_take_lock(rp_embedded_t *e, rp_embedded_mode_t mode, char *err,
                                  size_t errlen)
{
    char path[PATH_MAX];
    if (!rp_embedded_path(path, sizeof path, e->data_dir, "rapport.lock")) {
        snprintf(err, errlen, "%s: path too long", e->data_dir);
        return RP_EINVAL;
    }
    /* O_CLOEXEC matters: a postmaster inheriting this descriptor would keep
     * the lock alive after we are gone. */
    e->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (e->lock_fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return RP_EIO;
    }
    int64_t deadline = rp_embedded_now_ms() + RP_EMBEDDED_LOCK_WAIT_MS;
    bool told = false;
    for (;;) {
        if (flock(e->lock_fd, LOCK_EX | LOCK_NB) == 0) {
            if (!rp_embedded_write_holder(e->lock_fd,
                                          mode == RP_EMBEDDED_SERVE ? "starting" : "command")) {
                snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
                return RP_EIO;
            }
            e->holder = true;
            return RP_OK;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
            return RP_EIO;
        }
        rp_lock_holder_t h;
        read_holder(e->lock_fd, &h);
        if (strcmp(h.role, "serve") == 0) {
            if (mode == RP_EMBEDDED_SERVE) {
                snprintf(err, errlen,
                         "another rapport serve (pid %ld) is already running on data dir %s",
                         (long)h.pid, e->data_dir);
                return RP_EBUSY;
            }
            e->borrowed = true;
            return RP_OK;
        }
        /* A command, a serve still starting, or a holder that has not yet
         * written its name: all are moments away. */
        if (rp_embedded_now_ms() > deadline) {
            snprintf(err, errlen, "data dir %s is still locked by rapport (pid %ld) after %d s",
                     e->data_dir, (long)h.pid, RP_EMBEDDED_LOCK_WAIT_MS / 1000);
            return RP_EBUSY;
        }
        if (!told && h.pid > 0) {
            if (strcmp(h.role, "starting") == 0)
                fprintf(stderr, "rapport: waiting for rapport serve (pid %ld) to start in %s\n",
                        (long)h.pid, e->data_dir);
            else
                fprintf(stderr, "rapport: waiting for rapport (pid %ld) to finish with %s\n",
                        (long)h.pid, e->data_dir);
            told = true;
        }
        rp_embedded_sleep_ms(100);
    }
}
