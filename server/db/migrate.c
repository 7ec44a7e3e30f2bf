#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "db/internal.h"
#include "db/migrations.h"
#include "db/util.h"

/* Session advisory lock key shared by every Rapport process migrating the
 * same database ("rapport" in ASCII). */
static const char LOCK_KEY[] = "125779000947317";

static const char CREATE_TABLE[] =
    "CREATE TABLE IF NOT EXISTS rapport_migrations ("
    " name text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now());"
    "COMMENT ON TABLE rapport_migrations IS 'rapport:global the schema migrations applied'";

/* Every table of the public schema that breaks the tenancy rules: a
 * tenant_id column without row-level security enabled and forced, or no
 * tenant_id and no 'rapport:global' declaration. */
static const char CHECK_TABLES[] =
    "SELECT c.relname, "
    "       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid"
    "               AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped)"
    "           AS tenant_owned, "
    "       c.relrowsecurity, c.relforcerowsecurity, "
    "       COALESCE(d.description, '') LIKE 'rapport:global%' AS is_global "
    "FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "LEFT JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass"
    "     AND d.objsubid = 0 "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') "
    "ORDER BY c.relname";

static rp_status_t check_tables(rp_db_t *db, char *why, size_t whylen)
{
    rp_dbres_t *res = NULL;
    rp_status_t st = rp_db_exec(db, CHECK_TABLES, 0, NULL, &res);
    if (st != RP_OK) {
        snprintf(why, whylen, "%s", rp_db_error(db));
        return st;
    }
    for (int i = 0; i < rp_dbres_rows(res); i++) {
        const char *name = rp_dbres_get(res, i, 0);
        bool tenant_owned = rp_dbres_get(res, i, 1)[0] == 't';
        bool rls = rp_dbres_get(res, i, 2)[0] == 't';
        bool forced = rp_dbres_get(res, i, 3)[0] == 't';
        bool global = rp_dbres_get(res, i, 4)[0] == 't';
        if (tenant_owned && (!rls || !forced)) {
            snprintf(why, whylen,
                     "table %s has tenant_id but row-level security is not %s "
                     "(ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY)",
                     name, rls ? "forced" : "enabled", name);
            st = RP_EINVAL;
            break;
        }
        if (!tenant_owned && !global) {
            snprintf(why, whylen,
                     "table %s has no tenant_id and is not declared global "
                     "(COMMENT ON TABLE %s IS 'rapport:global <why>')",
                     name, name);
            st = RP_EINVAL;
            break;
        }
    }
    rp_dbres_free(res);
    return st;
}

static void describe_error(rp_db_t *db, const char *sql, char *out, size_t outlen)
{
    int line = sql ? rp_db_line_of_position(sql, db->errpos) : 0;
    if (line > 0)
        snprintf(out, outlen, "line %d: %s", line, rp_db_error(db));
    else
        snprintf(out, outlen, "%s", rp_db_error(db));
}

static rp_status_t apply_one(rp_db_t *db, const rp_migration_t *m, char *err, size_t errlen)
{
    char why[768] = "";
    const char *params[] = {m->name};
    rp_status_t st = rp_db_script(db, "BEGIN");
    if (st != RP_OK) {
        describe_error(db, NULL, why, sizeof why);
        goto fail;
    }
    st = rp_db_script(db, m->sql);
    if (st != RP_OK) {
        describe_error(db, m->sql, why, sizeof why);
        goto rollback;
    }
    st = check_tables(db, why, sizeof why);
    if (st != RP_OK)
        goto rollback;
    st = rp_db_exec(db, "INSERT INTO rapport_migrations (name) VALUES ($1)", 1, params, NULL);
    if (st != RP_OK) {
        describe_error(db, NULL, why, sizeof why);
        goto rollback;
    }
    st = rp_db_script(db, "COMMIT");
    if (st != RP_OK) {
        describe_error(db, NULL, why, sizeof why);
        goto rollback;
    }
    return RP_OK;
rollback:
    /* Keep the first error: ROLLBACK succeeding would otherwise clear it. */
    rp_db_script(db, "ROLLBACK");
fail:
    snprintf(err, errlen, "migrations/%s: %s", m->name, why);
    return st == RP_OK ? RP_EDB : st;
}

static rp_status_t applied_set(rp_db_t *db, rp_dbres_t **out, char *err, size_t errlen)
{
    rp_status_t st = rp_db_exec(db, "SELECT name FROM rapport_migrations", 0, NULL, out);
    if (st != RP_OK)
        snprintf(err, errlen, "reading rapport_migrations: %s", rp_db_error(db));
    return st;
}

static bool was_applied(const rp_dbres_t *done, const char *name)
{
    for (int i = 0; i < rp_dbres_rows(done); i++)
        if (strcmp(rp_dbres_get(done, i, 0), name) == 0)
            return true;
    return false;
}

rp_status_t rp_migrate(rp_db_t *db, int *applied, char *err, size_t errlen)
{
    return rp_migrate_list(db, rp_core_migrations, rp_core_migrations_count, applied, err, errlen);
}

rp_status_t rp_migrate_list(rp_db_t *db, const rp_migration_t *list, int count, int *applied,
                            char *err, size_t errlen)
{
    if (applied != NULL)
        *applied = 0;
    if (errlen > 0)
        err[0] = '\0';
    const char *key[] = {LOCK_KEY};
    /* The lock is taken before the table exists so that two servers starting
     * together do not race on CREATE TABLE either. */
    rp_status_t st = rp_db_exec(db, "SELECT pg_advisory_lock($1::bigint)", 1, key, NULL);
    if (st != RP_OK) {
        snprintf(err, errlen, "taking the migration lock: %s", rp_db_error(db));
        return st;
    }
    rp_dbres_t *done = NULL;
    st = rp_db_script(db, CREATE_TABLE);
    if (st != RP_OK) {
        snprintf(err, errlen, "creating rapport_migrations: %s", rp_db_error(db));
        goto out;
    }
    st = applied_set(db, &done, err, errlen);
    if (st != RP_OK)
        goto out;
    for (int i = 0; i < count; i++) {
        const rp_migration_t *m = &list[i];
        if (was_applied(done, m->name))
            continue;
        st = apply_one(db, m, err, errlen);
        if (st != RP_OK)
            goto out;
        rp_log_info("applied migration %s", m->name);
        if (applied != NULL)
            (*applied)++;
    }
out:
    rp_dbres_free(done);
    if (rp_db_connected(db))
        rp_db_exec(db, "SELECT pg_advisory_unlock($1::bigint)", 1, key, NULL);
    return st;
}
