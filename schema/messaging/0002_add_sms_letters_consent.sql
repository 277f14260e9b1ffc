-- SMS, letters and consent (docs/messaging.md). Runs in schema "messaging".

-- Letters: the PDF stored on the partner, and the postal address as printed
-- (structured, for the direct-mail CSV). Every message: the name it was
-- addressed to.
ALTER TABLE message
  ADD COLUMN document_id     bigint,
  ADD COLUMN recipient_name  text  NOT NULL DEFAULT '',
  ADD COLUMN postal_address  jsonb;
CREATE INDEX message_channel_idx ON message (channel, create_time, id);

-- The suppression list: no more marketing on this channel to this address.
-- Addresses are stored normalised (lower-case email, E.164 phone,
-- "partners/<id>" or "contacts/<id>" for letters), so one comparison decides.
CREATE TABLE suppression (
  id           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,  -- the list's page order
  channel      text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  address      text        NOT NULL CHECK (address <> ''),
  source       text        NOT NULL CHECK (source IN ('unsubscribe_link', 'manual')),
  reason       text        NOT NULL DEFAULT '',
  message_id   bigint      REFERENCES message (id) ON DELETE SET NULL,
  actor_user_id bigint,
  create_time  timestamptz NOT NULL,
  PRIMARY KEY (channel, address)
);

-- The key that signs unsubscribe links: one per database, so every kartond
-- sharing it accepts every link, and links stay valid across restarts.
CREATE TABLE signing_key (
  name  text  PRIMARY KEY,
  key   bytea NOT NULL CHECK (length(key) = 32)
);
