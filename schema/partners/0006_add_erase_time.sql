-- Personal data erasure (A10). Runs in schema "partners". When a partner's
-- or a contact's personal data was erased: the row stays (its id is what
-- invoices and orders refer to), anonymised.
ALTER TABLE partner ADD COLUMN erase_time timestamptz;
ALTER TABLE contact ADD COLUMN erase_time timestamptz;
