-- The partners module's reporting contract (docs/partners.md, "Reporting
-- views"): read-only views in the schema partners_reporting that the
-- reports module (and an installation's own SQL reports) reads instead of
-- partners' tables. Like a v1 proto the views only grow: a later migration
-- may add columns at the end (CREATE OR REPLACE VIEW), never rename, drop or
-- change the meaning of one. Visibility is not applied here: each row
-- carries the card's owner, and a reader applies its own rule to it.
CREATE SCHEMA partners_reporting;

-- One row per partner card: who it is and who looks after it. An erased
-- partner shows the anonymised name its card has. A merged partner stays
-- (other modules' rows may still name it) and points at the card that
-- survived its merges, however many followed (surviving_partner_id; its own
-- id when it was never merged), so a reader counts its history there.
CREATE VIEW partners_reporting.partner AS
WITH RECURSIVE survivor (id, surviving_partner_id) AS (
  SELECT id, id FROM partners.partner WHERE merged_into_id IS NULL
  UNION ALL
  SELECT p.id, s.surviving_partner_id
    FROM partners.partner p JOIN survivor s ON p.merged_into_id = s.id
)
SELECT p.id,
       p.kind,                                     -- 'organization' or 'person'
       p.display_name,
       p.owner_user_id,                            -- the responsible colleague; NULL: nobody
       p.customer,
       p.supplier,
       p.archived,
       p.merged_into_id,                           -- the partner it was merged into; NULL if not
       p.create_time,
       s.surviving_partner_id
FROM partners.partner p
JOIN survivor s ON s.id = p.id;
