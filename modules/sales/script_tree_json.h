#ifndef SALES_SCRIPT_TREE_JSON_H
#define SALES_SCRIPT_TREE_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "rapport/module.h"

/* A small strict JSON reader (RFC 8259: valid UTF-8, no \u0000, nesting
 * at most 32 deep) for the texts of call scripts and their answers. The
 * host parser (with json_object_each to list members) would read them as
 * well, but it cannot say where a text goes wrong, and it keeps the last
 * of a member given twice: script authors get "unexpected character 'x'
 * at line 3, column 7" and "questions.q1: given twice" from this one. */

/* The kinds of value the reader gives. */
typedef enum sales_jkind {
    SALES_J_NULL,
    SALES_J_BOOL,
    SALES_J_NUMBER,
    SALES_J_STRING,
    SALES_J_ARRAY,
    SALES_J_OBJECT
} sales_jkind_t;

/* One value. Objects keep their members in document order, duplicates
 * included (the checks of script_tree.c refuse them with a precise
 * message). */
typedef struct sales_jv {
    sales_jkind_t kind;
    bool b;                  /* SALES_J_BOOL */
    double n;                /* SALES_J_NUMBER */
    char *s;                 /* SALES_J_STRING: NUL-terminated, valid UTF-8 */
    char **keys;             /* SALES_J_OBJECT: member names */
    struct sales_jv **items; /* array items, or object member values */
    size_t count;            /* items (and keys) */
} sales_jv_t;

/* Reads len bytes of JSON text into *out (release with sales_json_free).
 * RP_M_EINVAL with a message ("unexpected character 'x' at line 3, column
 * 7") in err for text that is not one JSON value; RP_M_ENOMEM. */
rp_mstatus_t sales_json_read(const char *text, size_t len, sales_jv_t **out, char *err,
                             size_t errlen);

/* Releases a value from sales_json_read; NULL is fine. */
void sales_json_free(sales_jv_t *v);

/* The first member key of obj, or NULL (also when obj is not an object). */
const sales_jv_t *sales_json_member(const sales_jv_t *obj, const char *key);

#endif
