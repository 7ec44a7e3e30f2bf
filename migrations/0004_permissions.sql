-- Record permissions: a tenant's roles (custom ones, and its overrides of
-- the built-in user, manager and readonly roles), and teams, whose members
-- share the records a "team" scope covers. See server/records/README.md,
-- "Permissions".

-- definition: {"objects": {"<object>" | "*": {"create": bool, "read",
-- "update", "delete": "none" | "own" | "team" | "all", "fields":
-- {"<field>": "none" | "read" | "edit"}}}}. "*" applies to every object the
-- role does not name, module and custom objects created later included.
-- base is the built-in rank a custom role's users have everywhere else
-- (route gates, API keys); a built-in role's row has base = name.
CREATE TABLE roles (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    label text NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    base text NOT NULL CHECK (base IN ('manager', 'user', 'readonly')),
    definition jsonb NOT NULL DEFAULT '{"objects": {}}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name),
    CHECK (name NOT IN ('admin', 'manager', 'user', 'readonly') OR base = name)
);

CREATE TABLE teams (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX teams_name_key ON teams (tenant_id, lower(name));

CREATE TABLE team_members (
    tenant_id uuid NOT NULL,
    team_id uuid NOT NULL,
    user_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, team_id, user_id),
    FOREIGN KEY (tenant_id, team_id) REFERENCES teams (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- The team scope looks up the caller's teams, then their members.
CREATE INDEX team_members_by_user ON team_members (tenant_id, user_id, team_id);

-- A user's role may now be a custom role of its tenant (checked by the
-- server when it is set; a role that disappears leaves its users without
-- record rights, never with more).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role ~ '^[a-z][a-z0-9_]{0,62}$');

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['roles', 'teams', 'team_members'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = rp_current_tenant()) '
                       'WITH CHECK (tenant_id = rp_current_tenant())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON roles, teams, team_members TO rapport_app;
