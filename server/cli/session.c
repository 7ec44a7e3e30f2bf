#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/embedded.h"
#include "db/leakproof.h"
#include "db/migrations.h"
#include "core/log.h"

rp_status_t rp_cli_session_open(rp_cli_session_t *s, const rp_config_t *cfg, bool serve, char *err,
                                size_t errlen)
{
    memset(s, 0, sizeof *s);
    rp_status_t st;
    const char *owner;
    if (cfg->database_url != NULL) {
        owner = cfg->database_url;
        char desc[256];
        rp_db_describe(owner, desc, sizeof desc);
        snprintf(s->where, sizeof s->where, "RAPPORT_DATABASE_URL (%s)", desc);
        s->app_conninfo = strdup(cfg->app_database_url ? cfg->app_database_url : owner);
        /* Without a connection string of its own, the serving role is
         * reached through the owner's login and SET ROLE. */
        s->app_set_role = cfg->app_database_url ? NULL : strdup("rapport_app");
        if (s->app_conninfo == NULL || (!cfg->app_database_url && s->app_set_role == NULL)) {
            st = RP_ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    } else {
        st = rp_embedded_acquire(cfg->data_dir, serve ? RP_EMBEDDED_SERVE : RP_EMBEDDED_COMMAND,
                                 &s->emb, err, errlen);
        if (st != RP_OK)
            goto fail;
        owner = rp_embedded_owner_conninfo(s->emb);
        snprintf(s->where, sizeof s->where, "embedded PostgreSQL in %s%s",
                 rp_embedded_cluster_dir(s->emb),
                 rp_embedded_borrowed(s->emb) ? " (run by rapport serve)" : "");
        s->app_conninfo = strdup(rp_embedded_app_conninfo(s->emb));
        if (s->app_conninfo == NULL) {
            st = RP_ENOMEM;
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    st = rp_db_open(&s->db, owner, NULL);
    if (st != RP_OK) {
        snprintf(err, errlen, "cannot connect to %s: %s", s->where,
                 s->db ? rp_db_error(s->db) : "out of memory");
        goto fail;
    }
    st = rp_migrate(s->db, &s->migrations_applied, err, errlen);
    if (st != RP_OK)
        goto fail;
    int missing = 0;
    if (serve && rp_db_leakproof_missing(s->db, &missing) == RP_OK && missing > 0)
        rp_log_warn("%d functions used by indexed record filters are not LEAKPROOF, so those "
                    "filters scan instead of using their index; see \"Indexes and row-level "
                    "security\" in deploy/README.md for the one statement a superuser runs",
                    missing);
    return RP_OK;
fail:
    rp_cli_session_close(s);
    return st;
}

void rp_cli_session_close(rp_cli_session_t *s)
{
    rp_db_close(s->db);
    rp_embedded_release(s->emb);
    free(s->app_conninfo);
    free(s->app_set_role);
    memset(s, 0, sizeof *s);
}
