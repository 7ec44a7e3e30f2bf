#include "sales.h"

rp_mstatus_t sales_forecast_init(rp_mreg_t *reg)
{
    (void)reg;
    return RP_M_OK;
}
