#ifndef RP_AUTH_INTERNAL_H
#define RP_AUTH_INTERNAL_H

#include <jansson.h>

#include "core/app.h"
#include "core/request.h"
#include "db/db.h"

/* Shared by the files of server/auth only. */

/* Formats a timestamptz column as RFC 3339 UTC with milliseconds. */
#define RP_SQL_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The columns of a user as the API shows it, in the order
 * rp_auth_user_json() reads them. Never the password hash. */
#define RP_USER_COLS                                                                               \
    "id::text, email, name, role, status, " RP_SQL_TS("created_at") ", " RP_SQL_TS(                \
        "updated_at") ", " RP_SQL_TS("last_login_at")

/* Builds {"id","email","name","role","status","created_at","updated_at",
 * "last_login_at"} from a row selected with RP_USER_COLS. */
json_t *rp_auth_user_json(const rp_dbres_t *res, int row);

/* Reads ?limit (default 50, 1..200) and ?cursor (an id from a previous
 * page) for a keyset list. On bad values it answers 422 and returns false.
 * lim receives limit + 1 as text: one row more than the page tells whether
 * another page exists. */
bool rp_auth_page_params(rp_ctx_t *ctx, int *limit, const char **cursor, char lim[16]);

/* Checks the optional "name" (at most 200 characters) and "password" (the
 * configured policy) members shared by user create and update, adding
 * per-field errors. */
void rp_auth_check_name_password(rp_ctx_t *ctx, json_t *body, json_t *errors, const char **name,
                                 const char **password);

/* Answers one keyset page {"items","next_cursor"} from res, which holds up
 * to limit + 1 rows ordered by the id in column 0: the extra row only says
 * that another page exists. Frees res; a failed st answers the failure. */
void rp_auth_page(rp_ctx_t *ctx, rp_status_t st, rp_dbres_t *res, int limit,
                  json_t *(*row_json)(const rp_dbres_t *res, int row));

/* Appends an auth_events row in the current transaction. user_id and
 * detail (a JSON object, borrowed) may be NULL. */
rp_status_t rp_auth_event(rp_ctx_t *ctx, const char *tenant_id, const char *kind,
                          const char *user_id, json_t *detail);

/* Inside the current transaction: stores a new refresh token for user_id
 * (in family_id, or a new family when NULL) and signs an access token.
 * *out is the login/refresh answer {"access_token","token_type",
 * "expires_in","refresh_token"}. */
rp_status_t rp_auth_issue_pair(rp_ctx_t *ctx, const char *tenant_id, const char *user_id,
                               rp_role_t role, const char *family_id, json_t **out);

/* Answers 401 with code and detail and the WWW-Authenticate challenge. */
void rp_auth_unauthorized(rp_ctx_t *ctx, const char *code, const char *detail);

/* Answers 404 not_found for a missing (or foreign, or malformed) id. */
void rp_auth_not_found(rp_ctx_t *ctx, const char *what);

/* The first path parameter as a canonical lower-case UUID, or NULL after
 * answering 404 for what: a malformed id is answered exactly like a missing
 * one. */
const char *rp_auth_path_id(rp_ctx_t *ctx, const char *what);

/* Handlers (routes.c wires them). */
void rp_auth_login(rp_ctx_t *ctx);
void rp_auth_refresh(rp_ctx_t *ctx);
void rp_auth_logout(rp_ctx_t *ctx);
void rp_auth_me(rp_ctx_t *ctx);
void rp_auth_api_keys_list(rp_ctx_t *ctx);
void rp_auth_api_keys_create(rp_ctx_t *ctx);
void rp_auth_api_keys_delete(rp_ctx_t *ctx);
void rp_auth_users_list(rp_ctx_t *ctx);
void rp_auth_users_create(rp_ctx_t *ctx);
void rp_auth_users_get(rp_ctx_t *ctx);
void rp_auth_users_patch(rp_ctx_t *ctx);
void rp_auth_users_delete(rp_ctx_t *ctx);

#endif
