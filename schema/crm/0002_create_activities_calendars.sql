-- Activities, reminders, calendar feeds and stale-opportunity reminders
-- (docs/crm.md). Runs in schema "crm".

CREATE TABLE activity (
  id                     bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type                   text        NOT NULL CHECK (type IN ('call', 'meeting', 'task', 'email')),
  subject                text        NOT NULL CHECK (subject <> ''),
  description            text        NOT NULL DEFAULT '',
  location               text        NOT NULL DEFAULT '',
  partner_id             bigint      REFERENCES partners.partner (id),
  contact_id             bigint,
  lead_id                bigint      REFERENCES lead (id),
  opportunity_id         bigint      REFERENCES opportunity (id),
  related_resource_type  text        NOT NULL DEFAULT '',
  related_resource_id    bigint,
  assigned_user_id       bigint      REFERENCES kernel.user_account (id),
  team_id                bigint      REFERENCES kernel.team (id),
  start_time             timestamptz,
  duration_seconds       bigint      NOT NULL DEFAULT 0 CHECK (duration_seconds >= 0),
  due_time               timestamptz,
  -- Seconds before the start (or due) time, e.g. {900, 86400}.
  reminders              bigint[]    NOT NULL DEFAULT '{}',
  status                 text        NOT NULL DEFAULT 'planned'
                         CHECK (status IN ('planned', 'done', 'canceled')),
  outcome                text        NOT NULL DEFAULT '',
  complete_time          timestamptz,
  request_id             text        UNIQUE,
  create_time            timestamptz NOT NULL,
  update_time            timestamptz NOT NULL,
  version                bigint      NOT NULL DEFAULT 1,
  CHECK (start_time IS NOT NULL OR due_time IS NOT NULL)
);
-- Calendars read by assignee (or team) and time; the time an activity
-- stands at is its start, else its due time.
CREATE INDEX activity_user_time_idx ON activity (assigned_user_id, (coalesce(start_time, due_time)));
CREATE INDEX activity_team_time_idx ON activity (team_id, (coalesce(start_time, due_time)));
CREATE INDEX activity_partner_idx ON activity (partner_id, (coalesce(start_time, due_time)));
-- "Has this opportunity a next step?"
CREATE INDEX activity_planned_opportunity_idx ON activity (opportunity_id) WHERE status = 'planned';

-- Secret calendar feed URLs, one per user or team. The token is the
-- capability itself (a feed URL is shown again on request, as Outlook's
-- and Google's own feed links are), 256 random bits.
CREATE TABLE calendar_feed (
  owner_kind  text        NOT NULL CHECK (owner_kind IN ('user', 'team')),
  owner_id    bigint      NOT NULL,
  token       text        NOT NULL UNIQUE,
  create_time timestamptz NOT NULL,
  PRIMARY KEY (owner_kind, owner_id)
);
