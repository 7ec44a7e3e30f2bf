#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

#include "db/db.h"

void rp_db_describe(const char *conninfo, char *out, size_t outlen)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &errmsg);
    if (opts == NULL) {
        PQfreemem(errmsg);
        snprintf(out, outlen, "(unparsable connection string)");
        return;
    }
    const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (o->val == NULL || o->val[0] == '\0')
            continue;
        if (strcmp(o->keyword, "host") == 0 || (!host && strcmp(o->keyword, "hostaddr") == 0))
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            db = o->val;
        else if (strcmp(o->keyword, "user") == 0)
            user = o->val;
    }
    /* Unset parts are left to libpq's defaults (environment, local socket). */
    snprintf(out, outlen, "%s%s%s%s%s/%s", user ? user : "", user ? "@" : "",
             host ? host : "(default host)", port ? ":" : "", port ? port : "", db ? db : "");
    PQconninfoFree(opts);
}
