-- What invoicing and sales need from the card (issue 15). Runs in schema
-- "partners" (docs/partners.md, "Terms, roles, group and names").

-- Every partner so far was someone we sell to: existing rows become
-- customers (the column is added with DEFAULT true, which PostgreSQL
-- records without rewriting the table); new rows are what their writer says,
-- so the default then becomes false, the API's default for a bool.
ALTER TABLE partner
  ADD COLUMN payment_terms_days    integer NOT NULL DEFAULT 0
    CHECK (payment_terms_days BETWEEN 0 AND 365),
  ADD COLUMN default_currency_code text    NOT NULL DEFAULT '',
  ADD COLUMN preferred_language    text    NOT NULL DEFAULT '',
  ADD COLUMN customer              boolean NOT NULL DEFAULT true,
  ADD COLUMN supplier              boolean NOT NULL DEFAULT false,
  -- The group or parent company. No ON DELETE: a parent with subsidiaries
  -- is not deleted (archive it instead), like any partner still referred to.
  ADD COLUMN parent_partner_id     bigint  REFERENCES partner (id)
    CHECK (parent_partner_id <> id),
  ADD COLUMN first_name            text    NOT NULL DEFAULT '',
  ADD COLUMN last_name             text    NOT NULL DEFAULT '',
  ADD COLUMN salutation            text    NOT NULL DEFAULT '';
ALTER TABLE partner ALTER COLUMN customer SET DEFAULT false;

-- A parent's subsidiaries (ListPartners' parent_partner_id filter, the
-- cycle check walking up, merges re-pointing them).
CREATE INDEX partner_parent_idx ON partner (parent_partner_id) WHERE parent_partner_id IS NOT NULL;

-- Persons get their names from their display names, read in Hungarian
-- order, family name first: "Kovács Anna" is last_name Kovács, first_name
-- Anna. A leading "Dr." or "Prof." (any case, several allowed) is the
-- salutation. The rest splits at its last space: everything before is the
-- family name ("Kovácsné Nagy Anna": Kovácsné Nagy / Anna), the last word
-- the given name; a single word is a family name. Erased persons stay
-- without names. Names too long for the API's bounds (100 bytes each, 30
-- for the salutation) are left empty rather than cut.
WITH parsed AS (
  SELECT p.id,
         substring(btrim(p.display_name) FROM '^((?:(?:[Dd][Rr]|[Pp][Rr][Oo][Ff])\.\s*)*)') AS title,
         btrim(regexp_replace(btrim(p.display_name),
                              '^((?:[Dd][Rr]|[Pp][Rr][Oo][Ff])\.\s*)*', '')) AS name
  FROM partner p
  WHERE p.kind = 'person' AND p.erase_time IS NULL),
split AS (
  SELECT id,
         regexp_replace(btrim(title), '\s+', ' ', 'g') AS salutation,
         CASE WHEN strpos(name, ' ') = 0 THEN name
              ELSE btrim(substring(name FROM '^(.*)\s\S+$')) END AS last_name,
         CASE WHEN strpos(name, ' ') = 0 THEN ''
              ELSE substring(name FROM '\s(\S+)$') END AS first_name
  FROM parsed)
UPDATE partner p
SET salutation = CASE WHEN octet_length(s.salutation) <= 30 THEN s.salutation ELSE '' END,
    last_name = CASE WHEN octet_length(s.last_name) <= 100 THEN s.last_name ELSE '' END,
    first_name = CASE WHEN octet_length(s.first_name) <= 100 THEN s.first_name ELSE '' END
FROM split s
WHERE p.id = s.id;
