#include "core/utf8.h"

#include <stdint.h>

long rp_utf8_length(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    long n = 0;
    while (*s) {
        unsigned c = s[0];
        int len;
        uint32_t cp;
        if (c < 0x80) {
            s++;
            n++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (int i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        s += len;
        n++;
    }
    return n;
}
