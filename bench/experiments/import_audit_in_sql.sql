-- Issue 14, item 5: can PostgreSQL write an import's audit entries itself,
-- set-based, instead of kartond building them row by row (DiffPartners)?
-- This builds a created partner's audit changes in SQL and
--   1. compares them with the entries kartond wrote for the same partners,
--   2. times building them for 10,000 rows (each partner 50 times).
-- Run it with psql against the database of a `kartond --demo` (its demo
-- partners are created through the API, so each has its create entry):
--   psql -f bench/experiments/import_audit_in_sql.sql
-- On 2026-12-06: all 200 demo partners equal (persons, parents, credit
-- limits, bank accounts, custom fields and external ids among them);
-- 214-256 µs a row with the nested keys renamed to proto names by the
-- function below, 72 µs without renaming (then wrong for addresses and bank
-- accounts). kartond
-- builds a created partner's event AND audit entry, COPYs included, in
-- about 94 µs a row (docs/performance.md), so this form is slower.
\timing on

-- Stored addresses and bank accounts use JSON names (postalCode); the audit
-- trail uses proto names (postal_code), as the kernel's codec prints them.
CREATE OR REPLACE FUNCTION pg_temp.proto_names(items jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_array_length(items) = 0 THEN NULL ELSE
    (SELECT jsonb_agg((SELECT jsonb_object_agg(CASE e.key WHEN 'postalCode' THEN 'postal_code'
                                                 WHEN 'bankName' THEN 'bank_name'
                                                 WHEN 'currencyCode' THEN 'currency_code'
                                                 ELSE e.key END, e.value)
                       FROM jsonb_each(x.item) e) ORDER BY x.position)
     FROM jsonb_array_elements(items) WITH ORDINALITY x(item, position)) END
$$;

CREATE TEMPORARY VIEW built_changes AS
  SELECT p.id,
    (SELECT jsonb_agg(jsonb_build_object('field', f.name, 'new', f.value) ORDER BY f.position)
     FROM (VALUES
       (2, 'kind', to_jsonb(CASE p.kind WHEN 'organization' THEN 'PARTNER_KIND_ORGANIZATION' WHEN 'person' THEN 'PARTNER_KIND_PERSON' END)),
       (3, 'display_name', to_jsonb(nullif(p.display_name, ''))),
       (4, 'legal_name', to_jsonb(nullif(p.legal_name, ''))),
       (5, 'tax_number', to_jsonb(nullif(p.tax_number, ''))),
       (6, 'eu_vat_number', to_jsonb(nullif(p.eu_vat_number, ''))),
       (7, 'registration_number', to_jsonb(nullif(p.registration_number, ''))),
       (8, 'addresses', pg_temp.proto_names(p.addresses)),
       (9, 'emails', CASE WHEN cardinality(p.emails) > 0 THEN to_jsonb(p.emails) END),
       (10, 'phones', CASE WHEN cardinality(p.phones) > 0 THEN to_jsonb(p.phones) END),
       (11, 'website', to_jsonb(nullif(p.website, ''))),
       (12, 'tags', CASE WHEN cardinality(p.tags) > 0 THEN to_jsonb(p.tags) END),
       (13, 'owner_user_id', to_jsonb(nullif(p.owner_user_id, 0)::text)),
       (14, 'custom_fields', nullif(p.custom_fields, '{}')),
       (15, 'credit_limit', nullif(jsonb_strip_nulls(jsonb_build_object(
              'currency_code', nullif(p.credit_limit_currency, ''),
              'minor_units', nullif(p.credit_limit_minor, 0)::text)), '{}')),
       (16, 'risk_class', to_jsonb('RISK_CLASS_' || upper(nullif(p.risk_class, '')))),
       (17, 'birthday', nullif(jsonb_strip_nulls(jsonb_build_object(
              'year', nullif(extract(year FROM p.birthday)::int, 0),
              'month', extract(month FROM p.birthday)::int, 'day', extract(day FROM p.birthday)::int)), '{}')),
       (18, 'name_day', to_jsonb(nullif(p.name_day, ''))),
       (19, 'bank_accounts', pg_temp.proto_names(p.bank_accounts)),
       (20, 'external_ids', (SELECT jsonb_object_agg(x.source, x.key) FROM partners.partner_external_id x WHERE x.partner_id = p.id)),
       (27, 'payment_terms_days', to_jsonb(nullif(p.payment_terms_days, 0))),
       (28, 'default_currency_code', to_jsonb(nullif(p.default_currency_code, ''))),
       (29, 'preferred_language', to_jsonb(nullif(p.preferred_language, ''))),
       (30, 'customer', CASE WHEN p.customer THEN to_jsonb(true) END),
       (31, 'supplier', CASE WHEN p.supplier THEN to_jsonb(true) END),
       (32, 'parent_partner_id', to_jsonb(nullif(p.parent_partner_id, 0)::text)),
       (33, 'first_name', to_jsonb(nullif(p.first_name, ''))),
       (34, 'last_name', to_jsonb(nullif(p.last_name, ''))),
       (35, 'salutation', to_jsonb(nullif(p.salutation, '')))) f(position, name, value)
     WHERE f.value IS NOT NULL) AS changes
    FROM partners.partner p;

-- 1. The same as kartond wrote?
SELECT count(*) AS partners, count(*) FILTER (WHERE b.changes = a.changes) AS equal,
       min(b.id) FILTER (WHERE b.changes IS DISTINCT FROM a.changes) AS first_different
FROM built_changes b JOIN kernel.audit_entry a
  ON a.resource_type = 'partners.partner' AND a.action = 'create' AND a.resource_id = b.id;

-- 2. How long for 10,000 rows (the sum forces every row's changes to be built).
SET jit = off;
EXPLAIN (ANALYZE, TIMING OFF)
SELECT sum(length(b.changes::text)) FROM generate_series(1, 50) g, built_changes b;
