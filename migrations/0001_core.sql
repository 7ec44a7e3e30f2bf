-- Rapport core schema: tenants, users, refresh tokens, API keys, audit.
--
-- Every tenant-owned table leads its keys with tenant_id and has row-level
-- security ENABLED and FORCED with a fail-closed policy on the
-- rapport.tenant_id setting. The serving role (rapport_app) owns nothing.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rapport_app') THEN
        RAISE EXCEPTION 'role rapport_app does not exist'
            USING HINT = 'create it first: CREATE ROLE rapport_app LOGIN NOSUPERUSER NOBYPASSRLS';
    END IF;
END
$$;

-- The current tenant, or NULL when none is set: NULL never equals a
-- tenant_id, so a query run without a tenant sees no tenant rows at all.
CREATE FUNCTION rp_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('rapport.tenant_id', true), '')::uuid $$;

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    slug text NOT NULL UNIQUE
        CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE tenants IS 'rapport:global the tenant directory, read before a tenant is known';

CREATE TABLE users (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    role text NOT NULL CHECK (role IN ('admin', 'manager', 'user', 'readonly')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (tenant_id, lower(email));

CREATE TABLE refresh_tokens (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL,
    secret_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
CREATE INDEX refresh_tokens_by_id ON refresh_tokens (id);

CREATE TABLE api_keys (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role text NOT NULL CHECK (role IN ('admin', 'manager', 'user', 'readonly')),
    secret_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_by_id ON api_keys (id);

CREATE TABLE auth_events (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    kind text NOT NULL,
    user_id uuid,
    client_addr text,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'refresh_tokens', 'api_keys', 'auth_events'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = rp_current_tenant()) '
                       'WITH CHECK (tenant_id = rp_current_tenant())', t);
    END LOOP;
END
$$;

-- Refresh tokens and API keys arrive without a tenant: these two lookups,
-- running as the owner through an owner-only read policy, tell which tenant
-- a token id belongs to and nothing else. The secret check then runs under
-- that tenant's row-level security like everything else.
CREATE POLICY owner_directory ON refresh_tokens FOR SELECT TO CURRENT_USER USING (true);
CREATE POLICY owner_directory ON api_keys FOR SELECT TO CURRENT_USER USING (true);

CREATE FUNCTION rp_refresh_token_tenant(token_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT tenant_id FROM refresh_tokens WHERE id = token_id $$;

CREATE FUNCTION rp_api_key_tenant(key_id uuid) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$ SELECT tenant_id FROM api_keys WHERE id = key_id $$;

REVOKE ALL ON FUNCTION rp_refresh_token_tenant(uuid), rp_api_key_tenant(uuid) FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO rapport_app;
GRANT SELECT ON tenants TO rapport_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON users, refresh_tokens, api_keys TO rapport_app;
GRANT SELECT, INSERT ON auth_events TO rapport_app;
GRANT EXECUTE ON FUNCTION rp_current_tenant(), rp_refresh_token_tenant(uuid),
    rp_api_key_tenant(uuid) TO rapport_app;
