#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "modules/internal.h"

/* The registration half of the host API: what init may call. Every call
 * checks that init is still running, so that a module cannot change the
 * registry that request threads read without locks. */

static bool open_for(const rp_mreg_t *reg, const char *what)
{
    if (reg == NULL || !reg->open || reg->mod == NULL) {
        rp_log_error("module %s: %s registered outside init: refused",
                     reg && reg->mod ? reg->mod->name : "?", what);
        return false;
    }
    return true;
}

/* Grows *arr (of *n elements of size sz) by one zeroed element. */
static void *grow(void *arr, int *n, size_t sz, void **slot)
{
    if (*n >= 1024)
        return NULL;
    char *g = realloc(arr, (size_t)(*n + 1) * sz);
    if (g == NULL)
        return NULL;
    memset(g + (size_t)*n * sz, 0, sz);
    *slot = g + (size_t)*n * sz;
    (*n)++;
    return g;
}

static bool object_name_ok(const char *s)
{
    if (s == NULL || s[0] == '\0' || strlen(s) > 63)
        return false;
    if (strcmp(s, "*") == 0)
        return true;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

rp_mstatus_t rp_host_register_hook(rp_mreg_t *reg, const char *object, rp_hook_event_t event,
                                   rp_hook_fn fn, void *user)
{
    if (!open_for(reg, "a hook"))
        return RP_M_EINVAL;
    if (!object_name_ok(object) || fn == NULL || (int)event < 0 || event >= RP_HOOK_EVENT_COUNT)
        return RP_M_EINVAL;
    rp_module_t *m = reg->mod;
    void *slot;
    void *g = grow(m->hooks, &m->nhooks, sizeof *m->hooks, &slot);
    if (g == NULL)
        return RP_M_ENOMEM;
    m->hooks = g;
    rp_mhook_t *h = slot;
    snprintf(h->object, sizeof h->object, "%s", object);
    h->event = event;
    h->fn = fn;
    h->user = user;
    return RP_M_OK;
}

/* An action path: segments of [a-z0-9_-] or {name}, no empty segment. */
static bool action_path_ok(const char *p)
{
    if (p == NULL || p[0] == '\0' || p[0] == '/' || strlen(p) > 200)
        return false;
    bool seg_start = true;
    for (const char *c = p; *c; c++) {
        if (*c == '/') {
            if (seg_start)
                return false;
            seg_start = true;
            continue;
        }
        if (*c == '{' && seg_start) {
            const char *end = strchr(c, '}');
            if (end == NULL || end == c + 1 || (end[1] != '\0' && end[1] != '/'))
                return false;
            c = end;
            seg_start = false;
            continue;
        }
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' ||
              *c == '.'))
            return false;
        seg_start = false;
    }
    return !seg_start;
}

rp_mstatus_t rp_host_register_action(rp_mreg_t *reg, rp_action_method_t method, const char *path,
                                     rp_action_role_t min_role, rp_action_fn fn, void *user)
{
    if (!open_for(reg, "an action"))
        return RP_M_EINVAL;
    if (fn == NULL || !action_path_ok(path) || min_role < RP_ACTION_READONLY ||
        min_role > RP_ACTION_ADMIN ||
        (method != RP_ACTION_GET && method != RP_ACTION_POST && method != RP_ACTION_PUT &&
         method != RP_ACTION_PATCH && method != RP_ACTION_DELETE))
        return RP_M_EINVAL;
    rp_module_t *m = reg->mod;
    char pattern[300];
    snprintf(pattern, sizeof pattern, "/api/v1/m/%s/%s", m->name, path);
    for (int i = 0; i < m->nactions; i++)
        if (m->actions[i].method == method && strcmp(m->actions[i].pattern, pattern) == 0)
            return RP_M_ECONFLICT;
    char *copy = strdup(pattern);
    if (copy == NULL)
        return RP_M_ENOMEM;
    void *slot;
    void *g = grow(m->actions, &m->nactions, sizeof *m->actions, &slot);
    if (g == NULL) {
        free(copy);
        return RP_M_ENOMEM;
    }
    m->actions = g;
    rp_maction_t *a = slot;
    a->method = method;
    a->pattern = copy;
    a->min_role = min_role;
    a->fn = fn;
    a->user = user;
    return RP_M_OK;
}

