-- The audit trail (P8). Rows are only ever inserted.
CREATE TABLE audit_entry (
  id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at    timestamptz NOT NULL,            -- kernel clock
  actor_user_id  bigint,                          -- NULL: kartond itself
  action         text        NOT NULL CHECK (action IN ('create', 'update', 'delete')),
  resource_type  text        NOT NULL,
  resource_id    bigint      NOT NULL,
  -- [{"field": "name", "old": <json>, "new": <json>}, ...]; old/new absent
  -- on create/delete
  changes        jsonb       NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_entry_resource_idx ON audit_entry (resource_type, resource_id, id);
CREATE INDEX audit_entry_actor_idx ON audit_entry (actor_user_id, id);
CREATE INDEX audit_entry_time_idx ON audit_entry (occurred_at);
