#include "core/status.h"

const char *rp_status_name(rp_status_t st)
{
    switch (st) {
    case RP_OK:
        return "ok";
    case RP_ERR:
        return "internal";
    case RP_ENOMEM:
        return "out_of_memory";
    case RP_EINVAL:
        return "invalid";
    case RP_ENOTFOUND:
        return "not_found";
    case RP_ECONFLICT:
        return "conflict";
    case RP_EDB_UNAVAILABLE:
        return "database_unavailable";
    case RP_EDB:
        return "database_error";
    case RP_ETENANT:
        return "tenant_inactive";
    case RP_ELIMIT:
        return "limit";
    case RP_EIO:
        return "io";
    case RP_EBUSY:
        return "busy";
    case RP_EAUTH:
        return "unauthorized";
    case RP_EFORBIDDEN:
        return "forbidden";
    case RP_ESTALE:
        return "stale";
    }
    return "unknown";
}
