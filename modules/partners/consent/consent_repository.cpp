#include "consent/consent_repository.h"

#include <soci/soci.h>

#include <stdexcept>

#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

constexpr const char* kInsertConsent =
    "INSERT INTO partners.marketing_consent AS m "
    "(partner_id, contact_id, channel, granted, source, evidence, recorded_by, record_time) "
    "VALUES (cast(:partner_id AS bigint), nullif(cast(:contact_id AS bigint), 0), :channel, "
    "cast(:granted AS boolean), :source, :evidence, nullif(cast(:user_id AS bigint), 0), "
    "to_timestamp(cast(:now AS bigint) / 1e6)) "
    "RETURNING partners.marketing_consent_json(m)::text";

// Whose entries: a partner's own ($1, $2 = 0) or a contact's ($2).
constexpr const char* kWhose =
    "((cast(:contact_id AS bigint) = 0 AND m.partner_id = cast(:partner_id AS bigint) AND "
    "m.contact_id IS NULL) OR m.contact_id = cast(:contact_id2 AS bigint))";

v1::MarketingConsent ConsentFromJson(const std::string& json) {
  v1::MarketingConsent consent;
  try {
    kernel::ParseProtoJson(json, consent);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error("a stored consent does not read back: " + std::string(error.what()));
  }
  return consent;
}

}  // namespace

std::string ConsentChannelWord(v1::MarketingChannel channel) {
  if (channel == v1::MARKETING_CHANNEL_UNSPECIFIED) return "";
  return kernel::EnumWord(*v1::MarketingChannel_descriptor(), channel);
}

std::string ConsentSourceWord(v1::ConsentSource source) {
  if (source == v1::CONSENT_SOURCE_UNSPECIFIED) return "";
  return kernel::EnumWord(*v1::ConsentSource_descriptor(), source);
}

v1::MarketingConsent InsertConsent(soci::session& session, const v1::MarketingConsent& consent,
                                   std::int64_t user_id, kernel::TimePoint now) {
  long long partner = consent.partner_id(), contact = consent.contact_id(), user = user_id,
            now_us = ToEpochMicros(now);
  const std::string channel = ConsentChannelWord(consent.channel());
  const std::string source = ConsentSourceWord(consent.source());
  const std::string granted_text = consent.granted() ? "true" : "false";
  std::string json;
  session << kInsertConsent, soci::use(partner), soci::use(contact), soci::use(channel),
      soci::use(granted_text), soci::use(source), soci::use(consent.evidence()), soci::use(user),
      soci::use(now_us), soci::into(json);
  return ConsentFromJson(json);
}

std::vector<ListedConsent> ListConsents(soci::session& session, std::int64_t partner_id,
                                        std::int64_t contact_id,
                                        const std::optional<std::string>& after_time,
                                        std::int64_t after_id, int limit) {
  std::string sql = std::string(
                        "SELECT partners.marketing_consent_json(m)::text, "
                        "m.record_time::text FROM partners.marketing_consent m WHERE ") +
                    kWhose;
  long long partner = partner_id, contact = contact_id, after = after_id;
  const std::string time = after_time.value_or("");
  if (after_time) {
    sql +=
        " AND (m.record_time, m.id) < (cast(:after_time AS timestamptz), cast(:after_id AS "
        "bigint))";
  }
  sql += " ORDER BY m.record_time DESC, m.id DESC LIMIT cast(:limit AS int)";
  auto prepared =
      (session.prepare << sql, soci::use(contact), soci::use(partner), soci::use(contact));
  if (after_time) prepared, soci::use(time), soci::use(after);
  prepared, soci::use(limit);
  soci::rowset<soci::row> rows(prepared);
  std::vector<ListedConsent> listed;
  for (const auto& row : rows) {
    listed.push_back({ConsentFromJson(row.get<std::string>(0)), row.get<std::string>(1)});
  }
  return listed;
}

std::vector<v1::MarketingConsent> AllConsentsOf(soci::session& session, std::int64_t partner_id,
                                                std::int64_t contact_id) {
  long long partner = partner_id, contact = contact_id;
  soci::rowset<std::string> rows =
      (session.prepare << "SELECT partners.marketing_consent_json(m)::text FROM "
                          "partners.marketing_consent m WHERE (cast(:contact_id AS bigint) = 0 "
                          "AND m.partner_id = cast(:partner_id AS bigint)) OR m.contact_id = "
                          "cast(:contact_id2 AS bigint) ORDER BY m.record_time, m.id",
       soci::use(contact), soci::use(partner), soci::use(contact));
  std::vector<v1::MarketingConsent> consents;
  for (const auto& json : rows) consents.push_back(ConsentFromJson(json));
  return consents;
}

void EraseConsents(soci::session& session, std::int64_t partner_id, std::int64_t contact_id) {
  long long partner = partner_id, contact = contact_id;
  const std::string whose =
      "((cast(:contact_id AS bigint) = 0 AND partner_id = cast(:partner_id AS bigint)) OR "
      "contact_id = cast(:contact_id2 AS bigint))";
  session << "DELETE FROM partners.marketing_consent WHERE granted AND " + whose,
      soci::use(contact), soci::use(partner), soci::use(contact);
  session << "UPDATE partners.marketing_consent SET evidence = '' WHERE NOT granted AND " + whose,
      soci::use(contact), soci::use(partner), soci::use(contact);
}

void MoveConsents(soci::session& session, std::int64_t from_partner, std::int64_t to_partner) {
  long long from = from_partner, to = to_partner;
  session << "UPDATE partners.marketing_consent SET partner_id = cast(:to AS bigint) "
             "WHERE partner_id = cast(:from AS bigint)",
      soci::use(to), soci::use(from);
}

}  // namespace karton::partners::repository
