#include <stdlib.h>

#include "db/internal.h"

static bool in_range(const rp_dbres_t *res, int row, int col)
{
    return res != NULL && row >= 0 && col >= 0 && row < PQntuples(res->res) &&
           col < PQnfields(res->res);
}

int rp_dbres_rows(const rp_dbres_t *res)
{
    return res ? PQntuples(res->res) : 0;
}

long rp_dbres_affected(const rp_dbres_t *res)
{
    const char *n = res ? PQcmdTuples(res->res) : "";
    return *n ? strtol(n, NULL, 10) : 0;
}

const char *rp_dbres_get(const rp_dbres_t *res, int row, int col)
{
    return in_range(res, row, col) ? PQgetvalue(res->res, row, col) : "";
}

bool rp_dbres_null(const rp_dbres_t *res, int row, int col)
{
    return !in_range(res, row, col) || PQgetisnull(res->res, row, col);
}

int rp_dbres_col(const rp_dbres_t *res, const char *name)
{
    return res ? PQfnumber(res->res, name) : -1;
}

void rp_dbres_free(rp_dbres_t *res)
{
    if (res == NULL)
        return;
    PQclear(res->res);
    free(res);
}
