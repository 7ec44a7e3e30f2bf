#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "modules/internal.h"

#ifndef RAPPORT_MODULE_OUTPUT_DIR
#define RAPPORT_MODULE_OUTPUT_DIR "modules"
#endif

const char *rp_modules_dir(void)
{
    const char *dir = getenv("RAPPORT_MODULE_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : RAPPORT_MODULE_OUTPUT_DIR;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module's name as its file gives it ("sales" for .../sales.so, with an
 * optional "lib" prefix dropped), for refusal lines written before the
 * descriptor can be read. */
static void stem(const char *file, char *out, size_t outlen)
{
    if (strncmp(file, "lib", 3) == 0)
        file += 3;
    size_t n = strlen(file);
    if (n > 3)
        n -= 3;
    snprintf(out, outlen, "%.*s", (int)n, file);
}

/* Opens one shared object and hands it to the registry. Refusals are logged
 * here; only RP_ENOMEM is returned as a failure. */
static rp_status_t open_one(const char *dir, const char *file)
{
    char path[4096], name[256];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    stem(file, name, sizeof name);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        rp_log_error("module %s (%s) refused: cannot load: %s", name, path, e ? e : "?");
        return RP_OK;
    }
    /* The magic comes first: nothing else of a module built for another ABI
     * is touched. */
    rp_module_magic_fn magic = (rp_module_magic_fn)dlsym(h, RP_MODULE_MAGIC_SYMBOL);
    if (magic == NULL) {
        rp_log_error("module %s (%s) refused: missing symbol %s (not built with RP_MODULE_MAGIC; "
                     "this server has ABI %d.%d)",
                     name, path, RP_MODULE_MAGIC_SYMBOL, RAPPORT_ABI_MAJOR, RAPPORT_ABI_MINOR);
        dlclose(h);
        return RP_OK;
    }
    char why[512];
    if (rp_modules_check_magic(magic(), why, sizeof why) != RP_OK) {
        rp_log_error("module %s (%s) refused: %s", name, path, why);
        dlclose(h);
        return RP_OK;
    }
    rp_module_info_fn info = (rp_module_info_fn)dlsym(h, RP_MODULE_INFO_SYMBOL);
    rp_module_init_fn init = (rp_module_init_fn)dlsym(h, RP_MODULE_INIT_SYMBOL);
    if (info == NULL || init == NULL) {
        rp_log_error("module %s (%s) refused: missing symbol %s", name, path,
                     info == NULL ? RP_MODULE_INFO_SYMBOL : RP_MODULE_INIT_SYMBOL);
        dlclose(h);
        return RP_OK;
    }
    const rp_module_info_t *mi = info();
    char migdir[4096];
    struct stat sb;
    const char *mig = NULL;
    if (mi != NULL && mi->name != NULL && rp_modules_name_valid(mi->name)) {
        snprintf(migdir, sizeof migdir, "%s/%s/migrations", dir, mi->name);
        if (stat(migdir, &sb) == 0 && S_ISDIR(sb.st_mode))
            mig = migdir;
    }
    return rp_modules_add_loaded(h, path, mig, mi, init);
}

rp_status_t rp_modules_load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        rp_log_info("no modules loaded: %s is not a readable directory", dir);
        return RP_OK;
    }
    char **files = NULL;
    size_t n = 0;
    rp_status_t st = RP_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 4 || strcmp(e->d_name + len - 3, ".so") != 0 || e->d_name[0] == '.')
            continue;
        char **grown = realloc(files, (n + 1) * sizeof *files);
        if (grown == NULL) {
            st = RP_ENOMEM;
            break;
        }
        files = grown;
        if ((files[n] = strdup(e->d_name)) == NULL) {
            st = RP_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    /* Name order, so that two servers with the same files load them the
     * same way. */
    if (n > 1)
        qsort(files, n, sizeof *files, by_name);
    for (size_t i = 0; i < n && st == RP_OK; i++)
        st = open_one(dir, files[i]);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
    free(files);
    if (st != RP_OK)
        return st;
    return rp_modules_activate();
}
