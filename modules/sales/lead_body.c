/* Finds the member names of a JSON object's text without a JSON library:
 * the module sees JSON only through the host's accessors, which read a
 * member by name but cannot list them. */

#include <stdio.h>
#include <string.h>

#include "lead_body.h"

/* Moves past the string that starts at s (on its opening quote); NULL when
 * it does not end. */
static const char *skip_string(const char *s)
{
    for (s++; *s != '\0'; s++) {
        if (*s == '\\') {
            if (s[1] == '\0')
                return NULL;
            s++;
        } else if (*s == '"') {
            return s + 1;
        }
    }
    return NULL;
}

static bool allowed_name(const char *name, size_t len, const char *const *allowed)
{
    for (; *allowed != NULL; allowed++)
        if (strlen(*allowed) == len && strncmp(*allowed, name, len) == 0)
            return true;
    return false;
}

bool sales_lead_body_unknown(const char *json, const char *const *allowed, char *out, size_t outlen)
{
    if (json == NULL)
        return false;
    while (*json == ' ' || *json == '\n' || *json == '\t' || *json == '\r')
        json++;
    if (*json != '{')
        return false;
    int depth = 0;
    bool want_key = false;
    for (const char *s = json; *s != '\0';) {
        char c = *s;
        if (c == '"') {
            const char *end = skip_string(s);
            if (end == NULL)
                return false;
            if (depth == 1 && want_key) {
                size_t len = (size_t)(end - s) - 2;
                if (!allowed_name(s + 1, len, allowed)) {
                    if (outlen > 0)
                        snprintf(out, outlen, "%.*s", (int)len, s + 1);
                    return true;
                }
                want_key = false;
            }
            s = end;
            continue;
        }
        if (c == '{' || c == '[') {
            depth++;
            want_key = c == '{' && depth == 1;
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            want_key = true;
        }
        s++;
    }
    return false;
}
