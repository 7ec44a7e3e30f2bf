/* Call script trees (modules/sales/script_tree*.c): the strict JSON reader
 * (script_tree_json.c), every check of a tree with its exact message and
 * the limits (script_tree.c), and walking a branching script answer by
 * answer with each type's answer checks (script_tree_walk.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_tree.h"

/* Test texts are written with ' for " to stay readable; none of them needs
 * an apostrophe. */
static char *dq(const char *s)
{
    char *out = strdup(s);
    assert_non_null(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static sales_script_t *parse_ok(const char *tree)
{
    char *text = dq(tree);
    char err[SALES_SCRIPT_ERR_MAX] = "";
    sales_script_t *s = NULL;
    rp_mstatus_t st = sales_script_parse(text, strlen(text), &s, err, sizeof err);
    if (st != RP_M_OK)
        fail_msg("expected a valid tree, got: %s\n%s", err, text);
    free(text);
    return s;
}

static void parse_err(const char *tree, const char *want)
{
    char *text = dq(tree);
    char err[SALES_SCRIPT_ERR_MAX] = "";
    sales_script_t *s = NULL;
    rp_mstatus_t st = sales_script_parse(text, strlen(text), &s, err, sizeof err);
    if (st != RP_M_EINVAL || strcmp(err, want) != 0)
        fail_msg("tree %s\n  want: %s\n  got (%d): %s", text, want, st, err);
    assert_null(s);
    free(text);
}

/* ---- the JSON reader ---------------------------------------------------- */

static void json_err(const char *text, const char *want)
{
    sales_jv_t *v = NULL;
    char err[SALES_SCRIPT_ERR_MAX] = "";
    rp_mstatus_t st = sales_json_read(text, strlen(text), &v, err, sizeof err);
    if (st != RP_M_EINVAL || strcmp(err, want) != 0)
        fail_msg("json %s\n  want: %s\n  got (%d): %s", text, want, st, err);
    assert_null(v);
}

static void json_reader(void **state)
{
    (void)state;
    const char *text = "{\"a\": [1, -2.5e1, true, false, null, \"x\\u00e9\\ud83d\\ude00\\n\"],"
                       " \"a\": {}, \"b\": \"caf\xc3\xa9\"}";
    sales_jv_t *v = NULL;
    char err[SALES_SCRIPT_ERR_MAX];
    assert_int_equal(sales_json_read(text, strlen(text), &v, err, sizeof err), RP_M_OK);
    assert_int_equal(v->kind, SALES_J_OBJECT);
    assert_int_equal(v->count, 3); /* duplicates are kept for the checks to name */
    const sales_jv_t *a = sales_json_member(v, "a");
    assert_int_equal(a->kind, SALES_J_ARRAY);
    assert_int_equal(a->count, 6);
    assert_true(a->items[0]->n == 1.0);
    assert_true(a->items[1]->n == -25.0);
    assert_true(a->items[2]->b);
    assert_false(a->items[3]->b);
    assert_int_equal(a->items[4]->kind, SALES_J_NULL);
    assert_string_equal(a->items[5]->s, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    assert_string_equal(sales_json_member(v, "b")->s, "caf\xc3\xa9");
    assert_null(sales_json_member(v, "c"));
    assert_null(sales_json_member(a, "a"));
    sales_json_free(v);

    json_err("", "unexpected end of text at line 1, column 1");
    json_err("{\"a\": 1,\n \"b\" 2}", "expected ':' at line 2, column 6");
    json_err("{\"a\": \"open", "unterminated string at line 1, column 7");
    json_err("[1, 2", "unexpected end of text at line 1, column 6");
    json_err("{\"a\": 1", "unexpected end of text at line 1, column 8");
    json_err("{", "unexpected end of text at line 1, column 2");
    json_err("[01]", "expected ',' or ']' at line 1, column 3");
    json_err("[1.]", "invalid number at line 1, column 2");
    json_err("{} x", "unexpected text after the document at line 1, column 4");
    json_err("{'a': 1}", "expected a member name at line 1, column 2");
    json_err("[tru]", "unexpected character 't' at line 1, column 2");
    json_err("\"\\x\"", "invalid escape in a string at line 1, column 2");
    json_err("\"\\u0000\"", "\\u0000 in a string at line 1, column 2");
    json_err("\"\\ud800\"", "unpaired surrogate in a string at line 1, column 2");
    json_err("\"\\udc00\"", "unpaired surrogate in a string at line 1, column 2");
    json_err("\"a\tb\"", "control character in a string at line 1, column 3");
    json_err("\"\xc3\x28\"", "invalid UTF-8 in a string at line 1, column 2");
    json_err("\"\xed\xa0\x80\"", "invalid UTF-8 in a string at line 1, column 2");
    json_err("\"\xc0\xaf\"", "invalid UTF-8 in a string at line 1, column 2");
    json_err("[1e999]", "number out of range at line 1, column 2");
    char deep[80];
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    deep[66] = '\0';
    json_err(deep, "nesting deeper than 32 levels at line 1, column 33");
    deep[0] = ' ';
    deep[65] = ' ';
    assert_int_equal(sales_json_read(deep, strlen(deep), &v, err, sizeof err), RP_M_OK);
    sales_json_free(v);
}

/* ---- checking trees ----------------------------------------------------- */

/* A qualification script: choice, yes_no, number, date and text, with
 * branches that join again. */
static const char *QUALIFY =
    "{'start': 'interest', 'questions': {"
    " 'interest': {'text': 'How interested are you?', 'type': 'choice',"
    "   'options': ['Very', 'Somewhat', 'Not at all'], 'required': true,"
    "   'help': 'Read the options aloud',"
    "   'next': {'Very': 'budget', 'Somewhat': 'callback', 'Not at all': null}},"
    " 'budget': {'text': 'What is your budget?', 'type': 'number', 'min': 0, 'max': 1000000,"
    "   'required': true, 'next': 'decision'},"
    " 'decision': {'text': 'Are you the decision maker?', 'type': 'yes_no', 'required': true,"
    "   'next': {'yes': 'when', '*': 'who'}},"
    " 'who': {'text': 'Who decides?', 'type': 'text', 'next': 'when'},"
    " 'when': {'text': 'When do you decide?', 'type': 'date', 'next': null},"
    " 'callback': {'text': 'When shall we call back?', 'type': 'date', 'required': true}}}";

static void valid_tree(void **state)
{
    (void)state;
    sales_script_t *s = parse_ok(QUALIFY);
    assert_int_equal(s->count, 6);
    assert_string_equal(s->questions[s->start].id, "interest");
    const sales_question_t *q = &s->questions[0];
    assert_int_equal(q->type, SALES_Q_CHOICE);
    assert_true(q->required);
    assert_int_equal(q->noptions, 3);
    assert_string_equal(q->options[2], "Not at all");
    assert_string_equal(q->help, "Read the options aloud");
    assert_true(q->branched);
    assert_int_equal(q->nbranches, 3);
    assert_int_equal(q->branches[0].target, sales_script_find(s, "budget"));
    assert_int_equal(q->branches[2].target, -1);
    const sales_question_t *b = &s->questions[sales_script_find(s, "budget")];
    assert_true(b->has_min && b->has_max);
    assert_true(b->max == 1000000.0);
    assert_false(b->branched);
    assert_int_equal(b->next, sales_script_find(s, "decision"));
    const sales_question_t *w = &s->questions[sales_script_find(s, "who")];
    assert_false(w->required);
    assert_null(w->help);
    assert_int_equal(s->questions[sales_script_find(s, "callback")].next, -1);
    assert_int_equal(sales_script_find(s, "nope"), -1);
    assert_int_equal(sales_script_find(s, NULL), -1);
    assert_string_equal(sales_script_type_name(SALES_Q_YES_NO), "yes_no");
    sales_script_free(s);
    sales_script_free(NULL);
    /* One question is a script; so is a diamond (two paths to one end). */
    sales_script_free(parse_ok("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': "
                               "'text'}}}"));
    sales_script_free(parse_ok(
        "{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', 'required': true,"
        " 'next': {'yes': 'b', 'no': 'c'}}, 'b': {'text': 'B', 'type': 'text', 'next': 'd'},"
        " 'c': {'text': 'C', 'type': 'text', 'next': 'd'}, 'd': {'text': 'D', 'type': 'date'}}}"));
}

static void tree_errors(void **state)
{
    (void)state;
    parse_err("[1]", "must be a JSON object with start and questions");
    parse_err("{'start': 'a' 'questions'",
              "not valid JSON: expected ',' or '}' at line 1, column 15");
    parse_err("{'start': 'a'", "not valid JSON: unexpected end of text at line 1, column 14");
    parse_err("{'questions': {}}", "start: is required");
    parse_err("{'start': 1, 'questions': {}}", "start: must be a question id");
    parse_err("{'start': 'a'}", "questions: is required");
    parse_err("{'start': 'a', 'questions': []}", "questions: must be an object of questions by id");
    parse_err("{'start': 'a', 'questions': {}}", "questions: must hold at least one question");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text'}}, 'title': 'x'}",
              "title: unknown member");
    parse_err("{'start': 'a', 'start': 'a', 'questions': {}}", "start: given twice");
    parse_err("{'start': 'x', 'questions': {'a': {'text': 'A', 'type': 'text'}}}",
              "start: no question x");
    parse_err("{'start': 'a', 'questions': {'a b': {'text': 'A', 'type': 'text'}}}",
              "questions: \"a b\" is not a question id (1 to 64 letters, digits, '_' or '-')");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text'},"
              " 'a': {'text': 'B', 'type': 'text'}}}",
              "questions.a: given twice");
    parse_err("{'start': 'a', 'questions': {'a': 'A'}}", "questions.a: must be an object");
    parse_err("{'start': 'a', 'questions': {'a': {'type': 'text'}}}",
              "questions.a.text: is required");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 3, 'type': 'text'}}}",
              "questions.a.text: must be a string");
    parse_err("{'start': 'a', 'questions': {'a': {'text': '  ', 'type': 'text'}}}",
              "questions.a.text: must not be empty");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'help': ''}}}",
              "questions.a.help: must not be empty");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A'}}}", "questions.a.type: is required");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'radio'}}}",
              "questions.a.type: must be one of choice, yes_no, text, number, date");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'colour': 1}}}",
              "questions.a.colour: unknown member");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'text': 'B'}}}",
              "questions.a.text: given twice");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'required': 1}}}",
              "questions.a.required: must be true or false");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice'}}}",
              "questions.a.options: is required for a choice question");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'options': "
              "['x']}}}",
              "questions.a.options: only a choice question has options");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
              "[]}}}",
              "questions.a.options: must be an array of 1 to 50 options");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
              "['x', ' ']}}}",
              "questions.a.options.1: must be a non-empty string of at most 200 characters");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
              "['x', 2]}}}",
              "questions.a.options.1: must be a non-empty string of at most 200 characters");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
              "['x', 'y', 'x']}}}",
              "questions.a.options.2: repeats \"x\"");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
              "['*']}}}",
              "questions.a.options.0: \"*\" is kept for the branch taken by any other answer");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'min': 1}}}",
              "questions.a.min: only a number question has min");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'number', 'max': '9'}}}",
              "questions.a.max: must be a number");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'number', 'min': 5, "
              "'max': 4}}}",
              "questions.a.max: must not be below min");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'next': 3}}}",
              "questions.a.next: must be a question id, an object of branches or null");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'next': 'b'}}}",
              "questions.a.next: no question b");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', "
              "'next': {'*': null}}}}",
              "questions.a.next: only choice and yes_no questions branch on the answer");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', 'next': {}}}}",
              "questions.a.next: an object of branches must not be empty");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', "
              "'next': {'maybe': null}}}}",
              "questions.a.next.maybe: a yes_no question branches on yes or no");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', "
              "'options': ['x'], 'next': {'y': null}}}}",
              "questions.a.next.y: not an option of this question");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', "
              "'required': true, 'next': {'yes': null, 'yes': null}}}}",
              "questions.a.next.yes: given twice");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', "
              "'required': true, 'next': {'yes': 1, 'no': null}}}}",
              "questions.a.next.yes: must be a question id or null");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', "
              "'required': true, 'next': {'yes': null}}}}",
              "questions.a.next: no branch for no and no \"*\" branch");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', "
              "'required': true, 'options': ['x', 'y'], 'next': {'x': null}}}}",
              "questions.a.next: no branch for option \"y\" and no \"*\" branch");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'yes_no', "
              "'next': {'yes': null, 'no': null}}}}",
              "questions.a.next: an optional question needs a \"*\" branch for when it is "
              "skipped");
    parse_err("{'start': 'q1', 'questions': {'q1': {'text': 'A', 'type': 'yes_no', "
              "'required': true, 'next': {'yes': null, 'no': 'q3'}},"
              " 'q3': {'text': 'C', 'type': 'yes_no', 'required': true,"
              "  'next': {'yes': 'q9', 'no': null}}}}",
              "questions.q3.next.yes: no question q9");
    /* Scripts always end: no cycles, not even through a branch. */
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'next': 'a'}}}",
              "questions.a.next: leads back to a, so the script would never end");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'next': 'b'},"
              " 'b': {'text': 'B', 'type': 'text', 'next': 'c'},"
              " 'c': {'text': 'C', 'type': 'text', 'next': 'a'}}}",
              "questions.c.next: leads back to a, so the script would never end");
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text', 'next': 'b'},"
              " 'b': {'text': 'B', 'type': 'yes_no', 'next': {'yes': null, '*': 'a'}}}}",
              "questions.b.next.*: leads back to a, so the script would never end");
    /* ... and every question can be reached. */
    parse_err("{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'text'},"
              " 'b': {'text': 'B', 'type': 'text', 'next': 'a'}}}",
              "questions.b: cannot be reached from the start question a");
}

