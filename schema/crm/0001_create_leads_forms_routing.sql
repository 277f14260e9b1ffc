-- Leads, web forms and routing (docs/crm.md). Runs in schema "crm".
-- Partners, users and teams are referenced by foreign key: they are entered
-- once, in the partners module and the kernel.

-- A web form's definition is its API document (fields, categories, ...),
-- kept as it is written; the slug and the switch are columns because the
-- public side looks them up.
CREATE TABLE web_form (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  slug         text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  definition   jsonb       NOT NULL,
  disabled     boolean     NOT NULL DEFAULT false,
  request_id   text        UNIQUE,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1
);

CREATE TABLE lead (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title             text        NOT NULL DEFAULT '',
  contact_name      text        NOT NULL DEFAULT '',
  email             text        NOT NULL DEFAULT '',
  phone             text        NOT NULL DEFAULT '',
  company_name      text        NOT NULL DEFAULT '',
  tax_number        text        NOT NULL DEFAULT '',
  country           text        NOT NULL DEFAULT '',
  postal_code       text        NOT NULL DEFAULT '',
  city              text        NOT NULL DEFAULT '',
  message           text        NOT NULL DEFAULT '',
  source            text        NOT NULL
                    CHECK (source IN ('manual', 'web_form', 'import', 'email', 'api')),
  category          text        NOT NULL DEFAULT '',
  assigned_user_id  bigint      REFERENCES kernel.user_account (id),
  team_id           bigint      REFERENCES kernel.team (id),
  status            text        NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'qualified', 'disqualified')),
  disqualify_reason text        NOT NULL DEFAULT '',
  partner_id        bigint      REFERENCES partners.partner (id),
  opportunity_id    bigint,
  web_form_id       bigint      REFERENCES web_form (id),
  custom_fields     jsonb       NOT NULL DEFAULT '{}',
  -- [{status, changeTime, userId, note}], oldest first (LeadStatusChange).
  status_history    jsonb       NOT NULL DEFAULT '[]',
  request_id        text        UNIQUE,
  create_time       timestamptz NOT NULL,
  update_time       timestamptz NOT NULL,
  version           bigint      NOT NULL DEFAULT 1
);
CREATE INDEX lead_recent_idx ON lead (id DESC);
CREATE INDEX lead_assigned_idx ON lead (assigned_user_id, id DESC);
CREATE INDEX lead_team_idx ON lead (team_id, id DESC);
CREATE INDEX lead_status_idx ON lead (status, id DESC);
CREATE INDEX lead_partner_idx ON lead (partner_id) WHERE partner_id IS NOT NULL;

-- Routing rules, tried in ascending priority (AssignmentRule).
CREATE TABLE assignment_rule (
  id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  priority            int         NOT NULL,
  category            text        NOT NULL DEFAULT '',
  country             text        NOT NULL DEFAULT '',
  postal_code_prefix  text        NOT NULL DEFAULT '',
  team_id             bigint      REFERENCES kernel.team (id) ON DELETE CASCADE,
  user_id             bigint      REFERENCES kernel.user_account (id) ON DELETE CASCADE,
  create_time         timestamptz NOT NULL,
  CHECK ((team_id IS NULL) <> (user_id IS NULL))
);

-- Round-robin within a team: the position of the next member. The row is
-- locked by the assigning transaction, so concurrent submissions take
-- turns and the split stays even.
CREATE TABLE team_rotation (
  team_id        bigint PRIMARY KEY REFERENCES kernel.team (id) ON DELETE CASCADE,
  next_position  bigint NOT NULL DEFAULT 0
);

-- Pipelines and their stages, in order.
CREATE TABLE pipeline (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text        NOT NULL CHECK (name <> ''),
  request_id   text        UNIQUE,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1
);

CREATE TABLE stage (
  id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pipeline_id  bigint  NOT NULL REFERENCES pipeline (id),
  position     int     NOT NULL,
  name         text    NOT NULL CHECK (name <> ''),
  probability  int     NOT NULL CHECK (probability BETWEEN 0 AND 100),
  won          boolean NOT NULL DEFAULT false,
  lost         boolean NOT NULL DEFAULT false,
  -- Dropped stages stay (opportunities' history names them) but leave
  -- the order.
  removed      boolean NOT NULL DEFAULT false,
  CHECK (NOT (won AND lost))
);
CREATE INDEX stage_pipeline_idx ON stage (pipeline_id, position);

CREATE TABLE opportunity (
  id                         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name                       text        NOT NULL CHECK (name <> ''),
  partner_id                 bigint      NOT NULL REFERENCES partners.partner (id),
  pipeline_id                bigint      NOT NULL REFERENCES pipeline (id),
  stage_id                   bigint      NOT NULL REFERENCES stage (id),
  status                     text        NOT NULL DEFAULT 'open'
                             CHECK (status IN ('open', 'won', 'lost')),
  expected_revenue_currency  text        NOT NULL DEFAULT '',
  expected_revenue_minor     bigint      NOT NULL DEFAULT 0,
  expected_close_date        date,
  owner_user_id              bigint      REFERENCES kernel.user_account (id),
  team_id                    bigint      REFERENCES kernel.team (id),
  lost_reason                text        NOT NULL DEFAULT '',
  lead_id                    bigint      REFERENCES lead (id),
  request_id                 text        UNIQUE,
  create_time                timestamptz NOT NULL,
  update_time                timestamptz NOT NULL,
  close_time                 timestamptz,
  version                    bigint      NOT NULL DEFAULT 1
);
CREATE INDEX opportunity_recent_idx ON opportunity (id DESC);
CREATE INDEX opportunity_owner_idx ON opportunity (owner_user_id, id DESC);
CREATE INDEX opportunity_team_idx ON opportunity (team_id, id DESC);
CREATE INDEX opportunity_partner_idx ON opportunity (partner_id, id DESC);
CREATE INDEX opportunity_stage_idx ON opportunity (stage_id) WHERE status = 'open';
ALTER TABLE lead ADD FOREIGN KEY (opportunity_id) REFERENCES opportunity (id);

-- Every stage an opportunity was in: for its history and for reports
-- (cycle time, conversion by stage).
CREATE TABLE opportunity_stage_change (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  opportunity_id  bigint      NOT NULL REFERENCES opportunity (id),
  stage_id        bigint      NOT NULL REFERENCES stage (id),
  change_time     timestamptz NOT NULL,
  user_id         bigint      REFERENCES kernel.user_account (id)
);
CREATE INDEX opportunity_stage_change_idx ON opportunity_stage_change (opportunity_id, id);
