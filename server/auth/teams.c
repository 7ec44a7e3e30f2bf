#include <stdio.h>
#include <string.h>

#include "auth/input.h"
#include "auth/internal.h"
#include "core/utf8.h"

/* Teams group users so that a role's "team" scope can share records between
 * them (see server/records/README.md, "Permissions"). Everyone signed in may
 * read them; admins change them. */

#define TEAM_COLS "id::text, name, " RP_SQL_TS("created_at") ", " RP_SQL_TS("updated_at")

static json_t *team_json(const rp_dbres_t *res, int row)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "id", rp_dbres_get(res, row, 0), "name",
                     rp_dbres_get(res, row, 1), "created_at", rp_dbres_get(res, row, 2),
                     "updated_at", rp_dbres_get(res, row, 3));
}

/* Reads {"name"} (required when create), adding per-field errors. */
static const char *team_name(json_t *body, bool create, json_t *errors)
{
    const char *name = NULL;
    bool ok = create ? rp_input_required_string(body, "name", &name, errors)
                     : rp_input_string(body, "name", &name, errors);
    if (ok && name != NULL) {
        long n = rp_utf8_length(name);
        if (n < 1 || n > 200 || strlen(name) != json_string_length(json_object_get(body, "name")))
            rp_input_error(errors, "name", "must be 1 to 200 characters");
    }
    return name;
}

static void name_taken(rp_ctx_t *ctx)
{
    rp_resp_problem_fields(ctx, 409, "name_taken", "a team with this name already exists",
                           json_pack("{s:s}", "name", "is already taken"));
}

/* Answers the team with its members, or 404. */
static void answer(rp_ctx_t *ctx, int status, const char *id)
{
    const char *params[] = {ctx->principal.tenant_id, id};
    rp_dbres_t *team = NULL, *members = NULL;
    json_t *j = NULL, *list = NULL;
    rp_status_t st = rp_db_exec(ctx->db,
                                "SELECT " TEAM_COLS " FROM teams WHERE tenant_id = $1 AND "
                                "id = $2::uuid",
                                2, params, &team);
    if (st == RP_OK && rp_dbres_rows(team) != 1) {
        rp_auth_not_found(ctx, "team");
        goto done;
    }
    if (st == RP_OK)
        st = rp_db_exec(ctx->db,
                        "SELECT u.id::text, u.email, u.name FROM team_members m JOIN users u "
                        "ON u.tenant_id = m.tenant_id AND u.id = m.user_id "
                        "WHERE m.tenant_id = $1 AND m.team_id = $2::uuid ORDER BY lower(u.email)",
                        2, params, &members);
    if (st != RP_OK)
        goto fail;
    st = RP_ENOMEM;
    if ((j = team_json(team, 0)) == NULL || (list = json_array()) == NULL)
        goto fail;
    for (int i = 0; i < rp_dbres_rows(members); i++)
        if (json_array_append_new(list,
                                  json_pack("{s:s, s:s, s:s}", "id", rp_dbres_get(members, i, 0),
                                            "email", rp_dbres_get(members, i, 1), "name",
                                            rp_dbres_get(members, i, 2))) != 0)
            goto fail;
    st = json_object_set_new(j, "members", list) == 0 ? RP_OK : RP_ENOMEM;
    list = NULL;
    if (st != RP_OK)
        goto fail;
    if (status == 201) {
        char *loc = rp_pool_printf(&ctx->pool, "/api/v1/teams/%s", id);
        if (loc != NULL)
            rp_resp_header(ctx, "Location", loc);
    }
    rp_resp_json(ctx, status, j);
    j = NULL;
    goto done;
fail:
    rp_resp_fail(ctx, st);
done:
    json_decref(list);
    json_decref(j);
    rp_dbres_free(team);
    rp_dbres_free(members);
}

void rp_auth_teams_list(rp_ctx_t *ctx)
{
    rp_auth_list(ctx,
                 "SELECT " TEAM_COLS " FROM teams WHERE tenant_id = $1 AND "
                 "($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3::int",
                 team_json);
}

void rp_auth_teams_get(rp_ctx_t *ctx)
{
    const char *id = rp_auth_path_id(ctx, "team");
    if (id != NULL)
        answer(ctx, 200, id);
}

void rp_auth_teams_create(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"name", NULL};
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    const char *name = team_name(body, true, errors);
    if (rp_input_fail(ctx, errors))
        goto done;
    char id[RP_UUID_LEN + 1];
    rp_uuid_v7(id);
    const char *params[] = {ctx->principal.tenant_id, id, name};
    rp_status_t st = rp_db_exec(
        ctx->db, "INSERT INTO teams (tenant_id, id, name) VALUES ($1, $2, $3)", 3, params, NULL);
    if (st == RP_ECONFLICT)
        name_taken(ctx);
    else if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else
        answer(ctx, 201, id);
done:
    json_decref(body);
}

void rp_auth_teams_patch(rp_ctx_t *ctx)
{
    static const char *const fields[] = {"name", NULL};
    const char *id = rp_auth_path_id(ctx, "team");
    if (id == NULL)
        return;
    json_t *body = rp_req_json_object(ctx);
    if (body == NULL)
        return;
    json_t *errors = json_object();
    rp_dbres_t *res = NULL;
    if (!rp_input_known_fields(ctx, body, fields)) {
        json_decref(errors);
        goto done;
    }
    const char *name = team_name(body, false, errors);
    if (rp_input_fail(ctx, errors))
        goto done;
    const char *params[] = {ctx->principal.tenant_id, id, name};
    rp_status_t st = rp_db_exec(ctx->db,
                                "UPDATE teams SET name = COALESCE($3, name), updated_at = CASE "
                                "WHEN $3 IS NULL THEN updated_at ELSE now() END "
                                "WHERE tenant_id = $1 AND id = $2::uuid RETURNING id",
                                3, params, &res);
    if (st == RP_ECONFLICT)
        name_taken(ctx);
    else if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else if (rp_dbres_rows(res) != 1)
        rp_auth_not_found(ctx, "team");
    else
        answer(ctx, 200, id);
done:
    rp_dbres_free(res);
    json_decref(body);
}

void rp_auth_teams_delete(rp_ctx_t *ctx)
{
    const char *id = rp_auth_path_id(ctx, "team");
    if (id == NULL)
        return;
    const char *params[] = {ctx->principal.tenant_id, id};
    rp_dbres_t *res = NULL;
    /* Memberships go with the team (ON DELETE CASCADE). */
    rp_status_t st = rp_db_exec(ctx->db,
                                "DELETE FROM teams WHERE tenant_id = $1 AND id = $2::uuid "
                                "RETURNING id",
                                2, params, &res);
    if (st != RP_OK)
        rp_resp_fail(ctx, st);
    else if (rp_dbres_rows(res) != 1)
        rp_auth_not_found(ctx, "team");
    else
        rp_resp_no_content(ctx);
    rp_dbres_free(res);
}
