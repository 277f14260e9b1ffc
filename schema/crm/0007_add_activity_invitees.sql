-- Invitations (docs/crm.md, "Invitations"): partners' contacts (or bare
-- addresses) invited to an activity by an iTIP email with its .ics.
-- Runs in schema "crm".

-- The iCalendar UID's random part, made once per activity: the UID
-- (karton-activity-<id>-<ical_token>@karton) names no host, so the feed and
-- the invitations keep it when the public URL changes. invite_sequence is
-- the SEQUENCE the invitations carry: one up for each change of time,
-- duration, place or subject, and for the cancellation.
ALTER TABLE activity
  ADD COLUMN ical_token       text NOT NULL DEFAULT replace(gen_random_uuid()::text, '-', ''),
  ADD COLUMN invite_sequence  int  NOT NULL DEFAULT 0 CHECK (invite_sequence >= 0);

-- One row per invitee the activity has had. A removed one stays (removed)
-- until it has been told (CANCEL). sent_sequence and sent_method are those
-- of the last invitation that went to them (-1 and '' before the first),
-- message_id is messaging's message of it.
CREATE TABLE activity_invitee (
  id             bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  activity_id    bigint  NOT NULL REFERENCES activity (id) ON DELETE CASCADE,
  position       int     NOT NULL,
  contact_id     bigint,
  email          text    NOT NULL,
  name           text    NOT NULL DEFAULT '',
  removed        boolean NOT NULL DEFAULT false,
  sent_sequence  int     NOT NULL DEFAULT -1,
  sent_method    text    NOT NULL DEFAULT '' CHECK (sent_method IN ('', 'REQUEST', 'CANCEL')),
  message_id     bigint  NOT NULL DEFAULT 0
);
CREATE INDEX activity_invitee_activity_idx ON activity_invitee (activity_id, position);
