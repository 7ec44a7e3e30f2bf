-- Global search: each record keeps the normalised text of its searchable
-- fields in records.search_text, matched by substring and by trigram word
-- similarity. See "Search" in server/records/README.md.

-- Trusted extension: lets one GIN index hold tenant_id beside the trigrams.
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- unaccent() is only STABLE because it looks its dictionary up by name;
-- naming the dictionary and the schema makes the result depend on the
-- argument alone, which an index expression and a stored column need.
CREATE FUNCTION rp_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

-- The one normalisation both the stored text and every query go through:
-- accents removed first, so lower() sees plain letters whatever the
-- collation.
CREATE FUNCTION rp_search_norm(text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT lower(public.rp_unaccent($1)) $$;

GRANT EXECUTE ON FUNCTION rp_unaccent(text), rp_search_norm(text) TO rapport_app;

-- NULL when the record has no searchable value. Written by the records
-- engine on create, update and restore.
ALTER TABLE records ADD COLUMN search_text text;

CREATE INDEX records_search_idx ON records USING gin (tenant_id, search_text gin_trgm_ops)
    WHERE deleted_at IS NULL;
