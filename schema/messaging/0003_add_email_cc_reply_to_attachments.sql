-- Email: Cc, Reply-To and attachments (docs/messaging.md, "Attachments").
-- Runs in schema "messaging".

ALTER TABLE message
  ADD COLUMN cc        text[] NOT NULL DEFAULT '{}',
  ADD COLUMN reply_to  text   NOT NULL DEFAULT '';

-- A message's attachments, in the order sent. The bytes are committed with
-- the message (an accepted message has them); the delivery job stores each
-- as a document (the partners module's document store) before the email
-- leaves, and the bytes here are dropped once the message is final and
-- every attachment is a document.
CREATE TABLE attachment (
  message_id         bigint NOT NULL REFERENCES message (id) ON DELETE CASCADE,
  position           int    NOT NULL CHECK (position BETWEEN 0 AND 99),
  file_name          text   NOT NULL,
  media_type         text   NOT NULL CHECK (media_type <> ''),
  size_bytes         bigint NOT NULL CHECK (size_bytes >= 0),
  content            bytea,
  -- The document that keeps the file: one the request named, or the one
  -- delivery stored. document_resource is where delivery stored it
  -- ('partners.partner' or 'messaging.message'); NULL for a document the
  -- request named, which is not this module's to delete.
  document_id        bigint,
  document_resource  text,
  PRIMARY KEY (message_id, position)
);
-- PDFs and images are compressed already: no point in trying again.
ALTER TABLE attachment ALTER COLUMN content SET STORAGE EXTERNAL;
