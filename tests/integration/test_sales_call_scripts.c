/* Telesales call scripts end to end (the sales module's area D): the
 * call_script object's tree checks answering 422 with a precise message,
 * default rights (managers write, users read), and running scripts on
 * calls through POST/GET /api/v1/m/sales/calls/{id}/script-answers: a full
 * run through a branching script, answers out of order, invalid answers,
 * all-or-nothing requests, completion, restart, switching scripts, inactive
 * and edited scripts, another tenant's ids, and callers who may read a
 * call but not change it. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it.h"

#define PASSWORD "scripts-password-1"

static char moddir[1024];

/* The qualification script of the guide: branches that end early, join
 * again, a "*" branch and an optional question. */
static const char *QUALIFY =
    "{'start': 'interest', 'questions': {"
    " 'interest': {'text': 'How interested are you in a demo?', 'type': 'choice',"
    "   'options': ['Very', 'Somewhat', 'Not at all'], 'required': true,"
    "   'help': 'Read the three options aloud.',"
    "   'next': {'Very': 'budget', 'Somewhat': 'callback', 'Not at all': null}},"
    " 'budget': {'text': 'What budget have you set aside?', 'type': 'number', 'min': 0,"
    "   'max': 1000000, 'required': true, 'next': 'decision'},"
    " 'decision': {'text': 'Are you the one who decides?', 'type': 'yes_no', 'required': true,"
    "   'next': {'yes': 'when', '*': 'who'}},"
    " 'who': {'text': 'Who decides?', 'type': 'text', 'next': 'when'},"
    " 'when': {'text': 'When will the decision be made?', 'type': 'date', 'next': null},"
    " 'callback': {'text': 'When shall we call back?', 'type': 'date', 'required': true}}}";

/* A two-question survey. */
static const char *SURVEY = "{'start': 's1', 'questions': {"
                            " 's1': {'text': 'Happy with us?', 'type': 'yes_no', 'next': 's2'},"
                            " 's2': {'text': 'Anything to add?', 'type': 'text'}}}";

