-- A person posting the same web form again within crm.form_repost_window_hours
-- gets one lead with both messages (docs/crm.md, "Web forms"): the later
-- posts' messages, oldest first, as v1.LeadMessage JSON.
ALTER TABLE lead ADD COLUMN messages jsonb NOT NULL DEFAULT '[]';

-- The earlier lead of a form is found by email (lead_form_email_idx, 0003)
-- or, for a post without one, by phone: digits and a leading "+" only, so
-- "06 30 111 2222" and "06-30-111-2222" are one.
CREATE INDEX lead_form_phone_idx ON lead (web_form_id, regexp_replace(phone, '[^0-9+]', '', 'g'),
                                          create_time)
  WHERE web_form_id IS NOT NULL AND phone <> '';
