/* POST /api/v1/m/sales/leads/{id}/convert: turns a lead into an account (an
 * existing one, or one made from the lead's company), a contact (existing,
 * or made from the lead's person and linked to the account) and optionally
 * an opportunity; marks the lead converted and moves its activities to the
 * contact. Everything happens in the request's transaction, and every
 * refusal after the first write answers >= 400, which rolls it all back:
 * a conversion is whole or absent. */

#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "activities.h"
#include "lead_body.h"
#include "leads.h"

#define H sales_host

typedef struct conv {
    rp_mctx_t *ctx;
    const char *lead_id;
    rp_json_t *lead;        /* the lead as read first */
    rp_json_t *body;        /* the request */
    char account_id[40];    /* the account the lead becomes */
    char contact_id[40];    /* the contact the lead becomes */
    rp_json_t *opportunity; /* the opportunity created, or NULL */
    rp_json_t *lead_after;  /* the lead once converted */
    long long moved;        /* activities moved to the contact */
} conv_t;

/* Answers a problem whose errors name one field. */
static rp_mstatus_t answer_field(rp_mctx_t *ctx, int status, const char *code, const char *detail,
                                 const char *field, const char *message)
{
    rp_json_t *errors = H->json_object_new();
    if (errors != NULL && H->json_set(errors, field, H->json_string_new(message)) != RP_M_OK) {
        H->json_free(errors);
        errors = NULL;
    }
    H->respond_problem(ctx, status, code, detail, errors);
    return RP_M_OK;
}

/* Answers the refusal of a record write (st from record_*; errors owned)
 * and returns RP_M_OK, or returns st unanswered (a 500) when the failure is
 * the server's. */
static rp_mstatus_t answer_write(rp_mctx_t *ctx, rp_mstatus_t st, const char *object,
                                 const char *verb, rp_json_t *errors)
{
    char detail[200];
    switch (st) {
    case RP_M_EINVAL:
        snprintf(detail, sizeof detail,
                 "the %s could not be %s: nothing was converted (see errors)", object, verb);
        H->respond_problem(ctx, 422, "validation_failed", detail, errors);
        return RP_M_OK;
    case RP_M_EFORBIDDEN:
        snprintf(detail, sizeof detail, "you may not %s this %s: nothing was converted",
                 strcmp(verb, "created") == 0 ? "create" : "change", object);
        H->respond_problem(ctx, 403, "forbidden", detail, errors);
        return RP_M_OK;
    case RP_M_ECONFLICT:
        snprintf(detail, sizeof detail, "the %s changed meanwhile: nothing was converted", object);
        H->respond_problem(ctx, 409, "conflict", detail, errors);
        return RP_M_OK;
    case RP_M_ENOTFOUND:
        H->json_free(errors);
        snprintf(detail, sizeof detail, "this tenant has no %s object: nothing was converted",
                 object);
        H->respond_problem(ctx, 422, "validation_failed", detail, NULL);
        return RP_M_OK;
    default:
        H->json_free(errors);
        snprintf(detail, sizeof detail, "writing the %s failed", object);
        H->set_error(ctx, detail);
        return st == RP_M_OK ? RP_M_ERR : st;
    }
}

/* Copies the lead's field from into fields as to when it has a value. */
static rp_mstatus_t take(conv_t *c, rp_json_t *fields, const char *to, const char *from)
{
    rp_json_t *v = H->json_get(H->json_get(c->lead, "fields"), from);
    if (v == NULL || H->json_kind(v) == RP_JSON_NULL || H->json_get(fields, to) != NULL)
        return RP_M_OK;
    return H->json_set(fields, to, H->json_copy(v));
}

static rp_mstatus_t set_text(rp_json_t *obj, const char *key, const char *text)
{
    return H->json_set(obj, key, text ? H->json_string_new(text) : H->json_null_new());
}

/* The lead's name: "first last", or "last". */
static void lead_name(conv_t *c, char *out, size_t len)
{
    const char *first = sales_field_str(c->lead, "first_name");
    const char *last = sales_field_str(c->lead, "last_name");
    snprintf(out, len, "%s%s%s", first ? first : "", first && last ? " " : "", last ? last : "");
}

/* ---- the body ---------------------------------------------------------- */

/* The id member key: *id receives it, or NULL when absent or null; false
 * after answering 422 for anything else. */
