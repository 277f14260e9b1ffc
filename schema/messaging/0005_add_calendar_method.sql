-- Calendar invitations (RFC 6047): the iTIP method an email's text/calendar
-- attachment is also sent with as a body alternative (docs/messaging.md,
-- "Calendar invitations"). Empty for other messages.
-- Runs in schema "messaging".

ALTER TABLE message
  ADD COLUMN calendar_method text NOT NULL DEFAULT '';
