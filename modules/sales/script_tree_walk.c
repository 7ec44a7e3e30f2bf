/* Call script trees: walking a checked script one answer at a time, each
 * answer checked against its question and leading to the next one. Pure:
 * no host calls. */

#include "script_tree.h"
#include "script_tree_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- walking: one answer ------------------------------------------------ */

bool sales_script_date_valid(const char *s)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

static bool blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* A number written as a JSON number ("-12.5", "3", "1e3"), as people type
 * them into a field. */
static bool number_text(const char *s, double *out)
{
    while (isspace((unsigned char)*s))
        s++;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return false;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v))
        return false;
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        return false;
    /* strtod also reads hex, "inf" and "nan": only plain decimal notation. */
    for (const char *c = s; c < end; c++)
        if (!isdigit((unsigned char)*c) && !strchr("+-.eE \t\r\n", *c))
            return false;
    *out = v;
    return true;
}

/* ASCII case-insensitive equality. */
static bool same_text(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

static rp_mstatus_t one_of(const sales_question_t *q, char *err, size_t errlen)
{
    char list[SALES_SCRIPT_ERR_MAX], buf[80];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < q->noptions && n + 8 < sizeof list; i++) {
        int w = snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                         sales_script_clip(buf, sizeof buf, q->options[i], 40));
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return sales_script_fail(err, errlen, "must be one of: %s", list);
}

static rp_mstatus_t check_value(const sales_question_t *q, const sales_answer_t *in,
                                sales_answer_t *out, char *err, size_t errlen)
{
    switch (q->type) {
    case SALES_Q_CHOICE:
        if (in->kind != SALES_A_STRING)
            return one_of(q, err, errlen);
        for (size_t i = 0; i < q->noptions; i++)
            if (strcmp(q->options[i], in->s) == 0) {
                *out = (sales_answer_t){.kind = SALES_A_STRING, .s = q->options[i]};
                return RP_M_OK;
            }
        /* Agents type answers too: "blue" is the option "Blue". */
        for (size_t i = 0; i < q->noptions; i++)
            if (same_text(q->options[i], in->s)) {
                *out = (sales_answer_t){.kind = SALES_A_STRING, .s = q->options[i]};
                return RP_M_OK;
            }
        return one_of(q, err, errlen);
    case SALES_Q_YES_NO:
        if (in->kind == SALES_A_BOOL) {
            *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->b ? "yes" : "no"};
            return RP_M_OK;
        }
        if (in->kind == SALES_A_STRING && (same_text(in->s, "yes") || same_text(in->s, "no"))) {
            *out = (sales_answer_t){.kind = SALES_A_STRING,
                                    .s = same_text(in->s, "yes") ? "yes" : "no"};
            return RP_M_OK;
        }
        return sales_script_fail(err, errlen, "must be yes or no (or true or false)");
    case SALES_Q_TEXT:
        if (in->kind != SALES_A_STRING)
            return sales_script_fail(err, errlen, "must be text");
        if (sales_script_chars(in->s) > SALES_SCRIPT_ANSWER_MAX)
            return sales_script_fail(err, errlen, "at most %d characters", SALES_SCRIPT_ANSWER_MAX);
        *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->s};
        return RP_M_OK;
    case SALES_Q_NUMBER: {
        double v = 0;
        if (in->kind == SALES_A_NUMBER && isfinite(in->n))
            v = in->n;
        else if (in->kind != SALES_A_STRING || !number_text(in->s, &v))
            return sales_script_fail(err, errlen, "must be a number");
        if (q->has_min && v < q->min)
            return sales_script_fail(err, errlen, "must be at least %.15g", q->min);
        if (q->has_max && v > q->max)
            return sales_script_fail(err, errlen, "must be at most %.15g", q->max);
        *out = (sales_answer_t){.kind = SALES_A_NUMBER, .n = v};
        return RP_M_OK;
    }
    case SALES_Q_DATE:
        if (in->kind != SALES_A_STRING || !sales_script_date_valid(in->s))
            return sales_script_fail(err, errlen, "must be a date written YYYY-MM-DD");
        *out = (sales_answer_t){.kind = SALES_A_STRING, .s = in->s};
        return RP_M_OK;
    }
    return sales_script_fail(err, errlen, "unknown question type");
}

rp_mstatus_t sales_script_answer(const sales_script_t *s, int q, const sales_answer_t *in,
                                 sales_answer_t *out, int *next, char *err, size_t errlen)
{
    *out = (sales_answer_t){.kind = SALES_A_NONE};
    *next = -1;
    if (s == NULL || q < 0 || (size_t)q >= s->count || in == NULL)
        return sales_script_fail(err, errlen, "no such question");
    const sales_question_t *qq = &s->questions[q];
    bool none = in->kind == SALES_A_NONE || (in->kind == SALES_A_STRING && blank(in->s));
    if (none && qq->required)
        return sales_script_fail(err, errlen, "is required");
    if (!none) {
        rp_mstatus_t st = check_value(qq, in, out, err, errlen);
        if (st != RP_M_OK)
            return st;
    }
    if (!qq->branched) {
        *next = qq->next;
        return RP_M_OK;
    }
    const char *key = out->kind == SALES_A_STRING ? out->s : "*";
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < qq->nbranches; i++)
            if (strcmp(qq->branches[i].answer, key) == 0) {
                *next = qq->branches[i].target;
                return RP_M_OK;
            }
        key = "*";
    }
    /* The checks guarantee a branch for every answer. */
    return sales_script_fail(err, errlen, "no branch for this answer");
}
