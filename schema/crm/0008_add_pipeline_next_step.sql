-- "No opportunity without a next step" (C8), enforced per pipeline: an open
-- opportunity of a pipeline with require_next_step may not be left without
-- a planned activity (docs/crm.md, "Next steps").
ALTER TABLE pipeline ADD COLUMN require_next_step boolean NOT NULL DEFAULT false;
