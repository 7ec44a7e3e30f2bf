#ifndef RP_TEST_FIXTURE_CRM_H
#define RP_TEST_FIXTURE_CRM_H

/* A module manifest for unit tests that need objects to work on: account
 * and contact with the fields the sales module gives them first (the core
 * has no objects of its own). Tests parse it with rp_manifest_parse and
 * hand the objects to rp_meta_build_with as module "crm", as the registry
 * does with a loaded module's manifest. It is a fixture, not the sales
 * module's manifest: tests stay independent of that module's changes. */

#include <stdlib.h>

#include "records/manifest.h"
#include "records/meta_internal.h"

/* The module name the fixture's objects carry. */
#define FIXTURE_CRM "crm"

/* Labels are JSON \u escapes so this file stays ASCII. */
static const char fixture_crm_manifest[] =
    "{\"module\": \"crm\", \"objects\": [\n"
    " {\"name\": \"account\", \"label\": \"Account\",\n"
    "  \"labels\": {\"en\": \"Account\", \"fr\": \"Compte\", \"es\": \"Cuenta\"},\n"
    "  \"fields\": [\n"
    "   {\"name\": \"name\", \"type\": \"text\", \"label\": \"Account name\",\n"
    "    \"labels\": {\"en\": \"Account name\", \"fr\": \"Nom du compte\",\n"
    "               \"es\": \"Nombre de la cuenta\"},\n"
    "    \"required\": true, \"searchable\": true, \"indexed\": true},\n"
    "   {\"name\": \"industry\", \"type\": \"picklist\", \"label\": \"Industry\",\n"
    "    \"labels\": {\"en\": \"Industry\", \"fr\": \"Secteur d'activit\\u00e9\",\n"
    "               \"es\": \"Sector\"},\n"
    "    \"values\": [\"Agriculture\", \"Automotive\", \"Banking\", \"Chemicals\",\n"
    "               \"Construction\", \"Consulting\", \"Consumer Goods\", \"Education\",\n"
    "               \"Energy\", \"Engineering\", \"Entertainment\", \"Financial Services\",\n"
    "               \"Government\", \"Healthcare\", \"Hospitality\", \"Insurance\",\n"
    "               \"Manufacturing\", \"Media\", \"Not for Profit\", \"Pharmaceuticals\",\n"
    "               \"Real Estate\", \"Retail\", \"Technology\", \"Telecommunications\",\n"
    "               \"Transportation\", \"Utilities\", \"Other\"]},\n"
    "   {\"name\": \"website\", \"type\": \"url\", \"label\": \"Website\",\n"
    "    \"labels\": {\"en\": \"Website\", \"fr\": \"Site web\", \"es\": \"Sitio web\"}},\n"
    "   {\"name\": \"phone\", \"type\": \"phone\", \"label\": \"Phone\",\n"
    "    \"labels\": {\"en\": \"Phone\", \"fr\": \"T\\u00e9l\\u00e9phone\",\n"
    "               \"es\": \"Tel\\u00e9fono\"}},\n"
    "   {\"name\": \"annual_revenue\", \"type\": \"currency\", \"label\": \"Annual revenue\",\n"
    "    \"labels\": {\"en\": \"Annual revenue\", \"fr\": \"Chiffre d'affaires annuel\",\n"
    "               \"es\": \"Ingresos anuales\"},\n"
    "    \"min\": 0}\n"
    "  ]},\n"
    " {\"name\": \"contact\", \"label\": \"Contact\",\n"
    "  \"labels\": {\"en\": \"Contact\", \"fr\": \"Contact\", \"es\": \"Contacto\"},\n"
    "  \"fields\": [\n"
    "   {\"name\": \"first_name\", \"type\": \"text\", \"label\": \"First name\",\n"
    "    \"labels\": {\"en\": \"First name\", \"fr\": \"Pr\\u00e9nom\", \"es\": \"Nombre\"},\n"
    "    \"searchable\": true},\n"
    "   {\"name\": \"last_name\", \"type\": \"text\", \"label\": \"Last name\",\n"
    "    \"labels\": {\"en\": \"Last name\", \"fr\": \"Nom\", \"es\": \"Apellidos\"},\n"
    "    \"required\": true, \"searchable\": true},\n"
    "   {\"name\": \"email\", \"type\": \"email\", \"label\": \"Email\",\n"
    "    \"labels\": {\"en\": \"Email\", \"fr\": \"E-mail\",\n"
    "               \"es\": \"Correo electr\\u00f3nico\"},\n"
    "    \"indexed\": true, \"searchable\": true},\n"
    "   {\"name\": \"phone\", \"type\": \"phone\", \"label\": \"Phone\",\n"
    "    \"labels\": {\"en\": \"Phone\", \"fr\": \"T\\u00e9l\\u00e9phone\",\n"
    "               \"es\": \"Tel\\u00e9fono\"}},\n"
    "   {\"name\": \"account_id\", \"type\": \"reference\", \"label\": \"Account\",\n"
    "    \"labels\": {\"en\": \"Account\", \"fr\": \"Compte\", \"es\": \"Cuenta\"},\n"
    "    \"reference\": \"account\", \"on_delete\": \"set_null\"}\n"
    "  ]}\n"
    "]}\n";

/* The fixture's objects, parsed; release with fixture_crm_free. Aborts
 * the test program when the fixture does not parse. */
static inline rp_meta_module_t fixture_crm_load(void)
{
    rp_object_t **objs = NULL;
    int n = 0;
    if (rp_manifest_parse(fixture_crm_manifest, FIXTURE_CRM, &objs, &n, NULL) != RP_OK)
        abort();
    return (rp_meta_module_t){FIXTURE_CRM, objs, n};
}

/* Releases what fixture_crm_load gave, once no snapshot uses it. */
static inline void fixture_crm_free(rp_meta_module_t *mod)
{
    rp_manifest_free((rp_object_t **)mod->objects, mod->nobjects);
    mod->objects = NULL;
    mod->nobjects = 0;
}

#endif
