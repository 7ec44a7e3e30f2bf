#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rp_status_t reserve(rp_buf_t *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return RP_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (p == NULL)
        return RP_ENOMEM;
    b->data = p;
    b->cap = cap;
    return RP_OK;
}

rp_status_t rp_buf_append(rp_buf_t *b, const void *p, size_t len)
{
    if (reserve(b, len) != RP_OK)
        return RP_ENOMEM;
    if (len > 0)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return RP_OK;
}

rp_status_t rp_buf_puts(rp_buf_t *b, const char *s)
{
    return rp_buf_append(b, s, strlen(s));
}

rp_status_t rp_buf_printf(rp_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return RP_EINVAL;
    if (reserve(b, (size_t)n) != RP_OK)
        return RP_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return RP_OK;
}

void rp_buf_reset(rp_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void rp_buf_free(rp_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
