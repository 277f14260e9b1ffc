-- Inbound email over the size cap (docs/messaging.md, "Inbound email"): a
-- message larger than messaging.inbound_max_mib is not downloaded. Its row
-- says so: status 'skipped', no raw bytes, the size the server reported
-- (RFC822.SIZE) and the reason; the cursor moves past it, so no later poll
-- asks for it again. Runs in schema "messaging".
ALTER TABLE inbound_email DROP CONSTRAINT inbound_email_status_check;
ALTER TABLE inbound_email ADD CONSTRAINT inbound_email_status_check
  CHECK (status IN ('received', 'processed', 'skipped'));
ALTER TABLE inbound_email
  ADD COLUMN size_bytes   bigint CHECK (size_bytes >= 0),
  ADD COLUMN skip_reason  text   NOT NULL DEFAULT '';
