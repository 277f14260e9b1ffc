-- Duplicates and merge (A8). Runs in schema "partners".

-- A merged partner stays, archived, as a pointer to the one it went into:
-- other modules' rows may still refer to it until they re-point them.
ALTER TABLE partner ADD COLUMN merged_into_id bigint REFERENCES partner (id);

-- A name as duplicate detection compares it: folded, without punctuation
-- and without the legal forms every company shares ("Kovács és Társa Kft."
-- -> "kovacs es tarsa"), which would otherwise make all companies similar.
CREATE FUNCTION name_key(name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$
  SELECT btrim(regexp_replace(
           regexp_replace(kernel.fold(name), '[^[:alnum:] ]+', ' ', 'g'),
           '\m(kft|zrt|nyrt|bt|kkt|ev|rt|kht|nonprofit|gmbh|ag|kg|ohg|ltd|llc|inc|plc|sro|s r o|srl|sa|doo|d o o|co|es tarsa|and co)\M',
           '', 'g'))
$$;
CREATE INDEX partner_name_key_idx ON partner USING gin (name_key(display_name) kernel.gin_trgm_ops);
