-- An import also matches rows on email and phone (docs/partners.md,
-- "Import and export"), and rows of one file sharing one are one partner.

ALTER TABLE import_row
  -- The row's emails and phones, its partner's and its contact's, as
  -- normalised (lower case; E.164): a JSON array, NULL when none.
  ADD COLUMN emails jsonb,
  ADD COLUMN phones jsonb;
-- The partners' and contacts' emails and phones are looked up by the GIN
-- indexes partner_emails_idx, partner_phones_idx, contact_emails_idx and
-- contact_phones_idx (0001, 0002): no new index is needed.
