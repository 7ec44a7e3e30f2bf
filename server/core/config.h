#ifndef RP_CORE_CONFIG_H
#define RP_CORE_CONFIG_H

#include <stddef.h>

#include "core/status.h"

/* Everything the server and the CLI read from the environment and flags.
 * Flags win over the environment, which wins over the defaults. */
typedef struct rp_config {
    char *database_url;     /* RAPPORT_DATABASE_URL: owner connection; NULL = embedded */
    char *app_database_url; /* RAPPORT_APP_DATABASE_URL: serving role; NULL = derived */
    char *data_dir;         /* RAPPORT_DATA_DIR, default ./var */
    char *listen_host;      /* from RAPPORT_LISTEN, default 127.0.0.1 */
    int listen_port;        /* from RAPPORT_LISTEN, default 8080 */
    int workers;            /* RAPPORT_WORKERS: database workers */
    int http_threads;       /* RAPPORT_HTTP_THREADS: event loops, default one per core */
    int loop_reads;         /* RAPPORT_LOOP_READS: short reads on the HTTP threads (default 1) */
    int log_level;          /* RAPPORT_LOG_LEVEL */
    unsigned char jwt_secret[64];
    size_t jwt_secret_len; /* 0 until rp_config_load_secret() */
    int jwt_secret_from_env;
    char *jwt_issuer;          /* RAPPORT_JWT_ISSUER, default "rapport" */
    char *jwt_audience;        /* RAPPORT_JWT_AUDIENCE, default "rapport-api" */
    int access_ttl;            /* RAPPORT_ACCESS_TTL seconds, default 900 */
    int refresh_ttl;           /* RAPPORT_REFRESH_TTL seconds, default 30 days */
    size_t max_body;           /* RAPPORT_MAX_BODY bytes, default 4 MiB */
    size_t max_import;         /* RAPPORT_MAX_IMPORT_KIB: bodies of import routes, 64 MiB */
    int shutdown_timeout;      /* RAPPORT_SHUTDOWN_TIMEOUT seconds to drain, default 10 */
    int housekeeping;          /* RAPPORT_HOUSEKEEPING_SECONDS between passes, 0: off; 3600 */
    int password_min_length;   /* RAPPORT_PASSWORD_MIN_LENGTH, default 10 */
    int login_max_failures;    /* per tenant+email within the window, default 5 */
    int login_max_failures_ip; /* per client address within the window, default 50 */
    int login_window;          /* seconds, default 900 */
    int pwhash_fast;           /* RAPPORT_PWHASH=fast: cheaper argon2id for test suites */
    int script_instructions;   /* RAPPORT_SCRIPT_INSTRUCTIONS per invocation; 0: 10,000,000 */
    int script_timeout_ms;     /* RAPPORT_SCRIPT_TIMEOUT_MS per invocation; 0: 2000 */
    int script_memory_kib;     /* RAPPORT_SCRIPT_MEMORY_KIB per Lua state; 0: 8192 */
    int script_queries;        /* RAPPORT_SCRIPT_QUERIES per transaction; 0: 200 */
    int script_reads;          /* RAPPORT_SCRIPT_RECORDS_READ per transaction; 0: 10,000 */
    int script_writes;         /* RAPPORT_SCRIPT_RECORDS_WRITTEN per transaction; 0: 1000 */
    int script_cache;          /* RAPPORT_SCRIPT_CACHE Lua states per worker; 0: 64 */
    int script_tick;           /* RAPPORT_SCRIPT_TICK_SECONDS per tick; 0: 60, -1: off */
    /* RAPPORT_DEFAULT_MODULES: the modules every new tenant has enabled, a
     * comma-separated list; default "sales", "" for none. */
    char *default_modules;
} rp_config_t;

/* Fills cfg with defaults and the RAPPORT_* environment. On a bad value it
 * writes a one-line message to err and returns RP_EINVAL. */
rp_status_t rp_config_from_env(rp_config_t *cfg, char *err, size_t errlen);

/* Parses "host:port", "[v6]:port" or ":port" into cfg. */
rp_status_t rp_config_set_listen(rp_config_t *cfg, const char *value, char *err, size_t errlen);

/* Loads the JWT secret: RAPPORT_JWT_SECRET when set, else the file
 * <data_dir>/jwt.secret, created with 32 random bytes (mode 0600) when absent. */
rp_status_t rp_config_load_secret(rp_config_t *cfg, char *err, size_t errlen);

/* Replaces a string setting, freeing the old value. */
void rp_config_set_str(char **slot, const char *value);

/* Frees every string the config owns. */
void rp_config_free(rp_config_t *cfg);

#endif
