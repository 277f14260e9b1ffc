-- Contacts (A2) and the timeline (A5). Runs in schema "partners".

CREATE TABLE contact (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id   bigint      NOT NULL REFERENCES partner (id) ON DELETE CASCADE,
  name         text        COLLATE display_order NOT NULL CHECK (name <> ''),
  role         text        NOT NULL DEFAULT '',
  emails       text[]      NOT NULL DEFAULT '{}',
  phones       text[]      NOT NULL DEFAULT '{}',
  birthday     date,
  name_day     text        NOT NULL DEFAULT '',
  is_primary   boolean     NOT NULL DEFAULT false,
  request_id   text        UNIQUE,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1
);
CREATE INDEX contact_partner_idx ON contact (partner_id, is_primary DESC, name, id);
-- At most one primary contact per partner.
CREATE UNIQUE INDEX contact_primary_key ON contact (partner_id) WHERE is_primary;
CREATE INDEX contact_emails_idx ON contact USING gin (emails);
CREATE INDEX contact_phones_idx ON contact USING gin (phones);

CREATE TABLE contact_external_id (
  source      text   NOT NULL CHECK (source <> ''),
  key         text   NOT NULL CHECK (key <> ''),
  contact_id  bigint NOT NULL REFERENCES contact (id) ON DELETE CASCADE,
  PRIMARY KEY (source, key),
  UNIQUE (contact_id, source)
);

-- Every interaction with a partner, from every module, newest first.
CREATE TABLE interaction (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id        bigint      NOT NULL REFERENCES partner (id) ON DELETE CASCADE,
  contact_id        bigint      REFERENCES contact (id) ON DELETE SET NULL,
  channel           text        NOT NULL
                    CHECK (channel IN ('call', 'email', 'meeting', 'letter', 'sms', 'note')),
  direction         text        NOT NULL CHECK (direction IN ('inbound', 'outbound', 'internal')),
  occur_time        timestamptz NOT NULL,
  user_id           bigint      REFERENCES kernel.user_account (id) ON DELETE SET NULL,
  subject           text        NOT NULL DEFAULT '',
  body              text        NOT NULL DEFAULT '',
  source_module     text        NOT NULL,
  source_reference  text,
  create_time       timestamptz NOT NULL,
  UNIQUE (source_module, source_reference)
);
CREATE INDEX interaction_timeline_idx ON interaction (partner_id, occur_time DESC, id DESC);
