-- Expression indexes for the fields that accounts, contacts, leads and
-- activities mark "indexed", in the shape the query compiler reaches (see
-- "Indexes" in server/records/README.md): (tenant_id, <expression>) WHERE
-- object = '<object>', with statistics on each expression, which ANALYZE does
-- not keep for a partial expression index.
--
-- Already indexed by the core (migrations/0006): account.name,
-- contact.email, contact.account_id.
--
-- activity_at is "indexed" in the manifest but has no expression index:
-- the compiler compares datetimes as (data ->> 'activity_at')::timestamptz,
-- a cast PostgreSQL does not accept in an index (it is not IMMUTABLE). The
-- timeline narrows on related_id first and sorts the few rows left.
CREATE INDEX records_sales_account_parent ON records (tenant_id, (data ->> 'parent_id'))
    WHERE object = 'account';
CREATE INDEX records_sales_account_contact_account ON records (tenant_id, (data ->> 'account_id'))
    WHERE object = 'account_contact';
CREATE INDEX records_sales_account_contact_contact ON records (tenant_id, (data ->> 'contact_id'))
    WHERE object = 'account_contact';
CREATE INDEX records_sales_lead_email ON records (tenant_id, lower(data ->> 'email'))
    WHERE object = 'lead';
CREATE INDEX records_sales_lead_status ON records (tenant_id, (data ->> 'status'))
    WHERE object = 'lead';
CREATE INDEX records_sales_task_related ON records (tenant_id, (data ->> 'related_id'))
    WHERE object = 'task';
CREATE INDEX records_sales_call_related ON records (tenant_id, (data ->> 'related_id'))
    WHERE object = 'call';
CREATE INDEX records_sales_meeting_related ON records (tenant_id, (data ->> 'related_id'))
    WHERE object = 'meeting';
CREATE INDEX records_sales_note_related ON records (tenant_id, (data ->> 'related_id'))
    WHERE object = 'note';
CREATE INDEX records_sales_attendee_meeting ON records (tenant_id, (data ->> 'meeting_id'))
    WHERE object = 'meeting_attendee';
CREATE INDEX records_sales_attendee_contact ON records (tenant_id, (data ->> 'contact_id'))
    WHERE object = 'meeting_attendee';

CREATE STATISTICS IF NOT EXISTS records_sales_parent_id_stats ON ((data ->> 'parent_id')) FROM records;
CREATE STATISTICS IF NOT EXISTS records_sales_contact_id_stats ON ((data ->> 'contact_id')) FROM records;
CREATE STATISTICS IF NOT EXISTS records_sales_status_stats ON ((data ->> 'status')) FROM records;
CREATE STATISTICS IF NOT EXISTS records_sales_related_id_stats ON ((data ->> 'related_id')) FROM records;
CREATE STATISTICS IF NOT EXISTS records_sales_meeting_id_stats ON ((data ->> 'meeting_id')) FROM records;
