// The SQL of contacts (rows come back as protobuf JSON built by PostgreSQL,
// as partner_repository.h explains).
#include "contacts/contact_repository.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "karton/kernel/proto_json.h"
#include "visibility.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

#define KARTON_CONTACT_JSON                                                                        \
  "jsonb_build_object('id', c.id::text, 'partnerId', c.partner_id::text, 'name', c.name, "         \
  "'role', c.role, 'emails', to_jsonb(c.emails), 'phones', to_jsonb(c.phones), "                   \
  "'birthday', CASE WHEN c.birthday IS NULL THEN NULL ELSE jsonb_build_object("                    \
  "'year', extract(year FROM c.birthday)::int, 'month', extract(month FROM c.birthday)::int, "     \
  "'day', extract(day FROM c.birthday)::int) END, "                                                \
  "'nameDay', c.name_day, 'primary', c.is_primary, "                                               \
  "'externalIds', coalesce((SELECT jsonb_object_agg(x.source, x.key) "                             \
  "FROM partners.contact_external_id x WHERE x.contact_id = c.id), '{}'::jsonb), "                 \
  "'createTime', to_char(c.create_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'updateTime', to_char(c.update_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), " \
  "'etag', c.version::text, "                                                                      \
  "'eraseTime', to_char(c.erase_time AT TIME ZONE 'UTC', "                                         \
  "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), "                                                         \
  "'marketingConsents', partners.contact_marketing_consents(c.id))::text"

// A contact is visible where its partner is (record sharing is per partner).
#define KARTON_CONTACT_VISIBLE                            \
  "(cast(:external AS int) = 0 OR kernel.is_shared_with(" \
  "'partners.partner', c.partner_id, cast(:user_id AS bigint)))"

#define KARTON_CONTACT_COLUMNS "name, role, emails, phones, birthday, name_day, is_primary"
#define KARTON_CONTACT_VALUES \
  "r.name, r.role, r.emails, r.phones, r.birthday, r.name_day, r.is_primary"

constexpr const char* kFindContact =
    "SELECT " KARTON_CONTACT_JSON
    " FROM partners.contact c WHERE c.id = :id AND " KARTON_CONTACT_VISIBLE;
constexpr const char* kFindContactForUpdate =
    "SELECT " KARTON_CONTACT_JSON
    " FROM partners.contact c WHERE c.id = :id AND " KARTON_CONTACT_VISIBLE " FOR UPDATE OF c";
constexpr const char* kFindContactByRequestId =
    "SELECT id FROM partners.contact WHERE request_id = :request_id";
constexpr const char* kInsertContact =
    "INSERT INTO partners.contact (partner_id, " KARTON_CONTACT_COLUMNS
    ", request_id, create_time, update_time) SELECT cast(:partner_id AS "
    "bigint), " KARTON_CONTACT_VALUES
    ", nullif(:request_id, ''), to_timestamp(:now1 / 1e6), "
    "to_timestamp(:now2 / 1e6) "
    "FROM jsonb_populate_record(NULL::partners.contact, cast(:doc AS jsonb)) r RETURNING id";
constexpr const char* kUpdateContact =
    "UPDATE partners.contact c SET (" KARTON_CONTACT_COLUMNS
    ", update_time, version) = (SELECT " KARTON_CONTACT_VALUES
    ", to_timestamp(:now / 1e6), c.version + 1 "
    "FROM jsonb_populate_record(NULL::partners.contact, cast(:doc AS jsonb)) r) WHERE c.id = :id";
constexpr const char* kClearOtherPrimary =
    "UPDATE partners.contact SET is_primary = false, update_time = to_timestamp(:now / 1e6), "
    "version = version + 1 WHERE partner_id = :partner_id AND is_primary AND id <> :keep";
constexpr const char* kDeleteContact = "DELETE FROM partners.contact WHERE id = :id RETURNING id";
constexpr const char* kDeleteContactExternalIds =
    "DELETE FROM partners.contact_external_id WHERE contact_id = :id";
constexpr const char* kInsertContactExternalId =
    "INSERT INTO partners.contact_external_id (source, key, contact_id) VALUES (:source, :key, "
    ":id)";
constexpr const char* kFindContactByExternalId =
    "SELECT contact_id FROM partners.contact_external_id WHERE source = :source AND key = :key";

}  // namespace

std::string ContactStorageJson(const v1::Contact& contact) {
  boost::json::object doc;
  doc["name"] = contact.name();
  doc["role"] = contact.role();
  doc["emails"] = boost::json::array(contact.emails().begin(), contact.emails().end());
  doc["phones"] = boost::json::array(contact.phones().begin(), contact.phones().end());
  if (contact.has_birthday()) {
    doc["birthday"] = fmt::format("{:04}-{:02}-{:02}", contact.birthday().year(),
                                  contact.birthday().month(), contact.birthday().day());
  } else {
    doc["birthday"] = nullptr;
  }
  doc["name_day"] = contact.name_day();
  doc["is_primary"] = contact.primary();
  return boost::json::serialize(doc);
}

