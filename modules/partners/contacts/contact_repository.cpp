// The SQL of contacts (rows come back as protobuf JSON built by PostgreSQL,
// as partner_repository.h explains).
#include "contacts/contact_repository.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <boost/json.hpp>
#include <stdexcept>

#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"
#include "visibility.h"

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

// One row of partners.contact (alias c) as the columns of v1.Contact
// (typed rows: no JSON is built in the database).
#define KARTON_CONTACT_FIELDS                                                                     \
  "c.id, c.partner_id, c.name, c.role, c.emails, c.phones, c.birthday, c.name_day, "              \
  "c.is_primary AS primary, "                                                                     \
  "(SELECT jsonb_object_agg(x.source, x.key) FROM partners.contact_external_id x "                \
  "WHERE x.contact_id = c.id) AS external_ids, "                                                  \
  "(extract(epoch FROM c.create_time) * 1000000)::bigint AS create_time, "                        \
  "(extract(epoch FROM c.update_time) * 1000000)::bigint AS update_time, "                        \
  "c.version::text AS etag, (extract(epoch FROM c.erase_time) * 1000000)::bigint AS erase_time, " \
  "CASE WHEN EXISTS (SELECT FROM partners.marketing_consent m WHERE m.contact_id = c.id) "        \
  "THEN partners.contact_marketing_consents(c.id) END AS marketing_consents"

// A contact is visible where its partner is (record sharing is per partner).
#define KARTON_CONTACT_VISIBLE_TO(external, user_id) \
  "(cast(" external                                  \
  " AS int) = 0 OR kernel.is_shared_with("           \
  "'partners.partner', c.partner_id, cast(" user_id " AS bigint)))"

#define KARTON_CONTACT_COLUMNS "name, role, emails, phones, birthday, name_day, is_primary"
#define KARTON_CONTACT_VALUES \
  "r.name, r.role, r.emails, r.phones, r.birthday, r.name_day, r.is_primary"

const kernel::TypedQuery<v1::Contact> kFindContact(
    "SELECT " KARTON_CONTACT_FIELDS
    " FROM partners.contact c WHERE c.id = $1 AND " KARTON_CONTACT_VISIBLE_TO("$2", "$3"));
const kernel::TypedQuery<v1::Contact> kFindContactForUpdate(kFindContact.Sql() +
                                                            " FOR UPDATE OF c");
const kernel::TypedQuery<v1::Contact> kFindContacts(
    "SELECT " KARTON_CONTACT_FIELDS
    " FROM unnest(cast($1 AS bigint[])) WITH ORDINALITY AS wanted(id, position) "
    "JOIN partners.contact c ON c.id = wanted.id WHERE " KARTON_CONTACT_VISIBLE_TO(
        "$2", "$3") " ORDER BY wanted.position");
// Every page of a partner's contacts reads the same columns and then its
// sort key ("_key").
const kernel::RowShape<v1::Contact> kListedContactShape;
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

std::optional<v1::Contact> FindContact(soci::session& session, std::int64_t id,
                                       const Visibility& visibility, bool lock) {
  return (lock ? kFindContactForUpdate : kFindContact)
      .One(session, {std::to_string(id), visibility.external ? "1" : "0",
                     std::to_string(visibility.user_id)});
}

std::vector<v1::Contact> FindContacts(soci::session& session, const std::vector<std::int64_t>& ids,
                                      const Visibility& visibility) {
  if (ids.empty()) return {};
  return kFindContacts.All(session,
                           {kernel::IntegerArrayLiteral(ids), visibility.external ? "1" : "0",
                            std::to_string(visibility.user_id)});
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
  // The key is the not-primary flag ('0' primary first) and the name.
  std::string sql = "SELECT " KARTON_CONTACT_FIELDS
                    ", (CASE WHEN c.is_primary THEN '0' ELSE '1' END) || c.name AS _key "
                    "FROM partners.contact c WHERE c.partner_id = cast($1 AS bigint)";
  if (after_key && !after_key->empty()) {
    sql +=
        " AND (NOT c.is_primary, c.name, c.id) > (cast($2 AS boolean), cast($3 AS text), "
        "cast($4 AS bigint))";
    params.push_back(after_key->substr(0, 1) == "1" ? "true" : "false");
    params.push_back(after_key->substr(1));
    params.push_back(std::to_string(after_id));
  }
  sql += fmt::format(" ORDER BY c.is_primary DESC, c.name, c.id LIMIT cast(${} AS int)",
                     params.size() + 1);
  params.push_back(std::to_string(limit));
  const std::vector<kernel::QueryParam> bound(params.begin(), params.end());
  const kernel::QueryRows rows = kernel::RunPrepared(session, sql, bound);
  const kernel::RowPlan& plan = kListedContactShape.PlanFor(rows);
  const int key_column = rows.Columns() - 1;
  std::vector<ListedContact> listed(static_cast<std::size_t>(rows.Count()));
  for (int row = 0; row < rows.Count(); ++row) {
    auto& entry = listed[static_cast<std::size_t>(row)];
    plan.Read(rows, row, entry.contact);
    entry.key = std::string(rows.Text(row, key_column));
  }
  return listed;
}

}  // namespace karton::partners::repository