static void limits(void **state)
{
    (void)state;
    /* 200 questions in a chain: the longest script there is. */
    size_t cap = 64 * 1024;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "{'start': 'q0', 'questions': {");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(t + n, cap - n, "%s'q%d': {'text': 'Q', 'type': 'text', 'next': %s}",
                              i ? ", " : "", i, i < 199 ? "'q__'" : "null");
    snprintf(t + n, cap - n, "}}");
    /* Fill the next ids in (q__ placeholders, in order). */
    char *text = malloc(cap * 2);
    size_t o = 0;
    int k = 1;
    for (const char *p = t; *p; p++) {
        if (strncmp(p, "q__", 3) == 0) {
            o += (size_t)sprintf(text + o, "q%d", k++);
            p += 2;
        } else {
            text[o++] = *p;
        }
    }
    text[o] = '\0';
    sales_script_t *s = parse_ok(text);
    assert_int_equal(s->count, 200);
    sales_script_free(s);
    /* One more is refused. */
    char *more = malloc(cap * 2);
    snprintf(more, cap * 2, "%.*s, 'extra': {'text': 'E', 'type': 'text'}}}", (int)(o - 2), text);
    parse_err(more, "questions: at most 200 questions (there are 201)");
    free(more);
    free(text);
    free(t);

    char id[80], tree[4096], want[512];
    memset(id, 'x', 65);
    id[65] = '\0';
    snprintf(tree, sizeof tree,
             "{'start': '%s', 'questions': {'%s': {'text': 'A', 'type': "
             "'text'}}}",
             id, id);
    snprintf(want, sizeof want,
             "questions: \"%.40s...\" is not a question id (1 to 64 letters, digits, '_' or '-')",
             id);
    parse_err(tree, want);
    id[64] = '\0';
    snprintf(tree, sizeof tree,
             "{'start': '%s', 'questions': {'%s': {'text': 'A', 'type': "
             "'text'}}}",
             id, id);
    sales_script_free(parse_ok(tree));

    /* 1000 characters of text (two bytes each here) pass, 1001 do not. */
    char *long_text = malloc(2 * 1001 + 1);
    for (int i = 0; i < 1001; i++)
        memcpy(long_text + 2 * i, "\xc3\xa9", 2);
    long_text[2 * 1000] = '\0';
    char *big = malloc(4096);
    snprintf(big, 4096, "{'start': 'a', 'questions': {'a': {'text': '%s', 'type': 'text'}}}",
             long_text);
    sales_script_free(parse_ok(big));
    long_text[2 * 1001] = '\0';
    memcpy(long_text + 2 * 1000, "\xc3\xa9", 2);
    snprintf(big, 4096, "{'start': 'a', 'questions': {'a': {'text': '%s', 'type': 'text'}}}",
             long_text);
    parse_err(big, "questions.a.text: at most 1000 characters");
    free(big);
    free(long_text);

    /* 50 options pass, 51 do not. */
    char opts[2048];
    size_t m = 0;
    for (int i = 0; i < 51; i++)
        m += (size_t)snprintf(opts + m, sizeof opts - m, "%s'o%d'", i ? ", " : "", i);
    snprintf(tree, sizeof tree,
             "{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
             "[%s]}}}",
             opts);
    parse_err(tree, "questions.a.options: must be an array of 1 to 50 options");
    *strrchr(opts, ',') = '\0';
    snprintf(tree, sizeof tree,
             "{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
             "[%s]}}}",
             opts);
    sales_script_free(parse_ok(tree));
}

