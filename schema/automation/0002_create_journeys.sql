-- Journeys (docs/automation.md, "Journeys"): timed schedules of steps that
-- partners and leads are enrolled in, and each enrolment's way through one.

CREATE TABLE journey (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text        NOT NULL CHECK (name <> ''),
  description     text        NOT NULL DEFAULT '',
  subject         text        NOT NULL CHECK (subject IN ('partner', 'lead')),
  enrol_topics    text[]      NOT NULL DEFAULT '{}',
  enrol_condition text        NOT NULL DEFAULT '',
  allow_reentry   boolean     NOT NULL DEFAULT false,
  -- The proto3 JSON of the repeated JourneyStep and of JourneyStops: a
  -- definition read whole.
  steps           jsonb       NOT NULL,
  stops           jsonb       NOT NULL DEFAULT '{}',
  enabled         boolean     NOT NULL DEFAULT true,
  create_user_id  bigint      NOT NULL DEFAULT 0,
  create_time     timestamptz NOT NULL,
  update_time     timestamptz NOT NULL,
  delete_time     timestamptz,
  version         bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX journey_name_key ON journey (lower(name)) WHERE delete_time IS NULL;
CREATE INDEX journey_enrol_topics ON journey USING gin (enrol_topics) WHERE delete_time IS NULL AND enabled;

-- The steps are kept as they were at enrolment: a journey edited later
-- changes what new enrolments do, not the schedule one is already on.
CREATE TABLE enrolment (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  journey_id   bigint      NOT NULL REFERENCES journey (id),
  subject_id   bigint      NOT NULL,
  partner_id   bigint      NOT NULL DEFAULT 0,
  state        text        NOT NULL CHECK (state IN ('active', 'completed', 'stopped')),
  end_reason   text        NOT NULL DEFAULT '',
  enrol_time   timestamptz NOT NULL,
  end_time     timestamptz,
  event_id     bigint      NOT NULL DEFAULT 0,
  steps        jsonb       NOT NULL,
  -- The address the journey last wrote to, for "unsubscribed" stops.
  last_address text        NOT NULL DEFAULT ''
);
-- In a journey at most once at a time.
CREATE UNIQUE INDEX enrolment_active ON enrolment (journey_id, subject_id) WHERE state = 'active';
-- An event enrols once, however often it is delivered.
CREATE UNIQUE INDEX enrolment_event ON enrolment (journey_id, event_id) WHERE event_id <> 0;
CREATE INDEX enrolment_partner ON enrolment (partner_id) WHERE state = 'active';
CREATE INDEX enrolment_address ON enrolment (last_address) WHERE state = 'active' AND last_address <> '';

CREATE TABLE enrolment_step (
  enrolment_id   bigint      NOT NULL REFERENCES enrolment (id),
  step_index     integer     NOT NULL,
  occurrence     integer     NOT NULL,
  state          text        NOT NULL CHECK (state IN ('scheduled', 'retrying', 'done', 'skipped', 'failed')),
  scheduled_time timestamptz NOT NULL,
  finish_time    timestamptz,
  attempts       integer     NOT NULL DEFAULT 0,
  error          text        NOT NULL DEFAULT '',
  result         text        NOT NULL DEFAULT '',
  PRIMARY KEY (enrolment_id, step_index, occurrence)
);
