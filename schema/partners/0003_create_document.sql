-- Documents (A4), attached to any record by resource type and id. Runs in
-- schema "partners".
--
-- The content lives in PostgreSQL, in chunks of 1 MiB rather than one value
-- or a large object:
-- - uploads and downloads stream chunk by chunk, so neither kartond nor
--   PostgreSQL ever holds a whole file in memory;
-- - a row per chunk keeps every value far below bytea's 1 GB limit and
--   TOAST's sweet spot;
-- - unlike large objects, chunks go away with their document (ON DELETE
--   CASCADE), need no lo_unlink bookkeeping, and are covered by pg_dump and
--   the same backups, permissions and replicas as everything else.

CREATE TABLE document (
  id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  resource_type text        NOT NULL CHECK (resource_type ~ '^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$'),
  resource_id   bigint      NOT NULL,
  name          text        NOT NULL CHECK (name <> ''),
  content_type  text        NOT NULL,
  size_bytes    bigint      NOT NULL DEFAULT 0,
  sha256        text        NOT NULL DEFAULT '',
  version       integer     NOT NULL CHECK (version > 0),
  uploaded_by   bigint      REFERENCES kernel.user_account (id) ON DELETE SET NULL,
  create_time   timestamptz NOT NULL,
  UNIQUE (resource_type, resource_id, name, version)
);

CREATE TABLE document_chunk (
  document_id  bigint  NOT NULL REFERENCES document (id) ON DELETE CASCADE,
  seq          integer NOT NULL CHECK (seq >= 0),
  data         bytea   NOT NULL,
  PRIMARY KEY (document_id, seq)
);
-- Most attachments are compressed already (PDF, JPEG, DOCX): store chunks
-- out of line without trying to compress them again.
ALTER TABLE document_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