namespace {

v1::Contact ContactFromJson(const std::string& json) {
  v1::Contact contact;
  try {
    kernel::ParseProtoJson(json, contact);
  } catch (const std::invalid_argument& error) {
    throw std::runtime_error("a stored contact does not read back: " + std::string(error.what()));
  }
  return contact;
}

}  // namespace

std::optional<v1::Contact> FindContact(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock) {
  long long contact_id = id;
  const int external = visibility.external ? 1 : 0;
  long long user_id = visibility.user_id;
  std::string json;
  session << (lock ? kFindContactForUpdate : kFindContact), soci::use(contact_id),
      soci::use(external), soci::use(user_id), soci::into(json);
  if (!session.got_data()) return std::nullopt;
  return ContactFromJson(json);
}

std::optional<std::int64_t> FindContactByRequestId(soci::session& session,
                                                   const std::string& request_id) {
  long long id = 0;
  session << kFindContactByRequestId, soci::use(request_id), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::int64_t InsertContact(soci::session& session, std::int64_t partner_id,
                           const v1::Contact& contact, const std::string& request_id,
                           TimePoint now) {
  const std::string doc = ContactStorageJson(contact), partner = std::to_string(partner_id);
  long long now_us = ToEpochMicros(now), id = 0;
  session << kInsertContact, soci::use(partner), soci::use(request_id), soci::use(now_us),
      soci::use(now_us), soci::use(doc), soci::into(id);
  return id;
}

void UpdateContact(soci::session& session, const v1::Contact& contact, TimePoint now) {
  const std::string doc = ContactStorageJson(contact);
  long long now_us = ToEpochMicros(now), id = contact.id();
  session << kUpdateContact, soci::use(now_us), soci::use(doc), soci::use(id);
}

void ClearOtherPrimaryContacts(soci::session& session, std::int64_t partner_id,
                               std::int64_t keep_contact_id, TimePoint now) {
  long long now_us = ToEpochMicros(now), partner = partner_id, keep = keep_contact_id;
  session << kClearOtherPrimary, soci::use(now_us), soci::use(partner), soci::use(keep);
}

bool DeleteContact(soci::session& session, std::int64_t id) {
  long long contact_id = id, deleted = 0;
  soci::indicator got = soci::i_null;
  session << kDeleteContact, soci::use(contact_id), soci::into(deleted, got);
  return session.got_data() && got == soci::i_ok;
}

void ReplaceContactExternalIds(
    soci::session& session, std::int64_t id,
    const google::protobuf::Map<std::string, std::string>& external_ids) {
  long long contact_id = id;
  session << kDeleteContactExternalIds, soci::use(contact_id);
  for (const auto& [source, key] : external_ids) {
    session << kInsertContactExternalId, soci::use(source), soci::use(key), soci::use(contact_id);
  }
}

std::optional<std::int64_t> FindContactByExternalId(soci::session& session,
                                                    const std::string& source,
                                                    const std::string& key) {
  long long id = 0;
  session << kFindContactByExternalId, soci::use(source), soci::use(key), soci::into(id);
  if (!session.got_data()) return std::nullopt;
  return id;
}

std::vector<ListedContact> ListContacts(soci::session& session, std::int64_t partner_id,
                                        const std::optional<std::string>& after_key,
                                        std::int64_t after_id, int limit) {
  std::vector<std::string> params = {std::to_string(partner_id)};
  std::string sql = "SELECT " KARTON_CONTACT_JSON
                    ", (CASE WHEN c.is_primary THEN '0' ELSE '1' END) || c.name "
                    "FROM partners.contact c WHERE c.partner_id = cast(:partner_id AS bigint)";
  if (after_key && !after_key->empty()) {
    // The key is the not-primary flag ('0' primary first) and the name.
    sql +=
        " AND (NOT c.is_primary, c.name, c.id) > (cast(:not_primary AS boolean), "
        "cast(:name AS text), cast(:after_id AS bigint))";
    params.push_back(after_key->substr(0, 1) == "1" ? "true" : "false");
    params.push_back(after_key->substr(1));
    params.push_back(std::to_string(after_id));
  }
  sql += " ORDER BY c.is_primary DESC, c.name, c.id LIMIT cast(:limit AS int)";
  params.push_back(std::to_string(limit));
  auto prepared = (session.prepare << sql);
  for (const auto& param : params) prepared, soci::use(param);
  soci::rowset<soci::row> rows(prepared);
  std::vector<ListedContact> listed;
  for (const auto& row : rows) {
    listed.push_back({ContactFromJson(row.get<std::string>(0)), row.get<std::string>(1)});
  }
  return listed;
}

}  // namespace karton::partners::repository
