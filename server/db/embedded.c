#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db/embedded_internal.h"

static rp_status_t prepare_paths(rp_embedded_t *e, const char *data_dir, char *err, size_t errlen)
{
    rp_status_t st = rp_embedded_mkdir_p(data_dir, 0755, err, errlen);
    if (st != RP_OK)
        return st;
    if (realpath(data_dir, e->data_dir) == NULL) {
        snprintf(err, errlen, "%s: %s", data_dir, strerror(errno));
        return RP_EIO;
    }
    if (!rp_embedded_path(e->pg_link, sizeof e->pg_link, e->data_dir, "pg") ||
        !rp_embedded_path(e->setup_log, sizeof e->setup_log, e->data_dir, "postgresql-setup.log")) {
        snprintf(err, errlen, "%s: path too long", e->data_dir);
        return RP_EINVAL;
    }
    return RP_OK;
}

/* The lock holder's path: make the cluster exist and run. */
static rp_status_t bring_up(rp_embedded_t *e, char *err, size_t errlen)
{
    rp_status_t st;
    if ((st = rp_embedded_prepare_dir(e, err, errlen)) != RP_OK ||
        (st = rp_embedded_check_socket(e, err, errlen)) != RP_OK ||
        (st = rp_embedded_find_bindir(e, err, errlen)) != RP_OK)
        return st;
    char ver[PATH_MAX];
    rp_embedded_path(ver, sizeof ver, e->cluster, "PG_VERSION");
    if (!rp_embedded_is_file(ver)) {
        DIR *d = opendir(e->cluster);
        int entries = 0;
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
                entries++;
        if (d)
            closedir(d);
        if (entries > 0) {
            snprintf(err, errlen,
                     "%s is not empty but holds no PostgreSQL cluster (an interrupted first "
                     "start?): remove it and start again",
                     e->cluster);
            return RP_EINVAL;
        }
        /* The first run is the moment to explain who owns the files. */
        if (e->user.drop)
            fprintf(stderr, "rapport: running as root: PostgreSQL runs as system user '%s'\n",
                    e->user.name);
        if ((st = rp_embedded_initdb(e, err, errlen)) != RP_OK)
            return st;
    } else if (e->user.drop && e->serve) {
        fprintf(stderr, "rapport: running as root: PostgreSQL runs as system user '%s'\n",
                e->user.name);
    }
    if ((st = rp_embedded_write_conf(e, err, errlen)) != RP_OK ||
        (st = rp_embedded_start(e, err, errlen)) != RP_OK)
        return st;
    return rp_embedded_bootstrap(e, err, errlen);
}

/* A borrower waits for the serve's cluster to answer; if the serve goes
 * away meanwhile, the borrower takes the lock and runs the cluster itself. */
static rp_status_t borrow(rp_embedded_t *e, char *err, size_t errlen)
{
    int64_t deadline = rp_embedded_now_ms() + RP_EMBEDDED_READY_WAIT_MS;
    for (;;) {
        if (rp_embedded_locate(e, err, errlen) == RP_OK &&
            rp_embedded_check_socket(e, err, errlen) == RP_OK && rp_embedded_wait_ready(e, 0))
            return RP_OK;
        if (flock(e->lock_fd, LOCK_EX | LOCK_NB) == 0) {
            if (!rp_embedded_write_holder(e->lock_fd, "command")) {
                snprintf(err, errlen, "cannot write %s/rapport.lock: %s", e->data_dir,
                         strerror(errno));
                return RP_EIO;
            }
            e->borrowed = false;
            e->holder = true;
            return bring_up(e, err, errlen);
        }
        if (rp_embedded_now_ms() > deadline) {
            snprintf(err, errlen, "the running rapport serve has no database up in %s/pg",
                     e->data_dir);
            return RP_EDB_UNAVAILABLE;
        }
        rp_embedded_sleep_ms(200);
    }
}

rp_status_t rp_embedded_acquire(const char *data_dir, rp_embedded_mode_t mode, rp_embedded_t **out,
                                char *err, size_t errlen)
{
    *out = NULL;
    rp_embedded_t *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, errlen, "out of memory");
        return RP_ENOMEM;
    }
    e->lock_fd = -1;
    e->serve = mode == RP_EMBEDDED_SERVE;
    rp_status_t st;
    if ((st = rp_embedded_pick_user(e, err, errlen)) != RP_OK ||
        (st = prepare_paths(e, data_dir, err, errlen)) != RP_OK ||
        (st = rp_embedded_take_lock(e, mode, err, errlen)) != RP_OK)
        goto fail;
    st = e->borrowed ? borrow(e, err, errlen) : bring_up(e, err, errlen);
    if (st != RP_OK)
        goto fail;
    /* Only now may commands borrow the cluster: its roles and database
     * exist. Until then they wait, as for a "starting" holder. */
    if (e->holder && mode == RP_EMBEDDED_SERVE && !rp_embedded_write_holder(e->lock_fd, "serve")) {
        snprintf(err, errlen, "cannot write %s/rapport.lock: %s", e->data_dir, strerror(errno));
        st = RP_EIO;
        goto fail;
    }
    if (rp_embedded_conninfo(&e->owner_conninfo, e->cluster, "rapport", "rapport") != RP_OK ||
        rp_embedded_conninfo(&e->app_conninfo, e->cluster, "rapport", "rapport_app") != RP_OK) {
        snprintf(err, errlen, "out of memory");
        st = RP_ENOMEM;
        goto fail;
    }
    *out = e;
    return RP_OK;
fail:
    rp_embedded_release(e);
    return st;
}

const char *rp_embedded_owner_conninfo(const rp_embedded_t *e)
{
    return e->owner_conninfo.data;
}

const char *rp_embedded_app_conninfo(const rp_embedded_t *e)
{
    return e->app_conninfo.data;
}

const char *rp_embedded_cluster_dir(const rp_embedded_t *e)
{
    return e->cluster;
}

bool rp_embedded_borrowed(const rp_embedded_t *e)
{
    return e->borrowed;
}

void rp_embedded_release(rp_embedded_t *e)
{
    if (e == NULL)
        return;
    if (e->holder && e->bindir[0] != '\0' && e->cluster[0] != '\0') {
        char pidfile[PATH_MAX];
        rp_embedded_path(pidfile, sizeof pidfile, e->cluster, "postmaster.pid");
        if (rp_embedded_is_file(pidfile) &&
            rp_embedded_pg_ctl(e, "stop", (const char *[]){"-m", "fast", "-w", NULL}) != 0)
            fprintf(stderr, "rapport: could not stop PostgreSQL in %s (see %s)\n", e->cluster,
                    e->setup_log);
    }
    if (e->lock_fd >= 0) {
        if (e->holder && ftruncate(e->lock_fd, 0) != 0) {
            /* A stale name in an unlocked file is harmless: the lock decides. */
        }
        close(e->lock_fd);
    }
    rp_buf_free(&e->owner_conninfo);
    rp_buf_free(&e->app_conninfo);
    free(e);
}
