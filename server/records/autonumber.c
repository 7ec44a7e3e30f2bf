#include <stdio.h>
#include <string.h>

#include "records/field.h"

/* Longest autonumber format and most zeros in its placeholder (18 digits
 * still fit a long long). */
#define FORMAT_MAX 64
#define ZEROS_MAX 18

/* Finds the placeholder: its offset in *start, its length (braces included)
 * in *len and the zero count in *zeros. */
static bool locate(const char *format, size_t *start, size_t *len, int *zeros)
{
    if (format == NULL)
        return false;
    size_t n = strlen(format);
    if (n == 0 || n > FORMAT_MAX)
        return false;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        char c = format[i];
        if (c == '{') {
            if (found)
                return false;
            size_t j = i + 1;
            while (format[j] == '0')
                j++;
            int z = (int)(j - i - 1);
            if (format[j] != '}' || z < 1 || z > ZEROS_MAX)
                return false;
            *start = i;
            *len = j - i + 1;
            *zeros = z;
            found = true;
            i = j;
        } else if (c == '}' || c < 0x20 || c > 0x7e) {
            return false;
        }
    }
    return found;
}

bool rp_autonumber_format_valid(const char *format)
{
    size_t start, len;
    int zeros;
    return locate(format, &start, &len, &zeros);
}

rp_status_t rp_autonumber_format(const char *format, long long n, char *out, size_t outlen)
{
    size_t start, len;
    int zeros;
    if (n < 0 || !locate(format, &start, &len, &zeros))
        return RP_EINVAL;
    int w =
        snprintf(out, outlen, "%.*s%0*lld%s", (int)start, format, zeros, n, format + start + len);
    if (w < 0 || (size_t)w >= outlen)
        return RP_ELIMIT;
    return RP_OK;
}
