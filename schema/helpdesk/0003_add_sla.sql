-- SLA (H3): business calendars, policies per ticket type and priority, and
-- each ticket's clock.

CREATE TABLE business_calendar (
  id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                text        NOT NULL CHECK (name <> ''),
  time_zone           text        NOT NULL DEFAULT 'Europe/Budapest',
  -- OpeningHours messages in proto JSON: [{"weekday": 1, "open": "08:00", "close": "16:30"}, ...]
  hours               jsonb       NOT NULL DEFAULT '[]',
  hungarian_holidays  boolean     NOT NULL DEFAULT true,
  closed_dates        date[]      NOT NULL DEFAULT '{}',
  working_dates       date[]      NOT NULL DEFAULT '{}',
  create_time         timestamptz NOT NULL DEFAULT now(),
  update_time         timestamptz NOT NULL DEFAULT now(),
  version             bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX business_calendar_name ON business_calendar (lower(name));

-- Every installation starts with the Hungarian office week.
INSERT INTO business_calendar (name, hours) VALUES
  ('Munkanapok 8:00–16:30',
   '[{"weekday": 1, "open": "08:00", "close": "16:30"},
     {"weekday": 2, "open": "08:00", "close": "16:30"},
     {"weekday": 3, "open": "08:00", "close": "16:30"},
     {"weekday": 4, "open": "08:00", "close": "16:30"},
     {"weekday": 5, "open": "08:00", "close": "16:30"}]');

CREATE TABLE sla_policy (
  id                      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                    text        NOT NULL CHECK (name <> ''),
  type_id                 bigint      REFERENCES ticket_type (id),
  -- '' for any priority
  priority                text        NOT NULL DEFAULT ''
                          CHECK (priority IN ('', 'low', 'normal', 'high', 'urgent')),
  calendar_id             bigint      NOT NULL REFERENCES business_calendar (id),
  first_response_minutes  integer     NOT NULL CHECK (first_response_minutes > 0),
  resolution_minutes      integer     NOT NULL CHECK (resolution_minutes > 0),
  warn_percent            integer     NOT NULL DEFAULT 80 CHECK (warn_percent BETWEEN 1 AND 99),
  escalate_to_user_id     bigint      REFERENCES kernel.user_account (id),
  active                  boolean     NOT NULL DEFAULT true,
  create_time             timestamptz NOT NULL,
  update_time             timestamptz NOT NULL,
  version                 bigint      NOT NULL DEFAULT 1
);

-- The ticket's clock. The due times are unset while paused (waiting on the
-- customer); what was left of each target then is kept in seconds. Jobs
-- carry the generation they were scheduled for: a pause, a resume or a new
-- plan moves it on, and older jobs find nothing to do.
ALTER TABLE ticket
  ADD COLUMN sla_policy_id               bigint REFERENCES sla_policy (id),
  ADD COLUMN first_response_due_time     timestamptz,
  ADD COLUMN resolve_due_time            timestamptz,
  ADD COLUMN sla_paused_time             timestamptz,
  ADD COLUMN sla_first_left_seconds      bigint,
  ADD COLUMN sla_resolve_left_seconds    bigint,
  ADD COLUMN sla_generation              integer NOT NULL DEFAULT 0,
  ADD COLUMN first_response_warned       boolean NOT NULL DEFAULT false,
  ADD COLUMN resolve_warned              boolean NOT NULL DEFAULT false,
  ADD COLUMN first_response_breached     boolean NOT NULL DEFAULT false,
  ADD COLUMN resolve_breached            boolean NOT NULL DEFAULT false;
CREATE INDEX ticket_sla_state ON ticket (sla_state, id);
