/* The example module: a small but complete Rapport module. It brings one
 * object (greeting), normalises and checks one of its fields and derives
 * another before every create and update, logs after a create, and serves
 * a few actions under /api/v1/m/example/: a JSON one (hello), one that
 * writes records and its own table (welcome), one that writes a derived
 * value (greetings/{id}/show), an HTML page (greetings/{id}/card) and one
 * that pages through every greeting (greetings/stats). Welcome refuses
 * request members it does not know, listing them with json_object_each.
 * modules/README.md walks through it. */

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
    "    \"values\": [\"en\", \"fr\", \"es\"], \"default\": \"en\"},\n"
    "   {\"name\": \"length\", \"type\": \"integer\", \"label\": \"Length\",\n"
    "    \"read_only\": true},\n"
    "   {\"name\": \"shown\", \"type\": \"integer\", \"label\": \"Times shown\",\n"
    "    \"read_only\": true}]}],\n"
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

/* The number of characters (UTF-8 code points) in s. */
static long long characters(const char *s)
{
    long long n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Codes are kept upper-case without surrounding blanks, so that "ab-1 "
 * and "AB-1" are the same code. The length is derived from the text: it is
 * a read-only field, which a before hook may fill although callers may not
 * write it. */
static rp_hook_result_t normalise_code(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)ctx;
    (void)user;
    rp_json_t *fields = host->record_fields(rec);
    const char *text = host->json_string(host->json_get(fields, "text"));
    if (text != NULL &&
        host->record_set(rec, "length", host->json_integer_new(characters(text))) != RP_M_OK)
        return RP_HOOK_FAIL;
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

/* What refuse_unknown collects while it walks a request body. */
typedef struct body_walk {
    const char *const *known; /* the members the request may have, NULL-ended */
    rp_json_t *errors;        /* {member: message} for each other one */
    char names[200];          /* their names, for the problem's detail */
    size_t len;
    bool cut;    /* names left out of names for want of room */
    bool failed; /* out of memory */
} body_walk_t;

/* A json_object_each callback: notes key when it is not a known member. */
static int note_unknown(const char *key, rp_json_t *value, void *user)
{
    (void)value;
    body_walk_t *w = user;
    for (const char *const *k = w->known; *k != NULL; k++)
        if (strcmp(*k, key) == 0)
            return 0;
    if (host->json_set(w->errors, key, host->json_string_new("is not a member of this request")) !=
        RP_M_OK) {
        w->failed = true;
        return 1; /* stops the walk */
    }
    if (w->cut)
        return 0; /* the detail lists a prefix of the names, in order */
    int n = snprintf(w->names + w->len, sizeof w->names - w->len, "%s%s", w->len ? ", " : "", key);
    if (n > 0 && (size_t)n < sizeof w->names - w->len) {
        w->len += (size_t)n;
    } else {
        w->names[w->len] = '\0'; /* whole names only */
        w->cut = true;
    }
    return 0;
}

/* The host reads members by name, so a misspelt one ("nmae") would be
 * ignored without a word: lists body's members with json_object_each
 * (ABI 1.1) and answers 400 naming every one that is not in known. Returns
 * RP_M_OK with *refused telling whether it answered. */
static rp_mstatus_t refuse_unknown(rp_mctx_t *ctx, const rp_json_t *body, const char *const *known,
                                   bool *refused)
{
    body_walk_t w = {.known = known, .errors = host->json_object_new()};
    *refused = false;
    if (w.errors == NULL)
        return RP_M_ENOMEM;
    rp_mstatus_t st = host->json_object_each(body, note_unknown, &w);
    if (st == RP_M_OK && w.failed)
        st = RP_M_ENOMEM;
    if (st != RP_M_OK || host->json_object_size(w.errors) == 0) {
        host->json_free(w.errors);
        return st;
    }
    char detail[300];
    snprintf(detail, sizeof detail, "unknown member%s in the request: %s%s",
             host->json_object_size(w.errors) > 1 ? "s" : "", w.names,
             w.cut ? (w.len ? ", ..." : "...") : "");
    host->respond_problem(ctx, 400, "unknown_field", detail, w.errors);
    *refused = true;
    return RP_M_OK;
}

/* POST /api/v1/m/example/welcome {"name": "..."}: creates a greeting
 * through the records API (same validation, hooks, history and permissions
 * as POST /api/v1/records/greeting), counts the caller's welcomes in the
 * module's own table, and answers with the stored greeting, how many
 * greetings have the same text, and the count. */
static rp_mstatus_t welcome(rp_mctx_t *ctx, void *user)
{
    (void)user;
    static const char *const members[] = {"name", NULL};
    rp_json_t *body = host->request_json(ctx);
    if (body == NULL)
        return RP_M_OK; /* already answered 400 or 415 */
    rp_json_t *fields = NULL;
    rp_json_t *name = host->json_get(body, "name");
    rp_json_t *created = NULL, *errors = NULL, *again = NULL, *same = NULL, *filter = NULL;
    rp_mrows_t *rows = NULL;
    bool refused = false;
    rp_mstatus_t st = refuse_unknown(ctx, body, members, &refused);
    if (st != RP_M_OK || refused)
        goto done;
    st = RP_M_ENOMEM;
    if ((fields = host->json_object_new()) == NULL)
        goto done;
    /* json_set takes ownership, and name belongs to body: set a copy. */
    if (name != NULL && (st = host->json_set(fields, "text", host->json_copy(name))) != RP_M_OK)
        goto done;
    st = host->record_create(ctx, "greeting", fields, &created, &errors);
    if (st == RP_M_EINVAL) {
        host->respond_problem(ctx, 422, "validation_failed", "the greeting is not valid", errors);
        errors = NULL;
        st = RP_M_OK;
        goto done;
    }
    if (st != RP_M_OK)
        goto done;
    const char *id = host->json_string(host->json_get(created, "id"));
    if ((st = host->record_get(ctx, "greeting", id, &again)) != RP_M_OK)
        goto done;
    /* Greetings with the same text, through the query compiler. */
    const char *filter_text = "{\"field\": \"text\", \"op\": \"eq\", \"value\": null}";
    filter = host->json_parse(filter_text, strlen(filter_text));
    st = filter ? host->json_set(filter, "value",
                                 host->json_string_new(host->json_string(
                                     host->json_get(host->json_get(again, "fields"), "text"))))
                : RP_M_ENOMEM;
    if (st == RP_M_OK)
        st = host->record_query(ctx, "greeting", filter, "-created_at", 50, &same);
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
    host->json_set(answer, "greeting", again);
    again = NULL;
    host->json_set(answer, "same_text",
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

/* POST /api/v1/m/example/greetings/{id}/show: counts one more showing in
 * the greeting's read-only "shown" field. Any caller who can read the
 * greeting may show it, so the count is a derived write (RP_MWRITE_DERIVED):
 * the caller's update rights do not apply, and the read-only field may be
 * set. */
static rp_mstatus_t show(rp_mctx_t *ctx, void *user)
{
    (void)user;
    rp_json_t *rec = NULL, *fields = NULL, *updated = NULL, *errors = NULL;
    /* record_get applies the caller's read scope: another tenant's id, or
     * a greeting the caller may not see, is a 404. */
    rp_mstatus_t st = host->record_get(ctx, "greeting", host->path_param(ctx, 0), &rec);
    if (st != RP_M_OK)
        return st;
    long long shown = host->json_integer(host->json_get(host->json_get(rec, "fields"), "shown"));
    fields = host->json_object_new();
    st = fields ? host->json_set(fields, "shown", host->json_integer_new(shown + 1)) : RP_M_ENOMEM;
    if (st == RP_M_OK)
        st = host->record_update_ex(ctx, "greeting", host->json_string(host->json_get(rec, "id")),
                                    fields, RP_MWRITE_DERIVED, &updated, &errors);
    if (st == RP_M_OK) {
        host->respond_json(ctx, 200, updated);
        updated = NULL;
    } else if (st == RP_M_EINVAL && errors != NULL) {
        host->respond_problem(ctx, 422, "validation_failed", "the greeting is not valid", errors);
        errors = NULL;
        st = RP_M_OK;
    }
    host->json_free(errors);
    host->json_free(updated);
    host->json_free(fields);
    host->json_free(rec);
    return st;
}

/* Appends s to out (of cap bytes, n used) with the HTML specials escaped;
 * false when it does not fit. */
static bool html_append(char *out, size_t cap, size_t *n, const char *s, bool escape)
{
    for (; *s; s++) {
        const char *rep = NULL;
        if (escape)
            rep = *s == '<'   ? "&lt;"
                  : *s == '>' ? "&gt;"
                  : *s == '&' ? "&amp;"
                  : *s == '"' ? "&quot;"
                              : NULL;
        size_t len = rep ? strlen(rep) : 1;
        if (*n + len >= cap)
            return false;
        memcpy(out + *n, rep ? rep : s, len);
        *n += len;
    }
    out[*n] = '\0';
    return true;
}

/* GET /api/v1/m/example/greetings/{id}/card: the greeting as a small HTML
 * page, through respond_text (ABI 1.1). */
static rp_mstatus_t card(rp_mctx_t *ctx, void *user)
{
    (void)user;
    rp_json_t *rec = NULL;
    rp_mstatus_t st = host->record_get(ctx, "greeting", host->path_param(ctx, 0), &rec);
    if (st != RP_M_OK)
        return st;
    rp_json_t *fields = host->json_get(rec, "fields");
    const char *text = host->json_string(host->json_get(fields, "text"));
    const char *lang = host->json_string(host->json_get(fields, "language"));
    char page[4096];
    size_t n = 0;
    bool ok =
        html_append(page, sizeof page, &n, "<!DOCTYPE html>\n<html lang=\"", false) &&
        html_append(page, sizeof page, &n, lang ? lang : "en", true) &&
        html_append(page, sizeof page, &n,
                    "\"><meta charset=\"utf-8\"><title>Greeting</title>\n<p class=\"greeting\">",
                    false) &&
        html_append(page, sizeof page, &n, text ? text : "", true) &&
        html_append(page, sizeof page, &n, "</p>\n</html>\n", false);
    host->json_free(rec);
    if (!ok) {
        host->respond_problem(ctx, 422, "too_long", "the greeting is too long for a card", NULL);
        return RP_M_OK;
    }
    host->respond_text(ctx, 200, "text/html; charset=utf-8", page, n);
    return RP_M_OK;
}

/* GET /api/v1/m/example/greetings/stats[?page_size=N]: counts every
 * greeting the caller can read, by language, reading them a page at a
 * time with record_query_page (ABI 1.1), however many there are. */
static rp_mstatus_t stats(rp_mctx_t *ctx, void *user)
{
    (void)user;
    const char *ps = host->query_param(ctx, "page_size");
    int page_size = ps ? atoi(ps) : 200;
    if (page_size < 1 || page_size > 200) {
        host->respond_problem(ctx, 400, "invalid_page_size", "page_size must be 1 to 200", NULL);
        return RP_M_OK;
    }
    rp_json_t *by_language = host->json_object_new();
    if (by_language == NULL)
        return RP_M_ENOMEM;
    long long total = 0, pages = 0;
    char *cursor = NULL;
    rp_mstatus_t st = RP_M_OK;
    do {
        rp_json_t *page = NULL;
        char *next = NULL;
        st = host->record_query_page(ctx, "greeting", NULL, NULL, page_size, cursor, &page, &next);
        host->mem_free(cursor);
        cursor = next;
        if (st != RP_M_OK)
            break;
        pages++;
        for (size_t i = 0; i < host->json_array_size(page); i++) {
            rp_json_t *f = host->json_get(host->json_array_get(page, i), "fields");
            const char *lang = host->json_string(host->json_get(f, "language"));
            if (lang == NULL)
                lang = "none";
            long long was = host->json_integer(host->json_get(by_language, lang));
            host->json_set(by_language, lang, host->json_integer_new(was + 1));
            total++;
        }
        host->json_free(page);
    } while (cursor != NULL);
    host->mem_free(cursor);
    rp_json_t *answer = st == RP_M_OK ? host->json_object_new() : NULL;
    if (answer == NULL) {
        host->json_free(by_language);
        return st == RP_M_OK ? RP_M_ENOMEM : st;
    }
    host->json_set(answer, "total", host->json_integer_new(total));
    host->json_set(answer, "pages", host->json_integer_new(pages));
    host->json_set(answer, "languages",
                   host->json_integer_new((long long)host->json_object_size(by_language)));
    host->json_set(answer, "by_language", by_language);
    host->respond_json(ctx, 200, answer);
    return RP_M_OK;
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

/* Hourly, for every tenant that enabled the module: one log line naming the
 * tenant, so that operators (and the tests) see the job runner at work. */
static rp_mstatus_t heartbeat(rp_mctx_t *ctx, void *user)
{
    (void)user;
    char line[96];
    snprintf(line, sizeof line, "heartbeat for tenant %s", host->tenant_id(ctx));
    host->log(ctx, RP_MLOG_INFO, line);
    return RP_M_OK;
}

RP_MODULE_INIT(reg, api)
{
    /* A server older than this header may offer a shorter table: this
     * module needs the functions of ABI 1.1, up to json_object_size, its
     * last. */
    if (!RP_HOST_HAS(api, json_object_size))
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
        st = api->register_action(reg, RP_ACTION_POST, "greetings/{id}/show", RP_ACTION_READONLY,
                                  show, NULL);
    if (st == RP_M_OK)
        st = api->register_action(reg, RP_ACTION_GET, "greetings/{id}/card", RP_ACTION_READONLY,
                                  card, NULL);
    if (st == RP_M_OK)
        st = api->register_action(reg, RP_ACTION_GET, "greetings/stats", RP_ACTION_READONLY, stats,
                                  NULL);
    if (st == RP_M_OK)
        st = api->register_job(reg, "nightly", "0 3 * * *", nightly, NULL);
    if (st == RP_M_OK)
        st = api->register_job(reg, "heartbeat", "every 1h", heartbeat, NULL);
    if (st == RP_M_OK)
        st = api->register_lua(reg, "shout", shout, NULL);
    return st;
}
