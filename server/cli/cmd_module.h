#ifndef RP_CLI_CMD_MODULE_H
#define RP_CLI_CMD_MODULE_H

#include "cli/cli.h"

/* `rapport module new NAME --dir DIR`: writes DIR/NAME (source, CMake file,
 * README, migrations/) for a module that builds and loads unchanged. cmd
 * names the command in messages. Returns the exit code. */
int rp_cli_module_new(const char *cmd, const char *name, const char *dir);

#endif
