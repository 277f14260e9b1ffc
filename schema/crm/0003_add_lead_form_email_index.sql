-- Confirmation mails are capped per recipient address (docs/crm.md, "Web
-- forms"): counting a form's recent leads for one address needs this index.
CREATE INDEX lead_form_email_idx ON lead (lower(email), create_time)
  WHERE web_form_id IS NOT NULL AND email <> '';
