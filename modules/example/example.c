/* The example module: a small but complete Rapport module. It brings one
 * object (greeting), normalises and checks one of its fields before every
 * create and update, logs after a create, and serves
 * GET /api/v1/m/example/hello. modules/README.md walks through it. */

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rapport/module.h"

/* The host's functions, kept from init: the only way back into the
 * server. */
static const rp_host_api_t *host;

static const char MANIFEST[] =
    "{\"objects\": [{\"name\": \"greeting\", \"label\": \"Greeting\",\n"
    "  \"labels\": {\"en\": \"Greeting\", \"fr\": \"Salutation\", \"es\": \"Saludo\"},\n"
    "  \"fields\": [\n"
    "   {\"name\": \"text\", \"type\": \"text\", \"label\": \"Text\", \"required\": true,\n"
    "    \"searchable\": true},\n"
    "   {\"name\": \"code\", \"type\": \"text\", \"label\": \"Code\", \"max_length\": 16},\n"
    "   {\"name\": \"language\", \"type\": \"picklist\", \"label\": \"Language\",\n"
    "    \"values\": [\"en\", \"fr\", \"es\"], \"default\": \"en\"}]}],\n"
    " \"permissions\": {\"user\": {\"objects\": {\"greeting\": {\"create\": true, \"read\": "
    "\"all\",\n"
    "   \"update\": \"own\", \"delete\": \"own\"}}},\n"
    "  \"readonly\": {\"objects\": {\"greeting\": {\"read\": \"all\"}}}},\n"
    " \"layouts\": {\"greeting\": {\"list\": [\"text\", \"code\", \"language\"],\n"
    "   \"record\": [{\"section\": \"Greeting\", \"fields\": [\"text\", \"code\", "
    "\"language\"]}]}},\n"
    " \"menu\": [{\"label\": \"Greetings\", \"object\": \"greeting\"}]}\n";

static const rp_module_info_t INFO = {
    .size = sizeof(rp_module_info_t),
    .name = "example",
    .version = "1.0.0",
    .description = "A greeting object and a hello action, to learn modules from",
    .depends = NULL,
    .manifest = MANIFEST,
};

RP_MODULE_MAGIC
RP_MODULE_INFO(INFO)

/* Codes are kept upper-case without surrounding blanks, so that "ab-1 "
 * and "AB-1" are the same code. */
static rp_hook_result_t normalise_code(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    rp_json_t *fields = host->record_fields(rec);
    const char *code = host->json_string(host->json_get(fields, "code"));
    if (code == NULL)
        return RP_HOOK_CONTINUE;
    char out[64];
    size_t n = 0;
    while (*code == ' ')
        code++;
    for (; *code && n + 1 < sizeof out; code++)
        out[n++] = (char)toupper((unsigned char)*code);
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
    bool ok = n >= 2 && n <= 16;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)out[i]) || out[i] == '-';
    if (!ok) {
        host->reject_field(rec, "code", "must be 2 to 16 letters, digits or dashes");
        return RP_HOOK_REJECT;
    }
    return host->record_set(rec, "code", host->json_string_new(out)) == RP_M_OK ? RP_HOOK_CONTINUE
                                                                                : RP_HOOK_FAIL;
}

static rp_hook_result_t created(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    char line[128];
    snprintf(line, sizeof line, "greeting %s created", host->record_id(rec));
    host->log(ctx, RP_MLOG_INFO, line);
    return RP_HOOK_CONTINUE;
}

/* GET /api/v1/m/example/hello: who is asking, from which tenant. */
static rp_mstatus_t hello(rp_mctx_t *ctx, void *user)
{
    (void)user;
    rp_json_t *body = host->json_object_new();
    if (body == NULL)
        return RP_M_ENOMEM;
    rp_json_t *greeting = host->tenant_setting(ctx, "example_greeting");
    if (greeting == NULL || host->json_kind(greeting) != RP_JSON_STRING) {
        host->json_free(greeting);
        greeting = host->json_string_new("hello");
    }
    const char *uid = host->user_id(ctx);
    if (host->json_set(body, "greeting", greeting) != RP_M_OK ||
        host->json_set(body, "module", host->json_string_new("example")) != RP_M_OK ||
        host->json_set(body, "user_id",
                       uid[0] ? host->json_string_new(uid) : host->json_null_new()) != RP_M_OK ||
        host->json_set(body, "role", host->json_string_new(host->user_role(ctx))) != RP_M_OK ||
        host->json_set(body, "tenant_id", host->json_string_new(host->tenant_id(ctx))) != RP_M_OK) {
        host->json_free(body);
        return RP_M_ENOMEM;
    }
    host->respond_json(ctx, 200, body);
    return RP_M_OK;
}

/* POST /api/v1/m/example/welcome {"name": "..."}: creates an account
 * through the records API (same validation, history and permissions as
 * POST /api/v1/records/account), counts the caller's welcomes in the
 * module's own table, and answers with the stored account and the count. */
