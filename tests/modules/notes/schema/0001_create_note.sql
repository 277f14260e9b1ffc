-- Runs with search_path set to the module's own schema "notes".
CREATE TABLE note (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  text        text        NOT NULL CHECK (text <> ''),
  create_time timestamptz NOT NULL DEFAULT now()
);
