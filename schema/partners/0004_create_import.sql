-- CSV import (A7). Runs in schema "partners".

-- What SearchPartners matches, from a partner row: one definition for the
-- API's writes and the import's set-based ones (folded by kernel.fold).
CREATE FUNCTION search_source(p partner) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT concat_ws(' ', p.display_name, p.legal_name, p.tax_number, p.eu_vat_number,
                   p.registration_number, array_to_string(p.emails, ' '),
                   array_to_string(p.phones, ' '))
$$;

CREATE TABLE import (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  state             text        NOT NULL CHECK (state IN ('receiving', 'applying', 'done', 'failed')),
  mode              text        NOT NULL CHECK (mode IN ('create_only', 'upsert', 'update_only')),
  dry_run           boolean     NOT NULL,
  request_id        text        UNIQUE,
  user_id           bigint      REFERENCES kernel.user_account (id) ON DELETE SET NULL,
  rows_read         bigint      NOT NULL DEFAULT 0,
  rows_valid        bigint      NOT NULL DEFAULT 0,
  rows_invalid      bigint      NOT NULL DEFAULT 0,
  duplicates        bigint      NOT NULL DEFAULT 0,
  partners_created  bigint      NOT NULL DEFAULT 0,
  partners_updated  bigint      NOT NULL DEFAULT 0,
  rows_skipped      bigint      NOT NULL DEFAULT 0,
  contacts_created  bigint      NOT NULL DEFAULT 0,
  error             text        NOT NULL DEFAULT '',
  -- Database clock, renewed with the progress. (Whether the import still
  -- runs is told by its advisory lock, held by its transaction: a lock
  -- nobody holds means its kartond is gone.)
  heartbeat_at      timestamptz NOT NULL DEFAULT now(),
  create_time       timestamptz NOT NULL,
  finish_time       timestamptz
);

-- The rows an import refused, by row and column.
CREATE TABLE import_error (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  import_id    bigint NOT NULL REFERENCES import (id) ON DELETE CASCADE,
  row_number   bigint NOT NULL,
  column_name  text   NOT NULL DEFAULT '',
  field        text   NOT NULL DEFAULT '',
  problem      text   NOT NULL
);
CREATE INDEX import_error_import_idx ON import_error (import_id, row_number);

-- The valid rows of a running import, loaded with COPY and applied with a
-- few set-based statements, all in the import's one transaction. Unlogged:
-- the rows never outlive that transaction, so there is nothing to recover
-- after a crash, and skipping the WAL makes loading faster.
CREATE UNLOGGED TABLE import_row (
  import_id     bigint  NOT NULL,
  row_number    bigint  NOT NULL,
  -- Keys to match existing partners by: Karton id, external ids
  -- ({"legacy_erp": "C-17"}), tax number.
  karton_id     bigint,
  external_ids  jsonb   NOT NULL DEFAULT '{}',
  tax_number    text    NOT NULL DEFAULT '',
  -- Rows with one key are one partner (a file with a row per contact).
  partner_key   text,
  -- The partner columns the row sets (jsonb_populate_record's input) and
  -- the names of its fields, for the update and the events.
  doc           jsonb   NOT NULL,
  creatable     boolean NOT NULL,
  contact       jsonb,
  match_id      bigint,
  leader_row    bigint,
  partner_id    bigint,
  created       boolean NOT NULL DEFAULT false,
  updated       boolean NOT NULL DEFAULT false,
  -- The partner as it was before an update (its protobuf JSON), for the
  -- audit trail's old values.
  before        text,
  PRIMARY KEY (import_id, row_number)
);
