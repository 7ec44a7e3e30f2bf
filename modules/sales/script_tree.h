#ifndef SALES_SCRIPT_TREE_H
#define SALES_SCRIPT_TREE_H

/* Telesales call scripts, the pure part: reading a script's tree (JSON
 * text, script_tree_json.c), checking it (script_tree.c), and walking it
 * one answer at a time (script_tree_walk.c). Nothing here calls the host,
 * so all of it is unit-tested on its own
 * (tests/unit/test_sales_script_tree.c); call_scripts.c and
 * call_script_answers.c connect it to records and requests.
 *
 * The tree format is documented in modules/sales/README.md ("Call
 * scripts"). */

#include <stdbool.h>
#include <stddef.h>

#include "rapport/module.h"
#include "script_tree_json.h"

/* At most this many questions in one script: a path through it is then at
 * most this many answers long. */
#define SALES_SCRIPT_MAX_QUESTIONS 200

/* At most this many options in a choice question. */
#define SALES_SCRIPT_MAX_OPTIONS 50

/* Question ids: 1 to this many letters, digits, '_' or '-'. */
#define SALES_SCRIPT_ID_MAX 64

/* Lengths in characters (code points) of a question's text, its help for
 * the agent, one option, and a text answer. */
#define SALES_SCRIPT_TEXT_MAX 1000
#define SALES_SCRIPT_HELP_MAX 2000
#define SALES_SCRIPT_OPTION_MAX 200
#define SALES_SCRIPT_ANSWER_MAX 2000

/* Room for any message the call script code writes (they are cut to fit,
 * never in the middle of a UTF-8 sequence). */
#define SALES_SCRIPT_ERR_MAX 320

/* ---- scripts ------------------------------------------------------------ */

/* What a question asks for. */
typedef enum sales_qtype {
    SALES_Q_CHOICE, /* one of its options */
    SALES_Q_YES_NO, /* "yes" or "no" */
    SALES_Q_TEXT,   /* free text */
    SALES_Q_NUMBER, /* a number, within min and max when given */
    SALES_Q_DATE    /* YYYY-MM-DD */
} sales_qtype_t;

/* One branch of a question whose next question depends on the answer. */
typedef struct sales_branch {
    const char *answer; /* an option, "yes", "no", or "*" for any other */
    int target;         /* index of the next question, or -1: the script ends */
} sales_branch_t;

/* One question of a checked script. Strings point into the script's
 * document. */
typedef struct sales_question {
    const char *id;
    const char *text;
    const char *help; /* guidance for the agent, or NULL */
    sales_qtype_t type;
    bool required;
    const char **options; /* choice questions */
    size_t noptions;
    bool has_min, has_max; /* number questions */
    double min, max;
    bool branched;            /* next depends on the answer (branches) */
    int next;                 /* !branched: the next question's index, or -1 */
    sales_branch_t *branches; /* branched */
    size_t nbranches;
} sales_question_t;

/* A checked script: a tree (or a DAG) of questions that always ends. */
typedef struct sales_script {
    sales_jv_t *doc;
    sales_question_t *questions; /* in document order */
    size_t count;
    int start; /* index of the first question */
} sales_script_t;

/* Reads and checks a script tree. RP_M_EINVAL with the first problem in
 * err, as "path: message" ("questions.q3.next.yes: no question q9");
 * RP_M_ENOMEM. On success *out is the script (sales_script_free). */
rp_mstatus_t sales_script_parse(const char *text, size_t len, sales_script_t **out, char *err,
                                size_t errlen);

/* Releases a script; NULL is fine. */
void sales_script_free(sales_script_t *s);

/* The index of question id, or -1. */
int sales_script_find(const sales_script_t *s, const char *id);

/* The kinds of answer value. */
typedef enum sales_akind {
    SALES_A_NONE,   /* no answer (null, absent or blank) */
    SALES_A_BOOL,   /* in only */
    SALES_A_NUMBER, /* n */
    SALES_A_STRING, /* s */
    SALES_A_OTHER   /* in only: an array or object */
} sales_akind_t;

/* An answer as given, or as recorded. */
typedef struct sales_answer {
    sales_akind_t kind;
    bool b;
    double n;
    const char *s;
} sales_answer_t;

/* Checks answer in to question q of s. On success *out is the answer to
 * record (a skipped optional question: SALES_A_NONE; a choice: the option
 * as the script spells it; yes_no: "yes" or "no"; number: SALES_A_NUMBER;
 * text and date: the string given; strings point into s or in) and *next
 * the next question's index, or -1 when the script ends there. RP_M_EINVAL
 * with a message ("must be one of: Red, Blue") in err. */
rp_mstatus_t sales_script_answer(const sales_script_t *s, int q, const sales_answer_t *in,
                                 sales_answer_t *out, int *next, char *err, size_t errlen);

/* The name of a question type as the tree spells it ("yes_no"). */
const char *sales_script_type_name(sales_qtype_t t);

/* Copies at most max bytes of s (valid UTF-8) into buf (size bytes, at
 * least max + 4), never splitting a character, with "..." when cut: user
 * text quoted in a message stays short and valid. Returns buf. */
const char *sales_script_clip(char *buf, size_t size, const char *s, size_t max);

/* True when s is a real day written YYYY-MM-DD (years 0001 to 9999). */
bool sales_script_date_valid(const char *s);

#endif
