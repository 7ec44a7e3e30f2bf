/* Accounts and contacts: the account hierarchy (no account is its own
 * ancestor), account_contact (one row per account and contact, at most one
 * primary account per contact), and contact.account_id kept coherent with
 * account_contact. */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "activities.h"

/* How many accounts may stand above an account. The walk up reads one
 * record per level inside the write's transaction: a bound keeps a write
 * cheap, and a hierarchy deeper than this is a data error. */
#define MAX_DEPTH 64

#define H sales_host

static rp_hook_result_t reject(rp_mrecord_t *rec, const char *field, const char *msg)
{
    H->reject_field(rec, field, msg);
    return RP_HOOK_REJECT;
}

static rp_hook_result_t failed(rp_mctx_t *ctx, const char *msg)
{
    H->set_error(ctx, msg);
    return RP_HOOK_FAIL;
}

/* The value of field as this write leaves it: given, else stored (NULL
 * when absent or not a string). */
static const char *effective(rp_mrecord_t *rec, const char *field)
{
    rp_json_t *v = H->json_get(H->record_fields(rec), field);
    if (v == NULL && H->record_old(rec) != NULL)
        v = H->json_get(H->record_old(rec), field);
    return H->json_string(v);
}

/* ---- account: parent_id ------------------------------------------------ */

static rp_hook_result_t account_before(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const char *parent = H->json_string(H->json_get(H->record_fields(rec), "parent_id"));
    if (parent == NULL || !sales_is_uuid(parent))
        return RP_HOOK_CONTINUE; /* cleared, unchanged, or the engine's to refuse */
    const char *self = H->record_id(rec);
    if (self != NULL && strcasecmp(parent, self) == 0)
        return reject(rec, "parent_id", "cannot be the account itself");
    char cur[40];
    snprintf(cur, sizeof cur, "%s", parent);
    for (int depth = 1;; depth++) {
        if (depth > MAX_DEPTH)
            return reject(rec, "parent_id", "would put more than 64 accounts above this one");
        rp_json_t *acc = NULL;
        rp_mstatus_t st = H->record_get(ctx, "account", cur, &acc);
        if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN)
            return RP_HOOK_CONTINUE; /* the engine refuses a missing parent */
        if (st != RP_M_OK)
            return failed(ctx, "reading an ancestor account failed");
        const char *up = sales_field_str(acc, "parent_id");
        bool cycle = up != NULL && self != NULL && strcasecmp(up, self) == 0;
        if (up != NULL)
            snprintf(cur, sizeof cur, "%s", up);
        H->json_free(acc);
        if (cycle)
            return reject(rec, "parent_id",
                          "is one of this account's descendants: the hierarchy would loop");
        if (up == NULL)
            return RP_HOOK_CONTINUE;
    }
}

/* ---- account_contact --------------------------------------------------- */

/* The first account_contact row matching filter (owned by the caller of
 * this function), or NULL in *out. */
static rp_mstatus_t first_link(rp_mctx_t *ctx, rp_json_t *filter, rp_json_t **out)
{
    *out = NULL;
    if (filter == NULL)
        return RP_M_ENOMEM;
    rp_json_t *rows = NULL;
    rp_mstatus_t st = H->record_query(ctx, "account_contact", filter, NULL, 1, &rows);
    H->json_free(filter);
    if (st != RP_M_OK)
        return st;
    if (H->json_array_size(rows) > 0)
        *out = H->json_copy(H->json_array_get(rows, 0));
    H->json_free(rows);
    return RP_M_OK;
}

static rp_hook_result_t link_before(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    rp_json_t *fields = H->record_fields(rec);
    const char *start = effective(rec, "start_date"), *end = effective(rec, "end_date");
    long long s, e;
    if (start != NULL && end != NULL && sales_time_parse_date(start, &s) &&
        sales_time_parse_date(end, &e) && e < s)
        return reject(rec, "end_date", "must not be before start_date");
    if (H->json_get(fields, "account_id") == NULL && H->json_get(fields, "contact_id") == NULL)
        return RP_HOOK_CONTINUE;
    const char *account = effective(rec, "account_id"), *contact = effective(rec, "contact_id");
    if (!sales_is_uuid(account) || !sales_is_uuid(contact))
        return RP_HOOK_CONTINUE; /* required and type checks are the engine's */
    const char *self = H->record_id(rec);
    rp_json_t *filter =
        self ? sales_filter_join("and", 3, sales_filter_eq("account_id", account),
                                 sales_filter_eq("contact_id", contact),
                                 sales_filter_cond("id", "ne", H->json_string_new(self)))
             : sales_filter_join("and", 2, sales_filter_eq("account_id", account),
                                 sales_filter_eq("contact_id", contact));
    rp_json_t *dup = NULL;
    rp_mstatus_t st = first_link(ctx, filter, &dup);
    if (st != RP_M_OK)
        return failed(ctx, "looking for an existing account contact failed");
    bool taken = dup != NULL;
    H->json_free(dup);
    return taken ? reject(rec, "contact_id", "is already linked to this account")
                 : RP_HOOK_CONTINUE;
}

/* Clears is_primary on the contact's other rows once one becomes primary.
 * Keeping the rule is the module's derived write: a rep may make their link
 * primary even when a colleague owns the row that was. */
