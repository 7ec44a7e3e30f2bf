#include <string.h>

#include "core/buf.h"
#include "core/utf8.h"

/* What jansson writes for the same string (without JSON_ENSURE_ASCII or
 * JSON_ESCAPE_SLASH), so that lines built either way read the same. */
rp_status_t rp_buf_put_json_string(rp_buf_t *b, const char *s)
{
    /* Nearly every string here is plain ASCII: the full UTF-8 check only
     * for those that are not. */
    const unsigned char *u = (const unsigned char *)s;
    while (*u != '\0' && *u < 0x80)
        u++;
    if (*u != '\0' && rp_utf8_length(s) < 0)
        return RP_EINVAL;
    static const char hex[] = "0123456789ABCDEF";
    if (rp_buf_append(b, "\"", 1) != RP_OK)
        return RP_ENOMEM;
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c != '"' && c != '\\' && c >= 0x20)
            continue;
        if (p > run && rp_buf_append(b, run, (size_t)(p - run)) != RP_OK)
            return RP_ENOMEM;
        if (c == '\0')
            break;
        char esc[7] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (rp_buf_append(b, esc, n) != RP_OK)
            return RP_ENOMEM;
        run = p + 1;
    }
    return rp_buf_append(b, "\"", 1);
}
