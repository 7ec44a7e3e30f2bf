#include "cli/args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rp_cli_opt_t *rp_cli_opt(rp_cli_opt_t *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

const char *rp_cli_value(rp_cli_opt_t *opts, int nopts, const char *name)
{
    rp_cli_opt_t *o = rp_cli_opt(opts, nopts, name);
    return o ? o->value : NULL;
}

/* Finds "--name" or the "--name" of "--name=value". */
static rp_cli_opt_t *match(rp_cli_opt_t *opts, int nopts, const char *arg, const char **inline_val)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *inline_val = eq ? eq + 1 : NULL;
    for (int i = 0; i < nopts; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0)
            return &opts[i];
    return NULL;
}

rp_status_t rp_cli_parse(int argc, char *const *argv, rp_cli_opt_t *opts, int nopts, int maxpos,
                         rp_cli_args_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < nopts; i++)
        opts[i].value = NULL;
    if (maxpos > RP_CLI_MAX_POS)
        maxpos = RP_CLI_MAX_POS;
    bool options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool is_opt = !options_done && a[0] == '-' && a[1] != '\0';
        if (is_opt && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (is_opt && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            out->help = true;
            continue;
        }
        if (is_opt) {
            const char *inline_val;
            rp_cli_opt_t *o = match(opts, nopts, a, &inline_val);
            if (o == NULL) {
                int len = (int)strcspn(a, "=");
                snprintf(err, errlen, "unknown option %.*s", len, a);
                return RP_EINVAL;
            }
            if (o->value != NULL) {
                snprintf(err, errlen, "%s given twice", o->name);
                return RP_EINVAL;
            }
            if (!o->takes_value) {
                if (inline_val != NULL) {
                    snprintf(err, errlen, "%s takes no value", o->name);
                    return RP_EINVAL;
                }
                o->value = "";
                continue;
            }
            if (inline_val == NULL) {
                if (i + 1 >= argc) {
                    snprintf(err, errlen, "%s needs a value", o->name);
                    return RP_EINVAL;
                }
                inline_val = argv[++i];
            }
            o->value = inline_val;
            continue;
        }
        if (out->npos >= maxpos) {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return RP_EINVAL;
        }
        out->pos[out->npos++] = a;
    }
    return RP_OK;
}

bool rp_cli_parse_int(const char *s, long min, long max, long *out)
{
    if (s == NULL || *s == '\0')
        return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

bool rp_cli_email_valid(const char *email)
{
    if (email == NULL)
        return false;
    size_t n = strlen(email);
    if (n < 3 || n > 254)
        return false;
    const char *at = strchr(email, '@');
    if (at == NULL || at == email || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)email; *p; p++)
        if (*p <= 0x20 || *p == 0x7F)
            return false;
    return true;
}

void rp_cli_chomp(char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
}
