-- Uploads arrive in short transactions, so a slow sender holds no database
-- connection while it sends: a document is pending (pending_since set, no
-- version) until its last chunk is stored, and only then gets its version
-- and becomes visible, with its audit entry and event, in one transaction.
-- A pending upload whose kartond died is deleted after an hour
-- (docs/partners.md, "Documents").
ALTER TABLE document ALTER COLUMN version DROP NOT NULL;
ALTER TABLE document ADD COLUMN pending_since timestamptz;
ALTER TABLE document ADD CHECK ((pending_since IS NULL) = (version IS NOT NULL));
CREATE INDEX document_pending_idx ON document (pending_since) WHERE pending_since IS NOT NULL;
