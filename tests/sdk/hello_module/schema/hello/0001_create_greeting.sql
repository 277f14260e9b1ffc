-- Runs with search_path set to the module's own schema "hello".
CREATE TABLE greeting (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text        NOT NULL CHECK (name <> ''),
  language    text        NOT NULL CHECK (language IN ('en', 'hu')),
  text        text        NOT NULL,
  create_time timestamptz NOT NULL
);
