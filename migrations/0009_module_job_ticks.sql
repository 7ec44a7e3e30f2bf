-- When each module job last ran for each tenant: the claim that makes a job
-- run at most once per period (or cron minute) across every instance, like
-- scripts.last_tick for scheduled scripts. See server/script/README.md.
CREATE TABLE module_job_ticks (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    module text NOT NULL CHECK (module ~ '^[a-z][a-z0-9_]{0,30}$'),
    job text NOT NULL CHECK (length(job) BETWEEN 1 AND 63),
    last_tick bigint NOT NULL,
    last_run_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, module, job)
);

ALTER TABLE module_job_ticks ENABLE ROW LEVEL SECURITY;
ALTER TABLE module_job_ticks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON module_job_ticks USING (tenant_id = rp_current_tenant())
    WITH CHECK (tenant_id = rp_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON module_job_ticks TO rapport_app;
