#ifndef SALES_H
#define SALES_H

/* What the files of the sales module share. Each area (accounts, leads,
 * activities, pipelines, quotes, ...) has its own file and registers its
 * hooks and actions from one init function, called by sales.c. */

#include "rapport/module.h"

/* The host's functions, kept from init: the only way back into the
 * server. */
extern const rp_host_api_t *sales_host;

/* The merged manifest (generated from the manifest folder's JSON files at build time). */
extern const char rapport_module_manifest[];

/* Registration of each area; each returns RP_M_OK or the first failure. */
rp_mstatus_t sales_accounts_init(rp_mreg_t *reg);     /* accounts.c: hierarchy, account_contact */
rp_mstatus_t sales_leads_init(rp_mreg_t *reg);        /* leads.c: conversion */
rp_mstatus_t sales_activities_init(rp_mreg_t *reg);   /* activities.c, timeline.c */
rp_mstatus_t sales_pipeline_init(rp_mreg_t *reg);     /* pipeline.c: stages, stage history */
rp_mstatus_t sales_forecast_init(rp_mreg_t *reg);     /* forecast.c */
rp_mstatus_t sales_products_init(rp_mreg_t *reg);     /* products.c: price books */
rp_mstatus_t sales_quotes_init(rp_mreg_t *reg);       /* quotes.c, quote_print.c */
rp_mstatus_t sales_orders_init(rp_mreg_t *reg);       /* orders.c: orders, invoices */
rp_mstatus_t sales_call_scripts_init(rp_mreg_t *reg); /* call_scripts.c */

#endif