static rp_hook_result_t link_after(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    rp_json_t *fields = H->record_fields(rec);
    if (H->json_bool(H->json_get(fields, "is_primary")) != 1)
        return RP_HOOK_CONTINUE;
    const rp_json_t *old = H->record_old(rec);
    const char *contact = H->json_string(H->json_get(fields, "contact_id"));
    const char *self = H->record_id(rec);
    if (contact == NULL || self == NULL)
        return RP_HOOK_CONTINUE;
    if (old != NULL && H->json_bool(H->json_get(old, "is_primary")) == 1) {
        const char *was = H->json_string(H->json_get(old, "contact_id"));
        if (was != NULL && strcmp(was, contact) == 0)
            return RP_HOOK_CONTINUE; /* was primary for this contact already */
    }
    rp_json_t *filter =
        sales_filter_join("and", 3, sales_filter_eq("contact_id", contact),
                          sales_filter_cond("is_primary", "eq", H->json_bool_new(1)),
                          sales_filter_cond("id", "ne", H->json_string_new(self)));
    rp_json_t *change = H->json_object_new();
    rp_hook_result_t res = RP_HOOK_CONTINUE;
    if (filter == NULL || change == NULL ||
        H->json_set(change, "is_primary", H->json_bool_new(0)) != RP_M_OK) {
        res = failed(ctx, "out of memory");
        goto done;
    }
    /* A contact has one primary row at most, so one page is the usual
     * case; more pages cope with rows left over from imports. Cleared rows
     * leave the filter, so each page is new; the bound stops a tenant
     * trigger that would set them back. */
    for (int page = 0; page < 100; page++) {
        rp_json_t *rows = NULL;
        rp_mstatus_t st = H->record_query(ctx, "account_contact", filter, NULL, 50, &rows);
        if (st != RP_M_OK) {
            res = failed(ctx, "looking for other primary accounts failed");
            goto done;
        }
        size_t n = H->json_array_size(rows);
        for (size_t i = 0; i < n && res == RP_HOOK_CONTINUE; i++) {
            const char *id = H->json_string(H->json_get(H->json_array_get(rows, i), "id"));
            if (H->record_update_ex(ctx, "account_contact", id, change, RP_MWRITE_DERIVED, NULL,
                                    NULL) != RP_M_OK)
                res = failed(ctx, "clearing another primary account failed");
        }
        H->json_free(rows);
        if (n == 0 || res != RP_HOOK_CONTINUE)
            break;
    }
done:
    H->json_free(change);
    H->json_free(filter);
    return res;
}

rp_mstatus_t sales_accounts_link(rp_mctx_t *ctx, const char *account_id, const char *contact_id,
                                 rp_json_t **errors)
{
    if (errors)
        *errors = NULL;
    rp_json_t *row = NULL, *fields = NULL;
    rp_mstatus_t st =
        first_link(ctx,
                   sales_filter_join("and", 2, sales_filter_eq("account_id", account_id),
                                     sales_filter_eq("contact_id", contact_id)),
                   &row);
    if (st != RP_M_OK || row != NULL)
        goto done;
    st = first_link(ctx,
                    sales_filter_join("and", 2, sales_filter_eq("contact_id", contact_id),
                                      sales_filter_cond("is_primary", "eq", H->json_bool_new(1))),
                    &row);
    if (st != RP_M_OK)
        goto done;
    st = RP_M_ENOMEM;
    if ((fields = H->json_object_new()) == NULL ||
        H->json_set(fields, "account_id", H->json_string_new(account_id)) != RP_M_OK ||
        H->json_set(fields, "contact_id", H->json_string_new(contact_id)) != RP_M_OK ||
        H->json_set(fields, "role", H->json_string_new("other")) != RP_M_OK ||
        H->json_set(fields, "is_primary", H->json_bool_new(row == NULL)) != RP_M_OK)
        goto done;
    st = H->record_create_ex(ctx, "account_contact", fields, RP_MWRITE_DERIVED, NULL, errors);
done:
    H->json_free(fields);
    H->json_free(row);
    return st;
}

/* ---- contact: account_id ----------------------------------------------- */

static rp_hook_result_t contact_after(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const char *account = H->json_string(H->json_get(H->record_fields(rec), "account_id"));
    const rp_json_t *old = H->record_old(rec);
    if (account == NULL || H->record_id(rec) == NULL)
        return RP_HOOK_CONTINUE;
    const char *was = old ? H->json_string(H->json_get(old, "account_id")) : NULL;
    if (was != NULL && strcmp(was, account) == 0)
        return RP_HOOK_CONTINUE;
    rp_json_t *errors = NULL;
    rp_mstatus_t st = sales_accounts_link(ctx, account, H->record_id(rec), &errors);
    H->json_free(errors);
    return st == RP_M_OK ? RP_HOOK_CONTINUE
                         : failed(ctx, "linking the contact to its account failed");
}

rp_mstatus_t sales_accounts_init(rp_mreg_t *reg)
{
    static const struct {
        const char *object;
        rp_hook_event_t event;
        rp_hook_fn fn;
    } hooks[] = {
        {"account", RP_HOOK_BEFORE_CREATE, account_before},
        {"account", RP_HOOK_BEFORE_UPDATE, account_before},
        {"account_contact", RP_HOOK_BEFORE_CREATE, link_before},
        {"account_contact", RP_HOOK_BEFORE_UPDATE, link_before},
        {"account_contact", RP_HOOK_AFTER_CREATE, link_after},
        {"account_contact", RP_HOOK_AFTER_UPDATE, link_after},
        {"contact", RP_HOOK_AFTER_CREATE, contact_after},
        {"contact", RP_HOOK_AFTER_UPDATE, contact_after},
    };
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++) {
        rp_mstatus_t st = H->register_hook(reg, hooks[i].object, hooks[i].event, hooks[i].fn, NULL);
        if (st != RP_M_OK)
            return st;
    }
    return RP_M_OK;
}