static bool body_id(conv_t *c, const char *key, const char *what, const char **id)
{
    rp_json_t *v = H->json_get(c->body, key);
    *id = NULL;
    if (v == NULL || H->json_kind(v) == RP_JSON_NULL)
        return true;
    const char *s = H->json_string(v);
    if (s != NULL && sales_is_uuid(s)) {
        *id = s;
        return true;
    }
    char msg[80];
    snprintf(msg, sizeof msg, "must be the id of an existing %s", what);
    answer_field(c->ctx, 422, "validation_failed", "the conversion request is not valid", key, msg);
    return false;
}

/* Checks the body's members; false once answered. */
static bool body_ok(conv_t *c)
{
    static const char *const allowed[] = {"account_id", "contact_id", "opportunity", "status",
                                          NULL};
    char unknown[64];
    if (sales_lead_body_unknown_member(H, c->body, allowed, unknown, sizeof unknown)) {
        char detail[128];
        snprintf(detail, sizeof detail, "unknown member '%s' in the conversion request", unknown);
        answer_field(c->ctx, 400, "unknown_field", detail, unknown,
                     "is not a member of a conversion request");
        return false;
    }
    rp_json_t *status = H->json_get(c->body, "status");
    if (status != NULL && H->json_kind(status) != RP_JSON_NULL) {
        const char *s = H->json_string(status);
        if (s == NULL || strcmp(s, "converted") != 0) {
            answer_field(c->ctx, 422, "validation_failed", "the conversion request is not valid",
                         "status", "must be converted (the status a converted lead takes)");
            return false;
        }
    }
    rp_json_t *opp = H->json_get(c->body, "opportunity");
    rp_json_kind_t k = opp ? H->json_kind(opp) : RP_JSON_NULL;
    if (k != RP_JSON_NULL && k != RP_JSON_BOOL && k != RP_JSON_OBJECT) {
        answer_field(c->ctx, 422, "validation_failed", "the conversion request is not valid",
                     "opportunity", "must be true, false or an object of opportunity fields");
        return false;
    }
    return true;
}

/* ---- the steps --------------------------------------------------------- */

/* Reads the lead; false once answered (or *st set for a failure). */
static bool load_lead(conv_t *c, rp_mstatus_t *st)
{
    *st = H->record_get(c->ctx, "lead", c->lead_id, &c->lead);
    if (*st == RP_M_ENOTFOUND || *st == RP_M_EFORBIDDEN) {
        H->respond_problem(c->ctx, 404, "not_found", "no lead with this id", NULL);
        *st = RP_M_OK;
        return false;
    }
    if (*st != RP_M_OK)
        return false;
    const char *status = sales_field_str(c->lead, "status");
    if (status != NULL && strcmp(status, "converted") == 0) {
        const char *when = sales_field_str(c->lead, "converted_at");
        char detail[160];
        snprintf(detail, sizeof detail, "this lead was converted already%s%s", when ? " on " : "",
                 when ? when : "");
        H->respond_problem(c->ctx, 409, "already_converted", detail, NULL);
        return false;
    }
    /* Converting changes the lead, so the caller must be allowed to change
     * it: an empty update checks exactly that and writes nothing. */
    rp_json_t *none = H->json_object_new(), *errors = NULL;
    *st = none ? H->record_update(c->ctx, "lead", c->lead_id, none, NULL, &errors) : RP_M_ENOMEM;
    H->json_free(none);
    H->json_free(errors);
    if (*st == RP_M_EFORBIDDEN) {
        H->respond_problem(c->ctx, 403, "forbidden", "you may not change this lead", NULL);
        *st = RP_M_OK;
        return false;
    }
    return *st == RP_M_OK;
}

