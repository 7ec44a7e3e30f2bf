#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

void rp_config_set_str(char **slot, const char *value)
{
    free(*slot);
    *slot = value ? strdup(value) : NULL;
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static rp_status_t env_int(const char *name, long min, long max, int *slot, char *err,
                           size_t errlen)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return RP_OK;
    long n;
    if (parse_int(v, min, max, &n) != 0) {
        snprintf(err, errlen, "%s: expected an integer from %ld to %ld, got '%s'", name, min, max,
                 v);
        return RP_EINVAL;
    }
    *slot = (int)n;
    return RP_OK;
}

rp_status_t rp_config_set_listen(rp_config_t *cfg, const char *value, char *err, size_t errlen)
{
    const char *colon = strrchr(value, ':');
    if (colon == NULL) {
        snprintf(err, errlen, "listen address '%s': expected host:port", value);
        return RP_EINVAL;
    }
    long port;
    if (parse_int(colon + 1, 0, 65535, &port) != 0) {
        snprintf(err, errlen, "listen address '%s': bad port", value);
        return RP_EINVAL;
    }
    size_t hlen = (size_t)(colon - value);
    char host[256];
    if (hlen >= sizeof host) {
        snprintf(err, errlen, "listen address '%s': host too long", value);
        return RP_EINVAL;
    }
    memcpy(host, value, hlen);
    host[hlen] = '\0';
    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    rp_config_set_str(&cfg->listen_host, hlen ? host : "0.0.0.0");
    cfg->listen_port = (int)port;
    return RP_OK;
}

rp_status_t rp_config_from_env(rp_config_t *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1)
        ncpu = 1;
    cfg->http_threads = (int)ncpu;
    cfg->workers = (int)(ncpu * 4 < 8 ? 8 : ncpu * 4);
    cfg->loop_reads = 1;
    cfg->log_level = RP_LOG_INFO;
    cfg->access_ttl = 900;
    cfg->refresh_ttl = 30 * 24 * 3600;
    cfg->max_body = 4u << 20;
    cfg->max_import = (size_t)64 << 20;
    cfg->shutdown_timeout = 10;
    cfg->housekeeping = 3600;
    cfg->password_min_length = 10;
    cfg->login_max_failures = 5;
    cfg->login_max_failures_ip = 50;
    cfg->login_window = 900;
    cfg->listen_port = 8080;
    rp_config_set_str(&cfg->listen_host, "127.0.0.1");
    rp_config_set_str(&cfg->data_dir, "./var");
    rp_config_set_str(&cfg->jwt_issuer, "rapport");
    rp_config_set_str(&cfg->jwt_audience, "rapport-api");
    rp_config_set_str(&cfg->default_modules, "sales");

    const char *v;
    if ((v = getenv("RAPPORT_DATABASE_URL")) && *v)
        rp_config_set_str(&cfg->database_url, v);
    if ((v = getenv("RAPPORT_APP_DATABASE_URL")) && *v)
        rp_config_set_str(&cfg->app_database_url, v);
    if ((v = getenv("RAPPORT_DATA_DIR")) && *v)
        rp_config_set_str(&cfg->data_dir, v);
    /* Set but empty is meaningful here: new tenants get no module. */
    if ((v = getenv("RAPPORT_DEFAULT_MODULES")) != NULL)
        rp_config_set_str(&cfg->default_modules, v);
    if ((v = getenv("RAPPORT_JWT_ISSUER")) && *v)
        rp_config_set_str(&cfg->jwt_issuer, v);
    if ((v = getenv("RAPPORT_JWT_AUDIENCE")) && *v)
        rp_config_set_str(&cfg->jwt_audience, v);
    if ((v = getenv("RAPPORT_LISTEN")) && *v)
        if (rp_config_set_listen(cfg, v, err, errlen) != RP_OK)
            return RP_EINVAL;
    if ((v = getenv("RAPPORT_LOG_LEVEL")) && *v) {
        int lvl = rp_log_parse_level(v);
        if (lvl < 0) {
            snprintf(err, errlen,
                     "RAPPORT_LOG_LEVEL: expected debug, info, warn or error, got '%s'", v);
            return RP_EINVAL;
        }
        cfg->log_level = lvl;
    }
    if ((v = getenv("RAPPORT_PWHASH")) && strcmp(v, "fast") == 0)
        cfg->pwhash_fast = 1;
    int max_body_kib = (int)(cfg->max_body >> 10);
    int max_import_kib = (int)(cfg->max_import >> 10);
    if (env_int("RAPPORT_WORKERS", 1, 1024, &cfg->workers, err, errlen) ||
        env_int("RAPPORT_HTTP_THREADS", 1, 256, &cfg->http_threads, err, errlen) ||
        env_int("RAPPORT_LOOP_READS", 0, 1, &cfg->loop_reads, err, errlen) ||
        env_int("RAPPORT_ACCESS_TTL", 10, 86400, &cfg->access_ttl, err, errlen) ||
        env_int("RAPPORT_REFRESH_TTL", 60, 365 * 86400, &cfg->refresh_ttl, err, errlen) ||
        env_int("RAPPORT_MAX_BODY_KIB", 1, 1 << 20, &max_body_kib, err, errlen) ||
        env_int("RAPPORT_MAX_IMPORT_KIB", 1, 1 << 21, &max_import_kib, err, errlen) ||
        env_int("RAPPORT_SHUTDOWN_TIMEOUT", 0, 3600, &cfg->shutdown_timeout, err, errlen) ||
        env_int("RAPPORT_HOUSEKEEPING_SECONDS", 0, 7 * 86400, &cfg->housekeeping, err, errlen) ||
        env_int("RAPPORT_PASSWORD_MIN_LENGTH", 8, 1024, &cfg->password_min_length, err, errlen) ||
        env_int("RAPPORT_LOGIN_MAX_FAILURES", 1, 1000000, &cfg->login_max_failures, err, errlen) ||
        env_int("RAPPORT_LOGIN_MAX_FAILURES_IP", 1, 1000000, &cfg->login_max_failures_ip, err,
                errlen) ||
        env_int("RAPPORT_SCRIPT_INSTRUCTIONS", 1000, 1 << 30, &cfg->script_instructions, err,
                errlen) ||
        env_int("RAPPORT_SCRIPT_TIMEOUT_MS", 1, 600000, &cfg->script_timeout_ms, err, errlen) ||
        env_int("RAPPORT_SCRIPT_MEMORY_KIB", 256, 1 << 20, &cfg->script_memory_kib, err, errlen) ||
        env_int("RAPPORT_SCRIPT_QUERIES", 1, 1000000, &cfg->script_queries, err, errlen) ||
        env_int("RAPPORT_SCRIPT_RECORDS_READ", 1, 10000000, &cfg->script_reads, err, errlen) ||
        env_int("RAPPORT_SCRIPT_RECORDS_WRITTEN", 1, 1000000, &cfg->script_writes, err, errlen) ||
        env_int("RAPPORT_SCRIPT_CACHE", 1, 100000, &cfg->script_cache, err, errlen) ||
        env_int("RAPPORT_SCRIPT_TICK_SECONDS", -1, 3600, &cfg->script_tick, err, errlen) ||
        env_int("RAPPORT_LOGIN_WINDOW", 1, 86400, &cfg->login_window, err, errlen))
        return RP_EINVAL;
    cfg->max_body = (size_t)max_body_kib << 10;
    cfg->max_import = (size_t)max_import_kib << 10;
    return RP_OK;
}

