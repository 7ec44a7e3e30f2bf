/* Meeting attendees: each names someone (a contact, a user of the tenant or
 * an e-mail address), and an attendee added from a contact takes the
 * contact's name and e-mail unless given, so that the meeting's list reads
 * well and invitations have an address. */

#include <stdio.h>
#include <string.h>

#include "activities.h"

#define H sales_host

static const char *effective(rp_mrecord_t *rec, const char *field)
{
    rp_json_t *v = H->json_get(H->record_fields(rec), field);
    if (v == NULL && H->record_old(rec) != NULL)
        v = H->json_get(H->record_old(rec), field);
    const char *s = H->json_string(v);
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Fills name and email from the contact when the attendee has neither. */
static rp_hook_result_t from_contact(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *contact_id)
{
    rp_json_t *contact = NULL;
    rp_mstatus_t st = H->record_get(ctx, "contact", contact_id, &contact);
    if (st == RP_M_ENOTFOUND || st == RP_M_EFORBIDDEN || st == RP_M_EINVAL)
        return RP_HOOK_CONTINUE; /* the engine refuses a missing contact */
    if (st != RP_M_OK) {
        H->set_error(ctx, "reading the attendee's contact failed");
        return RP_HOOK_FAIL;
    }
    rp_hook_result_t r = RP_HOOK_CONTINUE;
    const char *first = sales_field_str(contact, "first_name");
    const char *last = sales_field_str(contact, "last_name");
    const char *email = sales_field_str(contact, "email");
    char name[520];
    if (last != NULL)
        snprintf(name, sizeof name, "%s%s%s", first ? first : "", first ? " " : "", last);
    /* A name longer than the field takes is left for the caller to give. */
    if (effective(rec, "name") == NULL && last != NULL && strlen(name) <= 255) {
        rp_json_t *v = H->json_string_new(name);
        if (v == NULL || H->record_set(rec, "name", v) != RP_M_OK)
            r = RP_HOOK_FAIL;
    }
    if (r == RP_HOOK_CONTINUE && effective(rec, "email") == NULL && email != NULL) {
        rp_json_t *v = H->json_string_new(email);
        if (v == NULL || H->record_set(rec, "email", v) != RP_M_OK)
            r = RP_HOOK_FAIL;
    }
    H->json_free(contact);
    if (r == RP_HOOK_FAIL)
        H->set_error(ctx, "out of memory");
    return r;
}

static rp_hook_result_t attendee_before(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    const char *contact = effective(rec, "contact_id"), *uid = effective(rec, "user_id");
    if (contact == NULL && uid == NULL && effective(rec, "email") == NULL) {
        H->reject_field(rec, "contact_id", "an attendee needs a contact, a user or an email");
        return RP_HOOK_REJECT;
    }
    if (H->json_get(H->record_fields(rec), "user_id") != NULL && uid != NULL &&
        !sales_is_uuid(uid)) {
        H->reject_field(rec, "user_id", "must be a user id");
        return RP_HOOK_REJECT;
    }
    if (H->json_get(H->record_fields(rec), "contact_id") != NULL && sales_is_uuid(contact))
        return from_contact(ctx, rec, contact);
    return RP_HOOK_CONTINUE;
}

rp_mstatus_t sales_activity_attendee_init(rp_mreg_t *reg)
{
    rp_mstatus_t st =
        H->register_hook(reg, "meeting_attendee", RP_HOOK_BEFORE_CREATE, attendee_before, NULL);
    if (st == RP_M_OK)
        st =
            H->register_hook(reg, "meeting_attendee", RP_HOOK_BEFORE_UPDATE, attendee_before, NULL);
    return st;
}
