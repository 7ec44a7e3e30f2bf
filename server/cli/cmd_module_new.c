#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd_module.h"
#include "modules/modules.h"

#ifndef RAPPORT_INCLUDE_DIR
#define RAPPORT_INCLUDE_DIR "/usr/include"
#endif

/* The files of a new module. @NAME@ becomes the module's name and
 * @INCLUDE@ the directory holding rapport/module.h. */

static const char SOURCE[] =
    "/* The @NAME@ module. See modules/README.md for what a module can do. */\n"
    "\n"
    "#include <string.h>\n"
    "\n"
    "#include \"rapport/module.h\"\n"
    "\n"
    "/* The server's functions, kept from init. */\n"
    "static const rp_host_api_t *host;\n"
    "\n"
    "/* Objects, fields, permissions, layouts and menu entries the module brings\n"
    " * (fields in the records field-definition format). */\n"
    "static const char MANIFEST[] =\n"
    "    \"{\\\"objects\\\": [{\\\"name\\\": \\\"@NAME@_item\\\", \\\"label\\\": \\\"Item\\\",\"\n"
    "    \" \\\"fields\\\": [{\\\"name\\\": \\\"title\\\", \\\"type\\\": \\\"text\\\",\"\n"
    "    \" \\\"label\\\": \\\"Title\\\", \\\"required\\\": true}]}]}\";\n"
    "\n"
    "static const rp_module_info_t INFO = {\n"
    "    .size = sizeof(rp_module_info_t),\n"
    "    .name = \"@NAME@\",\n"
    "    .version = \"0.1.0\",\n"
    "    .description = \"The @NAME@ module\",\n"
    "    .depends = NULL,\n"
    "    .manifest = MANIFEST,\n"
    "};\n"
    "\n"
    "RP_MODULE_MAGIC\n"
    "RP_MODULE_INFO(INFO)\n"
    "\n"
    "/* GET /api/v1/m/@NAME@/ping */\n"
    "static rp_mstatus_t ping(rp_mctx_t *ctx, void *user)\n"
    "{\n"
    "    (void)user;\n"
    "    rp_json_t *body = host->json_object_new();\n"
    "    if (body == NULL ||\n"
    "        host->json_set(body, \"module\", host->json_string_new(\"@NAME@\")) != RP_M_OK ||\n"
    "        host->json_set(body, \"tenant_id\", host->json_string_new(host->tenant_id(ctx))) !=\n"
    "            RP_M_OK) {\n"
    "        host->json_free(body);\n"
    "        return RP_M_ENOMEM;\n"
    "    }\n"
    "    host->respond_json(ctx, 200, body);\n"
    "    return RP_M_OK;\n"
    "}\n"
    "\n"
    "/* Refuses an item whose title is only blanks. */\n"
    "static rp_hook_result_t check_title(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)\n"
    "{\n"
    "    (void)ctx;\n"
    "    (void)user;\n"
    "    const char *t = host->json_string(host->json_get(host->record_fields(rec), \"title\"));\n"
    "    if (t != NULL && t[strspn(t, \" \")] == '\\0') {\n"
    "        host->reject_field(rec, \"title\", \"must not be blank\");\n"
    "        return RP_HOOK_REJECT;\n"
    "    }\n"
    "    return RP_HOOK_CONTINUE;\n"
    "}\n"
    "\n"
    "RP_MODULE_INIT(reg, api)\n"
    "{\n"
    "    host = api;\n"
    "    rp_mstatus_t st = api->register_action(reg, RP_ACTION_GET, \"ping\", "
    "RP_ACTION_READONLY,\n"
    "                                           ping, NULL);\n"
    "    if (st == RP_M_OK)\n"
    "        st = api->register_hook(reg, \"@NAME@_item\", RP_HOOK_BEFORE_CREATE, check_title, "
    "NULL);\n"
    "    return st;\n"
    "}\n";