/* Test texts are written with ' for " to stay readable. Tracked. */
static const char *dq(const char *s)
{
    char *out = (char *)rp_it_fmt("%s", s);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static void link_into(const char *name)
{
    char src[2048], dst[2048];
    snprintf(src, sizeof src, "%s/%s", RAPPORT_MODULE_OUTPUT_DIR, name);
    snprintf(dst, sizeof dst, "%s/%s", moddir, name);
    if (access(src, F_OK) == 0 && symlink(src, dst) != 0)
        RP_IT_FAIL("cannot link %s to %s", src, dst);
}

static const char *token(const char *tenant, const char *who)
{
    return rp_it_token(tenant, rp_it_fmt("%s@%s.test", who, tenant), PASSWORD);
}

static int setup(void **state)
{
    (void)state;
    snprintf(moddir, sizeof moddir, "%s/modules", rp_it_dir());
    if (mkdir(moddir, 0755) != 0)
        RP_IT_FAIL("cannot create %s", moddir);
    link_into("sales.so");
    link_into("sales");
    rp_it_pg_start();
    rp_it_server_start(rp_it_fmt("RAPPORT_MODULE_DIR=%s", moddir), NULL);
    rp_it_tenant_create("acme", "Acme");
    rp_it_tenant_create("other", "Other Co");
    const char *users[][2] = {{"admin", "admin"},
                              {"boss", "manager"},
                              {"rep", "user"},
                              {"rep2", "user"},
                              {"viewer", "readonly"}};
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        rp_it_user_add("acme", rp_it_fmt("%s@acme.test", users[i][0]), users[i][1], PASSWORD);
    rp_it_user_add("other", "admin@other.test", "admin", PASSWORD);
    rp_it_user_add("other", "rep@other.test", "user", PASSWORD);
    /* New tenants get the module by default; enabling again is harmless
     * and covers a server configured otherwise. */
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/modules/sales/enable", token("acme", "admin"), NULL), 200);
    RP_IT_EXPECT_STATUS(
        rp_it_send("POST", "/api/v1/modules/sales/enable", token("other", "admin"), NULL), 200);
    rp_it_test_teardown(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rp_it_server_assert_clean_log();
    rp_it_server_stop();
    rp_it_pg_stop();
    return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static rp_it_resp_t *create_script_as(const char *tok, const char *name, const char *tree)
{
    json_t *body = json_pack("{s:{s:s, s:s}}", "fields", "name", name, "tree", dq(tree));
    return rp_it_sendj("POST", "/api/v1/records/call_script", tok, body);
}

/* Creates a script as the manager; returns its id (tracked). */
static const char *create_script(const char *name, const char *tree)
{
    rp_it_resp_t *r = create_script_as(token("acme", "boss"), name, tree);
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_jstr(r, "id");
}

/* Creates an outbound call as tok, with a script when script_id is not
 * NULL; returns its id (tracked). */
static const char *create_call(const char *tok, const char *script_id)
{
    json_t *fields =
        json_pack("{s:s, s:s}", "subject", "Qualification call", "direction", "outbound");
    if (script_id != NULL)
        json_object_set_new(fields, "call_script_id", json_string(script_id));
    rp_it_resp_t *r =
        rp_it_sendj("POST", "/api/v1/records/call", tok, json_pack("{s:o}", "fields", fields));
    RP_IT_EXPECT_STATUS(r, 201);
    return rp_it_jstr(r, "id");
}

static const char *answers_path(const char *call_id)
{
    return rp_it_fmt("/api/v1/m/sales/calls/%s/script-answers", call_id);
}

static rp_it_resp_t *post_answers(const char *tok, const char *call_id, const char *body)
{
    return rp_it_send("POST", answers_path(call_id), tok, dq(body));
}

/* Posts and expects 200. */
static rp_it_resp_t *answer_ok(const char *tok, const char *call_id, const char *body)
{
    rp_it_resp_t *r = post_answers(tok, call_id, body);
    RP_IT_EXPECT_STATUS(r, 200);
    return r;
}

static const char *error_of(const rp_it_resp_t *r, const char *field)
{
    return json_string_value(json_object_get(json_object_get(r->json, "errors"), field));
}

static void expect_error(const rp_it_resp_t *r, const char *field, const char *message)
{
    const char *e = error_of(r, field);
    if (e == NULL || strcmp(e, message) != 0)
        RP_IT_FAIL("expected errors.%s = \"%s\" in %s", field, message, r->body);
}

/* The call's script_answers, parsed (tracked), or NULL when unset. */
static json_t *recorded(const char *call_id)
{
    rp_it_resp_t *r =
        rp_it_get(rp_it_fmt("/api/v1/records/call/%s", call_id), token("acme", "admin"));
    RP_IT_EXPECT_STATUS(r, 200);
    const char *text =
        json_string_value(json_object_get(json_object_get(r->json, "fields"), "script_answers"));
    return text ? rp_it_track_json(json_loads(text, 0, NULL)) : NULL;
}

static const char *next_id(const rp_it_resp_t *r)
{
    return json_string_value(json_object_get(r->json, "next"));
}

static size_t answer_count(const rp_it_resp_t *r)
{
    return json_array_size(json_object_get(r->json, "answers"));
}

static json_t *answer_at(const rp_it_resp_t *r, size_t i)
{
    return json_array_get(json_object_get(r->json, "answers"), i);
}

/* ---- the call_script object --------------------------------------------- */

static void tree_validation(void **state)
{
    (void)state;
    const char *boss = token("acme", "boss");
    struct {
        const char *tree, *message;
    } bad[] = {
        {"{'start': 'q1', 'questions': {", "not valid JSON: unexpected end of text at line 1, "
                                           "column 31"},
        {"[]", "must be a JSON object with start and questions"},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'yes_no', 'required': true,"
         " 'next': {'yes': 'q3', 'no': null}}, 'q3': {'text': 'C', 'type': 'yes_no',"
         " 'required': true, 'next': {'yes': 'q9', 'no': null}}}}",
         "questions.q3.next.yes: no question q9"},
        {"{'start': 'q0', 'questions': {'q1': {'text': 'A', 'type': 'text'}}}",
         "start: no question q0"},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'text', 'next': 'q2'},"
         " 'q2': {'text': 'B', 'type': 'text', 'next': 'q1'}}}",
         "questions.q2.next: leads back to q1, so the script would never end"},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'text'},"
         " 'q2': {'text': 'B', 'type': 'text'}}}",
         "questions.q2: cannot be reached from the start question q1"},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'choice',"
         " 'options': ['Red', 'Blue', 'Red']}}}",
         "questions.q1.options.2: repeats \"Red\""},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'choice', 'required': true,"
         " 'options': ['Red', 'Blue'], 'next': {'Red': null}}}}",
         "questions.q1.next: no branch for option \"Blue\" and no \"*\" branch"},
        {"{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'slider'}}}",
         "questions.q1.type: must be one of choice, yes_no, text, number, date"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rp_it_resp_t *r = create_script_as(boss, rp_it_fmt("Bad %zu", i), bad[i].tree);
        RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
        expect_error(r, "tree", bad[i].message);
    }
    /* 201 questions: one too many. */
    char *big = malloc(64 * 1024);
    size_t n = (size_t)sprintf(big, "{'start': 'q0', 'questions': {");
    for (int i = 0; i < 201; i++)
        n += (size_t)sprintf(big + n, "%s'q%d': {'text': 'Q', 'type': 'text', 'next': %s}",
                             i ? ", " : "", i, i < 200 ? rp_it_fmt("'q%d'", i + 1) : "null");
    sprintf(big + n, "}}");
    rp_it_resp_t *r = create_script_as(boss, "Too long", big);
    free(big);
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "tree", "questions: at most 200 questions (there are 201)");
    /* Nothing was written. */
    assert_string_equal(
        rp_it_sql("SELECT count(*) FROM records WHERE object = 'call_script' AND tenant_id = $1",
                  rp_it_tenant_id("acme"), NULL),
        "0");

    /* A good one, with its question count; the tree is required. */
    r = create_script_as(boss, "Qualification", QUALIFY);
    RP_IT_EXPECT_STATUS(r, 201);
    const char *id = rp_it_fmt("%s", rp_it_jstr(r, "id"));
    json_t *f = json_object_get(r->json, "fields");
    assert_int_equal(json_integer_value(json_object_get(f, "question_count")), 6);
    assert_true(json_is_true(json_object_get(f, "active")));
    r = rp_it_send("POST", "/api/v1/records/call_script", boss, "{\"fields\":{\"name\":\"X\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "tree", "is required");
    /* Names are unique; the count is the module's to write. */
    r = create_script_as(boss, "Qualification", SURVEY);
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "name"));
    r = rp_it_sendj("POST", "/api/v1/records/call_script", boss,
                    json_pack("{s:{s:s, s:s, s:i}}", "fields", "name", "Y", "tree", dq(SURVEY),
                              "question_count", 3));
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "question_count", "is read-only");

    /* Updates are checked the same way, and leave the record as it was. */
    const char *path = rp_it_fmt("/api/v1/records/call_script/%s", id);
    json_t *patch = json_pack("{s:{s:s}}", "fields", "tree",
                              dq("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': "
                                 "'text', 'next': 'zz'}}}"));
    r = rp_it_sendj("PATCH", path, boss, patch);
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "tree", "questions.a.next: no question zz");
    r = rp_it_get(path, boss);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(r->json, "fields"), "question_count")),
        6);
    /* Changing other fields does not need the tree again. */
    r = rp_it_send("PATCH", path, boss, "{\"fields\":{\"description\":\"Inbound leads\"}}");
    RP_IT_EXPECT_STATUS(r, 200);

    /* Users and readonly users read scripts; only managers and admins
     * write them. */
    RP_IT_EXPECT_STATUS(rp_it_get(path, token("acme", "rep")), 200);
    RP_IT_EXPECT_STATUS(rp_it_get(path, token("acme", "viewer")), 200);
    RP_IT_EXPECT_PROBLEM(create_script_as(token("acme", "rep"), "Mine", SURVEY), 403, "forbidden");
    RP_IT_EXPECT_PROBLEM(
        rp_it_send("PATCH", path, token("acme", "rep"), "{\"fields\":{\"description\":\"x\"}}"),
        403, "forbidden");
    RP_IT_EXPECT_STATUS(create_script_as(token("acme", "admin"), "Admin survey", SURVEY), 201);
    /* Another tenant does not see it. */
    RP_IT_EXPECT_PROBLEM(rp_it_get(path, token("other", "admin")), 404, "not_found");
}