/* A message quoting long user text is cut short, never inside a UTF-8
 * character. */
static void messages_stay_utf8(void **state)
{
    (void)state;
    char opt[256] = "";
    for (int i = 0; i < 30; i++)
        strcat(opt, "\xc3\xa9\xc3\xa8"); /* 60 characters, 120 bytes */
    char tree[1024], want[512];
    snprintf(tree, sizeof tree,
             "{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
             "['%s', '%s']}}}",
             opt, opt);
    /* 40 bytes: 20 characters, then "...". */
    snprintf(want, sizeof want, "questions.a.options.1: repeats \"%.40s...\"", opt);
    parse_err(tree, want);
    snprintf(tree, sizeof tree,
             "{'start': 'a', 'questions': {'a': {'text': 'A', 'type': 'choice', 'options': "
             "['%s', 'b%s'], 'next': {'%s': null}, 'required': true}}}",
             opt, opt, opt);
    snprintf(want, sizeof want,
             "questions.a.next: no branch for option \"b%.38s...\" and no \"*\" branch", opt);
    parse_err(tree, want);
}

/* ---- walking ------------------------------------------------------------ */

static sales_answer_t str(const char *s)
{
    return (sales_answer_t){.kind = SALES_A_STRING, .s = s};
}

static sales_answer_t num(double n)
{
    return (sales_answer_t){.kind = SALES_A_NUMBER, .n = n};
}

