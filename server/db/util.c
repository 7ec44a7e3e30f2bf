#include "db/util.h"

#include <string.h>

int rp_db_backoff_next(int cur_ms)
{
    if (cur_ms < RP_DB_BACKOFF_MIN_MS)
        return RP_DB_BACKOFF_MIN_MS;
    if (cur_ms >= RP_DB_BACKOFF_MAX_MS / 2)
        return RP_DB_BACKOFF_MAX_MS;
    return cur_ms * 2;
}

rp_status_t rp_db_status_of_sqlstate(const char *sqlstate)
{
    if (sqlstate == NULL || *sqlstate == '\0')
        return RP_EDB;
    if (strcmp(sqlstate, "23505") == 0)
        return RP_ECONFLICT;
    /* Class 08 is a connection exception; 57P01..57P03 are the server going
     * down or not yet accepting: all mean "try again later", not "bad SQL". */
    if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
        strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0)
        return RP_EDB_UNAVAILABLE;
    return RP_EDB;
}

rp_status_t rp_db_conninfo_add(rp_buf_t *out, const char *key, const char *value)
{
    if (out->len > 0 && rp_buf_puts(out, " ") != RP_OK)
        return RP_ENOMEM;
    if (rp_buf_puts(out, key) != RP_OK || rp_buf_puts(out, "='") != RP_OK)
        return RP_ENOMEM;
    for (const char *p = value; *p; p++) {
        if ((*p == '\'' || *p == '\\') && rp_buf_append(out, "\\", 1) != RP_OK)
            return RP_ENOMEM;
        if (rp_buf_append(out, p, 1) != RP_OK)
            return RP_ENOMEM;
    }
    return rp_buf_puts(out, "'");
}

int rp_db_line_of_position(const char *text, int pos)
{
    if (text == NULL || pos < 1)
        return 0;
    int line = 1, chars = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if ((*p & 0xC0) == 0x80)
            continue; /* a continuation byte belongs to the character before */
        if (++chars == pos)
            return line;
        if (*p == '\n')
            line++;
    }
    return 0;
}