static rp_mstatus_t welcome(rp_mctx_t *ctx, void *user)
{
    (void)user;
    rp_json_t *body = host->request_json(ctx);
    if (body == NULL)
        return RP_M_OK; /* already answered 400 or 415 */
    rp_json_t *fields = host->json_object_new();
    rp_json_t *name = host->json_get(body, "name");
    rp_json_t *created = NULL, *errors = NULL, *again = NULL, *same = NULL, *filter = NULL;
    rp_mrows_t *rows = NULL;
    rp_mstatus_t st = RP_M_ENOMEM;
    if (fields == NULL)
        goto done;
    /* json_set takes ownership, and name belongs to body: set a copy. */
    if (name != NULL && (st = host->json_set(fields, "name", host->json_copy(name))) != RP_M_OK)
        goto done;
    st = host->record_create(ctx, "account", fields, &created, &errors);
    if (st == RP_M_EINVAL) {
        host->respond_problem(ctx, 422, "validation_failed", "the account is not valid", errors);
        errors = NULL;
        st = RP_M_OK;
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    const char *id = host->json_string(host->json_get(created, "id"));
    if ((st = host->record_get(ctx, "account", id, &again)) != RP_M_OK)
        goto done;
    /* Accounts with the same name, through the query compiler. */
    const char *filter_text = "{\"field\": \"name\", \"op\": \"eq\", \"value\": null}";
    filter = host->json_parse(filter_text, strlen(filter_text));
    st = filter ? host->json_set(filter, "value",
                                 host->json_string_new(host->json_string(
                                     host->json_get(host->json_get(again, "fields"), "name"))))
                : RP_M_ENOMEM;
    if (st == RP_M_OK)
        st = host->record_query(ctx, "account", filter, "-created_at", 50, &same);
    if (st != RP_M_OK)
        goto done;
    const char *uid = host->user_id(ctx);
    const char *params[] = {host->tenant_id(ctx), uid};
    if (uid[0] != '\0') {
        st = host->sql_exec(ctx,
                            "INSERT INTO example_greeting_stats AS s (tenant_id, user_id, "
                            "greetings) VALUES ($1::uuid, $2::uuid, 1) ON CONFLICT (tenant_id, "
                            "user_id) DO UPDATE SET greetings = s.greetings + 1 "
                            "RETURNING greetings",
                            2, params, &rows);
        if (st != RP_M_OK)
            goto done;
    }
    rp_json_t *answer = host->json_object_new();
    if (answer == NULL) {
        st = RP_M_ENOMEM;
        goto done;
    }
    host->json_set(answer, "account", again);
    again = NULL;
    host->json_set(answer, "same_name",
                   host->json_integer_new((long long)host->json_array_size(same)));
    host->json_set(answer, "welcomes",
                   host->json_integer_new(rows ? atoll(host->rows_get(rows, 0, 0)) : 0));
    host->respond_json(ctx, 201, answer);
done:
    host->rows_free(rows);
    host->json_free(filter);
    host->json_free(same);
    host->json_free(again);
    host->json_free(errors);
    host->json_free(created);
    host->json_free(fields);
    host->json_free(body);
    return st;
}

/* Lua: rapport.example.shout("hi") gives "HI". */
static rp_json_t *shout(rp_mctx_t *ctx, const rp_json_t *args, void *user)
{
    (void)user;
    const char *s = host->json_string(host->json_array_get(args, 0));
    if (s == NULL) {
        host->set_error(ctx, "shout takes one string");
        return NULL;
    }
    char out[256];
    size_t n = 0;
    for (; s[n] && n + 1 < sizeof out; n++)
        out[n] = (char)toupper((unsigned char)s[n]);
    out[n] = '\0';
    return host->json_string_new(out);
}

/* Nightly: nothing to do yet, but shows how a job is declared. */
static rp_mstatus_t nightly(rp_mctx_t *ctx, void *user)
{
    (void)user;
    host->log(ctx, RP_MLOG_DEBUG, "nightly job ran");
    return RP_M_OK;
}

RP_MODULE_INIT(reg, api)
{
    /* A server older than this header may offer a shorter table. */
    if (!RP_HOST_HAS(api, json_copy))
        return RP_M_EINVAL;
    host = api;
    rp_mstatus_t st =
        api->register_hook(reg, "greeting", RP_HOOK_BEFORE_CREATE, normalise_code, NULL);
    if (st == RP_M_OK)
        st = api->register_hook(reg, "greeting", RP_HOOK_BEFORE_UPDATE, normalise_code, NULL);
    if (st == RP_M_OK)
        st = api->register_hook(reg, "greeting", RP_HOOK_AFTER_CREATE, created, NULL);
    if (st == RP_M_OK)
        st = api->register_action(reg, RP_ACTION_GET, "hello", RP_ACTION_READONLY, hello, NULL);
    if (st == RP_M_OK)
        st = api->register_action(reg, RP_ACTION_POST, "welcome", RP_ACTION_USER, welcome, NULL);
    if (st == RP_M_OK)
        st = api->register_job(reg, "nightly", "0 3 * * *", nightly, NULL);
    if (st == RP_M_OK)
        st = api->register_lua(reg, "shout", shout, NULL);
    return st;
}
