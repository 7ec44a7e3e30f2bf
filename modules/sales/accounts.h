#ifndef SALES_ACCOUNTS_H
#define SALES_ACCOUNTS_H

/* What accounts.c offers the other files of the module. */

#include "sales.h"

/* Makes sure contact_id is linked to account_id by an account_contact row:
 * creates one (role other, primary when the contact has no primary account
 * yet) when the pair has none. The row is derived from the contact, so the
 * caller's create rights on account_contact are not needed. On RP_M_EINVAL
 * *errors (when not NULL) receives the per-field errors. */
rp_mstatus_t sales_accounts_link(rp_mctx_t *ctx, const char *account_id, const char *contact_id,
                                 rp_json_t **errors);

#endif
