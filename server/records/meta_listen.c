#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/thread.h"
#include "core/uuid.h"
#include "db/db.h"
#include "db/listen.h"
#include "records/meta_internal.h"

#define CHANNEL "rapport_metadata"

/* How long one wait lasts: the bound on how late a stop is noticed. */
#define WAIT_MS 200

static pthread_t thread;
static bool running;
static atomic_bool stopping;
static rp_db_t *listen_db;

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *listen_main(void *arg)
{
    (void)arg;
    bool listening = false;
    bool warned = false;
    while (!atomic_load(&stopping)) {
        if (!listening) {
            /* rp_db_ensure paces the attempts (50 ms doubling to 5 s) and
             * answers at once in between. */
            if (rp_db_ensure(listen_db) != RP_OK || rp_db_listen(listen_db, CHANNEL) != RP_OK) {
                if (!warned)
                    rp_log_warn("metadata listener: cannot listen (%s); retrying",
                                rp_db_error(listen_db));
                warned = true;
                sleep_ms(WAIT_MS);
                continue;
            }
            /* Whatever was announced while we were not listening is lost:
             * forget every snapshot (the version check would catch them
             * too, one query later). */
            rp_meta_invalidate(NULL);
            listening = true;
            if (warned)
                rp_log_info("metadata listener: listening again");
            warned = false;
        }
        char payload[128];
        rp_status_t st = rp_db_wait_notify(listen_db, WAIT_MS, NULL, payload, sizeof payload);
        if (st == RP_OK) {
            if (rp_uuid_valid(payload))
                rp_meta_invalidate(payload);
            else
                rp_meta_invalidate(NULL);
        } else if (st == RP_EDB_UNAVAILABLE) {
            listening = false;
        } else if (st != RP_ENOTFOUND) {
            sleep_ms(WAIT_MS);
        }
    }
    return NULL;
}

rp_status_t rp_meta_listener_start(const char *conninfo, const char *set_role)
{
    if (running)
        return RP_OK;
    /* A database that is down now is retried by the thread. */
    rp_status_t st = rp_db_open(&listen_db, conninfo, set_role);
    if (listen_db == NULL)
        return st;
    atomic_store(&stopping, false);
    int rc = rp_thread_start(&thread, listen_main, NULL);
    if (rc != 0) {
        rp_db_close(listen_db);
        listen_db = NULL;
        return RP_ERR;
    }
    running = true;
    return RP_OK;
}

void rp_meta_listener_stop(void)
{
    if (running) {
        atomic_store(&stopping, true);
        pthread_join(thread, NULL);
        running = false;
        rp_db_close(listen_db);
        listen_db = NULL;
    }
    rp_meta_invalidate(NULL);
}