/* ---- running scripts ---------------------------------------------------- */

static void full_run_through_branches(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *script = create_script("Run: qualification", QUALIFY);
    const char *call = create_call(rep, script);

    /* Before any answer: the first question. */
    rp_it_resp_t *r = rp_it_get(answers_path(call), rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "call_id"), call);
    assert_string_equal(rp_it_jstr(r, "script_id"), script);
    assert_string_equal(rp_it_jstr(r, "script_name"), "Run: qualification");
    assert_string_equal(next_id(r), "interest");
    assert_int_equal(answer_count(r), 0);
    json_t *nq = json_object_get(r->json, "next_question");
    assert_string_equal(json_string_value(json_object_get(nq, "type")), "choice");
    assert_string_equal(json_string_value(json_object_get(nq, "text")),
                        "How interested are you in a demo?");
    assert_string_equal(json_string_value(json_object_get(nq, "help")),
                        "Read the three options aloud.");
    assert_int_equal(json_array_size(json_object_get(nq, "options")), 3);
    assert_true(json_is_true(json_object_get(nq, "required")));
    assert_null(recorded(call));

    /* One answer (typed in lower case: recorded as the option). */
    r = answer_ok(rep, call, "{'question': 'interest', 'answer': 'very'}");
    assert_string_equal(next_id(r), "budget");
    assert_false(json_is_true(json_object_get(r->json, "complete")));
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 0), "answer")), "Very");
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 0), "text")),
                        "How interested are you in a demo?");
    assert_true(json_is_string(json_object_get(answer_at(r, 0), "at")));
    nq = json_object_get(r->json, "next_question");
    assert_string_equal(json_string_value(json_object_get(nq, "type")), "number");
    assert_int_equal(json_integer_value(json_object_get(nq, "min")), 0);
    assert_int_equal(json_integer_value(json_object_get(nq, "max")), 1000000);

    /* Two at once: a number given as text, and "no" as false. */
    r = answer_ok(rep, call,
                  "{'answers': [{'question': 'budget', 'answer': '25000'},"
                  " {'question': 'decision', 'answer': false}]}");
    assert_string_equal(next_id(r), "who");
    assert_int_equal(answer_count(r), 3);
    assert_int_equal(json_integer_value(json_object_get(answer_at(r, 1), "answer")), 25000);
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 2), "answer")), "no");

    /* An optional question skipped, then the end. */
    r = answer_ok(rep, call, "{'question': 'who'}");
    assert_string_equal(next_id(r), "when");
    assert_true(json_is_null(json_object_get(answer_at(r, 3), "answer")));
    r = answer_ok(rep, call, "{'answers': [{'question': 'when', 'answer': '2026-03-31'}]}");
    assert_true(json_is_null(json_object_get(r->json, "next")));
    assert_true(json_is_true(json_object_get(r->json, "complete")));
    assert_true(json_is_null(json_object_get(r->json, "next_question")));
    assert_int_equal(answer_count(r), 5);

    /* The call holds the run, in the documented form. */
    json_t *st = recorded(call);
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "script_id")), script);
    assert_true(json_is_true(json_object_get(st, "complete")));
    assert_true(json_is_null(json_object_get(st, "next")));
    json_t *answers = json_object_get(st, "answers");
    assert_int_equal(json_array_size(answers), 5);
    const char *order[] = {"interest", "budget", "decision", "who", "when"};
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(answers, i), "question")), order[i]);
    rp_it_resp_t *c = rp_it_get(rp_it_fmt("/api/v1/records/call/%s", call), rep);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(c->json, "fields"), "call_script_id")),
        script);
    /* The history of the call shows the answers, written by the rep. */
    c = rp_it_get(rp_it_fmt("/api/v1/records/call/%s/history", call), rep);
    RP_IT_EXPECT_STATUS(c, 200);
    json_t *last = json_array_get(json_object_get(c->json, "data"), 0);
    assert_non_null(json_object_get(json_object_get(last, "changes"), "script_answers"));
    assert_string_equal(json_string_value(json_object_get(last, "actor_id")),
                        rp_it_user_id("acme", "rep@acme.test"));

    /* GET shows the same state; the other branch works too. */
    r = rp_it_get(answers_path(call), token("acme", "viewer"));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_true(json_object_get(r->json, "complete")));
    assert_int_equal(answer_count(r), 5);
    const char *call2 = create_call(rep, script);
    r = answer_ok(rep, call2,
                  "{'answers': [{'question': 'interest', 'answer': 'Somewhat'},"
                  " {'question': 'callback', 'answer': '2026-05-04'}]}");
    assert_true(json_is_true(json_object_get(r->json, "complete")));
    assert_int_equal(answer_count(r), 2);
}

