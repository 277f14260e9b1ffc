-- Sending issued invoices and credit notes to NAV Online Számla
-- (docs/invoicing.md, "Sending to NAV"): one row per issued document whose
-- data report Karton sends, made in the issuing transaction when sending is
-- configured. The jobs move it: pending -> submitted (NAV's transaction id)
-- -> accepted or rejected; failed when every attempt to send failed.
-- ResubmitToNav puts a rejected or failed one back to pending in a new
-- round.
CREATE TABLE nav_submission (
  invoice_id      bigint      PRIMARY KEY REFERENCES invoice (id),
  state           text        NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'submitted', 'accepted', 'rejected', 'failed')),
  -- 1 for the first sending, +1 for each ResubmitToNav; the jobs' unique
  -- keys and NAV request ids carry it, so a round's jobs run once.
  round           integer     NOT NULL DEFAULT 1 CHECK (round > 0),
  transaction_id  text,
  -- NAV's validation messages on the report: karton.invoicing.v1.
  -- NavValidationMessage in protobuf's JSON mapping.
  messages        jsonb       NOT NULL DEFAULT '[]',
  -- Failed attempts (send or poll) in this round, and the last one's error.
  failed_attempts integer     NOT NULL DEFAULT 0,
  last_error      text        NOT NULL DEFAULT '',
  -- queryTransactionStatus calls in this round (the poll job's backoff).
  polls           integer     NOT NULL DEFAULT 0,
  create_time     timestamptz NOT NULL,
  submit_time     timestamptz,
  finish_time     timestamptz,
  update_time     timestamptz NOT NULL,
  CHECK ((state IN ('pending', 'failed')) OR transaction_id IS NOT NULL)
);

-- What is still on its way (operations: reports not yet accepted).
CREATE INDEX nav_submission_open ON nav_submission (state)
  WHERE state IN ('pending', 'submitted', 'failed', 'rejected');
