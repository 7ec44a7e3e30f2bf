#ifndef RP_CORE_BUF_H
#define RP_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/status.h"

/* A growable byte string that stays NUL-terminated. The owner calls
 * rp_buf_free(); a zeroed rp_buf_t is a valid empty buffer. */
typedef struct rp_buf {
    char *data;
    size_t len;
    size_t cap;
} rp_buf_t;

/* Appends len bytes. */
rp_status_t rp_buf_append(rp_buf_t *b, const void *p, size_t len);

/* Appends a NUL-terminated string. */
rp_status_t rp_buf_puts(rp_buf_t *b, const char *s);

/* Appends printf-style formatted text. */
rp_status_t rp_buf_printf(rp_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal, quoted and escaped as jansson would
 * write it: for the lines written often enough that building a jansson
 * tree for each costs (the access log). RP_EINVAL, with nothing appended,
 * when s is not valid UTF-8. */
rp_status_t rp_buf_put_json_string(rp_buf_t *b, const char *s);

/* Empties the buffer but keeps its memory. */
void rp_buf_reset(rp_buf_t *b);

/* Releases the memory; the buffer is empty and reusable afterwards. */
void rp_buf_free(rp_buf_t *b);

#endif
