#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* Reads one line into out; false at end of input or when the line does
 * not fit. */
static bool read_line(FILE *in, char *out, size_t outlen, bool *too_long)
{
    *too_long = false;
    if (fgets(out, (int)outlen, in) == NULL)
        return false;
    size_t n = strlen(out);
    if (n == outlen - 1 && out[n - 1] != '\n') {
        int c;
        while ((c = fgetc(in)) != EOF && c != '\n')
            ;
        *too_long = true;
        return false;
    }
    rp_cli_chomp(out);
    return true;
}

static bool prompt(const char *text, char *out, size_t outlen, bool *too_long)
{
    struct termios old, quiet;
    fputs(text, stderr);
    fflush(stderr);
    bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = read_line(stdin, out, outlen, too_long);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    return ok;
}

rp_status_t rp_cli_read_password(bool from_stdin, char *out, size_t outlen, char *err,
                                 size_t errlen)
{
    bool too_long;
    if (from_stdin) {
        if (!read_line(stdin, out, outlen, &too_long)) {
            snprintf(err, errlen,
                     too_long ? "the password on standard input is too long"
                              : "no password on standard input");
            return RP_EINVAL;
        }
        return RP_OK;
    }
    if (!isatty(STDIN_FILENO)) {
        snprintf(err, errlen, "standard input is not a terminal: use --password-stdin");
        return RP_EINVAL;
    }
    char again[1100];
    rp_status_t st = RP_OK;
    if (!prompt("Password: ", out, outlen, &too_long) ||
        !prompt("Repeat password: ", again, sizeof again, &too_long)) {
        snprintf(err, errlen, too_long ? "the password is too long" : "no password given");
        st = RP_EINVAL;
    } else if (strcmp(out, again) != 0) {
        snprintf(err, errlen, "the passwords do not match");
        st = RP_EINVAL;
    }
    sodium_memzero(again, sizeof again);
    if (st != RP_OK)
        sodium_memzero(out, outlen);
    return st;
}
