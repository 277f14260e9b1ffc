-- SearchPartners finds persons by their first and last names too (docs/
-- partners.md, "Search"): 0009 added the names to the card, but the search
-- source still read only the display name, so a person displayed otherwise
-- ("Anna Smith", a nickname) was not found by the names on the card.

CREATE OR REPLACE FUNCTION search_source(p partner) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT concat_ws(' ', p.display_name, p.legal_name, p.last_name, p.first_name, p.tax_number,
                   p.eu_vat_number, p.registration_number, array_to_string(p.emails, ' '),
                   array_to_string(p.phones, ' '))
$$;

-- The stored search text of every partner with a name on its card, again
-- from the new source. Derived data only: no update_time, version, event
-- or audit entry (nothing the user entered changes).
UPDATE partner p SET search_text = kernel.fold(search_source(p))
WHERE p.first_name <> '' OR p.last_name <> '';
