-- One row per handler run: tests count rows per job to prove exactly-once.
CREATE TABLE run (
  job_id   bigint  NOT NULL,
  attempt  integer NOT NULL,
  pid      integer NOT NULL DEFAULT pg_backend_pid()
);