static void wrong_order_and_invalid_answers(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *script = create_script("Checks: qualification", QUALIFY);
    const char *call = create_call(rep, script);

    rp_it_resp_t *r = post_answers(rep, call, "{'question': 'budget', 'answer': 10}");
    RP_IT_EXPECT_PROBLEM(r, 422, "wrong_question");
    expect_error(r, "question", "expected interest");
    assert_non_null(strstr(rp_it_jstr(r, "detail"), "How interested are you in a demo?"));
    /* The second of three is out of order: nothing of the request stays. */
    r = post_answers(rep, call,
                     "{'answers': [{'question': 'interest', 'answer': 'Very'},"
                     " {'question': 'decision', 'answer': true},"
                     " {'question': 'budget', 'answer': 5}]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "wrong_question");
    expect_error(r, "answers.1.question", "expected budget");
    assert_null(recorded(call));

    struct {
        const char *body, *field, *message;
    } invalid[] = {
        {"{'question': 'interest', 'answer': 'Maybe'}", "answer",
         "must be one of: Very, Somewhat, Not at all"},
        {"{'question': 'interest', 'answer': 2}", "answer",
         "must be one of: Very, Somewhat, Not at all"},
        {"{'question': 'interest', 'answer': null}", "answer", "is required"},
        {"{'question': 'interest'}", "answer", "is required"},
        {"{'answers': [{'question': 'interest', 'answer': 'Very'},"
         " {'question': 'budget', 'answer': -5}]}",
         "answers.1.answer", "must be at least 0"},
        {"{'answers': [{'question': 'interest', 'answer': 'Very'},"
         " {'question': 'budget', 'answer': 'a lot'}]}",
         "answers.1.answer", "must be a number"},
        {"{'answers': [{'question': 'interest', 'answer': 'Very'},"
         " {'question': 'budget', 'answer': 2000000}]}",
         "answers.1.answer", "must be at most 1000000"},
        {"{'answers': [{'question': 'interest', 'answer': 'Very'},"
         " {'question': 'budget', 'answer': 1}, {'question': 'decision', 'answer': 'perhaps'}]}",
         "answers.2.answer", "must be yes or no (or true or false)"},
        {"{'answers': [{'question': 'interest', 'answer': 'Somewhat'},"
         " {'question': 'callback', 'answer': '2026-02-30'}]}",
         "answers.1.answer", "must be a date written YYYY-MM-DD"},
        {"{'answers': [{'question': 'interest', 'answer': 'Somewhat'},"
         " {'question': 'callback', 'answer': ['2026-02-03']}]}",
         "answers.1.answer", "must be a date written YYYY-MM-DD"},
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        r = post_answers(rep, call, invalid[i].body);
        RP_IT_EXPECT_PROBLEM(r, 422, "invalid_answer");
        expect_error(r, invalid[i].field, invalid[i].message);
    }
    assert_null(recorded(call));

    /* Malformed requests. */
    r = post_answers(rep, call, "{'answers': {'question': 'interest'}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "answers"));
    r = post_answers(rep, call, "{'answers': ['interest']}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    assert_non_null(error_of(r, "answers.0"));
    r = post_answers(rep, call, "{'answers': [{'answer': 'Very'}]}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "answers.0.question", "must be a question id");
    r = post_answers(rep, call, "{'question': 7, 'answer': 'Very'}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "question", "must be a question id");
    r = post_answers(rep, call, "{}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "answers", "is required (or restart: true)");
    r = post_answers(rep, call, "{'question': 'interest', 'answer': 'Very', 'answers': []}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    r = post_answers(rep, call, "{'restart': 'yes', 'question': 'interest', 'answer': 'Very'}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "restart", "must be true or false");
    r = post_answers(rep, call, "{'question': 'interest', 'answer': 'Very', 'note': 1}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    expect_error(r, "note", "is not a known member");
    r = post_answers(rep, call, "{'answers': [{'question': 'interest', 'value': 'Very'}]}");
    RP_IT_EXPECT_PROBLEM(r, 400, "unknown_field");
    expect_error(r, "answers.0.value", "is not a known member");
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", answers_path(call), rep, "{\"question\":"), 400, NULL);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", answers_path(call), rep, "[1]"), 400, NULL);
    char deep[200] = "{\"question\": \"interest\", \"answer\": ";
    size_t len = strlen(deep);
    for (int i = 0; i < 40; i++)
        deep[len++] = '[';
    for (int i = 0; i < 40; i++)
        deep[len++] = ']';
    memcpy(deep + len, "}", 2);
    RP_IT_EXPECT_PROBLEM(rp_it_send("POST", answers_path(call), rep, deep), 400, "malformed_json");
    assert_null(recorded(call));

    /* And after all that, a good answer still starts at the start. */
    rp_it_resp_t *ok = answer_ok(rep, call, "{'question': 'interest', 'answer': 'Very'}");
    assert_string_equal(next_id(ok), "budget");
}

static void complete_and_restart(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *script = create_script("Restart: qualification", QUALIFY);
    const char *call = create_call(rep, script);
    /* "Not at all" ends the script at once. */
    rp_it_resp_t *r = answer_ok(rep, call, "{'question': 'interest', 'answer': 'Not at all'}");
    assert_true(json_is_true(json_object_get(r->json, "complete")));
    r = post_answers(rep, call, "{'question': 'budget', 'answer': 1}");
    RP_IT_EXPECT_PROBLEM(r, 409, "script_complete");
    r = post_answers(rep, call, "{'question': 'interest', 'answer': 'Very'}");
    RP_IT_EXPECT_PROBLEM(r, 409, "script_complete");
    /* A restart clears the answers and takes new ones at once. */
    r = answer_ok(rep, call,
                  "{'restart': true, 'answers': [{'question': 'interest', 'answer': 'Very'},"
                  " {'question': 'budget', 'answer': 12.5}]}");
    assert_int_equal(answer_count(r), 2);
    assert_string_equal(next_id(r), "decision");
    assert_true(json_real_value(json_object_get(answer_at(r, 1), "answer")) == 12.5);
    /* A restart alone goes back to the first question. */
    r = answer_ok(rep, call, "{'restart': true}");
    assert_int_equal(answer_count(r), 0);
    assert_string_equal(next_id(r), "interest");
    assert_false(json_is_true(json_object_get(r->json, "complete")));
    json_t *st = recorded(call);
    assert_int_equal(json_array_size(json_object_get(st, "answers")), 0);
    assert_string_equal(json_string_value(json_object_get(st, "next")), "interest");
    /* A wrong restart request changes nothing. */
    answer_ok(rep, call, "{'question': 'interest', 'answer': 'Very'}");
    r = post_answers(rep, call, "{'restart': true, 'question': 'budget', 'answer': 1}");
    RP_IT_EXPECT_PROBLEM(r, 422, "wrong_question");
    assert_int_equal(json_array_size(json_object_get(recorded(call), "answers")), 1);
}

static void scripts_on_calls(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *boss = token("acme", "boss");
    const char *qualify = create_script("Switch: qualification", QUALIFY);
    const char *survey = create_script("Switch: survey", SURVEY);

    /* A call without a script needs call_script_id. */
    const char *call = create_call(rep, NULL);
    rp_it_resp_t *r = rp_it_get(answers_path(call), rep);
    RP_IT_EXPECT_STATUS(r, 200);
    assert_true(json_is_null(json_object_get(r->json, "script_id")));
    assert_true(json_is_null(json_object_get(r->json, "next_question")));
    r = post_answers(rep, call, "{'question': 's1', 'answer': 'yes'}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "call_script_id", "is required: the call has no script yet");
    r = post_answers(
        rep, call,
        rp_it_fmt("{'call_script_id': '%s', 'question': 's1', 'answer': 'YES'}", survey));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 0), "answer")), "yes");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(rp_it_get(rp_it_fmt("/api/v1/records/call/%s", call), rep)->json,
                            "fields"),
            "call_script_id")),
        survey);
    /* Another script while this one runs: refused unless restarted. */
    r = post_answers(rep, call,
                     rp_it_fmt("{'call_script_id': '%s', 'question': 'interest', "
                               "'answer': 'Very'}",
                               qualify));
    RP_IT_EXPECT_PROBLEM(r, 409, "script_conflict");
    r = post_answers(rep, call,
                     rp_it_fmt("{'call_script_id': '%s', 'restart': true, "
                               "'question': 'interest', 'answer': 'Very'}",
                               qualify));
    RP_IT_EXPECT_STATUS(r, 200);
    assert_string_equal(rp_it_jstr(r, "script_id"), qualify);
    assert_int_equal(answer_count(r), 1);
    /* Naming the running script is fine. */
    r = post_answers(
        rep, call,
        rp_it_fmt("{'call_script_id': '%s', 'question': 'budget', 'answer': 3}", qualify));
    RP_IT_EXPECT_STATUS(r, 200);
    /* The call's script changed by hand after answers: say so. */
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", rp_it_fmt("/api/v1/records/call/%s", call), rep,
                                   rp_it_fmt("{\"fields\":{\"call_script_id\":\"%s\"}}", survey)),
                        200);
    r = post_answers(rep, call, "{'question': 'decision', 'answer': true}");
    RP_IT_EXPECT_PROBLEM(r, 409, "script_conflict");

    /* Unknown scripts. */
    const char *call2 = create_call(rep, NULL);
    r = post_answers(rep, call2,
                     "{'call_script_id': '01890000-0000-7000-8000-000000000000', "
                     "'question': 's1', 'answer': true}");
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    r = post_answers(rep, call2, "{'call_script_id': 'not-an-id', 'question': 's1'}");
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    r = post_answers(rep, call2, "{'call_script_id': 12, 'question': 's1'}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "call_script_id", "must be the id of a call script");

    /* An inactive script cannot be started; a run already going may
     * finish. */
    const char *running = create_call(rep, survey);
    answer_ok(rep, running, "{'question': 's1', 'answer': true}");
    RP_IT_EXPECT_STATUS(rp_it_send("PATCH", rp_it_fmt("/api/v1/records/call_script/%s", survey),
                                   boss, "{\"fields\":{\"active\":false}}"),
                        200);
    const char *fresh = create_call(rep, survey);
    r = post_answers(rep, fresh, "{'question': 's1', 'answer': true}");
    RP_IT_EXPECT_PROBLEM(r, 409, "script_inactive");
    assert_null(recorded(fresh));
    r = answer_ok(rep, running, "{'question': 's2', 'answer': 'All good'}");
    assert_true(json_is_true(json_object_get(r->json, "complete")));

    /* A script edited mid-run: recorded answers stay; the run goes on from
     * its next question, and stops when that question is gone. */
    const char *edited = create_script("Edited survey", SURVEY);
    const char *mid = create_call(rep, edited);
    answer_ok(rep, mid, "{'question': 's1', 'answer': false}");
    json_t *patch = json_pack("{s:{s:s}}", "fields", "tree",
                              dq("{'start': 's1', 'questions': {"
                                 " 's1': {'text': 'Are you happy with us?', 'type': 'yes_no',"
                                 "  'next': 's2'},"
                                 " 's2': {'text': 'What could we do better?', 'type': 'text'}}}"));
    RP_IT_EXPECT_STATUS(
        rp_it_sendj("PATCH", rp_it_fmt("/api/v1/records/call_script/%s", edited), boss, patch),
        200);
    r = answer_ok(rep, mid, "{'question': 's2', 'answer': 'Faster delivery'}");
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 0), "text")),
                        "Happy with us?");
    assert_string_equal(json_string_value(json_object_get(answer_at(r, 1), "text")),
                        "What could we do better?");
    const char *mid2 = create_call(rep, edited);
    answer_ok(rep, mid2, "{'question': 's1', 'answer': false}");
    patch = json_pack("{s:{s:s}}", "fields", "tree",
                      dq("{'start': 's1', 'questions': {'s1': {'text': 'Happy?', "
                         "'type': 'yes_no'}}}"));
    RP_IT_EXPECT_STATUS(
        rp_it_sendj("PATCH", rp_it_fmt("/api/v1/records/call_script/%s", edited), boss, patch),
        200);
    r = post_answers(rep, mid2, "{'question': 's2', 'answer': 'x'}");
    RP_IT_EXPECT_PROBLEM(r, 409, "script_changed");
    answer_ok(rep, mid2, "{'restart': true, 'question': 's1', 'answer': true}");

    /* A deleted script: the call's reference is cleared, the answers stay,
     * and the run cannot go on. */
    const char *gone = create_script("Deleted survey", SURVEY);
    const char *orphan = create_call(rep, gone);
    answer_ok(rep, orphan, "{'question': 's1', 'answer': true}");
    RP_IT_EXPECT_STATUS(
        rp_it_send("DELETE", rp_it_fmt("/api/v1/records/call_script/%s", gone), boss, NULL), 204);
    assert_int_equal(json_array_size(json_object_get(recorded(orphan), "answers")), 1);
    r = post_answers(rep, orphan, "{'question': 's2', 'answer': 'x'}");
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
}

