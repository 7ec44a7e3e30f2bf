-- Tenant Lua scripts: triggers, scheduled scripts and custom endpoints, the
-- versions every change keeps, the log of their runs, and the jobs scripts
-- enqueue. See server/script/README.md and tenants/README.md.

-- kind decides which of object/events (trigger), cron (scheduled) and roles
-- (endpoint) matter; the server checks their shape at save. failures counts
-- consecutive failed runs: at 20 the server disables the script and says why
-- in disabled_reason. last_tick is the scheduler's claim: the minute (unix
-- seconds / 60) of the last tick that ran the script, so that of several
-- instances only the one whose UPDATE moves it runs that tick.
CREATE TABLE scripts (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    kind text NOT NULL CHECK (kind IN ('trigger', 'scheduled', 'endpoint')),
    object text CHECK (object IS NULL OR length(object) <= 64),
    events jsonb NOT NULL DEFAULT '[]'::jsonb,
    cron text CHECK (cron IS NULL OR length(cron) <= 200),
    roles jsonb NOT NULL DEFAULT '[]'::jsonb,
    run_as uuid,
    code text NOT NULL CHECK (length(code) <= 262144),
    enabled boolean NOT NULL DEFAULT true,
    version integer NOT NULL DEFAULT 1,
    failures integer NOT NULL DEFAULT 0,
    disabled_reason text,
    last_tick bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_by uuid,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX scripts_name_key ON scripts (tenant_id, name);
-- The scheduler looks up a tenant's enabled scheduled scripts every tick.
CREATE INDEX scripts_scheduled ON scripts (tenant_id) WHERE kind = 'scheduled' AND enabled;

-- Every saved state of a script, the current one included: definition is
-- the script as GET /api/v1/scripts/{id} gave it at that version.
CREATE TABLE script_versions (
    tenant_id uuid NOT NULL,
    script_id uuid NOT NULL,
    version integer NOT NULL,
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    PRIMARY KEY (tenant_id, script_id, version),
    FOREIGN KEY (tenant_id, script_id) REFERENCES scripts (tenant_id, id) ON DELETE CASCADE
);

-- One row per run. outcome: ok, error (a runtime error), limit (a sandbox
-- limit, named in error), rejected (a trigger refused the write).
CREATE TABLE script_runs (
    tenant_id uuid NOT NULL,
    id uuid NOT NULL,
    script_id uuid NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision NOT NULL,
    instructions bigint NOT NULL,
    memory bigint NOT NULL DEFAULT 0,
    via text NOT NULL CHECK (length(via) <= 32),
    dry_run boolean NOT NULL DEFAULT false,
    outcome text NOT NULL CHECK (outcome IN ('ok', 'error', 'limit', 'rejected')),
    error text CHECK (error IS NULL OR length(error) <= 2000),
    PRIMARY KEY (tenant_id, script_id, id),
    FOREIGN KEY (tenant_id, script_id) REFERENCES scripts (tenant_id, id) ON DELETE CASCADE
);

-- What crm.enqueue wrote: the job runner's queue. A row exists only if the
-- transaction that enqueued it committed.
CREATE TABLE script_jobs (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id uuid NOT NULL,
    script_id uuid,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_.]{0,62}$'),
    payload jsonb NOT NULL DEFAULT 'null'::jsonb,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX script_jobs_pending ON script_jobs (tenant_id, created_at) WHERE status = 'pending';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['scripts', 'script_versions', 'script_runs', 'script_jobs'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = rp_current_tenant()) '
                       'WITH CHECK (tenant_id = rp_current_tenant())', t);
    END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON scripts, script_versions, script_runs, script_jobs
    TO rapport_app;
