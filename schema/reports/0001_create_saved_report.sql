-- Saved reports (docs/reports.md): a user's own report definitions, the
-- report and its filters under a name. Runs in schema "reports". Nobody
-- reads another's: every statement on this table names the user.
CREATE TABLE saved_report (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id        bigint      NOT NULL REFERENCES kernel.user_account (id) ON DELETE CASCADE,
  name           text        NOT NULL CHECK (name <> ''),
  -- The Report enum's word: 'pipeline_by_stage', 'forecast_by_month', ...
  report         text        NOT NULL,
  from_date      date,
  to_date        date,
  owner_user_id  bigint,
  team_id        bigint,
  create_time    timestamptz NOT NULL,
  version        bigint      NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX saved_report_user_name_key ON saved_report (user_id, lower(name));
