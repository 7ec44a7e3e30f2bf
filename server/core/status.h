#ifndef RP_CORE_STATUS_H
#define RP_CORE_STATUS_H

/* Every fallible function returns one of these; the caller decides what the
 * failure means for its request (rp_resp_fail() in core/request.h maps them to
 * HTTP answers). */
typedef enum rp_status {
    RP_OK = 0,
    RP_ERR = -1,             /* unexpected internal failure */
    RP_ENOMEM = -2,          /* allocation failed */
    RP_EINVAL = -3,          /* bad input */
    RP_ENOTFOUND = -4,       /* no such row / file / thing */
    RP_ECONFLICT = -5,       /* unique key already taken */
    RP_EDB_UNAVAILABLE = -6, /* the database cannot be reached right now */
    RP_EDB = -7,             /* the database answered with an error */
    RP_ETENANT = -8,         /* the tenant does not exist or is suspended */
    RP_ELIMIT = -9,          /* a configured limit was hit */
    RP_EIO = -10,            /* an operating-system call failed */
    RP_EBUSY = -11,          /* somebody else holds the resource */
    RP_EAUTH = -12,          /* credentials missing or wrong */
    RP_EFORBIDDEN = -13,     /* authenticated but not allowed */
    RP_ESTALE = -14,         /* a precondition (version, token) no longer holds */
} rp_status_t;

/* A short stable name for a status, for logs. */
const char *rp_status_name(rp_status_t st);

#endif
