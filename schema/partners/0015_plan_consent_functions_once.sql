-- A partner's and a contact's current consents are read with every partner
-- and contact (GetPartner, every row of a list). As LANGUAGE sql functions
-- with a FROM clause they cannot be inlined, and PostgreSQL parsed and
-- planned their query again on every call: at concurrency 16 that was a
-- fifth of the whole machine's CPU under GetPartner (bench/profile). In
-- PL/pgSQL the query's plan is kept for the connection. Same results.
CREATE OR REPLACE FUNCTION partner_marketing_consents(p_partner bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_agg(partners.marketing_consent_json(latest.m) ORDER BY (latest.m).channel)
          FROM (SELECT DISTINCT ON (m.channel) m FROM partners.marketing_consent m
                WHERE m.partner_id = p_partner AND m.contact_id IS NULL
                ORDER BY m.channel, m.record_time DESC, m.id DESC) latest);
END
$$;

CREATE OR REPLACE FUNCTION contact_marketing_consents(p_contact bigint) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT jsonb_agg(partners.marketing_consent_json(latest.m) ORDER BY (latest.m).channel)
          FROM (SELECT DISTINCT ON (m.channel) m FROM partners.marketing_consent m
                WHERE m.contact_id = p_contact
                ORDER BY m.channel, m.record_time DESC, m.id DESC) latest);
END
$$;
