-- Routed inbound email (docs/messaging.md, "Inbound email";
-- messaging.inbound_routes): the route of the address an email was sent to
-- ("helpdesk"), and the kind of an unknown sender's routed email, which
-- becomes no crm lead: the route's module takes it. Runs in schema
-- "messaging".
ALTER TABLE inbound_email DROP CONSTRAINT inbound_email_kind_check;
ALTER TABLE inbound_email ADD CONSTRAINT inbound_email_kind_check
  CHECK (kind IN ('', 'known_sender', 'unknown_sender_lead', 'unknown_sender_ignored', 'bounce',
                  'unknown_sender_routed'));
ALTER TABLE inbound_email ADD COLUMN route text NOT NULL DEFAULT '';
