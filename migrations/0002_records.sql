-- The records engine: tenant metadata, the generic records table, field
-- history, the index and uniqueness tables for tenant fields, autonumber
-- counters and idempotency keys. See server/records/README.md.

-- Trusted extensions: the database owner may create them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- A tenant's own objects (API names end in __c). Module objects are not
-- stored: they come from the manifests compiled into the modules.
CREATE TABLE object_defs (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- A tenant's own fields, on its own objects or on module objects; the
-- definition is the JSON form rp_field_parse() reads.
CREATE TABLE field_defs (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    object text NOT NULL,
    name text NOT NULL,
    definition jsonb NOT NULL,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, object, name)
);

-- Bumped by every metadata change, in the same transaction, so a cached
-- snapshot can tell it is stale even if a notification was missed.
ALTER TABLE tenants ADD COLUMN metadata_version bigint NOT NULL DEFAULT 1;

CREATE TABLE records (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    object text NOT NULL,
    id uuid NOT NULL,
    data jsonb NOT NULL DEFAULT '{}'::jsonb,
    owner_id uuid,
    created_by uuid,
    updated_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, object, id)
);
-- Record ids are UUIDv7 and unique across objects: get by id alone.
CREATE UNIQUE INDEX records_id_key ON records (tenant_id, id);
-- Deleted records waiting for the purge.
CREATE INDEX records_deleted ON records (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
-- Expression indexes for the indexed fields of the built-in manifest.
CREATE INDEX records_account_name ON records (tenant_id, object, lower(data ->> 'name'))
    WHERE object = 'account';
CREATE INDEX records_contact_email ON records (tenant_id, object, lower(data ->> 'email'))
    WHERE object = 'contact';
CREATE INDEX records_contact_account ON records (tenant_id, object, (data ->> 'account_id'))
    WHERE object = 'contact';

CREATE TABLE record_history (
    tenant_id uuid NOT NULL,
    object text NOT NULL,
    record_id uuid NOT NULL,
    id uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'restore')),
    actor_id uuid,
    at timestamptz NOT NULL DEFAULT now(),
    changes jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, object, record_id, id),
    FOREIGN KEY (tenant_id, object, record_id) REFERENCES records (tenant_id, object, id)
        ON DELETE CASCADE
);

-- Values of the tenant's own indexed fields, kept by the engine in the
-- writing transaction; one typed column is filled per row.
CREATE TABLE record_index (
    tenant_id uuid NOT NULL,
    object text NOT NULL,
    field text NOT NULL,
    record_id uuid NOT NULL,
    value_text text,
    value_num numeric,
    value_ts timestamptz,
    PRIMARY KEY (tenant_id, object, field, record_id),
    FOREIGN KEY (tenant_id, object, record_id) REFERENCES records (tenant_id, object, id)
        ON DELETE CASCADE
);
CREATE INDEX record_index_text ON record_index (tenant_id, object, field, value_text);
CREATE INDEX record_index_num ON record_index (tenant_id, object, field, value_num);
CREATE INDEX record_index_ts ON record_index (tenant_id, object, field, value_ts);

-- Values of unique fields (module or tenant): the primary key is the check.
CREATE TABLE record_unique (
    tenant_id uuid NOT NULL,
    object text NOT NULL,
    field text NOT NULL,
    value text NOT NULL,
    record_id uuid NOT NULL,
    PRIMARY KEY (tenant_id, object, field, value),
    FOREIGN KEY (tenant_id, object, record_id) REFERENCES records (tenant_id, object, id)
        ON DELETE CASCADE
);

-- Gapless per-tenant counters: taken with UPDATE ... RETURNING in the
-- writing transaction, so a rolled-back write gives its number back.
CREATE TABLE autonumbers (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    object text NOT NULL,
    field text NOT NULL,
    next_value bigint NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, object, field)
);

-- First responses to POSTs that carried an Idempotency-Key, replayed for 24 h.
CREATE TABLE idempotency_keys (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    user_id uuid,
    request_hash bytea NOT NULL,
    status integer NOT NULL,
    response text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['object_defs', 'field_defs', 'records', 'record_history',
                             'record_index', 'record_unique', 'autonumbers',
                             'idempotency_keys'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = rp_current_tenant()) '
                       'WITH CHECK (tenant_id = rp_current_tenant())', t);
    END LOOP;
END
$$;

-- Metadata changes bump the tenant's version; the serving role may do that
-- one update on its own tenant's row and nothing else on tenants.
GRANT UPDATE (metadata_version) ON tenants TO rapport_app;
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON tenants FOR SELECT USING (true);
CREATE POLICY tenant_bump ON tenants FOR UPDATE TO rapport_app
    USING (id = rp_current_tenant()) WITH CHECK (id = rp_current_tenant());

GRANT SELECT, INSERT, UPDATE, DELETE ON object_defs, field_defs, records, record_history,
    record_index, record_unique, autonumbers, idempotency_keys TO rapport_app;
