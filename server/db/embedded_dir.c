#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "db/embedded_internal.h"

size_t rp_embedded_max_socket_dir(void)
{
    struct sockaddr_un sa;
    /* PostgreSQL needs room for the path and its terminating NUL. */
    return sizeof sa.sun_path - 1 - strlen("/.s.PGSQL.5432");
}

rp_status_t rp_embedded_conf_text(const char *socket_dir, char *out, size_t outlen)
{
    /* A PostgreSQL configuration string doubles its quotes and backslashes. */
    char quoted[4096];
    size_t q = 0;
    for (const char *p = socket_dir; *p; p++) {
        if (q + 3 >= sizeof quoted)
            return RP_ELIMIT;
        if (*p == '\'' || *p == '\\')
            quoted[q++] = *p;
        quoted[q++] = *p;
    }
    quoted[q] = '\0';
    int n = snprintf(out, outlen,
                     "# Written by rapport at every start: the embedded cluster has no TCP\n"
                     "# port and keeps its socket in its own directory.\n"
                     "listen_addresses = ''\n"
                     "port = 5432\n"
                     "unix_socket_directories = '%s'\n"
                     "unix_socket_permissions = 0700\n",
                     quoted);
    return n < 0 || (size_t)n >= outlen ? RP_ELIMIT : RP_OK;
}

static rp_status_t own_dir(rp_embedded_t *e, const char *dir, char *err, size_t errlen)
{
    if (e->user.drop && chown(dir, e->user.uid, e->user.gid) != 0) {
        snprintf(err, errlen, "cannot give %s to user %s: %s", dir, e->user.name, strerror(errno));
        return RP_EIO;
    }
    if (chmod(dir, 0700) != 0) {
        snprintf(err, errlen, "cannot restrict %s: %s", dir, strerror(errno));
        return RP_EIO;
    }
    return RP_OK;
}

static rp_status_t relocated_dir(rp_embedded_t *e, char *out, size_t outlen, char *err,
                                 size_t errlen)
{
    unsigned char h[8];
    crypto_generichash(h, sizeof h, (const unsigned char *)e->data_dir, strlen(e->data_dir), NULL,
                       0);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    snprintf(out, outlen, "%s/%s", RP_EMBEDDED_RELOCATED_ROOT, hex);
    rp_status_t st = rp_embedded_mkdir_p(RP_EMBEDDED_RELOCATED_ROOT, 0755, err, errlen);
    if (st == RP_OK)
        st = rp_embedded_mkdir_p(out, 0700, err, errlen);
    return st == RP_OK ? own_dir(e, out, err, errlen) : st;
}

/* Decides where the cluster lives and makes that directory ready for the
 * PostgreSQL user. */
rp_status_t rp_embedded_prepare_dir(rp_embedded_t *e, char *err, size_t errlen)
{
    struct stat lst;
    if (lstat(e->pg_link, &lst) == 0 && S_ISLNK(lst.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(e->pg_link, target, sizeof target - 1);
        if (n <= 0) {
            snprintf(err, errlen, "cannot read link %s: %s", e->pg_link, strerror(errno));
            return RP_EIO;
        }
        target[n] = '\0';
        rp_status_t st = rp_embedded_mkdir_p(target, 0700, err, errlen);
        if (st == RP_OK)
            st = own_dir(e, target, err, errlen);
        if (st != RP_OK)
            return st;
        if (realpath(target, e->cluster) == NULL) {
            snprintf(err, errlen, "%s: %s", target, strerror(errno));
            return RP_EIO;
        }
        return RP_OK;
    }
    bool exists = stat(e->pg_link, &lst) == 0;
    if (exists && !S_ISDIR(lst.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a directory", e->pg_link);
        return RP_EINVAL;
    }
    if (!exists && e->user.drop && !rp_pg_can_reach(&e->user, e->data_dir)) {
        char dir[PATH_MAX];
        rp_status_t st = relocated_dir(e, dir, sizeof dir, err, errlen);
        if (st != RP_OK)
            return st;
        if (symlink(dir, e->pg_link) != 0) {
            snprintf(err, errlen, "cannot link %s to %s: %s", e->pg_link, dir, strerror(errno));
            return RP_EIO;
        }
        fprintf(stderr,
                "rapport: user %s cannot reach %s; the PostgreSQL cluster lives in %s "
                "(linked from %s)\n",
                e->user.name, e->data_dir, dir, e->pg_link);
        snprintf(e->cluster, sizeof e->cluster, "%s", dir);
        return RP_OK;
    }
    if (!exists && mkdir(e->pg_link, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", e->pg_link, strerror(errno));
        return RP_EIO;
    }
    rp_status_t st = own_dir(e, e->pg_link, err, errlen);
    if (st != RP_OK)
        return st;
    snprintf(e->cluster, sizeof e->cluster, "%s", e->pg_link);
    return RP_OK;
}

/* Follows <data_dir>/pg without creating anything (a borrowed cluster). */
rp_status_t rp_embedded_locate(rp_embedded_t *e, char *err, size_t errlen)
{
    if (realpath(e->pg_link, e->cluster) == NULL) {
        snprintf(err, errlen, "%s: %s", e->pg_link, strerror(errno));
        return RP_EIO;
    }
    return RP_OK;
}

rp_status_t rp_embedded_check_socket(rp_embedded_t *e, char *err, size_t errlen)
{
    if (strlen(e->cluster) <= rp_embedded_max_socket_dir())
        return RP_OK;
    snprintf(err, errlen,
             "the cluster directory %s is too long for a unix socket path (at most %zu "
             "characters): use a shorter RAPPORT_DATA_DIR",
             e->cluster, rp_embedded_max_socket_dir());
    return RP_EINVAL;
}

rp_status_t rp_embedded_write_conf(rp_embedded_t *e, char *err, size_t errlen)
{
    char text[PATH_MAX * 2 + 512], path[PATH_MAX];
    if (rp_embedded_conf_text(e->cluster, text, sizeof text) != RP_OK ||
        !rp_embedded_path(path, sizeof path, e->cluster, "rapport.conf")) {
        snprintf(err, errlen, "%s: path too long", e->cluster);
        return RP_EINVAL;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return RP_EIO;
    }
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len;
    if (ok && e->user.drop)
        ok = fchown(fd, e->user.uid, e->user.gid) == 0;
    close(fd);
    if (!ok) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return RP_EIO;
    }
    return RP_OK;
}
