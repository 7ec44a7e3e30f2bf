-- Modules: which tenant enabled which module, and which modules this
-- database has installed. See server/modules/README.md.

-- One row per module a tenant has enabled; disabling deletes the row, so a
-- module's objects, actions and hooks exist for a tenant exactly while its
-- row does. version is the module's version when the tenant enabled it.
CREATE TABLE tenant_modules (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    module text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,30}$'),
    version text NOT NULL CHECK (length(version) BETWEEN 1 AND 64),
    enabled_at timestamptz NOT NULL DEFAULT now(),
    enabled_by uuid,
    PRIMARY KEY (tenant_id, module)
);

ALTER TABLE tenant_modules ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_modules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_modules USING (tenant_id = rp_current_tenant())
    WITH CHECK (tenant_id = rp_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_modules TO rapport_app;

-- The modules installed in this database: a module's migrations (named
-- "modules/NAME/NNNN_x.sql" in rapport_migrations) ran when it was first
-- installed and whenever it ships new ones; version is the last version
-- installed. Written by the owner role at start-up, read by the server.
CREATE TABLE module_installs (
    module text PRIMARY KEY CHECK (module ~ '^[a-z][a-z0-9_]{0,30}$'),
    version text NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE module_installs IS
    'rapport:global which modules this database has installed, written before any tenant is known';
GRANT SELECT ON module_installs TO rapport_app;

-- The module migrations applied. They run through the core's runner (one
-- transaction each, the same tenancy check), which records them in
-- rapport_migrations as "modules/NAME/FILE"; the loader then moves each row
-- here in one statement, so that rapport_migrations lists the core's files
-- only and a row is always in one of the two tables.
CREATE TABLE module_migrations (
    module text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,30}$'),
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (module, name)
);
COMMENT ON TABLE module_migrations IS
    'rapport:global the module migrations applied, schema bookkeeping like rapport_migrations';
GRANT SELECT ON module_migrations TO rapport_app;
