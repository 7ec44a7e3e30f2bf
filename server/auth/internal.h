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

/* Answers one keyset page of the caller's tenant: sql selects with $1 the
 * tenant, $2 the cursor (NULL for the first page) and $3 the row limit,
 * ordered by id; rows render with row_json. */
void rp_auth_list(rp_ctx_t *ctx, const char *sql,
                  json_t *(*row_json)(const rp_dbres_t *res, int row));

/* Appends an auth_events row in the current transaction. user_id and
 * detail (a JSON object, borrowed) may be NULL. */
rp_status_t rp_auth_event(rp_ctx_t *ctx, const char *tenant_id, const char *kind,
                          const char *user_id, json_t *detail);

/* A user's stored role (users.role) as tokens and API keys carry it: the
 * built-in rank that route gates use, and the custom role whose record
 * permissions apply ("" for a built-in role). */
typedef struct rp_auth_role {
    rp_role_t rank;
    char access_role[64];
} rp_auth_role_t;

/* SQL for the base of the custom role of user row u (the users table must
 * be aliased u): NULL for a built-in role or a custom role that is gone. */
#define RP_SQL_ROLE_BASE                                                                           \
    "(SELECT rr.base FROM roles rr WHERE rr.tenant_id = u.tenant_id AND rr.name = u.role)"

/* Resolves a stored role: a built-in name is its own rank; a custom one
 * ranks as its base (base, from RP_SQL_ROLE_BASE) and is the access role. A
 * custom role that no longer exists (base NULL) ranks readonly and keeps its
 * name, which then grants no record rights at all. */
void rp_auth_role_resolve(const char *stored, const char *base, rp_auth_role_t *out);

/* Checks that role_name may be given to a user of the caller's tenant: a
 * built-in role, or a custom role that exists, whose row is then locked
 * (FOR KEY SHARE) so that deleting it waits for this transaction. RP_OK,
 * RP_ENOTFOUND for an unknown role, RP_EDB... from the database. */
rp_status_t rp_auth_role_usable(rp_ctx_t *ctx, const char *role_name);

/* Adds the "role" error to errors when role_name (NULL: absent) names
 * neither a built-in role nor one of the tenant's custom roles (see
 * rp_auth_role_usable, which this calls for custom names). Returns false
 * after answering a database failure. */
bool rp_auth_role_check(rp_ctx_t *ctx, const char *role_name, json_t *errors);

/* The message for a role that is not usable, for per-field errors. */
#define RP_AUTH_ROLE_MESSAGE "must be admin, manager, user, readonly or one of the tenant's roles"

/* Inside the current transaction: stores a new refresh token for user_id
 * (in family_id, or a new family when NULL) and signs an access token
 * carrying role. *out is the login/refresh answer {"access_token",
 * "token_type","expires_in","refresh_token"}. */
rp_status_t rp_auth_issue_pair(rp_ctx_t *ctx, const char *tenant_id, const char *user_id,
                               const rp_auth_role_t *role, const char *family_id, json_t **out);

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
void rp_auth_teams_list(rp_ctx_t *ctx);
void rp_auth_teams_create(rp_ctx_t *ctx);
void rp_auth_teams_get(rp_ctx_t *ctx);
void rp_auth_teams_patch(rp_ctx_t *ctx);
void rp_auth_teams_delete(rp_ctx_t *ctx);
void rp_auth_teams_member_put(rp_ctx_t *ctx);
void rp_auth_teams_member_delete(rp_ctx_t *ctx);

/* SQL for the teams of user row u (the users table must be aliased u), as
 * a JSON array text [{"id","name"}] ordered by name. */
#define RP_SQL_USER_TEAMS                                                                          \
    "(SELECT coalesce(json_agg(json_build_object('id', tt.id, 'name', tt.name) ORDER BY "          \
    "lower(tt.name), tt.id), '[]'::json)::text FROM team_members tm JOIN teams tt ON "             \
    "tt.tenant_id = tm.tenant_id AND tt.id = tm.team_id WHERE tm.tenant_id = u.tenant_id "         \
    "AND tm.user_id = u.id)"

#endif