rp_status_t rp_config_load_secret(rp_config_t *cfg, char *err, size_t errlen)
{
    const char *v = getenv("RAPPORT_JWT_SECRET");
    if (v && *v) {
        size_t n = strlen(v);
        if (n < 32) {
            snprintf(err, errlen, "RAPPORT_JWT_SECRET: must be at least 32 characters");
            return RP_EINVAL;
        }
        if (n > sizeof cfg->jwt_secret)
            n = sizeof cfg->jwt_secret;
        memcpy(cfg->jwt_secret, v, n);
        cfg->jwt_secret_len = n;
        cfg->jwt_secret_from_env = 1;
        return RP_OK;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/jwt.secret", cfg->data_dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char text[200];
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        size_t bin_len = 0;
        if (n > 0) {
            text[n] = '\0';
            text[strcspn(text, "\r\n")] = '\0';
            if (sodium_base642bin(cfg->jwt_secret, sizeof cfg->jwt_secret, text, strlen(text), NULL,
                                  &bin_len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
                bin_len = 0;
        }
        if (bin_len < 32) {
            snprintf(err, errlen, "%s: not a valid secret (delete it to generate a new one)", path);
            return RP_EINVAL;
        }
        cfg->jwt_secret_len = bin_len;
        return RP_OK;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RP_EIO;
    }
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", cfg->data_dir, strerror(errno));
        return RP_EIO;
    }
    randombytes_buf(cfg->jwt_secret, 32);
    cfg->jwt_secret_len = 32;
    char text[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(text, sizeof text, cfg->jwt_secret, 32,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return RP_EIO;
    }
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1;
    close(fd);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "%s: write failed", path);
        return RP_EIO;
    }
    return RP_OK;
}

void rp_config_free(rp_config_t *cfg)
{
    free(cfg->database_url);
    free(cfg->app_database_url);
    free(cfg->data_dir);
    free(cfg->listen_host);
    free(cfg->jwt_issuer);
    free(cfg->jwt_audience);
    free(cfg->default_modules);
    sodium_memzero(cfg->jwt_secret, sizeof cfg->jwt_secret);
    memset(cfg, 0, sizeof *cfg);
}
