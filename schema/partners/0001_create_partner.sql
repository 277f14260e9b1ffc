-- The partner card (docs/partners.md). Runs in schema "partners".

-- Names sort as people expect (Hungarian rules: "Ő" after "O", "cs" after
-- "c"), not by bytes; the column carries the collation, so ORDER BY, the
-- index and the list's keyset comparisons all agree.
CREATE COLLATION display_order (provider = icu, locale = 'hu-HU');

CREATE TABLE partner (
  id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                 text        NOT NULL CHECK (kind IN ('organization', 'person')),
  display_name         text        COLLATE display_order NOT NULL CHECK (display_name <> ''),
  legal_name           text        NOT NULL DEFAULT '',
  tax_number           text        NOT NULL DEFAULT '',
  eu_vat_number        text        NOT NULL DEFAULT '',
  registration_number  text        NOT NULL DEFAULT '',
  -- [Address in protobuf's JSON mapping, ...]: filtered with @>.
  addresses            jsonb       NOT NULL DEFAULT '[]',
  emails               text[]      NOT NULL DEFAULT '{}',
  phones               text[]      NOT NULL DEFAULT '{}',
  website              text        NOT NULL DEFAULT '',
  tags                 text[]      NOT NULL DEFAULT '{}',
  owner_user_id        bigint      REFERENCES kernel.user_account (id) ON DELETE SET NULL,
  -- {"industry": "retail", ...}; values checked against the definitions.
  custom_fields        jsonb       NOT NULL DEFAULT '{}',
  credit_limit_currency text       NOT NULL DEFAULT '',
  credit_limit_minor   bigint,
  risk_class           text        NOT NULL DEFAULT '',
  birthday             date,
  name_day             text        NOT NULL DEFAULT '',
  bank_accounts        jsonb       NOT NULL DEFAULT '[]',
  archived             boolean     NOT NULL DEFAULT false,
  request_id           text        UNIQUE,
  create_time          timestamptz NOT NULL,
  update_time          timestamptz NOT NULL,
  -- Bumped by every change; the etag.
  version              bigint      NOT NULL DEFAULT 1,
  -- Names, emails, phones and tax numbers, folded (kernel.fold): what
  -- SearchPartners matches fragments against.
  search_text          text        NOT NULL DEFAULT ''
);
CREATE INDEX partner_search_idx ON partner USING gin (search_text kernel.gin_trgm_ops);
CREATE INDEX partner_display_name_idx ON partner (display_name, id);
CREATE INDEX partner_create_time_idx ON partner (create_time, id);
CREATE INDEX partner_update_time_idx ON partner (update_time, id);
CREATE INDEX partner_tax_number_idx ON partner (tax_number) WHERE tax_number <> '';
CREATE INDEX partner_tags_idx ON partner USING gin (tags);
CREATE INDEX partner_emails_idx ON partner USING gin (emails);
CREATE INDEX partner_phones_idx ON partner USING gin (phones);
CREATE INDEX partner_addresses_idx ON partner USING gin (addresses jsonb_path_ops);
CREATE INDEX partner_custom_fields_idx ON partner USING gin (custom_fields jsonb_path_ops);
CREATE INDEX partner_owner_idx ON partner (owner_user_id) WHERE owner_user_id IS NOT NULL;

-- A partner's keys in other systems. Unique per source system, so an import
-- or an integration finds the partner again by its own key.
CREATE TABLE partner_external_id (
  source      text   NOT NULL CHECK (source <> ''),
  key         text   NOT NULL CHECK (key <> ''),
  partner_id  bigint NOT NULL REFERENCES partner (id) ON DELETE CASCADE,
  PRIMARY KEY (source, key),
  UNIQUE (partner_id, source)
);

-- Custom fields (A3): defined without programming, values in
-- partner.custom_fields.
CREATE TABLE custom_field_definition (
  -- The audit trail and events name resources by number.
  id           bigint      GENERATED ALWAYS AS IDENTITY UNIQUE,
  key          text        PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
  label        text        NOT NULL CHECK (label <> ''),
  type         text        NOT NULL CHECK (type IN ('text', 'number', 'date', 'bool', 'choice')),
  choices      text[]      NOT NULL DEFAULT '{}',
  required     boolean     NOT NULL DEFAULT false,
  create_time  timestamptz NOT NULL,
  update_time  timestamptz NOT NULL,
  version      bigint      NOT NULL DEFAULT 1
);
