-- Inbound email and bounces (docs/messaging.md, "Inbound email"). Runs in
-- schema "messaging".

-- A delivery status notification (RFC 3464) about a sent email marks it
-- bounced; a hard bounce (5.x.x) lists the address in the suppression list.
ALTER TABLE message DROP CONSTRAINT message_status_check;
ALTER TABLE message ADD CONSTRAINT message_status_check
  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed', 'bounced'));
ALTER TABLE suppression DROP CONSTRAINT suppression_source_check;
ALTER TABLE suppression ADD CONSTRAINT suppression_source_check
  CHECK (source IN ('unsubscribe_link', 'manual', 'bounce'));
-- Replies and bounces name the sent message by its Message-ID.
CREATE INDEX message_provider_message_id_idx ON message (provider_message_id)
  WHERE provider_message_id <> '';

-- Every message taken from the polled mailbox, once. message_key is the
-- Message-ID header (without angle brackets), or "<mailbox>/<uidvalidity>/<uid>"
-- for a message without one: a second copy of the same email (delivered
-- twice, or seen by a second kartond) conflicts and is skipped.
CREATE TABLE inbound_email (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_key          text        NOT NULL UNIQUE CHECK (message_key <> ''),
  mailbox              text        NOT NULL,
  uid_validity         bigint      NOT NULL,
  uid                  bigint      NOT NULL,
  -- The message as fetched, until it is processed (then NULL).
  raw                  bytea,
  status               text        NOT NULL DEFAULT 'received'
                       CHECK (status IN ('received', 'processed')),
  -- What it turned out to be, once processed.
  kind                 text        NOT NULL DEFAULT ''
                       CHECK (kind IN ('', 'known_sender', 'unknown_sender_lead',
                                       'unknown_sender_ignored', 'bounce')),
  from_address         text        NOT NULL DEFAULT '',
  subject              text        NOT NULL DEFAULT '',
  partner_id           bigint,
  contact_id           bigint,
  -- The sent message it answers (In-Reply-To/References) or reports on (a bounce).
  related_message_id   bigint      REFERENCES message (id) ON DELETE SET NULL,
  thread_id            text        NOT NULL DEFAULT '',
  lead_id              bigint,
  receive_time         timestamptz NOT NULL,
  process_time         timestamptz,
  UNIQUE (mailbox, uid_validity, uid)
);
CREATE INDEX inbound_email_partner_idx ON inbound_email (partner_id) WHERE partner_id IS NOT NULL;
CREATE INDEX inbound_email_contact_idx ON inbound_email (contact_id) WHERE contact_id IS NOT NULL;
ALTER TABLE inbound_email ALTER COLUMN raw SET STORAGE EXTERNAL;

-- The attachments of an inbound email stored as partner documents, each
-- recorded as soon as it is stored, so a repeated run does not store it again.
CREATE TABLE inbound_attachment (
  inbound_email_id  bigint NOT NULL REFERENCES inbound_email (id) ON DELETE CASCADE,
  position          int    NOT NULL CHECK (position BETWEEN 0 AND 999),
  document_id       bigint NOT NULL,
  PRIMARY KEY (inbound_email_id, position)
);

-- How far each polled mailbox has been read: the highest UID taken, valid
-- while the mailbox keeps its UIDVALIDITY (a new one starts from the top;
-- message_key keeps what was taken before from being taken again).
CREATE TABLE inbound_cursor (
  mailbox       text   PRIMARY KEY,
  uid_validity  bigint NOT NULL,
  last_uid      bigint NOT NULL
);
