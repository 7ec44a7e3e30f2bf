#include <dirent.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/embedded_internal.h"

static bool bindir_usable(const char *dir)
{
    char p[PATH_MAX];
    return rp_embedded_path(p, sizeof p, dir, "initdb") && access(p, X_OK) == 0 &&
           rp_embedded_path(p, sizeof p, dir, "pg_ctl") && access(p, X_OK) == 0;
}

static bool try_bindir(rp_embedded_t *e, const char *dir)
{
    if (dir == NULL || *dir == '\0' || !bindir_usable(dir))
        return false;
    snprintf(e->bindir, sizeof e->bindir, "%s", dir);
    return true;
}

/* The newest /usr/lib/postgresql/<major>/bin that has initdb and pg_ctl. */
static bool newest_debian_bindir(rp_embedded_t *e)
{
    DIR *d = opendir("/usr/lib/postgresql");
    if (d == NULL)
        return false;
    long best = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long v = strtol(de->d_name, &end, 10);
        if (end == de->d_name || *end != '\0' || v <= best)
            continue;
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "/usr/lib/postgresql/%ld/bin", v);
        if (bindir_usable(dir))
            best = v;
    }
    closedir(d);
    if (best < 0)
        return false;
    snprintf(e->bindir, sizeof e->bindir, "/usr/lib/postgresql/%ld/bin", best);
    return true;
}

rp_status_t rp_embedded_find_bindir(rp_embedded_t *e, char *err, size_t errlen)
{
    if (try_bindir(e, getenv("RAPPORT_PG_BINDIR")))
        return RP_OK;
    /* An existing cluster needs the major version that created it. */
    char path[PATH_MAX], ver[32] = "";
    if (rp_embedded_path(path, sizeof path, e->cluster, "PG_VERSION")) {
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(ver, sizeof ver, f) == NULL)
                ver[0] = '\0';
            fclose(f);
            ver[strcspn(ver, "\r\n")] = '\0';
        }
    }
    if (ver[0] != '\0') {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "/usr/lib/postgresql/%s/bin", ver);
        if (try_bindir(e, dir))
            return RP_OK;
    }
    char dir[PATH_MAX];
    if (rp_pg_capture("pg_config", "--bindir", dir, sizeof dir) && try_bindir(e, dir))
        return RP_OK;
    if (newest_debian_bindir(e))
        return RP_OK;
    snprintf(err, errlen,
             "PostgreSQL server programs (initdb, pg_ctl) not found: install postgresql-15 "
             "(deploy/install-deps.sh), set RAPPORT_PG_BINDIR, or set RAPPORT_DATABASE_URL");
    return RP_ENOTFOUND;
}

rp_status_t rp_embedded_pick_user(rp_embedded_t *e, char *err, size_t errlen)
{
    if (geteuid() != 0)
        return RP_OK;
    struct passwd *pw = getpwnam("postgres");
    if (pw == NULL || pw->pw_uid == 0) {
        snprintf(err, errlen,
                 "running as root needs the 'postgres' system user to run PostgreSQL: install "
                 "postgresql-15, or run rapport as an ordinary user");
        return RP_ENOTFOUND;
    }
    e->user.drop = true;
    e->user.uid = pw->pw_uid;
    e->user.gid = pw->pw_gid;
    snprintf(e->user.name, sizeof e->user.name, "%s", pw->pw_name);
    return RP_OK;
}
