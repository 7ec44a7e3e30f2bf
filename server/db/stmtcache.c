#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/internal.h"

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static void clear_slot(rp_stmt_t *s)
{
    free(s->sql);
    memset(s, 0, sizeof *s);
}

rp_stmt_t *rp_db_stmt_get(rp_db_t *db, const char *sql, bool *fresh)
{
    uint64_t h = fnv1a(sql);
    rp_stmt_t *victim = NULL;
    for (int i = 0; i < RP_DB_STMT_CACHE; i++) {
        rp_stmt_t *s = &db->l->stmts[i];
        if (s->sql == NULL) {
            if (victim == NULL || victim->sql != NULL)
                victim = s;
            continue;
        }
        if (s->hash == h && strcmp(s->sql, sql) == 0) {
            s->used = ++db->l->tick;
            /* Sent but not yet answered (another session's round trip on a
             * shared connection): the Execute can follow its Parse. */
            *fresh = !s->ready && !s->sent;
            return s;
        }
        if (victim == NULL || (victim->sql != NULL && s->used < victim->used))
            victim = s;
    }
    char *copy = strdup(sql);
    if (copy == NULL)
        return NULL;
    if (victim->sql != NULL) {
        /* The evicted statement still lives in the server session: queue its
         * DEALLOCATE for the next round trip. When the queue is full it stays
         * until the session ends, which only costs that backend memory. */
        if (victim->ready && db->l->ndealloc < RP_DB_DEALLOC_MAX)
            memcpy(db->l->dealloc[db->l->ndealloc++], victim->name, sizeof victim->name);
        clear_slot(victim);
    }
    victim->sql = copy;
    victim->hash = h;
    victim->used = ++db->l->tick;
    victim->ready = false;
    victim->sent = false;
    snprintf(victim->name, sizeof victim->name, "rp_%lu", ++db->l->next_stmt_id);
    *fresh = true;
    return victim;
}

void rp_db_stmt_drop(rp_db_t *db, rp_stmt_t *s)
{
    if (s->ready && db->l->ndealloc < RP_DB_DEALLOC_MAX)
        memcpy(db->l->dealloc[db->l->ndealloc++], s->name, sizeof s->name);
    clear_slot(s);
}

void rp_db_stmt_reset(rp_db_t *db)
{
    for (int i = 0; i < RP_DB_STMT_CACHE; i++)
        clear_slot(&db->l->stmts[i]);
    db->l->ndealloc = 0;
}

void rp_db_stmt_free(rp_db_t *db)
{
    rp_db_stmt_reset(db);
}