static const char CMAKE[] =
    "# Inside a Rapport tree (modules/@NAME@) the tree's build picks this folder\n"
    "# up; on its own, `cmake -S . -B build` builds @NAME@.so against the\n"
    "# headers in RAPPORT_INCLUDE_DIR.\n"
    "if(COMMAND rapport_add_module)\n"
    "  rapport_add_module(@NAME@ SOURCES @NAME@.c)\n"
    "else()\n"
    "  cmake_minimum_required(VERSION 3.18)\n"
    "  project(rapport_module_@NAME@ C)\n"
    "  set(CMAKE_C_STANDARD 17)\n"
    "  set(RAPPORT_INCLUDE_DIR \"@INCLUDE@\" CACHE PATH \"where rapport/module.h is\")\n"
    "  add_library(@NAME@ MODULE @NAME@.c)\n"
    "  target_include_directories(@NAME@ PRIVATE ${RAPPORT_INCLUDE_DIR})\n"
    "  target_compile_options(@NAME@ PRIVATE -Wall -Wextra)\n"
    "  set_target_properties(@NAME@ PROPERTIES PREFIX \"\" C_VISIBILITY_PRESET hidden)\n"
    "  file(GLOB _migrations ${CMAKE_CURRENT_SOURCE_DIR}/migrations/*.sql)\n"
    "  foreach(f ${_migrations})\n"
    "    file(COPY ${f} DESTINATION ${CMAKE_CURRENT_BINARY_DIR}/@NAME@/migrations)\n"
    "  endforeach()\n"
    "endif()\n";

static const char README[] =
    "# @NAME@\n"
    "\n"
    "A Rapport module. `@NAME@.c` declares the module (name, version, manifest)\n"
    "and registers what it adds; `migrations/` holds its own SQL tables, if any\n"
    "(`NNNN_name.sql`, tenant tables only: `tenant_id` and forced row-level\n"
    "security).\n"
    "\n"
    "Build inside a Rapport tree (`cmake --build build`), or on its own:\n"
    "\n"
    "    cmake -S . -B build -DRAPPORT_INCLUDE_DIR=/path/to/rapport/server/include\n"
    "    cmake --build build\n"
    "\n"
    "Then run the server with `RAPPORT_MODULE_DIR` pointing at the directory\n"
    "holding `@NAME@.so`, and enable it for a tenant:\n"
    "\n"
    "    rapport module enable @NAME@ --tenant SLUG\n"
    "    curl -H 'Authorization: Bearer ...' http://127.0.0.1:8080/api/v1/m/@NAME@/ping\n"
    "\n"
    "The module author's guide is modules/README.md in the Rapport tree.\n";

static const char MIGRATIONS_README[] =
    "Module migrations: NNNN_name.sql, applied in name order when the module is\n"
    "installed. Tenant tables only (tenant_id, ENABLE and FORCE ROW LEVEL SECURITY).\n";

/* Writes tmpl with the placeholders replaced into path. */
static int write_file(const char *cmd, const char *path, const char *tmpl, const char *name)
{
    FILE *f = fopen(path, "wx");
    if (f == NULL)
        return rp_cli_fail(cmd, "cannot create %s: %s", path, strerror(errno));
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, "@NAME@", 6) == 0) {
            fputs(name, f);
            p += 6;
        } else if (strncmp(p, "@INCLUDE@", 9) == 0) {
            fputs(RAPPORT_INCLUDE_DIR, f);
            p += 9;
        } else {
            fputc(*p++, f);
        }
    }
    if (fclose(f) != 0)
        return rp_cli_fail(cmd, "cannot write %s: %s", path, strerror(errno));
    return RP_EXIT_OK;
}

int rp_cli_module_new(const char *cmd, const char *name, const char *dir)
{
    if (!rp_modules_name_valid(name))
        return rp_cli_usage(cmd, "invalid NAME '%s': [a-z][a-z0-9_]{0,30}", name);
    char root[4096], path[4200];
    if (snprintf(root, sizeof root, "%s/%s", dir, name) >= (int)sizeof root)
        return rp_cli_usage(cmd, "--dir is too long");
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return rp_cli_fail(cmd, "cannot create %s: %s", dir, strerror(errno));
    if (mkdir(root, 0755) != 0)
        return rp_cli_fail(cmd, "cannot create %s: %s", root,
                           errno == EEXIST ? "it already exists" : strerror(errno));
    snprintf(path, sizeof path, "%s/migrations", root);
    if (mkdir(path, 0755) != 0)
        return rp_cli_fail(cmd, "cannot create %s: %s", path, strerror(errno));
    int code;
    snprintf(path, sizeof path, "%s/%s.c", root, name);
    if ((code = write_file(cmd, path, SOURCE, name)) != RP_EXIT_OK)
        return code;
    snprintf(path, sizeof path, "%s/CMakeLists.txt", root);
    if ((code = write_file(cmd, path, CMAKE, name)) != RP_EXIT_OK)
        return code;
    snprintf(path, sizeof path, "%s/README.md", root);
    if ((code = write_file(cmd, path, README, name)) != RP_EXIT_OK)
        return code;
    snprintf(path, sizeof path, "%s/migrations/README", root);
    if ((code = write_file(cmd, path, MIGRATIONS_README, name)) != RP_EXIT_OK)
        return code;
    printf("created module %s in %s\n", name, root);
    return RP_EXIT_OK;
}
