-- Standard processes (H2): a ticket type's ordered steps, and each
-- ticket's copy of them with how far it got.

-- The process as ProcessStep messages in proto JSON, in order.
ALTER TABLE ticket_type ADD COLUMN steps jsonb NOT NULL DEFAULT '[]';

-- The position of the step being worked on; 0: none.
ALTER TABLE ticket ADD COLUMN current_step integer NOT NULL DEFAULT 0;

CREATE TABLE ticket_step (
  ticket_id    bigint      NOT NULL REFERENCES ticket (id),
  position     integer     NOT NULL CHECK (position > 0),
  -- The ProcessStep as the type defined it when the ticket got it.
  definition   jsonb       NOT NULL,
  state        text        NOT NULL DEFAULT 'pending'
               CHECK (state IN ('pending', 'current', 'done', 'skipped')),
  start_time   timestamptz,
  due_time     timestamptz,
  finish_time  timestamptz,
  finished_by  bigint      NOT NULL DEFAULT 0,
  -- What was done, or why it was skipped.
  note         text        NOT NULL DEFAULT '',
  PRIMARY KEY (ticket_id, position)
);

-- A comment written by kartond once per cause (an automatic action's
-- result), so a job run twice writes it once.
ALTER TABLE ticket_comment ADD COLUMN source_key text NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ticket_comment_source ON ticket_comment (ticket_id, source_key)
  WHERE source_key <> '';
