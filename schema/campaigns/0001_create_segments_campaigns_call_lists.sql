-- The campaigns module (docs/campaigns.md): saved segments, campaigns with
-- the status of each recipient, and cold-call lists. Runs in schema
-- "campaigns".

-- A segment is a definition read whole; its members are worked out when
-- asked, from partners (and orders) over gRPC.
CREATE TABLE segment (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                 text        NOT NULL CHECK (name <> ''),
  description          text        NOT NULL DEFAULT '',
  members              text        NOT NULL CHECK (members IN ('partners', 'contacts')),
  filter               text        NOT NULL DEFAULT '',
  partner_ids          bigint[]    NOT NULL DEFAULT '{}',
  excluded_partner_ids bigint[]    NOT NULL DEFAULT '{}',
  -- The proto3 JSON of PurchaseCondition; NULL when not asked for.
  purchased            jsonb,
  create_user_id       bigint      NOT NULL DEFAULT 0,
  create_time          timestamptz NOT NULL,
  update_time          timestamptz NOT NULL,
  delete_time          timestamptz,
  version              bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX segment_name_key ON segment (lower(name)) WHERE delete_time IS NULL;

CREATE TABLE campaign (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text        NOT NULL CHECK (name <> ''),
  description    text        NOT NULL DEFAULT '',
  segment_id     bigint      NOT NULL REFERENCES segment (id),
  channel        text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  template_name  text        NOT NULL,
  language       text        NOT NULL DEFAULT 'hu',
  send_time      timestamptz,
  max_per_minute integer     NOT NULL DEFAULT 0 CHECK (max_per_minute >= 0),
  state          text        NOT NULL
                 CHECK (state IN ('draft', 'scheduled', 'sending', 'completed', 'canceled')),
  create_user_id bigint      NOT NULL DEFAULT 0,
  create_time    timestamptz NOT NULL,
  update_time    timestamptz NOT NULL,
  start_time     timestamptz,
  complete_time  timestamptz,
  version        bigint      NOT NULL DEFAULT 1
);
CREATE INDEX campaign_segment ON campaign (segment_id);

-- One row per member listed when the campaign started. The messaging
-- message's idempotency key is "campaign-<campaign id>-<recipient id>", so
-- delivery events find their row whatever order they come in.
CREATE TABLE recipient (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  campaign_id bigint      NOT NULL REFERENCES campaign (id),
  partner_id  bigint      NOT NULL,
  contact_id  bigint      NOT NULL DEFAULT 0,
  status      text        NOT NULL CHECK (status IN ('pending', 'queued', 'sent', 'failed',
                                                     'bounced', 'suppressed', 'unsubscribed')),
  message_id  bigint      NOT NULL DEFAULT 0,
  address     text        NOT NULL DEFAULT '',
  detail      text        NOT NULL DEFAULT '',
  update_time timestamptz NOT NULL
);
CREATE UNIQUE INDEX recipient_member ON recipient (campaign_id, partner_id, contact_id);
CREATE INDEX recipient_pending ON recipient (campaign_id, id) WHERE status = 'pending';
CREATE INDEX recipient_message ON recipient (message_id) WHERE message_id <> 0;
CREATE INDEX recipient_partner ON recipient (partner_id);

CREATE TABLE call_list (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              text        NOT NULL CHECK (name <> ''),
  segment_id        bigint      NOT NULL REFERENCES segment (id),
  assignee_user_ids bigint[]    NOT NULL CHECK (cardinality(assignee_user_ids) >= 1),
  script            text        NOT NULL DEFAULT '',
  create_user_id    bigint      NOT NULL DEFAULT 0,
  create_time       timestamptz NOT NULL
);

CREATE TABLE call_entry (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  call_list_id     bigint      NOT NULL REFERENCES call_list (id),
  partner_id       bigint      NOT NULL,
  contact_id       bigint      NOT NULL DEFAULT 0,
  display_name     text        NOT NULL,
  phone            text        NOT NULL,
  assigned_user_id bigint      NOT NULL,
  last_outcome     text        NOT NULL DEFAULT ''
                   CHECK (last_outcome IN ('', 'reached', 'no_answer', 'call_back',
                                           'not_interested', 'wrong_number')),
  open             boolean     NOT NULL DEFAULT true,
  attempts         integer     NOT NULL DEFAULT 0,
  note             text        NOT NULL DEFAULT '',
  call_back_time   timestamptz,
  last_call_time   timestamptz,
  version          bigint      NOT NULL DEFAULT 1
);
CREATE INDEX call_entry_list ON call_entry (call_list_id, assigned_user_id, id);
CREATE INDEX call_entry_partner ON call_entry (partner_id);
