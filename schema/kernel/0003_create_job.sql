-- The durable job queue (docs/jobs.md). Times come from the kernel clock,
-- passed in as parameters, never from now(): tests move that clock.
CREATE TABLE job (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  module        text        NOT NULL,
  kind          text        NOT NULL,
  payload       text        NOT NULL DEFAULT '',
  state         text        NOT NULL DEFAULT 'scheduled'
                CHECK (state IN ('scheduled', 'running', 'done', 'dead')),
  run_at        timestamptz NOT NULL,
  -- NULL: one-off. 'every <n>s' or 'daily HH:MM' (UTC).
  recurrence    text,
  attempts      integer     NOT NULL DEFAULT 0,
  max_attempts  integer     NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
  last_error    text        NOT NULL DEFAULT '',
  -- Set by the scheduler to make scheduling idempotent.
  unique_key    text        UNIQUE,
  -- Which kartond runs it, and until when its claim holds: a claim that
  -- runs out (the process died) puts the job back in the queue.
  claimed_by    text,
  claim_until   timestamptz,
  create_time   timestamptz NOT NULL,
  finish_time   timestamptz
);
CREATE INDEX job_due_idx ON job (run_at, id) WHERE state = 'scheduled';
CREATE INDEX job_claim_idx ON job (claim_until) WHERE state = 'running';
CREATE INDEX job_module_state_idx ON job (module, state, id);