static sales_answer_t boolean(bool b)
{
    return (sales_answer_t){.kind = SALES_A_BOOL, .b = b};
}

static const sales_answer_t NONE = {.kind = SALES_A_NONE};

/* Answers question id of s; returns the next question's id ("" at the
 * end) and leaves the recorded answer in *rec. */
static const char *answer(const sales_script_t *s, const char *id, sales_answer_t in,
                          sales_answer_t *rec)
{
    int next = -2;
    char err[SALES_SCRIPT_ERR_MAX] = "";
    sales_answer_t out;
    rp_mstatus_t st =
        sales_script_answer(s, sales_script_find(s, id), &in, &out, &next, err, sizeof err);
    if (st != RP_M_OK)
        fail_msg("answer to %s refused: %s", id, err);
    if (rec)
        *rec = out;
    return next < 0 ? "" : s->questions[next].id;
}

static void refused(const sales_script_t *s, const char *id, sales_answer_t in, const char *want)
{
    int next = -2;
    char err[SALES_SCRIPT_ERR_MAX] = "";
    sales_answer_t out;
    rp_mstatus_t st =
        sales_script_answer(s, sales_script_find(s, id), &in, &out, &next, err, sizeof err);
    if (st != RP_M_EINVAL || strcmp(err, want) != 0)
        fail_msg("answer to %s\n  want: %s\n  got (%d): %s", id, want, st, err);
}

