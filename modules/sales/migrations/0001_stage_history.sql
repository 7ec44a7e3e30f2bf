-- The stages each opportunity went through: one row per stay in a stage,
-- opened when the opportunity enters the stage and closed (left_at) when it
-- moves on. Written by the sales module's hooks on opportunity writes, read
-- by GET /api/v1/m/sales/opportunities/{id}/stages.
--
-- Opportunities and stages are records (the records table), so they are
-- referenced by id only: the only foreign key is to the tenant, and purging
-- a deleted opportunity or stage leaves its history readable and never
-- fails on it.
CREATE TABLE sales_stage_history (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id bigint GENERATED ALWAYS AS IDENTITY,
    opportunity_id uuid NOT NULL,
    pipeline_id uuid,
    stage_id uuid,
    stage text NOT NULL DEFAULT '',
    entered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    left_at timestamptz,
    entered_by uuid,
    PRIMARY KEY (tenant_id, id),
    CHECK (left_at IS NULL OR left_at >= entered_at)
);
-- The history of one opportunity, in order.
CREATE INDEX sales_stage_history_opportunity
    ON sales_stage_history (tenant_id, opportunity_id, entered_at, id);
-- At most one open stay per opportunity: two writes racing on one
-- opportunity cannot both leave a stage open.
CREATE UNIQUE INDEX sales_stage_history_open
    ON sales_stage_history (tenant_id, opportunity_id) WHERE left_at IS NULL;
ALTER TABLE sales_stage_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE sales_stage_history FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sales_stage_history
    USING (tenant_id = rp_current_tenant()) WITH CHECK (tenant_id = rp_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON sales_stage_history TO rapport_app;
