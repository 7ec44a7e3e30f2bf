#ifndef RP_DB_MIGRATIONS_H
#define RP_DB_MIGRATIONS_H

#include <stddef.h>

#include "core/status.h"
#include "db/db.h"

/* One SQL migration: its file name (NNNN_name.sql) and its text. */
typedef struct rp_migration {
    const char *name;
    const char *sql;
} rp_migration_t;

/* The core's migrations, compiled in from migrations/ in name order. */
extern const rp_migration_t rp_core_migrations[];
extern const int rp_core_migrations_count;

/* Applies every migration not yet recorded in rapport_migrations, in order,
 * each in its own transaction, under a session advisory lock so concurrent
 * servers migrate once. db must be connected as the owner role. After each
 * migration, before it commits, the runner checks that every table with a
 * tenant_id column has row-level security enabled and forced, and that every
 * other table is declared global (COMMENT ON TABLE ... IS 'rapport:global');
 * anything else fails the migration. On failure nothing of that migration
 * remains and err names the file and the PostgreSQL error. *applied counts
 * the migrations run (may be NULL). */
rp_status_t rp_migrate(rp_db_t *db, int *applied, char *err, size_t errlen);

/* rp_migrate over another list (in name order), for modules that bring their
 * own migrations and for tests. */
rp_status_t rp_migrate_list(rp_db_t *db, const rp_migration_t *list, int count, int *applied,
                            char *err, size_t errlen);

#endif
