#include "records/perm.h"

bool rp_meta_role_access(const rp_meta_t *m, const char *role_name, const rp_object_t *o,
                         rp_access_t *out)
{
    /* Tenants cannot store roles yet: every role is a built-in one. */
    (void)m;
    (void)role_name;
    (void)o;
    (void)out;
    return false;
}
