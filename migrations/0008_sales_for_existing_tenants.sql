-- The objects account and contact moved from the core's built-in manifest
-- into the sales module. Every tenant had them until now, so every tenant
-- that exists when this runs gets the sales module enabled and keeps its
-- accounts and contacts; tenants created later get the modules
-- RAPPORT_DEFAULT_MODULES names. Running it again changes nothing.
--
-- tenant_modules has forced row-level security, which binds this owner
-- connection too: each tenant's row is written with that tenant set, as the
-- server does. version is the sales module's version in this release; the
-- bump of metadata_version makes running servers rebuild the tenants'
-- metadata (NOTIFY is not needed: a server checks the version on its next
-- request for the tenant).
DO $$
DECLARE
    t uuid;
BEGIN
    FOR t IN SELECT id FROM tenants ORDER BY id LOOP
        PERFORM set_config('rapport.tenant_id', t::text, true);
        WITH added AS (
            INSERT INTO tenant_modules (tenant_id, module, version)
            VALUES (t, 'sales', '1.0.0')
            ON CONFLICT (tenant_id, module) DO NOTHING
            RETURNING tenant_id
        )
        UPDATE tenants SET metadata_version = metadata_version + 1
        WHERE id IN (SELECT tenant_id FROM added);
    END LOOP;
    PERFORM set_config('rapport.tenant_id', '', true);
END
$$;
