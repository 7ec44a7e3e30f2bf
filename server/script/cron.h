#ifndef RP_SCRIPT_CRON_H
#define RP_SCRIPT_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/status.h"

/* Cron expressions of scheduled scripts: five fields (minute 0-59, hour
 * 0-23, day of month 1-31, month 1-12 or jan-dec, day of week 0-7 or
 * sun-sat, 7 being Sunday too), each "*", a value, a range "a-b", a list
 * "a,b-c", or any of these with a step "/n"; or one of @hourly, @daily
 * (@midnight), @weekly, @monthly, @yearly (@annually). As in classic cron,
 * when both day fields are restricted a day matching either one matches.
 * Evaluated in UTC. Pure: no I/O. */

/* A parsed expression: one bit per allowed value. */
typedef struct rp_cron {
    uint64_t minutes; /* bits 0-59 */
    uint32_t hours;   /* bits 0-23 */
    uint32_t mdays;   /* bits 1-31 */
    uint16_t months;  /* bits 1-12 */
    uint8_t wdays;    /* bits 0-6, Sunday 0 */
    bool mday_any, wday_any;
} rp_cron_t;

/* Parses expr into out. RP_EINVAL with a message naming the field in err. */
rp_status_t rp_cron_parse(const char *expr, rp_cron_t *out, char *err, size_t errlen);

/* True when the minute of tm (UTC, as gmtime_r gives it) matches. */
bool rp_cron_matches(const rp_cron_t *c, const struct tm *tm);

#endif
