#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "db/internal.h"
#include "db/listen.h"

static bool channel_valid(const char *channel)
{
    size_t n = channel ? strlen(channel) : 0;
    if (n == 0 || n > RP_DB_CHANNEL_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = channel[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

rp_status_t rp_db_listen(rp_db_t *db, const char *channel)
{
    if (!channel_valid(channel))
        return RP_EINVAL;
    if (!rp_db_connected(db))
        return RP_EDB_UNAVAILABLE;
    /* LISTEN has no parameter form; the name is checked above and quoted
     * by libpq all the same. */
    char *ident = PQescapeIdentifier(db->l->conn, channel, strlen(channel));
    if (ident == NULL)
        return rp_db_conn_broken(db) ? RP_EDB_UNAVAILABLE : RP_ENOMEM;
    char sql[RP_DB_CHANNEL_MAX * 2 + 16];
    snprintf(sql, sizeof sql, "LISTEN %s", ident);
    PQfreemem(ident);
    PGresult *r = PQexec(db->l->conn, sql);
    rp_status_t st = RP_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        st = rp_db_fail_result(db, r);
    PQclear(r);
    if (st == RP_OK)
        rp_db_clear_error(db);
    return st;
}

/* Hands over one queued notification, if any. */
static bool take(rp_db_t *db, char *channel, char *payload, size_t len)
{
    PGnotify *n = PQnotifies(db->l->conn);
    if (n == NULL)
        return false;
    if (channel != NULL)
        snprintf(channel, RP_DB_CHANNEL_MAX + 1, "%s", n->relname ? n->relname : "");
    if (payload != NULL && len > 0)
        snprintf(payload, len, "%s", n->extra ? n->extra : "");
    PQfreemem(n);
    return true;
}

rp_status_t rp_db_wait_notify(rp_db_t *db, int timeout_ms, char *channel, char *payload, size_t len)
{
    if (!rp_db_connected(db))
        return RP_EDB_UNAVAILABLE;
    /* Notifications read along with an earlier reply wait in libpq's queue. */
    if (take(db, channel, payload, len))
        return RP_OK;
    int fd = PQsocket(db->l->conn);
    if (fd < 0) {
        rp_db_mark_lost(db, "no socket");
        return RP_EDB_UNAVAILABLE;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0)
        return errno == EINTR ? RP_ENOTFOUND : RP_EIO;
    if (rc == 0)
        return RP_ENOTFOUND;
    if (PQconsumeInput(db->l->conn) == 0 || rp_db_conn_broken(db)) {
        rp_db_mark_lost(db, PQerrorMessage(db->l->conn));
        return RP_EDB_UNAVAILABLE;
    }
    return take(db, channel, payload, len) ? RP_OK : RP_ENOTFOUND;
}
