-- Which modules have loaded their demo data (kartond --demo), so a restart
-- with --demo never loads it twice.
CREATE TABLE demo_data (
  module     text PRIMARY KEY,
  loaded_at  timestamptz NOT NULL DEFAULT now()
);
