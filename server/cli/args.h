#ifndef RP_CLI_ARGS_H
#define RP_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* Most positional arguments any subcommand takes. */
#define RP_CLI_MAX_POS 4

/* One option a subcommand accepts. */
typedef struct rp_cli_opt {
    const char *name;  /* with its dashes: "--name" */
    bool takes_value;  /* "--name VALUE" or "--name=VALUE"; otherwise a flag */
    const char *value; /* after parsing: the value ("" for a flag) or NULL when absent */
} rp_cli_opt_t;

/* What is left after the options. */
typedef struct rp_cli_args {
    const char *pos[RP_CLI_MAX_POS];
    int npos;
    bool help; /* -h or --help was given */
} rp_cli_args_t;

/* Parses argv[0..argc) against opts (values reset first). Options and
 * positionals may be mixed; "--" ends the options. At most maxpos
 * positionals. On RP_EINVAL err holds a short phrase naming the offending
 * argument ("unknown option --x", "--name needs a value"). */
rp_status_t rp_cli_parse(int argc, char *const *argv, rp_cli_opt_t *opts, int nopts, int maxpos,
                         rp_cli_args_t *out, char *err, size_t errlen);

/* The option called name in opts, or NULL. */
rp_cli_opt_t *rp_cli_opt(rp_cli_opt_t *opts, int nopts, const char *name);

/* The value of option name, or NULL when absent or not in opts. */
const char *rp_cli_value(rp_cli_opt_t *opts, int nopts, const char *name);

/* Parses a whole decimal number within [min, max]. */
bool rp_cli_parse_int(const char *s, long min, long max, long *out);

/* True for an address with one '@', something on both sides, 3 to 254
 * bytes, and no spaces or control characters. */
bool rp_cli_email_valid(const char *email);

/* Removes one trailing "\n" or "\r\n" in place. */
void rp_cli_chomp(char *s);

#endif
