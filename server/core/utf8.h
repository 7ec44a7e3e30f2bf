#ifndef RP_CORE_UTF8_H
#define RP_CORE_UTF8_H

/* The number of code points in s when it is strictly valid UTF-8 (no
 * overlong forms, no surrogates, nothing past U+10FFFF), -1 otherwise.
 * Length rules for passwords and names count characters, not bytes. */
long rp_utf8_length(const char *s);

#endif
