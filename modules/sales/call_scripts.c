/* Telesales call scripts: the call_script object's tree is checked on every
 * create and update that gives it (a script that does not parse, names a
 * question that does not exist, loops or strands a question is refused with
 * one precise message under "tree"), and its question count is kept beside
 * it. Running a script on a call is call_script_answers.c. */

#include <stdio.h>
#include <string.h>

#include "call_scripts.h"
#include "sales.h"
#include "script_tree.h"

static rp_hook_result_t check_tree(rp_mctx_t *ctx, rp_mrecord_t *rec, void *user)
{
    (void)user;
    rp_json_t *fields = sales_host->record_fields(rec);
    /* Absent (an update of other fields), null or not text: the engine's
     * own checks answer (required, type). */
    const char *text = sales_host->json_string(sales_host->json_get(fields, "tree"));
    if (text == NULL)
        return RP_HOOK_CONTINUE;
    sales_script_t *script = NULL;
    char err[SALES_SCRIPT_ERR_MAX];
    rp_mstatus_t st = sales_script_parse(text, strlen(text), &script, err, sizeof err);
    if (st == RP_M_EINVAL) {
        sales_host->reject_field(rec, "tree", err);
        return RP_HOOK_REJECT;
    }
    if (st != RP_M_OK) {
        sales_host->set_error(ctx, "call script: out of memory checking a tree");
        return RP_HOOK_FAIL;
    }
    long long count = (long long)script->count;
    sales_script_free(script);
    if (sales_host->record_set(rec, "question_count", sales_host->json_integer_new(count)) !=
        RP_M_OK) {
        sales_host->set_error(ctx, "call script: cannot set question_count");
        return RP_HOOK_FAIL;
    }
    return RP_HOOK_CONTINUE;
}

rp_mstatus_t sales_call_scripts_init(rp_mreg_t *reg)
{
    rp_mstatus_t st =
        sales_host->register_hook(reg, "call_script", RP_HOOK_BEFORE_CREATE, check_tree, NULL);
    if (st == RP_M_OK)
        st = sales_host->register_hook(reg, "call_script", RP_HOOK_BEFORE_UPDATE, check_tree, NULL);
    if (st == RP_M_OK)
        st = sales_call_script_answers_init(reg);
    return st;
}