static void walk_branching_script(void **state)
{
    (void)state;
    sales_script_t *s = parse_ok(QUALIFY);
    sales_answer_t rec;
    /* Very → budget → decision (no) → who → when → end. */
    assert_string_equal(answer(s, "interest", str("Very"), &rec), "budget");
    assert_string_equal(rec.s, "Very");
    assert_string_equal(answer(s, "budget", num(25000), &rec), "decision");
    assert_int_equal(rec.kind, SALES_A_NUMBER);
    assert_true(rec.n == 25000.0);
    assert_string_equal(answer(s, "decision", boolean(false), &rec), "who");
    assert_string_equal(rec.s, "no");
    assert_string_equal(answer(s, "who", str("The CFO"), &rec), "when");
    assert_string_equal(answer(s, "when", str("2026-03-31"), &rec), "");
    assert_string_equal(rec.s, "2026-03-31");
    /* The other branches. */
    assert_string_equal(answer(s, "decision", str("YES"), &rec), "when");
    assert_string_equal(rec.s, "yes");
    assert_string_equal(answer(s, "interest", str("somewhat"), &rec), "callback");
    assert_string_equal(rec.s, "Somewhat");
    assert_string_equal(answer(s, "interest", str("Not at all"), &rec), "");
    assert_string_equal(answer(s, "callback", str("2028-02-29"), NULL), "");
    /* Optional questions may be skipped (null or blank). */
    assert_string_equal(answer(s, "who", NONE, &rec), "when");
    assert_int_equal(rec.kind, SALES_A_NONE);
    assert_string_equal(answer(s, "when", str("  "), &rec), "");
    assert_int_equal(rec.kind, SALES_A_NONE);
    sales_script_free(s);
}

