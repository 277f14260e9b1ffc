-- Marketing consent (issue 16): opt-in per channel, kept with the person
-- (docs/partners.md, "Marketing consent"). Every grant and withdrawal is a
-- row, never changed; the current state of a person's channel is its
-- latest row. A partner's own consents have no contact_id; a contact's
-- carry both ids (the partner's too, so a merge moves them in one go).
CREATE TABLE marketing_consent (
  id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partner_id   bigint      NOT NULL REFERENCES partner (id) ON DELETE CASCADE,
  contact_id   bigint      REFERENCES contact (id) ON DELETE CASCADE,
  channel      text        NOT NULL CHECK (channel IN ('email', 'sms', 'letter', 'phone')),
  granted      boolean     NOT NULL,
  -- How it was given or withdrawn.
  source       text        NOT NULL CHECK (source IN ('form', 'import', 'phone', 'letter',
                                                      'in_person', 'api', 'unsubscribe')),
  -- What proves it: the form's name, the import's id, "phone call by user 5".
  evidence     text        NOT NULL DEFAULT '',
  -- Who recorded it; NULL for Karton itself (an import's row, a form).
  recorded_by  bigint      REFERENCES kernel.user_account (id) ON DELETE SET NULL,
  record_time  timestamptz NOT NULL
);
-- The current state per channel: the latest row of (person, channel).
CREATE INDEX marketing_consent_partner_idx
  ON marketing_consent (partner_id, channel, record_time DESC, id DESC) WHERE contact_id IS NULL;
CREATE INDEX marketing_consent_contact_idx
  ON marketing_consent (contact_id, channel, record_time DESC, id DESC)
  WHERE contact_id IS NOT NULL;

-- A consent row as protobuf JSON of karton.partners.v1.MarketingConsent.
CREATE FUNCTION marketing_consent_json(c marketing_consent) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'id', c.id::text, 'partnerId', c.partner_id::text,
    'contactId', coalesce(c.contact_id, 0)::text,
    'channel', 'MARKETING_CHANNEL_' || upper(c.channel), 'granted', c.granted,
    'source', 'CONSENT_SOURCE_' || upper(c.source), 'evidence', c.evidence,
    'recordedByUserId', coalesce(c.recorded_by, 0)::text,
    'recordTime', to_char(c.record_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- The current consent of each channel of a partner (its own, not its
-- contacts'), by channel; NULL when none was ever recorded.
CREATE FUNCTION partner_marketing_consents(p_partner bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_agg(partners.marketing_consent_json(latest.m) ORDER BY (latest.m).channel)
  FROM (SELECT DISTINCT ON (m.channel) m FROM partners.marketing_consent m
        WHERE m.partner_id = p_partner AND m.contact_id IS NULL
        ORDER BY m.channel, m.record_time DESC, m.id DESC) latest
$$;

-- The same for a contact.
CREATE FUNCTION contact_marketing_consents(p_contact bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  SELECT jsonb_agg(partners.marketing_consent_json(latest.m) ORDER BY (latest.m).channel)
  FROM (SELECT DISTINCT ON (m.channel) m FROM partners.marketing_consent m
        WHERE m.contact_id = p_contact
        ORDER BY m.channel, m.record_time DESC, m.id DESC) latest
$$;

-- An import's consent columns (consent.email, ...): per row, channel ->
-- granted, e.g. {"email": true}; NULL when the row gives none.
ALTER TABLE import_row ADD COLUMN consents jsonb;
