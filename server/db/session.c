#include <stdlib.h>

#include "core/log.h"

#include "db/internal.h"

rp_status_t rp_db_session_open(rp_db_t **out, rp_db_t *owner, void (*yield)(void *arg), void *arg)
{
    *out = NULL;
    if (owner == NULL || owner->owner != NULL || yield == NULL)
        return RP_EINVAL;
    rp_db_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RP_ENOMEM;
    s->owner = owner;
    s->l = owner->l;
    s->yield = yield;
    s->yield_arg = arg;
    owner->l->shared = true;
    owner->l->nsessions++;
    *out = s;
    return RP_OK;
}

void rp_db_session_close(rp_db_t *s)
{
    if (s == NULL || s->owner == NULL)
        return;
    /* A session is closed only between units of work, never with a round
     * trip on the wire; one that still waits would leave the queue
     * pointing at freed memory, so it is taken out first regardless. */
    rp_dblink_t *l = s->l;
    rp_db_t **pp = &l->wait_head, *prev = NULL;
    while (*pp != NULL && *pp != s) {
        prev = *pp;
        pp = &(*pp)->wait_next;
    }
    if (*pp == s) {
        *pp = s->wait_next;
        if (l->wait_tail == s)
            l->wait_tail = prev;
    }
    l->nsessions--;
    free(s);
}

void *rp_db_session_arg(const rp_db_t *s)
{
    return s->yield_arg;
}

int rp_db_share_socket(const rp_db_t *owner, unsigned long *generation)
{
    const rp_dblink_t *l = owner->l;
    *generation = l->generation;
    return (l->conn != NULL && l->connected && PQstatus(l->conn) != CONNECTION_BAD)
               ? PQsocket(l->conn)
               : -1;
}

bool rp_db_share_waiting(const rp_db_t *owner)
{
    return owner->l->wait_head != NULL;
}

rp_db_t *rp_db_share_next(rp_db_t *owner)
{
    rp_dblink_t *l = owner->l;
    rp_db_t *head = l->wait_head;
    if (head == NULL) {
        /* Nobody waits, yet the socket spoke: a notice, or the server
         * closing the connection, which rp_db_share_socket then reports. */
        if (l->conn != NULL && !rp_db_conn_broken(owner))
            PQconsumeInput(l->conn);
        return NULL;
    }
    if (rp_db_conn_broken(owner) || !PQisBusy(l->conn))
        return head;
    /* libpq's socket is non-blocking: this takes what has arrived. A
     * broken connection is for the head to find out and report. */
    if (PQconsumeInput(l->conn) == 0 || !PQisBusy(l->conn))
        return head;
    return NULL;
}

void rp_db_share_abort(rp_db_t *owner)
{
    rp_dblink_t *l = owner->l;
    if (l->has_reconnector) {
        pthread_join(l->reconnector, NULL);
        l->has_reconnector = false;
    }
    if (l->conn != NULL)
        PQfinish(l->conn);
    l->conn = NULL;
    l->connected = false;
    l->closed = true;
}

static void *reconnect_main(void *arg)
{
    rp_db_t *owner = arg;
    if (rp_db_connect(owner) == RP_OK)
        rp_log_info("database connection re-established (shared by an HTTP thread)");
    atomic_store_explicit(&owner->l->reconnecting, false, memory_order_release);
    return NULL;
}

bool rp_db_share_usable(rp_db_t *owner)
{
    rp_dblink_t *l = owner->l;
    if (atomic_load_explicit(&l->reconnecting, memory_order_acquire))
        return false;
    if (l->has_reconnector) {
        pthread_join(l->reconnector, NULL);
        l->has_reconnector = false;
    }
    if (l->connected && !rp_db_conn_broken(owner) && (l->wait_head != NULL || rp_db_probe(owner)))
        return true;
    if (l->connected)
        rp_db_mark_lost(owner, PQerrorMessage(l->conn));
    if (l->wait_head != NULL || l->closed || rp_db_now_ms() < l->next_attempt_ms)
        return false;
    atomic_store_explicit(&l->reconnecting, true, memory_order_relaxed);
    if (pthread_create(&l->reconnector, NULL, reconnect_main, owner) == 0)
        l->has_reconnector = true;
    else
        atomic_store_explicit(&l->reconnecting, false, memory_order_relaxed);
    return false;
}