static void tenants_and_rights(void **state)
{
    (void)state;
    const char *rep = token("acme", "rep");
    const char *script = create_script("Rights: survey", SURVEY);
    const char *call = create_call(rep, script);

    /* Another tenant: the call and the script do not exist for it. */
    const char *other = token("other", "admin");
    RP_IT_EXPECT_PROBLEM(post_answers(other, call, "{'question': 's1', 'answer': true}"), 404,
                         "not_found");
    RP_IT_EXPECT_PROBLEM(rp_it_get(answers_path(call), other), 404, "not_found");
    const char *their_call = create_call(token("other", "rep"), NULL);
    rp_it_resp_t *r = post_answers(
        token("other", "rep"), their_call,
        rp_it_fmt("{'call_script_id': '%s', 'question': 's1', 'answer': true}", script));
    RP_IT_EXPECT_PROBLEM(r, 404, "not_found");
    RP_IT_EXPECT_PROBLEM(post_answers(rep, their_call, "{'question': 's1', 'answer': true}"), 404,
                         "not_found");
    /* A call that does not exist, and a malformed id. */
    RP_IT_EXPECT_PROBLEM(post_answers(rep, "01890000-0000-7000-8000-000000000001",
                                      "{'question': 's1', 'answer': true}"),
                         404, "not_found");
    RP_IT_EXPECT_PROBLEM(post_answers(rep, "nope", "{'question': 's1', 'answer': true}"), 404,
                         "not_found");

    /* A readonly user reads where the call stands but records nothing. */
    const char *viewer = token("acme", "viewer");
    RP_IT_EXPECT_STATUS(rp_it_get(answers_path(call), viewer), 200);
    RP_IT_EXPECT_PROBLEM(post_answers(viewer, call, "{'question': 's1', 'answer': true}"), 403,
                         "forbidden");
    /* Another rep may read the call but not change it (users change their
     * own calls); a manager may. */
    RP_IT_EXPECT_PROBLEM(
        post_answers(token("acme", "rep2"), call, "{'question': 's1', 'answer': true}"), 403,
        "forbidden");
    assert_null(recorded(call));
    r = answer_ok(token("acme", "boss"), call, "{'question': 's1', 'answer': true}");
    assert_int_equal(answer_count(r), 1);
    /* The answers are the module's to write: not through the records API. */
    r = rp_it_send("PATCH", rp_it_fmt("/api/v1/records/call/%s", call), rep,
                   "{\"fields\":{\"script_answers\":\"{}\"}}");
    RP_IT_EXPECT_PROBLEM(r, 422, "validation_failed");
    expect_error(r, "script_answers", "is read-only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RP_IT_TEST(tree_validation),
        RP_IT_TEST(full_run_through_branches),
        RP_IT_TEST(wrong_order_and_invalid_answers),
        RP_IT_TEST(complete_and_restart),
        RP_IT_TEST(scripts_on_calls),
        RP_IT_TEST(tenants_and_rights),
    };
    RP_IT_RUN("sales_call_scripts", tests, setup, teardown);
}
