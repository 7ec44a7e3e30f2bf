#include "http/router.h"

#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 512

struct rp_router {
    const rp_route_t *routes[MAX_ROUTES];
    int n;
};

rp_router_t *rp_router_new(void)
{
    return calloc(1, sizeof(rp_router_t));
}

void rp_router_free(rp_router_t *r)
{
    free(r);
}

rp_status_t rp_router_add(rp_router_t *r, const rp_route_t *routes, int n)
{
    if (r->n + n > MAX_ROUTES)
        return RP_ELIMIT;
    for (int i = 0; i < n; i++)
        r->routes[r->n++] = &routes[i];
    return RP_OK;
}

/* Matches one pattern against a path segment by segment. A {name} segment
 * takes one non-empty segment of the path; literal segments compare exactly.
 * On a match the captured segments are copied into the pool. */
static int match(const char *pattern, const char *path, rp_pool_t *pool,
                 const char *params[RP_MAX_PARAMS], int *nparams)
{
    const char *p = pattern, *s = path;
    int np = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return 0;
        p++;
        s++;
        const char *pe = strchr(p, '/');
        const char *se = strchr(s, '/');
        size_t plen = pe ? (size_t)(pe - p) : strlen(p);
        size_t slen = se ? (size_t)(se - s) : strlen(s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || np >= RP_MAX_PARAMS)
                return 0;
            if (pool != NULL) {
                params[np] = rp_pool_strndup(pool, s, slen);
                if (params[np] == NULL)
                    return 0;
            }
            np++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return 0;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return 0;
    *nparams = np;
    return 1;
}

rp_status_t rp_router_match(const rp_router_t *r, rp_method_t method, const char *path,
                            rp_pool_t *pool, const rp_route_t **route,
                            const char *params[RP_MAX_PARAMS], int *nparams, unsigned *allowed)
{
    unsigned allow = 0;
    int dummy;
    for (int i = 0; i < r->n; i++) {
        const rp_route_t *rt = r->routes[i];
        if ((rt->methods & method) != 0) {
            if (match(rt->pattern, path, pool, params, nparams)) {
                *route = rt;
                return RP_OK;
            }
        } else if (match(rt->pattern, path, NULL, params, &dummy)) {
            allow |= rt->methods;
        }
    }
    if (allowed)
        *allowed = allow;
    return allow ? RP_EINVAL : RP_ENOTFOUND;
}
