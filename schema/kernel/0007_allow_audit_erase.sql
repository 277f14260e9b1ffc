-- Personal data erasure (A10; docs/security.md). An 'erase' entry records that a
-- record's personal data was erased on request; the erasure also replaces
-- the erased values in the record's earlier entries with "[erased]" (the one
-- change entries ever get: the right to erasure beats append-only).
ALTER TABLE audit_entry DROP CONSTRAINT audit_entry_action_check;
ALTER TABLE audit_entry ADD CONSTRAINT audit_entry_action_check
  CHECK (action IN ('create', 'update', 'delete', 'erase'));
