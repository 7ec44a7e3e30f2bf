#include "core/uuid.h"

#include <ctype.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Random bytes are drawn from the kernel 1 KiB at a time per thread: a
 * getrandom() per id was one system call per request. */
static _Thread_local unsigned char pool[1024];
static _Thread_local size_t pool_left;

static void random_bytes(unsigned char *out, size_t n)
{
    if (pool_left < n) {
        randombytes_buf(pool, sizeof pool);
        pool_left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - pool_left, n);
    /* Wipe what was handed out so the pool never repeats or leaks it. */
    sodium_memzero(pool + sizeof pool - pool_left, n);
    pool_left -= n;
}

void rp_uuid_v7(char out[RP_UUID_LEN + 1])
{
    unsigned char b[16];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    random_bytes(b + 6, 10);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    snprintf(out, RP_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
}

bool rp_uuid_valid(const char *s)
{
    if (s == NULL || strlen(s) != RP_UUID_LEN)
        return false;
    for (int i = 0; i < RP_UUID_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}
