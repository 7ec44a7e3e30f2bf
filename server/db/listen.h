#ifndef RP_DB_LISTEN_H
#define RP_DB_LISTEN_H

#include <stddef.h>

#include "db/db.h"

/* LISTEN/NOTIFY on a connection of its own (not a worker's: a listening
 * connection sits idle between notifications and never runs a transaction). */

/* Longest channel name accepted: PostgreSQL identifiers are 63 bytes. */
#define RP_DB_CHANNEL_MAX 63

/* Subscribes db to channel, a name of [a-z0-9_] (the name goes into the
 * statement text, since LISTEN takes no parameter). RP_EINVAL for another
 * name, RP_EDB_UNAVAILABLE when the connection is down, RP_EDB. */
rp_status_t rp_db_listen(rp_db_t *db, const char *channel);

/* Waits up to timeout_ms for a notification on a listening connection and
 * copies its payload into payload (cut to len - 1 bytes) and its channel
 * into channel when not NULL (RP_DB_CHANNEL_MAX + 1 bytes). RP_OK with a
 * notification, RP_ENOTFOUND when none came in time (or a signal
 * interrupted the wait), RP_EDB_UNAVAILABLE when the connection was lost
 * (rp_db_ensure reconnects it; subscriptions must then be made again). */
rp_status_t rp_db_wait_notify(rp_db_t *db, int timeout_ms, char *channel, char *payload,
                              size_t len);

#endif
