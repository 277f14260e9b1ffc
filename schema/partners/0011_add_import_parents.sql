-- An import names each row's parent company (docs/partners.md, "Import and
-- export"): by parent.id, parent.external_id.<source> or parent.tax_number,
-- found among the partners there are or those the same file creates.

ALTER TABLE import_row
  -- "id:17", "ext:crm:A-1", "tax:12345678-2-42"; NULL when the row names none.
  ADD COLUMN parent_ref    text,
  -- The CSV column it came from, for the row's error.
  ADD COLUMN parent_column text   NOT NULL DEFAULT '',
  -- What it names: a partner there is, or the first row of a partner the
  -- file creates.
  ADD COLUMN parent_id     bigint,
  ADD COLUMN parent_row    bigint;
