-- The automation module (docs/automation.md): rules that act on domain
-- events, and the record of every run. Runs in schema "automation".

-- A rule's actions are kept as the proto3 JSON of its repeated RuleAction:
-- they are a definition read whole, never queried by part.
CREATE TABLE rule (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text        NOT NULL CHECK (name <> ''),
  description    text        NOT NULL DEFAULT '',
  trigger_topics text[]      NOT NULL CHECK (cardinality(trigger_topics) BETWEEN 1 AND 10),
  condition      text        NOT NULL DEFAULT '',
  actions        jsonb       NOT NULL,
  enabled        boolean     NOT NULL DEFAULT true,
  payload_type   text        NOT NULL,
  create_user_id bigint      NOT NULL DEFAULT 0,
  create_time    timestamptz NOT NULL,
  update_time    timestamptz NOT NULL,
  -- Deleted rules stay for their runs; their names may be used again.
  delete_time    timestamptz,
  version        bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX rule_name_key ON rule (lower(name)) WHERE delete_time IS NULL;
-- Every event asks which live rules it triggers.
CREATE INDEX rule_trigger ON rule USING gin (trigger_topics) WHERE delete_time IS NULL AND enabled;

-- One rule's handling of one event: the run key. An event delivered twice
-- finds its run and does nothing more. The payload and the actions are
-- kept as they were, so an action that waits weeks acts on what the event
-- said under the rule as it was then.
CREATE TABLE rule_run (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id      bigint      NOT NULL REFERENCES rule (id),
  event_id     bigint      NOT NULL,
  topic        text        NOT NULL,
  aggregate_id bigint      NOT NULL,
  event_time   timestamptz NOT NULL,
  payload_type text        NOT NULL,
  payload      bytea       NOT NULL,
  actions      jsonb       NOT NULL,
  create_time  timestamptz NOT NULL,
  UNIQUE (rule_id, event_id)
);
CREATE INDEX rule_run_rule ON rule_run (rule_id, id);
CREATE INDEX rule_run_aggregate ON rule_run (aggregate_id, id);

-- Each action of a run: its own time, attempts and outcome.
CREATE TABLE rule_action_run (
  run_id         bigint      NOT NULL REFERENCES rule_run (id),
  action_index   integer     NOT NULL,
  rule_id        bigint      NOT NULL,
  aggregate_id   bigint      NOT NULL,
  state          text        NOT NULL CHECK (state IN ('scheduled', 'retrying', 'done', 'skipped', 'failed')),
  scheduled_time timestamptz NOT NULL,
  finish_time    timestamptz,
  attempts       integer     NOT NULL DEFAULT 0,
  error          text        NOT NULL DEFAULT '',
  result         text        NOT NULL DEFAULT '',
  -- For an action timed from a field of the record: the moment it is
  -- for. One record's one moment is acted on once, however many events
  -- about the record repeat it.
  moment_key     text,
  PRIMARY KEY (run_id, action_index)
);
CREATE UNIQUE INDEX rule_action_run_moment ON rule_action_run (rule_id, action_index, aggregate_id, moment_key)
  WHERE moment_key IS NOT NULL;
CREATE INDEX rule_action_run_pending ON rule_action_run (rule_id, action_index, aggregate_id)
  WHERE state IN ('scheduled', 'retrying');
