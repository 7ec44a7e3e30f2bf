CREATE TABLE badtable_leaky (
    tenant_id uuid NOT NULL,
    secret text
);
