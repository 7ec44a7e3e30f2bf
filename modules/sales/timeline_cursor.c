/* The timeline's order (newest first) and its page cursor. A cursor is the
 * base64url of "t1|<activity_at>|<id>" for the last item of a page: the
 * next page starts after it. It is checked field by field when it comes
 * back, so a forged one is refused rather than turned into a filter. */

#include <ctype.h>
#include <string.h>

#include "timeline_cursor.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sales_timeline_order(const char *at_a, const char *id_a, const char *at_b, const char *id_b)
{
    /* Stored datetimes have one fixed-width form, so text order is time
     * order; an undated item goes last. */
    if (at_a != NULL && at_b == NULL)
        return -1;
    if (at_a == NULL && at_b != NULL)
        return 1;
    int c = at_a != NULL ? strcmp(at_b, at_a) : 0;
    if (c != 0)
        return c;
    return strcmp(id_b, id_a);
}

/* The stored form "YYYY-MM-DDTHH:MM:SS.mmmZ". */
static bool stored_time(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    if (strlen(s) != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return false;
    return true;
}

/* A lower-case canonical UUID, as the engine gives ids. */
static bool stored_id(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

bool sales_timeline_cursor_encode(const char *at, const char *id, char *out, size_t outlen)
{
    if (id == NULL || !stored_id(id) || (at != NULL && !stored_time(at)))
        return false;
    char plain[SALES_CURSOR_PART_MAX * 2 + 8];
    size_t n = 0;
    memcpy(plain, "t1|", 3);
    n = 3;
    if (at != NULL) {
        memcpy(plain + n, at, strlen(at));
        n += strlen(at);
    }
    plain[n++] = '|';
    memcpy(plain + n, id, 36);
    n += 36;
    size_t need = (n * 4 + 2) / 3;
    if (outlen <= need)
        return false;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)plain[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)plain[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)plain[i + 2];
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = B64[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = B64[v & 63];
    }
    out[o] = '\0';
    return true;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

bool sales_timeline_cursor_decode(const char *cursor, char *at, char *id)
{
    if (cursor == NULL)
        return false;
    size_t len = strlen(cursor);
    char plain[SALES_CURSOR_PART_MAX * 2 + 8];
    if (len == 0 || len >= SALES_CURSOR_MAX || len % 4 == 1)
        return false;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        unsigned v = 0;
        size_t k = len - i < 4 ? len - i : 4;
        for (size_t j = 0; j < 4; j++) {
            int x = j < k ? b64_value(cursor[i + j]) : 0;
            if (x < 0)
                return false;
            v = v << 6 | (unsigned)x;
        }
        if (n + 3 >= sizeof plain)
            return false;
        plain[n++] = (char)(v >> 16);
        if (k > 2)
            plain[n++] = (char)(v >> 8 & 0xff);
        if (k > 3)
            plain[n++] = (char)(v & 0xff);
    }
    plain[n] = '\0';
    if (strlen(plain) != n || strncmp(plain, "t1|", 3) != 0)
        return false;
    const char *a = plain + 3, *bar = strchr(a, '|');
    if (bar == NULL || (size_t)(bar - a) >= SALES_CURSOR_PART_MAX ||
        strlen(bar + 1) >= SALES_CURSOR_PART_MAX)
        return false;
    memcpy(at, a, (size_t)(bar - a));
    at[bar - a] = '\0';
    strcpy(id, bar + 1);
    if ((at[0] != '\0' && !stored_time(at)) || !stored_id(id))
        return false;
    /* Only the canonical text of the same position decodes: no second
     * spelling of one cursor (unused low bits must be zero). */
    char again[SALES_CURSOR_MAX];
    return sales_timeline_cursor_encode(at[0] ? at : NULL, id, again, sizeof again) &&
           strcmp(again, cursor) == 0;
}
