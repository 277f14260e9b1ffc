-- The marketing consent a person gave on a web form (a ticked
-- consent_<channel> checkbox), kept with the lead until qualification
-- records it on the partner (docs/crm.md, "Web forms"): a JSON array of
-- karton.partners.v1.MarketingConsent.
ALTER TABLE lead ADD COLUMN marketing_consents jsonb NOT NULL DEFAULT '[]';