/* "every N(s|m|h|d)" with N >= 1, or five cron fields of [0-9*,/-]. */
static bool schedule_ok(const char *s)
{
    if (s == NULL)
        return false;
    if (strncmp(s, "every ", 6) == 0) {
        char *end;
        long n = strtol(s + 6, &end, 10);
        return n >= 1 && n <= 1000000 && end != s + 6 && end[0] != '\0' && end[1] == '\0' &&
               strchr("smhd", end[0]) != NULL;
    }
    int fields = 0;
    bool in = false;
    for (const char *c = s; *c; c++) {
        if (*c == ' ') {
            in = false;
            continue;
        }
        if (strchr("0123456789*,/-", *c) == NULL)
            return false;
        if (!in)
            fields++;
        in = true;
    }
    return fields == 5;
}

static bool ident_ok(const char *s)
{
    if (s == NULL || s[0] < 'a' || s[0] > 'z' || strlen(s) > 63)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

rp_mstatus_t rp_host_register_job(rp_mreg_t *reg, const char *name, const char *schedule,
                                  rp_job_fn fn, void *user)
{
    if (!open_for(reg, "a job"))
        return RP_M_EINVAL;
    if (!ident_ok(name) || !schedule_ok(schedule) || fn == NULL)
        return RP_M_EINVAL;
    rp_module_t *m = reg->mod;
    for (int i = 0; i < m->njobs; i++)
        if (strcmp(m->jobs[i].name, name) == 0)
            return RP_M_ECONFLICT;
    char *n = strdup(name), *s = strdup(schedule);
    void *slot;
    void *g = n && s ? grow(m->jobs, &m->njobs, sizeof *m->jobs, &slot) : NULL;
    if (g == NULL) {
        free(n);
        free(s);
        return RP_M_ENOMEM;
    }
    m->jobs = g;
    rp_mjob_t *j = slot;
    j->name = n;
    j->schedule = s;
    j->fn = fn;
    j->user = user;
    return RP_M_OK;
}

rp_mstatus_t rp_host_register_lua(rp_mreg_t *reg, const char *name, rp_lua_fn fn, void *user)
{
    if (!open_for(reg, "a Lua function"))
        return RP_M_EINVAL;
    if (!ident_ok(name) || fn == NULL)
        return RP_M_EINVAL;
    rp_module_t *m = reg->mod;
    for (int i = 0; i < m->nluas; i++)
        if (strcmp(m->luas[i].name, name) == 0)
            return RP_M_ECONFLICT;
    char *n = strdup(name);
    void *slot;
    void *g = n ? grow(m->luas, &m->nluas, sizeof *m->luas, &slot) : NULL;
    if (g == NULL) {
        free(n);
        return RP_M_ENOMEM;
    }
    m->luas = g;
    rp_mlua_t *l = slot;
    l->name = n;
    l->fn = fn;
    l->user = user;
    return RP_M_OK;
}

rp_mstatus_t rp_host_register_plugin(rp_mreg_t *reg, int kind, const char *name, const void *ops,
                                     uint32_t ops_size, void *user)
{
    if (!open_for(reg, "a plugin"))
        return RP_M_EINVAL;
    /* Every operations table starts with its uint32_t size. */
    if (kind < 1 || kind > 3 || !ident_ok(name) || ops == NULL || ops_size < 2 * sizeof(void *) ||
        *(const uint32_t *)ops != ops_size)
        return RP_M_EINVAL;
    rp_module_t *m = reg->mod;
    char *n = strdup(name);
    void *slot;
    void *g = n ? grow(m->plugins, &m->nplugins, sizeof *m->plugins, &slot) : NULL;
    if (g == NULL) {
        free(n);
        return RP_M_ENOMEM;
    }
    m->plugins = g;
    rp_mplugin_t *p = slot;
    p->kind = kind;
    p->name = n;
    p->ops = ops;
    p->ops_size = ops_size;
    p->user = user;
    return RP_M_OK;
}
