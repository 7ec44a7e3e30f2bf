/* The sales force automation module: accounts and contacts, leads and their
 * conversion, opportunities in per-tenant pipelines, forecasts, activities
 * and timelines, products and price books, quotes, orders and invoices, and
 * telesales call scripts. See modules/sales/README.md. */

#include "sales.h"

const rp_host_api_t *sales_host;

static const rp_module_info_t INFO = {
    .size = sizeof(rp_module_info_t),
    .name = "sales",
    .version = "1.0.0",
    .description = "Sales force automation: accounts, leads, opportunities, quotes, orders, "
                   "invoices",
    .depends = NULL,
    .manifest = rapport_module_manifest,
};

RP_MODULE_MAGIC
RP_MODULE_INFO(INFO)

RP_MODULE_INIT(reg, api)
{
    /* The sales module needs the functions added in ABI 1.1 (the last of
     * them is json_object_size). */
    if (!RP_HOST_HAS(api, json_object_size))
        return RP_M_EINVAL;
    sales_host = api;
    rp_mstatus_t (*const areas[])(rp_mreg_t *) = {
        sales_accounts_init, sales_leads_init,    sales_activities_init,
        sales_pipeline_init, sales_forecast_init, sales_products_init,
        sales_quotes_init,   sales_orders_init,   sales_call_scripts_init,
    };
    for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) {
        rp_mstatus_t st = areas[i](reg);
        if (st != RP_M_OK)
            return st;
    }
    return RP_M_OK;
}
