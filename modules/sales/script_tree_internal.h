#ifndef SALES_SCRIPT_TREE_INTERNAL_H
#define SALES_SCRIPT_TREE_INTERNAL_H

/* What the parts of the call script code (script_tree.c, script_tree_json.c,
 * script_tree_walk.c) share, and nothing outside them uses. */

#include <stddef.h>

#include "rapport/module.h"

/* Writes the printf-style message into err (errlen bytes, cut never inside
 * a UTF-8 sequence) and returns RP_M_EINVAL: every refusal of a tree, a
 * text or an answer is one call. err may be NULL. */
rp_mstatus_t sales_script_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The number of characters (code points) of valid UTF-8 s: the unit of
 * every length limit of a script. */
size_t sales_script_chars(const char *s);

#endif
