-- The CRM's reporting contract (docs/crm.md, "Reporting views"): read-only
-- views in the schema crm_reporting that the reports module (and anyone
-- writing SQL reports) reads instead of crm's tables. Like a v1 proto the
-- views only grow: a later migration may add columns at the end (CREATE OR
-- REPLACE VIEW), never rename, drop or change the meaning of one.
-- Visibility is not applied here: every row has its owner user and team
-- (crm's scope columns), and a reader applies crm's rule (docs/crm.md,
-- "Who sees what") to them.
CREATE SCHEMA crm_reporting;

-- One row per opportunity (deal), with its pipeline and stage.
CREATE VIEW crm_reporting.opportunity AS
SELECT o.id,
       o.pipeline_id,
       p.name                       AS pipeline_name,
       o.stage_id,
       s.name                       AS stage_name,
       s.position                   AS stage_position,
       s.probability                AS stage_probability,
       o.status,                                   -- 'open', 'won' or 'lost'
       o.owner_user_id,                            -- NULL: nobody's yet
       o.team_id,                                  -- NULL: no team
       o.partner_id,
       o.lead_id,
       o.expected_revenue_minor,                   -- minor units (fillér, cent)
       o.expected_revenue_currency,                -- ISO 4217; '' when not given
       o.expected_close_date,
       o.create_time,
       o.close_time                                -- NULL while open
FROM crm.opportunity o
JOIN crm.pipeline p ON p.id = o.pipeline_id
JOIN crm.stage s ON s.id = o.stage_id;

-- One row per lead.
CREATE VIEW crm_reporting.lead AS
SELECT l.id,
       l.source,                                   -- 'manual', 'web_form', 'import', 'email', 'api'
       l.category,
       l.status                     AS state,      -- 'new', 'qualified' or 'disqualified'
       l.assigned_user_id           AS owner_user_id,
       l.team_id,
       l.partner_id,
       l.opportunity_id,
       l.create_time,
       (SELECT max(cast(h ->> 'changeTime' AS timestamptz))
          FROM jsonb_array_elements(l.status_history) h
         WHERE h ->> 'status' = 'LEAD_STATUS_QUALIFIED') AS qualify_time,
       (SELECT max(cast(h ->> 'changeTime' AS timestamptz))
          FROM jsonb_array_elements(l.status_history) h
         WHERE h ->> 'status' = 'LEAD_STATUS_DISQUALIFIED') AS disqualify_time
FROM crm.lead l;

-- One row per activity (call, meeting, task, email).
CREATE VIEW crm_reporting.activity AS
SELECT a.id,
       a.type                       AS kind,       -- 'call', 'meeting', 'task', 'email'
       a.assigned_user_id           AS owner_user_id,
       a.team_id,
       a.partner_id,
       a.lead_id,
       a.opportunity_id,
       coalesce(a.due_time, a.start_time) AS due_time,  -- its due time, else its start
       CASE WHEN a.status = 'done' THEN a.complete_time END AS done_time,
       a.status                     AS state,      -- 'planned', 'done' or 'canceled'
       a.create_time
FROM crm.activity a;
