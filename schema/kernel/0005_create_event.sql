-- Domain events (docs/events.md). Runs in schema "kernel".
--
-- Publishers insert into event_outbox inside their own transaction, so an
-- event exists if and only if the change committed. One sequencer at a time
-- (an advisory lock) moves committed outbox rows into the event log, where
-- they get their public id. Ids therefore grow in the order events became
-- visible: a reader that has seen id N will never later find an id below N
-- appear, which is what makes a single number a safe cursor.

CREATE TABLE event_outbox (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  module         text        NOT NULL,
  topic          text        NOT NULL,
  aggregate_id   bigint      NOT NULL,
  payload_type   text        NOT NULL,
  payload        bytea       NOT NULL,
  publish_time   timestamptz NOT NULL,  -- kernel clock
  actor_user_id  bigint
);

CREATE TABLE event (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  module         text        NOT NULL,
  topic          text        NOT NULL,
  aggregate_id   bigint      NOT NULL,
  payload_type   text        NOT NULL,
  payload        bytea       NOT NULL,
  publish_time   timestamptz NOT NULL,
  actor_user_id  bigint
);
-- Retention deletes by age.
CREATE INDEX event_publish_time_idx ON event (publish_time);

-- The id up to which retention has deleted the log: a reader asking for
-- events after an older id is told that some are gone.
CREATE TABLE event_retention (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  purged_through  bigint  NOT NULL DEFAULT 0
);
INSERT INTO event_retention DEFAULT VALUES;

-- A durable cursor per subscriber: in-process handlers of modules
-- ("<module>.<name>") and webhooks ("webhook.<id>").
CREATE TABLE event_subscription (
  id                    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                  text        NOT NULL UNIQUE,
  kind                  text        NOT NULL CHECK (kind IN ('module', 'webhook')),
  -- Comma-separated topic patterns ("partners.partner.*").
  topics                text        NOT NULL,
  -- The last event handled (or skipped as not matching).
  cursor                bigint      NOT NULL DEFAULT 0,
  active                boolean     NOT NULL DEFAULT true,
  disabled_reason       text        NOT NULL DEFAULT '',
  -- Failed attempts at the event after the cursor; reset by a success.
  consecutive_failures  integer     NOT NULL DEFAULT 0,
  last_error            text        NOT NULL DEFAULT '',
  retry_at              timestamptz,  -- kernel clock; backoff after a failure
  last_success_at       timestamptz,
  parked_count          integer     NOT NULL DEFAULT 0,
  -- Which kartond delivers right now, and until when (database clock: a
  -- claim is about processes, not business time).
  claimed_by            text,
  claim_until           timestamptz,
  -- Last start of a kartond whose module registered this subscription.
  registered_at         timestamptz,
  create_time           timestamptz NOT NULL
);

-- Events a subscriber kept failing. They leave the cursor's way, so later
-- events flow; events of the same aggregate are parked behind them, so each
-- aggregate's order holds.
CREATE TABLE event_parked (
  subscription_id      bigint      NOT NULL REFERENCES event_subscription (id) ON DELETE CASCADE,
  event_id             bigint      NOT NULL,
  aggregate_type       text        NOT NULL,  -- "<module>.<resource>" of the topic
  aggregate_id         bigint      NOT NULL,
  state                text        NOT NULL DEFAULT 'parked' CHECK (state IN ('parked', 'retrying')),
  attempts             integer     NOT NULL,
  last_error           text        NOT NULL,
  blocked_by_event_id  bigint,
  park_time            timestamptz NOT NULL,
  PRIMARY KEY (subscription_id, event_id)
);
CREATE INDEX event_parked_aggregate_idx ON event_parked (subscription_id, aggregate_type, aggregate_id);

CREATE TABLE webhook (
  id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  bigint      NOT NULL UNIQUE REFERENCES event_subscription (id),
  url              text        NOT NULL,
  -- The HMAC key: kept in clear, since signing needs it. Only admins reach
  -- this table's API, and the secret is returned once, at creation.
  secret           text        NOT NULL,
  request_id       text        UNIQUE,
  create_time      timestamptz NOT NULL
);
