-- A partner's search source from the card's fields themselves. CreatePartner
-- and UpdatePartner write the row from typed parameters, one per column,
-- and no longer build a partners.partner record from a JSON document
-- (jsonb_populate_record) only to hand it to search_source: pgbench at
-- concurrency 16 ran that INSERT at about 80% of the rate of the same
-- INSERT with typed values (docs/performance.md). search_source(partner),
-- which the import still uses, calls this one: one definition of what is
-- searched. Same results.
CREATE FUNCTION search_source_of(display_name text, legal_name text, last_name text,
                                 first_name text, tax_number text, eu_vat_number text,
                                 registration_number text, emails text[], phones text[])
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT concat_ws(' ', display_name, legal_name, last_name, first_name, tax_number,
                   eu_vat_number, registration_number, array_to_string(emails, ' '),
                   array_to_string(phones, ' '))
$$;

CREATE OR REPLACE FUNCTION search_source(p partner) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT partners.search_source_of(p.display_name, p.legal_name, p.last_name, p.first_name, p.tax_number,
                                   p.eu_vat_number, p.registration_number, p.emails, p.phones)
$$;
