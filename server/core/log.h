#ifndef RP_CORE_LOG_H
#define RP_CORE_LOG_H

#include <stdarg.h>
#include <stddef.h>

typedef enum rp_log_level {
    RP_LOG_DEBUG = 0,
    RP_LOG_INFO = 1,
    RP_LOG_WARN = 2,
    RP_LOG_ERROR = 3,
} rp_log_level_t;

/* Sets the threshold below which messages are dropped. */
void rp_log_set_level(rp_log_level_t level);

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int rp_log_parse_level(const char *s);

/* Writes one JSON line {"ts","level","msg"} to stderr; lines from several
 * threads never interleave. */
void rp_log(rp_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes the current UTC time as RFC 3339 with milliseconds
 * ("2026-11-23T10:52:01.123Z") into out; 32 bytes are enough. */
void rp_log_timestamp(char *out, size_t outlen);

/* Writes a preformatted JSON object as one line on stdout (the access log). */
void rp_log_access(const char *json_line);

/* Writes a batch of complete access-log lines (each ending in '\n') on
 * stdout in one go; HTTP threads buffer their lines and hand them over here
 * so that a busy server makes one write per batch, not per request. */
void rp_log_access_batch(const char *lines, size_t len);

#define rp_log_debug(...) rp_log(RP_LOG_DEBUG, __VA_ARGS__)
#define rp_log_info(...) rp_log(RP_LOG_INFO, __VA_ARGS__)
#define rp_log_warn(...) rp_log(RP_LOG_WARN, __VA_ARGS__)
#define rp_log_error(...) rp_log(RP_LOG_ERROR, __VA_ARGS__)

#endif
