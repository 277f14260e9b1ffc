-- The record a timeline entry belongs to (a deal, a lead), so that an
-- external partner sees the entries of records shared with them, and only
-- those (docs/security.md, "External partners and the timeline").
ALTER TABLE interaction
  ADD COLUMN resource_type text CHECK (resource_type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  ADD COLUMN resource_id bigint,
  ADD CHECK ((resource_type IS NULL) = (resource_id IS NULL));
