#include "core/log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static rp_log_level_t threshold = RP_LOG_INFO;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *names[] = {"debug", "info", "warn", "error"};

void rp_log_set_level(rp_log_level_t level)
{
    threshold = level;
}

int rp_log_parse_level(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s != NULL && strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

void rp_log_timestamp(char *out, size_t outlen)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

void rp_log(rp_log_level_t level, const char *fmt, ...)
{
    if (level < threshold)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    char stamp[96];
    rp_log_timestamp(stamp, sizeof stamp);

    /* jansson escapes the message so a log line is always valid JSON, whatever
     * a client managed to put into it. */
    json_t *o = json_pack("{s:s, s:s, s:s}", "ts", stamp, "level", names[level], "msg", msg);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    pthread_mutex_lock(&out_lock);
    if (line != NULL)
        fprintf(stderr, "%s\n", line);
    else
        fprintf(stderr, "%s %s\n", names[level], msg);
    pthread_mutex_unlock(&out_lock);
    free(line);
    json_decref(o);
}

void rp_log_access(const char *json_line)
{
    pthread_mutex_lock(&out_lock);
    fputs(json_line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

void rp_log_access_batch(const char *lines, size_t len)
{
    pthread_mutex_lock(&out_lock);
    fwrite(lines, 1, len, stdout);
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}
