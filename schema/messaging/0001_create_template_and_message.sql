-- Templates and outbound messages (docs/messaging.md). Runs in schema "messaging".

CREATE TABLE template (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]*$'),
  language     text        NOT NULL CHECK (language <> ''),
  channel      text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  subject      text        NOT NULL DEFAULT '',
  text_body    text        NOT NULL DEFAULT '',
  html_body    text        NOT NULL DEFAULT '',
  request_id   text        UNIQUE,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1,
  UNIQUE (name, channel, language)
);

-- One row per message, rendered when it was queued: what was sent is what
-- was asked for, even if the template changes while the message waits.
CREATE TABLE message (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  channel              text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  category             text        NOT NULL CHECK (category IN ('transactional', 'marketing')),
  partner_id           bigint,
  contact_id           bigint,
  address              text        NOT NULL CHECK (address <> ''),
  template_name        text        NOT NULL DEFAULT '',
  language             text        NOT NULL DEFAULT '',
  subject              text        NOT NULL DEFAULT '',
  text_body            text        NOT NULL DEFAULT '',
  html_body            text        NOT NULL DEFAULT '',
  status               text        NOT NULL DEFAULT 'queued'
                       CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'suppressed')),
  attempts             int         NOT NULL DEFAULT 0,
  last_error           text        NOT NULL DEFAULT '',
  -- Chosen when the message is queued, so every attempt sends the same
  -- Message-ID and a receiver can recognise a repeat.
  provider_message_id  text        NOT NULL DEFAULT '',
  idempotency_key      text        UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  actor_user_id        bigint,
  create_time          timestamptz NOT NULL,
  sent_time            timestamptz
);
CREATE INDEX message_recent_idx ON message (create_time DESC, id DESC);
CREATE INDEX message_partner_idx ON message (partner_id, create_time DESC, id DESC)
  WHERE partner_id IS NOT NULL;
CREATE INDEX message_status_idx ON message (status, create_time DESC, id DESC);