/* The account: the one given, or a new one from the lead's company. */
static rp_mstatus_t make_account(conv_t *c, bool *answered)
{
    const char *given;
    if (!body_id(c, "account_id", "account", &given)) {
        *answered = true;
        return RP_M_OK;
    }
    if (given != NULL) {
        rp_json_t *acc = NULL;
        rp_mstatus_t st = H->record_get(c->ctx, "account", given, &acc);
        if (st == RP_M_OK)
            snprintf(c->account_id, sizeof c->account_id, "%s",
                     H->json_string(H->json_get(acc, "id")));
        H->json_free(acc);
        if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN) {
            *answered = true;
            return answer_field(c->ctx, 422, "validation_failed",
                                "the conversion request is not valid", "account_id",
                                "refers to a record that does not exist");
        }
        return st;
    }
    const char *company = sales_field_str(c->lead, "company");
    if (company == NULL || company[0] == '\0') {
        *answered = true;
        return answer_field(c->ctx, 422, "validation_failed",
                            "the lead has no company to create an account from", "account_id",
                            "is required when the lead has no company");
    }
    static const char *const map[][2] = {
        {"name", "company"},
        {"industry", "industry"},
        {"website", "website"},
        {"phone", "phone"},
        {"annual_revenue", "annual_revenue"},
        {"employees", "employees"},
        {"billing_street", "street"},
        {"billing_city", "city"},
        {"billing_state", "state"},
        {"billing_postal_code", "postal_code"},
        {"billing_country", "country"},
    };
    rp_json_t *fields = H->json_object_new(), *out = NULL, *errors = NULL;
    rp_mstatus_t st = fields ? RP_M_OK : RP_M_ENOMEM;
    for (size_t i = 0; st == RP_M_OK && i < sizeof map / sizeof map[0]; i++)
        st = take(c, fields, map[i][0], map[i][1]);
    if (st == RP_M_OK)
        st = H->record_create(c->ctx, "account", fields, &out, &errors);
    H->json_free(fields);
    if (st == RP_M_OK) {
        snprintf(c->account_id, sizeof c->account_id, "%s", H->json_string(H->json_get(out, "id")));
        H->json_free(out);
        return RP_M_OK;
    }
    *answered = true;
    return answer_write(c->ctx, st, "account", "created", errors);
}

/* The contact: the one given (linked to the account), or a new one from
 * the lead's person with the account as its account. */
static rp_mstatus_t make_contact(conv_t *c, bool *answered)
{
    const char *given;
    if (!body_id(c, "contact_id", "contact", &given)) {
        *answered = true;
        return RP_M_OK;
    }
    rp_json_t *fields = NULL, *out = NULL, *errors = NULL;
    rp_mstatus_t st;
    if (given != NULL) {
        rp_json_t *con = NULL;
        st = H->record_get(c->ctx, "contact", given, &con);
        if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN) {
            *answered = true;
            return answer_field(c->ctx, 422, "validation_failed",
                                "the conversion request is not valid", "contact_id",
                                "refers to a record that does not exist");
        }
        if (st != RP_M_OK)
            return st;
        snprintf(c->contact_id, sizeof c->contact_id, "%s", H->json_string(H->json_get(con, "id")));
        bool has_account = sales_field_str(con, "account_id") != NULL;
        H->json_free(con);
        if (has_account) {
            /* The contact keeps its main account and gains this one. */
            st = sales_accounts_link(c->ctx, c->account_id, c->contact_id, &errors);
            if (st != RP_M_OK) {
                *answered = true;
                return answer_write(c->ctx, st, "account contact", "created", errors);
            }
            return RP_M_OK;
        }
        /* Its account now: the contact's hooks link it. */
        fields = H->json_object_new();
        st = fields ? set_text(fields, "account_id", c->account_id) : RP_M_ENOMEM;
        if (st == RP_M_OK)
            st = H->record_update(c->ctx, "contact", c->contact_id, fields, NULL, &errors);
        H->json_free(fields);
        if (st != RP_M_OK) {
            *answered = true;
            return answer_write(c->ctx, st, "contact", "updated", errors);
        }
        return RP_M_OK;
    }
    static const char *const map[][2] = {
        {"salutation", "salutation"},
        {"first_name", "first_name"},
        {"last_name", "last_name"},
        {"email", "email"},
        {"phone", "phone"},
        {"mobile", "mobile"},
        {"title", "title"},
        {"lead_source", "source"},
        {"do_not_call", "do_not_call"},
        {"email_opt_out", "email_opt_out"},
        {"description", "description"},
        {"mailing_street", "street"},
        {"mailing_city", "city"},
        {"mailing_state", "state"},
        {"mailing_postal_code", "postal_code"},
        {"mailing_country", "country"},
    };
    fields = H->json_object_new();
    st = fields ? set_text(fields, "account_id", c->account_id) : RP_M_ENOMEM;
    for (size_t i = 0; st == RP_M_OK && i < sizeof map / sizeof map[0]; i++)
        st = take(c, fields, map[i][0], map[i][1]);
    if (st == RP_M_OK)
        st = H->record_create(c->ctx, "contact", fields, &out, &errors);
    H->json_free(fields);
    if (st == RP_M_OK) {
        snprintf(c->contact_id, sizeof c->contact_id, "%s", H->json_string(H->json_get(out, "id")));
        H->json_free(out);
        return RP_M_OK;
    }
    *answered = true;
    return answer_write(c->ctx, st, "contact", "created", errors);
}

