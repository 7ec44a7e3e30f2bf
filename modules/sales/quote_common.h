#ifndef SALES_QUOTE_COMMON_H
#define SALES_QUOTE_COMMON_H

/* What the product, quote, order and invoice files share: reading amounts
 * and decimals out of records, building currency values, small queries, the
 * per-document lock, dates, and the hook and action helpers that keep their
 * answers uniform. Everything here goes through sales_host. */

#include <stdbool.h>

#include "money.h"
#include "quote_flow.h"
#include "sales.h"

/* ---- values ------------------------------------------------------------ */

/* A decimal from a JSON value as the records API takes one (a plain
 * decimal string, an integer or a number); false for anything else. */
bool sales_c_dec(const rp_json_t *v, sales_dec_t *out);

/* What sales_c_money found. */
typedef enum sales_money_read {
    SALES_MONEY_NONE = 0,    /* absent or null */
    SALES_MONEY_OK = 1,      /* amount and currency */
    SALES_MONEY_NO_CODE = 2, /* an amount without currency: a bare decimal or {"amount"} */
    SALES_MONEY_BAD = 3      /* anything else (the records API will say why) */
} sales_money_read_t;

/* Reads a currency value {"amount", "currency"}; code receives the
 * currency in upper case. */
sales_money_read_t sales_c_money(const rp_json_t *v, sales_dec_t *amount, char code[4]);

/* A new currency value with amount rounded to places digits (kept as it
 * is when places is negative). */
rp_json_t *sales_c_money_new(sales_dec_t amount, int places, const char *code);

/* The string member field of the fields object f, or NULL. */
const char *sales_c_str(const rp_json_t *f, const char *field);

/* The "fields" member of a record as the host gives it (borrowed). */
const rp_json_t *sales_c_fields(const rp_json_t *record);

/* The "id" of a record as the host gives it, or NULL. */
const char *sales_c_id(const rp_json_t *record);

/* The value field will have once the write of rec is done: the member the
 * caller gives (JSON null when it clears it) or else the stored one (old
 * fields on update; NULL when there is none). *given, when not NULL, says
 * whether the caller gave it. */
const rp_json_t *sales_c_value(rp_mrecord_t *rec, const char *field, bool *given);

/* sales_c_value as a string (NULL when absent, cleared or not a string). */
const char *sales_c_value_str(rp_mrecord_t *rec, const char *field, bool *given);

/* True when the caller gives field and its value differs from the stored
 * one (JSON equality of the dumps). */
bool sales_c_changes(rp_mrecord_t *rec, const char *field);

/* ---- queries ----------------------------------------------------------- */

/* A filter leaf {"field": field, "op": op, "value": value}, taking
 * ownership of value. NULL when out of memory. */
rp_json_t *sales_c_cond(const char *field, const char *op, rp_json_t *value);

/* {"and": [a, b, c]} taking ownership of the non-NULL ones. */
rp_json_t *sales_c_and(rp_json_t *a, rp_json_t *b, rp_json_t *c);

/* The first record of object matching filter (borrowed) in sort order, into
 * *out (NULL when none). */
rp_mstatus_t sales_c_first(rp_mctx_t *ctx, const char *object, const rp_json_t *filter,
                           const char *sort, rp_json_t **out);

/* Calls fn on every record of object whose field equals value, in sort
 * order, a page at a time (any number of records). Stops at the first
 * status fn returns other than RP_M_OK and returns it. */
rp_mstatus_t sales_c_each(rp_mctx_t *ctx, const char *object, const char *field, const char *value,
                          const char *sort,
                          rp_mstatus_t (*fn)(rp_mctx_t *ctx, const rp_json_t *record, void *arg),
                          void *arg);

/* ---- concurrency ------------------------------------------------------- */

/* Takes the transaction-scoped lock of document id (a quote, order or
 * invoice), which line writes and a document leaving its draft both take:
 * lines are never written into a document that has just been sent, and
 * concurrent line writes adjust the totals one after the other. With
 * wait false it does not queue; *got says whether it was taken. */
rp_mstatus_t sales_c_lock(rp_mctx_t *ctx, const char *id, bool wait, bool *got);

/* ---- dates and settings ----------------------------------------------- */

/* Today's date (UTC) as "YYYY-MM-DD". */
void sales_c_today(char out[11]);

/* date plus days into out ("YYYY-MM-DD"); false when date is malformed. */
bool sales_c_add_days(const char *date, int days, char out[11]);

/* The tenant's integer setting key within lo..hi, or def. */
int sales_c_setting_int(rp_mctx_t *ctx, const char *key, int lo, int hi, int def);

/* ---- answers ----------------------------------------------------------- */

/* Adds a per-field error and returns RP_HOOK_REJECT (or RP_HOOK_FAIL when
 * the host cannot take it). */
rp_hook_result_t sales_c_reject(rp_mrecord_t *rec, const char *field, const char *msg);

/* Sets field of the record a before hook writes, taking ownership of v;
 * false (after set_error) when it cannot. */
bool sales_c_set(rp_mctx_t *ctx, rp_mrecord_t *rec, const char *field, rp_json_t *v);

/* Answers a problem without per-field errors and returns RP_M_OK. */
rp_mstatus_t sales_c_problem(rp_mctx_t *ctx, int status, const char *code, const char *detail);

/* Answers a refused record write: 403 forbidden, 404 not_found, 409
 * conflict or 422 validation_failed with the write's per-field errors
 * (taking them over); returns RP_M_OK once answered, st for failures that
 * should become a 500. */
rp_mstatus_t sales_c_refused(rp_mctx_t *ctx, rp_mstatus_t st, rp_json_t *errors, const char *what);

/* ---- document totals --------------------------------------------------- */

/* Moves the totals of document id of kind by one line write: adds the
 * amounts of the line fields plus (a created or updated line), takes off
 * those of minus (an updated or deleted line's old fields), and moves
 * line_count by count_delta; stores them on the document (a derived
 * write). Line writes hold the document lock, so these adjustments follow
 * one another and the totals stay the exact sums of the lines. */
rp_mstatus_t sales_c_adjust(rp_mctx_t *ctx, const sales_doc_desc_t *d, const char *id,
                            const rp_json_t *plus, const rp_json_t *minus, int count_delta);

#endif
