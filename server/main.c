#include <sodium.h>
#include <stdio.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    if (sodium_init() < 0) {
        fprintf(stderr, "rapport: libsodium could not initialise\n");
        return RP_EXIT_FAIL;
    }
    return rp_cli_main(argc, argv);
}
