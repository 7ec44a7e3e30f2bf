-- The built-in manifest's expression indexes, reshaped, and statistics on
-- their expressions. See "Indexes" in server/records/README.md.
--
-- 0002 put object between tenant_id and the expression. The object condition
-- is already the partial index's predicate, so the planner drops it from the
-- index condition, and with the middle column unconstrained the expression
-- could not narrow the scan: a filter read every index entry of the tenant.
-- ANALYZE keeps no statistics for the expression of a partial index, so
-- without CREATE STATISTICS the planner guesses that 0.5 % of the rows match
-- and walks the primary key in id order instead.
DROP INDEX records_account_name;
DROP INDEX records_contact_email;
DROP INDEX records_contact_account;
CREATE INDEX records_account_name ON records (tenant_id, lower(data ->> 'name'))
    WHERE object = 'account';
CREATE INDEX records_contact_email ON records (tenant_id, lower(data ->> 'email'))
    WHERE object = 'contact';
CREATE INDEX records_contact_account ON records (tenant_id, (data ->> 'account_id'))
    WHERE object = 'contact';
CREATE STATISTICS records_account_name_stats ON (lower(data ->> 'name')) FROM records;
CREATE STATISTICS records_contact_email_stats ON (lower(data ->> 'email')) FROM records;
CREATE STATISTICS records_contact_account_stats ON ((data ->> 'account_id')) FROM records;
