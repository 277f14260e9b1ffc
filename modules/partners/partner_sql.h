// SQL pieces more than one repository file of the partners module uses.
#pragma once

// One row of partners.partner (alias p) as the columns of v1.Partner, for
// kernel::TypedQuery/RowPlan: typed values, no JSON built in the database
// (jsonb columns that hold JSON anyway, such as addresses, stay as they are).
// The partner's external ids and current consents live in tables of their
// own: `external_ids` and `consents` are the SQL expressions that give them.
#define KARTON_PARTNER_COLUMNS_WITH(external_ids, consents)                                       \
  "p.id, p.kind, p.display_name, p.legal_name, p.tax_number, p.eu_vat_number, "                   \
  "p.registration_number, p.addresses, p.emails, p.phones, p.website, p.tags, p.owner_user_id, "  \
  "p.custom_fields, "                                                                             \
  "CASE WHEN p.credit_limit_minor IS NULL THEN NULL ELSE p.credit_limit_currency END "            \
  "AS \"credit_limit.currency_code\", p.credit_limit_minor AS \"credit_limit.minor_units\", "     \
  "p.risk_class, p.birthday, p.name_day, p.bank_accounts, " external_ids                          \
  " AS external_ids, p.archived, "                                                                \
  "(extract(epoch FROM p.create_time) * 1000000)::bigint AS create_time, "                        \
  "(extract(epoch FROM p.update_time) * 1000000)::bigint AS update_time, "                        \
  "p.version::text AS etag, p.merged_into_id, "                                                   \
  "(extract(epoch FROM p.erase_time) * 1000000)::bigint AS erase_time, "                          \
  "p.payment_terms_days, p.default_currency_code, p.preferred_language, p.customer, p.supplier, " \
  "p.parent_partner_id, p.first_name, p.last_name, p.salutation, " consents                       \
  " AS marketing_consents"

// A partner's (alias p) external ids, looked up by its id: an index probe.
#define KARTON_PARTNER_EXTERNAL_IDS                                                \
  "(SELECT jsonb_object_agg(x.source, x.key) FROM partners.partner_external_id x " \
  "WHERE x.partner_id = p.id)"

// A partner's current consents. The PL/pgSQL function is called only for a
// partner that has a consent: most have none, and the call cost about 13 µs
// of a GetPartner's 80 (pgbench, one client, prepared), the probe of the
// consents' index about 1.
#define KARTON_PARTNER_CONSENTS                                                           \
  "CASE WHEN EXISTS (SELECT FROM partners.marketing_consent m WHERE m.partner_id = p.id " \
  "AND m.contact_id IS NULL) THEN partners.partner_marketing_consents(p.id) END"

// The usual form: both looked up for the row (one partner, a page of them).
#define KARTON_PARTNER_COLUMNS \
  KARTON_PARTNER_COLUMNS_WITH(KARTON_PARTNER_EXTERNAL_IDS, KARTON_PARTNER_CONSENTS)

// One row of partners.partner (alias p) as protobuf JSON of v1.Partner: the
// import's snapshot of a partner before it changes.
#define KARTON_PARTNER_JSON                                                                        \
  "jsonb_build_object("                                                                            \
  "'id', p.id::text, "                                                                             \
  "'kind', CASE p.kind WHEN 'organization' THEN 'PARTNER_KIND_ORGANIZATION' "                      \
  "ELSE 'PARTNER_KIND_PERSON' END, "                                                               \
  "'displayName', p.display_name, 'legalName', p.legal_name, 'taxNumber', p.tax_number, "          \
  "'euVatNumber', p.eu_vat_number, 'registrationNumber', p.registration_number, "                  \
  "'addresses', p.addresses, 'emails', to_jsonb(p.emails), 'phones', to_jsonb(p.phones), "         \
  "'website', p.website, 'tags', to_jsonb(p.tags), "                                               \
  "'ownerUserId', coalesce(p.owner_user_id, 0)::text, 'customFields', p.custom_fields, "           \
  "'creditLimit', CASE WHEN p.credit_limit_minor IS NULL THEN NULL ELSE jsonb_build_object("       \
  "'currencyCode', p.credit_limit_currency, 'minorUnits', p.credit_limit_minor::text) END, "       \
  "'riskClass', CASE WHEN p.risk_class = '' THEN 'RISK_CLASS_UNSPECIFIED' "                        \
  "ELSE 'RISK_CLASS_' || upper(p.risk_class) END, "                                                \
  "'birthday', CASE WHEN p.birthday IS NULL THEN NULL ELSE jsonb_build_object("                    \
  "'year', extract(year FROM p.birthday)::int, 'month', extract(month FROM p.birthday)::int, "     \
  "'day', extract(day FROM p.birthday)::int) END, "                                                \
  "'nameDay', p.name_day, 'bankAccounts', p.bank_accounts, "                                       \
  "'externalIds', coalesce((SELECT jsonb_object_agg(x.source, x.key) "                             \
  "FROM partners.partner_external_id x WHERE x.partner_id = p.id), '{}'::jsonb), "                 \
  "'archived', p.archived, "                                                                       \
  "'createTime', to_char(p.create_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'updateTime', to_char(p.update_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'etag', p.version::text, 'mergedIntoId', coalesce(p.merged_into_id, 0)::text, "                 \
  "'eraseTime', to_char(p.erase_time AT TIME ZONE 'UTC', "                                         \
  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "                                                         \
  "'paymentTermsDays', p.payment_terms_days, 'defaultCurrencyCode', p.default_currency_code, "     \
  "'preferredLanguage', p.preferred_language, 'customer', p.customer, 'supplier', p.supplier, "    \
  "'parentPartnerId', coalesce(p.parent_partner_id, 0)::text, 'firstName', p.first_name, "         \
  "'lastName', p.last_name, 'salutation', p.salutation)::text"
