-- How many greetings each user made: a module's own typed table. Like every
-- module table it is a tenant table (tenant_id first in every key, row-level
-- security enabled and forced); the loader refuses anything else.
CREATE TABLE example_greeting_stats (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    greetings bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, user_id)
);
ALTER TABLE example_greeting_stats ENABLE ROW LEVEL SECURITY;
ALTER TABLE example_greeting_stats FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON example_greeting_stats
    USING (tenant_id = rp_current_tenant()) WITH CHECK (tenant_id = rp_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON example_greeting_stats TO rapport_app;