static void answer_checks(void **state)
{
    (void)state;
    sales_script_t *s = parse_ok(QUALIFY);
    refused(s, "interest", str("Maybe"), "must be one of: Very, Somewhat, Not at all");
    refused(s, "interest", num(1), "must be one of: Very, Somewhat, Not at all");
    refused(s, "interest", NONE, "is required");
    refused(s, "interest", str(" "), "is required");
    refused(s, "budget", str("lots"), "must be a number");
    refused(s, "budget", str("0x10"), "must be a number");
    refused(s, "budget", str("nan"), "must be a number");
    refused(s, "budget", str("12abc"), "must be a number");
    refused(s, "budget", boolean(true), "must be a number");
    refused(s, "budget", num(-1), "must be at least 0");
    refused(s, "budget", num(1000000.5), "must be at most 1000000");
    sales_answer_t rec;
    assert_string_equal(answer(s, "budget", str(" 1250.75 "), &rec), "decision");
    assert_true(rec.n == 1250.75);
    assert_string_equal(answer(s, "budget", str("1e3"), &rec), "decision");
    assert_true(rec.n == 1000.0);
    assert_string_equal(answer(s, "budget", num(1000000), &rec), "decision");
    refused(s, "decision", str("maybe"), "must be yes or no (or true or false)");
    refused(s, "decision", num(1), "must be yes or no (or true or false)");
    assert_string_equal(answer(s, "decision", boolean(true), &rec), "when");
    assert_string_equal(rec.s, "yes");
    refused(s, "when", str("2025-02-29"), "must be a date written YYYY-MM-DD");
    refused(s, "when", str("2025-13-01"), "must be a date written YYYY-MM-DD");
    refused(s, "when", str("25-01-01"), "must be a date written YYYY-MM-DD");
    refused(s, "when", str("2025-01-01T10:00:00Z"), "must be a date written YYYY-MM-DD");
    refused(s, "when", num(20250101), "must be a date written YYYY-MM-DD");
    refused(s, "who", num(3), "must be text");
    refused(s, "who", (sales_answer_t){.kind = SALES_A_OTHER}, "must be text");
    char *long_answer = malloc(2002);
    memset(long_answer, 'a', 2001);
    long_answer[2001] = '\0';
    refused(s, "who", str(long_answer), "at most 2000 characters");
    long_answer[2000] = '\0';
    assert_string_equal(answer(s, "who", str(long_answer), NULL), "when");
    free(long_answer);
    /* A question that does not exist. */
    sales_answer_t in = str("x"), out;
    int next;
    char err[SALES_SCRIPT_ERR_MAX];
    assert_int_equal(sales_script_answer(s, 99, &in, &out, &next, err, sizeof err), RP_M_EINVAL);
    assert_int_equal(sales_script_answer(s, -1, &in, &out, &next, err, sizeof err), RP_M_EINVAL);
    sales_script_free(s);

    assert_true(sales_script_date_valid("2000-02-29"));
    assert_false(sales_script_date_valid("1900-02-29"));
    assert_true(sales_script_date_valid("0001-01-01"));
    assert_false(sales_script_date_valid("0000-01-01"));
    assert_false(sales_script_date_valid("2024-04-31"));
    assert_false(sales_script_date_valid(NULL));
}

/* A "*" branch takes the answers not named, and a skipped optional
 * question. */
static void default_branch(void **state)
{
    (void)state;
    sales_script_t *s = parse_ok(
        "{'start': 'src', 'questions': {'src': {'text': 'How did you hear of us?', 'type': "
        "'choice', 'options': ['Web', 'Friend', 'Fair', 'Other'], "
        "'next': {'Friend': 'who', '*': 'end'}},"
        " 'who': {'text': 'Who?', 'type': 'text', 'next': 'end'},"
        " 'end': {'text': 'Thanks', 'type': 'text', 'next': null}}}");
    assert_string_equal(answer(s, "src", str("Friend"), NULL), "who");
    assert_string_equal(answer(s, "src", str("Fair"), NULL), "end");
    assert_string_equal(answer(s, "src", NONE, NULL), "end");
    sales_script_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(json_reader),        cmocka_unit_test(valid_tree),
        cmocka_unit_test(tree_errors),        cmocka_unit_test(limits),
        cmocka_unit_test(messages_stay_utf8), cmocka_unit_test(walk_branching_script),
        cmocka_unit_test(answer_checks),      cmocka_unit_test(default_branch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