/* The opportunity, when asked for: the fields given, with a name, the
 * account, the contact and the lead's source unless given. Its own hooks
 * fill the pipeline and the stage. */
static rp_mstatus_t make_opportunity(conv_t *c, bool *answered)
{
    rp_json_t *opp = H->json_get(c->body, "opportunity");
    rp_json_kind_t k = opp ? H->json_kind(opp) : RP_JSON_NULL;
    if (k == RP_JSON_NULL || (k == RP_JSON_BOOL && !H->json_bool(opp)))
        return RP_M_OK;
    rp_json_t *fields = k == RP_JSON_OBJECT ? H->json_copy(opp) : H->json_object_new();
    rp_json_t *errors = NULL;
    rp_mstatus_t st = fields ? RP_M_OK : RP_M_ENOMEM;
    if (st == RP_M_OK && H->json_get(fields, "name") == NULL) {
        const char *company = sales_field_str(c->lead, "company");
        char person[600], name[1300];
        lead_name(c, person, sizeof person);
        rp_json_t *acc = NULL;
        if (company == NULL || company[0] == '\0') {
            st = H->record_get(c->ctx, "account", c->account_id, &acc);
            company = st == RP_M_OK ? sales_field_str(acc, "name") : NULL;
        }
        if (st == RP_M_OK) {
            snprintf(name, sizeof name, "%s%s%s", company ? company : "",
                     company && person[0] ? " - " : "", person);
            st = set_text(fields, "name", name);
        }
        H->json_free(acc);
    }
    if (st == RP_M_OK && H->json_get(fields, "account_id") == NULL)
        st = set_text(fields, "account_id", c->account_id);
    if (st == RP_M_OK && H->json_get(fields, "contact_id") == NULL)
        st = set_text(fields, "contact_id", c->contact_id);
    if (st == RP_M_OK)
        st = take(c, fields, "lead_source", "source");
    if (st == RP_M_OK)
        st = H->record_create(c->ctx, "opportunity", fields, &c->opportunity, &errors);
    H->json_free(fields);
    if (st == RP_M_OK || st == RP_M_ENOMEM || st == RP_M_ERR) {
        H->json_free(errors);
        return st;
    }
    *answered = true;
    return answer_write(c->ctx, st, "opportunity", "created", errors);
}

/* Marks the lead converted: derived values the caller could not write. */
static rp_mstatus_t mark_lead(conv_t *c, bool *answered)
{
    char now[SALES_TIME_LEN + 1];
    sales_time_now(now);
    const char *opp_id = c->opportunity ? H->json_string(H->json_get(c->opportunity, "id")) : NULL;
    rp_json_t *fields = H->json_object_new(), *errors = NULL;
    rp_mstatus_t st = fields ? RP_M_OK : RP_M_ENOMEM;
    if (st == RP_M_OK)
        st = set_text(fields, "status", "converted");
    if (st == RP_M_OK)
        st = set_text(fields, "converted_at", now);
    if (st == RP_M_OK)
        st = set_text(fields, "converted_account_id", c->account_id);
    if (st == RP_M_OK)
        st = set_text(fields, "converted_contact_id", c->contact_id);
    if (st == RP_M_OK)
        st = set_text(fields, "converted_opportunity_id", opp_id);
    if (st == RP_M_OK) {
        sales_leads_converting = 1;
        st = H->record_update_ex(c->ctx, "lead", c->lead_id, fields, RP_MWRITE_DERIVED,
                                 &c->lead_after, &errors);
        sales_leads_converting = 0;
    }
    H->json_free(fields);
    if (st == RP_M_OK || st == RP_M_ENOMEM) {
        H->json_free(errors);
        return st;
    }
    *answered = true;
    return answer_write(c->ctx, st, "lead", "updated", errors);
}

/* Moves every activity about the lead to the contact. Moving is part of
 * the conversion, not an edit of each activity, so the caller needs no
 * update right on a colleague's task. */
