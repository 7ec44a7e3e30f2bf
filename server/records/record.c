#include "records/record.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *text_or_null(const rp_dbres_t *res, int row, int col)
{
    if (rp_dbres_null(res, row, col))
        return json_null();
    return json_string(rp_dbres_get(res, row, col));
}

json_t *rp_record_json(const rp_object_t *o, const rp_dbres_t *res, int row)
{
    json_t *data = json_loads(rp_dbres_get(res, row, RP_RECORD_COL_DATA), 0, NULL);
    json_t *fields = json_object();
    if (fields == NULL || !json_is_object(data))
        goto fail;
    for (int i = 0; i < o->nfields; i++) {
        json_t *v = json_object_get(data, o->fields[i].name);
        if (json_object_set_new(fields, o->fields[i].name, v ? json_incref(v) : json_null()) != 0)
            goto fail;
    }
    json_decref(data);
    /* json_pack takes the "o" references even when it fails. */
    return json_pack("{s:o, s:s, s:I, s:o, s:o, s:o, s:o}", "id",
                     text_or_null(res, row, RP_RECORD_COL_ID), "object", o->name, "version",
                     (json_int_t)atoll(rp_dbres_get(res, row, RP_RECORD_COL_VERSION)), "created_at",
                     text_or_null(res, row, RP_RECORD_COL_CREATED_AT), "updated_at",
                     text_or_null(res, row, RP_RECORD_COL_UPDATED_AT), "owner_id",
                     text_or_null(res, row, RP_RECORD_COL_OWNER_ID), "fields", fields);
fail:
    json_decref(data);
    json_decref(fields);
    return NULL;
}

void rp_record_hide(json_t *rec, const rp_object_t *o, const rp_access_t *a)
{
    json_t *fields = json_object_get(rec, "fields");
    if (fields == NULL || a->fields == NULL)
        return;
    for (int i = 0; i < o->nfields; i++)
        if (a->fields[i] == RP_FIELD_ACCESS_NONE)
            json_object_del(fields, o->fields[i].name);
}

void rp_record_hide_changes(json_t *changes, const rp_object_t *o, const rp_access_t *a)
{
    if (!json_is_object(changes) || a->fields == NULL)
        return;
    for (int i = 0; i < o->nfields; i++)
        if (a->fields[i] == RP_FIELD_ACCESS_NONE)
            json_object_del(changes, o->fields[i].name);
}

#define DELETED_AT "to_char(r.deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

rp_status_t rp_record_load(rp_db_t *db, const char *tenant_id, const rp_object_t *o, const char *id,
                           bool lock, rp_dbres_t **out)
{
    const char *params[] = {tenant_id, o->name, id};
    const char *sql = lock ? "SELECT " RP_RECORD_COLS ", " DELETED_AT " FROM records r "
                             "WHERE r.tenant_id = $1 AND r.object = $2 AND r.id = $3 FOR UPDATE"
                           : "SELECT " RP_RECORD_COLS ", " DELETED_AT " FROM records r "
                             "WHERE r.tenant_id = $1 AND r.object = $2 AND r.id = $3";
    rp_status_t st = rp_db_exec(db, sql, 3, params, out);
    if (st == RP_OK && rp_dbres_rows(*out) != 1) {
        rp_dbres_free(*out);
        *out = NULL;
        st = RP_ENOTFOUND;
    }
    return st;
}

void rp_record_etag(long long version, char out[32])
{
    snprintf(out, 32, "\"%lld\"", version);
}

/* Reads one entity tag at *p (after optional white space): W/"..." or
 * "...". Returns its opaque part's length and start, or -1 when malformed. */
static long read_tag(const char **p, const char **start)
{
    const char *s = *p;
    if (s[0] == 'W' && s[1] == '/')
        s += 2;
    if (*s != '"')
        return -1;
    s++;
    const char *e = strchr(s, '"');
    if (e == NULL)
        return -1;
    *start = s;
    *p = e + 1;
    return (long)(e - s);
}

bool rp_record_etag_matches(const char *if_match, long long version)
{
    if (if_match == NULL)
        return true;
    char want[32];
    snprintf(want, sizeof want, "%lld", version);
    size_t wlen = strlen(want);
    const char *p = if_match;
    while (*p == ' ' || *p == '\t')
        p++;
    if (p[0] == '*') {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        return *p == '\0';
    }
    bool matched = false;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start;
        long len = read_tag(&p, &start);
        if (len < 0)
            return false;
        if ((size_t)len == wlen && memcmp(start, want, wlen) == 0)
            matched = true;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return matched;
        if (*p != ',')
            return false;
        p++;
    }
}

char *rp_record_unique_text(const rp_field_t *f, const json_t *value)
{
    if (json_is_string(value)) {
        char *s = strdup(json_string_value(value));
        if (s != NULL && f->type == RP_FIELD_EMAIL)
            for (char *c = s; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return s;
    }
    return json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}
