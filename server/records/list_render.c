#include <string.h>

#include "records/query_handlers.h"
#include "records/record.h"

json_t *rp_list_record_json(const rp_query_t *q, const rp_object_t *o, const rp_dbres_t *res,
                            int row)
{
    json_t *rec = rp_record_json(o, res, row);
    if (rec == NULL || q->nfields == o->nfields)
        return rec;
    /* A fields= selection: keep only the chosen ones (q->fields is in object
     * order, so one walk over the object's fields suffices). */
    json_t *fields = json_object_get(rec, "fields");
    int k = 0;
    for (int i = 0; i < o->nfields; i++) {
        if (k < q->nfields && q->fields[k] == &o->fields[i])
            k++;
        else
            json_object_del(fields, o->fields[i].name);
    }
    return rec;
}