static rp_mstatus_t move_activities(conv_t *c, bool *answered)
{
    rp_json_t *filter = sales_filter_join("and", 2, sales_filter_eq("related_object", "lead"),
                                          sales_filter_eq("related_id", c->lead_id));
    rp_json_t *change = H->json_object_new(), *rows = NULL, *errors = NULL;
    char *cursor = NULL;
    rp_mstatus_t st =
        filter && change ? set_text(change, "related_object", "contact") : RP_M_ENOMEM;
    if (st == RP_M_OK)
        st = set_text(change, "related_id", c->contact_id);
    for (int i = 0; st == RP_M_OK && i < SALES_ACTIVITY_COUNT; i++) {
        const char *object = sales_activity_objects[i];
        do {
            char *next = NULL;
            st = H->record_query_page(c->ctx, object, filter, "created_at", 200, cursor, &rows,
                                      &next);
            H->mem_free(cursor);
            cursor = next;
            if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN) {
                st = RP_M_OK; /* no such object here, or none the caller sees */
                break;
            }
            size_t n = H->json_array_size(rows);
            for (size_t j = 0; st == RP_M_OK && j < n; j++) {
                const char *id = H->json_string(H->json_get(H->json_array_get(rows, j), "id"));
                st = H->record_update_ex(c->ctx, object, id, change, RP_MWRITE_DERIVED, NULL,
                                         &errors);
                if (st == RP_M_OK)
                    c->moved++;
            }
            H->json_free(rows);
            rows = NULL;
        } while (st == RP_M_OK && cursor != NULL);
        H->mem_free(cursor);
        cursor = NULL;
        if (st != RP_M_OK && st != RP_M_ENOMEM && st != RP_M_ERR) {
            *answered = true;
            st = answer_write(c->ctx, st, object, "moved to the contact", errors);
            errors = NULL;
            break;
        }
    }
    H->json_free(errors);
    H->json_free(change);
    H->json_free(filter);
    return st;
}

/* ---- the answer -------------------------------------------------------- */

static rp_mstatus_t answer(conv_t *c)
{
    rp_json_t *account = NULL, *contact = NULL, *body = NULL;
    rp_mstatus_t st = H->record_get(c->ctx, "account", c->account_id, &account);
    if (st == RP_M_OK)
        st = H->record_get(c->ctx, "contact", c->contact_id, &contact);
    if (st == RP_M_OK && (body = H->json_object_new()) == NULL)
        st = RP_M_ENOMEM;
    if (st != RP_M_OK) {
        H->json_free(account);
        H->json_free(contact);
        H->set_error(c->ctx, "reading the converted records failed");
        return st;
    }
    /* json_set takes each value, whether it succeeds or not. */
    rp_json_t *opp = c->opportunity ? c->opportunity : H->json_null_new();
    bool ok = H->json_set(body, "lead", c->lead_after) == RP_M_OK;
    ok = H->json_set(body, "account", account) == RP_M_OK && ok;
    ok = H->json_set(body, "contact", contact) == RP_M_OK && ok;
    ok = H->json_set(body, "opportunity", opp) == RP_M_OK && ok;
    ok = H->json_set(body, "moved_activities", H->json_integer_new(c->moved)) == RP_M_OK && ok;
    c->lead_after = NULL;
    c->opportunity = NULL;
    if (!ok) {
        H->json_free(body);
        return RP_M_ENOMEM;
    }
    H->respond_json(c->ctx, 200, body);
    return RP_M_OK;
}

rp_mstatus_t sales_lead_convert(rp_mctx_t *ctx, void *user)
{
    (void)user;
    conv_t c = {.ctx = ctx, .lead_id = H->path_param(ctx, 0)};
    rp_mstatus_t st = RP_M_OK;
    bool answered = false;
    if (c.lead_id == NULL || !sales_is_uuid(c.lead_id)) {
        H->respond_problem(ctx, 404, "not_found", "no lead with this id", NULL);
        return RP_M_OK;
    }
    if (!load_lead(&c, &st))
        goto done;
    /* The stored id: the path may spell it in upper case. */
    c.lead_id = H->json_string(H->json_get(c.lead, "id"));
    if ((c.body = H->request_json(ctx)) == NULL || !body_ok(&c))
        goto done; /* answered */
    rp_mstatus_t (*const steps[])(conv_t *, bool *) = {make_account, make_contact, make_opportunity,
                                                       mark_lead, move_activities};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        st = steps[i](&c, &answered);
        if (st != RP_M_OK || answered)
            goto done;
    }
    st = answer(&c);
done:
    H->json_free(c.lead_after);
    H->json_free(c.opportunity);
    H->json_free(c.body);
    H->json_free(c.lead);
    return st;
}
