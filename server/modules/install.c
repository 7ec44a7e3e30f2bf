#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "db/migrations.h"
#include "modules/internal.h"

/* Module migrations: modules/NAME/migrations/NNNN_x.sql, shipped beside the
 * shared object as <module dir>/NAME/migrations. They run through the core's
 * runner (one transaction each, the advisory lock, the tenancy check), which
 * records them in rapport_migrations as "modules/NAME/NNNN_x.sql"; they are
 * then moved to module_migrations, which is what decides whether a file
 * still has to run. */

/* Largest migration file read, in bytes. */
#define MIGRATION_MAX (4 * 1024 * 1024)

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && n <= MIGRATION_MAX && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)n + 1)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
            }
        }
    }
    fclose(f);
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const rp_migration_t *)a)->name, ((const rp_migration_t *)b)->name);
}

static void free_list(rp_migration_t *list, int n)
{
    for (int i = 0; i < n; i++) {
        free((char *)list[i].name);
        free((char *)list[i].sql);
    }
    free(list);
}

/* Reads the *.sql files of dir, in name order. why is set on failure. */
static rp_status_t read_migrations(const rp_module_t *m, rp_migration_t **out, int *n, char *why,
                                   size_t whylen)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(m->migration_dir);
    if (d == NULL) {
        snprintf(why, whylen, "cannot read %s", m->migration_dir);
        return RP_EIO;
    }
    rp_status_t st = RP_OK;
    struct dirent *e;
    while (st == RP_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 4, ".sql") != 0)
            continue;
        rp_migration_t *grown = realloc(*out, (size_t)(*n + 1) * sizeof **out);
        if (grown == NULL) {
            st = RP_ENOMEM;
            break;
        }
        *out = grown;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", m->migration_dir, e->d_name);
        char *name = malloc(len + 64);
        char *sql = read_file(path);
        if (name == NULL || sql == NULL) {
            free(name);
            free(sql);
            snprintf(why, whylen, "cannot read %.900s", path);
            st = sql == NULL ? RP_EIO : RP_ENOMEM;
            break;
        }
        snprintf(name, len + 64, "modules/%s/%s", m->name, e->d_name);
        /* The core runner accepts global tables declared so; a module may
         * not have any: every row it keeps belongs to a tenant. */
        if (strstr(sql, "rapport:global") != NULL) {
            snprintf(why, whylen,
                     "%.700s declares a global table; module tables must be tenant "
                     "tables (tenant_id, forced row-level security)",
                     path);
            free(name);
            free(sql);
            st = RP_EINVAL;
            break;
        }
        (*out)[*n].name = name;
        (*out)[*n].sql = sql;
        (*n)++;
    }
    closedir(d);
    if (st != RP_OK) {
        free_list(*out, *n);
        *out = NULL;
        *n = 0;
        return st;
    }
    if (*n > 1)
        qsort(*out, (size_t)*n, sizeof **out, by_name);
    return RP_OK;
}

/* Moves the runner's rows for module files into module_migrations. One
 * statement, so a row is never in neither table; a crash before it leaves
 * the row where the runner also skips it. */
static rp_status_t move_bookkeeping(rp_db_t *db, char *why, size_t whylen)
{
    rp_status_t st = rp_db_exec(
        db,
        "WITH moved AS (DELETE FROM rapport_migrations WHERE name LIKE 'modules/%/%' "
        "RETURNING name, applied_at) "
        "INSERT INTO module_migrations (module, name, applied_at) "
        "SELECT split_part(name, '/', 2), split_part(name, '/', 3), applied_at FROM moved "
        "ON CONFLICT DO NOTHING",
        0, NULL, NULL);
    if (st != RP_OK)
        snprintf(why, whylen, "recording the module migrations: %s", rp_db_error(db));
    return st;
}

/* Drops from list (in place) the files module_migrations has for m. */
static rp_status_t drop_applied(rp_db_t *db, const rp_module_t *m, rp_migration_t *list, int *n,
                                char *why, size_t whylen)
{
    const char *p[] = {m->name};
    rp_dbres_t *res = NULL;
    rp_status_t st =
        rp_db_exec(db, "SELECT name FROM module_migrations WHERE module = $1", 1, p, &res);
    if (st != RP_OK) {
        snprintf(why, whylen, "reading module_migrations: %s", rp_db_error(db));
        return st;
    }
    int k = 0;
    for (int i = 0; i < *n; i++) {
        const char *file = strrchr(list[i].name, '/') + 1;
        bool done = false;
        for (int r = 0; r < rp_dbres_rows(res) && !done; r++)
            done = strcmp(rp_dbres_get(res, r, 0), file) == 0;
        if (done) {
            free((char *)list[i].name);
            free((char *)list[i].sql);
        } else {
            list[k++] = list[i];
        }
    }
    *n = k;
    rp_dbres_free(res);
    return RP_OK;
}

static rp_status_t install_one(rp_db_t *db, const rp_module_t *m, char *why, size_t whylen)
{
    rp_migration_t *list = NULL;
    int n = 0, applied = 0;
    rp_status_t st = RP_OK;
    if (m->migration_dir != NULL) {
        st = read_migrations(m, &list, &n, why, whylen);
        if (st == RP_OK)
            st = drop_applied(db, m, list, &n, why, whylen);
        if (st == RP_OK && n > 0)
            st = rp_migrate_list(db, list, n, &applied, why, whylen);
        free_list(list, n);
        if (st == RP_OK)
            st = move_bookkeeping(db, why, whylen);
        if (st != RP_OK)
            return st;
    }
    const char *p[] = {m->name, m->version};
    st = rp_db_exec(db,
                    "INSERT INTO module_installs (module, version) VALUES ($1, $2) "
                    "ON CONFLICT (module) DO UPDATE SET version = EXCLUDED.version, "
                    "updated_at = now() WHERE module_installs.version <> EXCLUDED.version",
                    2, p, NULL);
    if (st != RP_OK)
        snprintf(why, whylen, "recording the install: %s", rp_db_error(db));
    else if (applied > 0)
        rp_log_info("module %s: applied %d migration%s", m->name, applied, applied == 1 ? "" : "s");
    return st;
}

rp_status_t rp_modules_install(rp_db_t *db)
{
    for (int i = 0; i < rp_modules_nloaded; i++) {
        rp_module_t *m = rp_modules_loaded[i];
        bool dep_gone = false;
        for (int d = 0; d < m->ndepends; d++)
            dep_gone = dep_gone || rp_modules_find(m->depends[d]) == NULL;
        char why[1024] = "";
        rp_status_t st = dep_gone ? RP_EINVAL : install_one(db, m, why, sizeof why);
        if (st == RP_OK) {
            rp_log_info("module %s %s loaded from %s (%d hooks, %d actions, %d jobs, %d Lua "
                        "functions)",
                        m->name, m->version, m->path ? m->path : "built-in", m->nhooks, m->nactions,
                        m->njobs, m->nluas);
            continue;
        }
        if (st == RP_ENOMEM || st == RP_EDB_UNAVAILABLE)
            return st;
        rp_log_error("module %s (%s) refused: %s", m->name, m->path ? m->path : "built-in",
                     dep_gone ? "a dependency was refused" : why);
        rp_module_free(m);
        for (int k = i; k + 1 < rp_modules_nloaded; k++) {
            rp_modules_loaded[k] = rp_modules_loaded[k + 1];
            rp_modules_loaded[k]->index = k;
        }
        rp_modules_loaded[--rp_modules_nloaded] = NULL;
        i--;
    }
    return RP_OK;
}
