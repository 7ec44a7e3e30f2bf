/* The member check of request bodies, over the host's object walk. */

#include <string.h>

#include "lead_body.h"
#include "sales.h"

/* What first_unknown looks for, and what it found. */
typedef struct walk {
    const char *const *allowed;
    char *out;
    size_t outlen;
    bool found;
} walk_t;

/* Copies s into out (outlen bytes), cut before a UTF-8 character that
 * does not fit whole: the name is quoted in a problem's detail, which
 * must stay valid UTF-8. */
static void copy_name(char *out, size_t outlen, const char *s)
{
    if (outlen == 0)
        return;
    size_t n = strlen(s);
    if (n >= outlen) {
        n = outlen - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static int first_unknown(const char *key, rp_json_t *value, void *user)
{
    (void)value;
    walk_t *w = user;
    for (const char *const *a = w->allowed; *a != NULL; a++)
        if (strcmp(*a, key) == 0)
            return 0;
    copy_name(w->out, w->outlen, key);
    w->found = true;
    return 1; /* the first one is enough */
}

bool sales_lead_body_unknown_member(const rp_host_api_t *host, const rp_json_t *body,
                                    const char *const *allowed, char *out, size_t outlen)
{
    if (host == NULL || body == NULL || !RP_HOST_HAS(host, json_object_each))
        return false;
    walk_t w = {.allowed = allowed, .out = out, .outlen = outlen};
    return host->json_object_each(body, first_unknown, &w) == RP_M_OK && w.found;
}
