-- Recipes (docs/automation.md, "Recipes"): which ready-made automations
-- are switched on, with which template, and the rule a rule-shaped recipe
-- made.
CREATE TABLE recipe (
  name          text        PRIMARY KEY,
  enabled       boolean     NOT NULL,
  template_name text        NOT NULL,
  rule_id       bigint      REFERENCES rule (id),
  update_time   timestamptz NOT NULL
);

-- One greeting per person and day, whoever runs the daily job how often.
CREATE TABLE greeting_sent (
  recipe      text   NOT NULL,
  partner_id  bigint NOT NULL,
  day         date   NOT NULL,
  message_id  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (recipe, partner_id, day)
);
