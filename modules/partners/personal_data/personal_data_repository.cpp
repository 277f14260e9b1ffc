// The SQL of personal data erasure.
#include "personal_data/personal_data_repository.h"

#include <soci/soci.h>

namespace karton::partners::repository {
namespace {

using kernel::ToEpochMicros;

constexpr const char* kMarkPartnerErased =
    "UPDATE partners.partner SET erase_time = to_timestamp(:now / 1e6), archived = true "
    "WHERE id = cast(:id AS bigint)";
constexpr const char* kMarkContactErased =
    "UPDATE partners.contact SET erase_time = to_timestamp(:now / 1e6) "
    "WHERE id = cast(:id AS bigint)";
constexpr const char* kContactIdsOf =
    "SELECT id FROM partners.contact WHERE partner_id = cast(:id AS bigint) ORDER BY id";
// Channel, direction and time stay: they are the partner's history with us,
// not the person's words.
constexpr const char* kEraseInteractionTexts =
    "UPDATE partners.interaction SET subject = '[erased]', body = '' "
    "WHERE partner_id = cast(:id AS bigint)";
constexpr const char* kDeleteDocumentsOf =
    "DELETE FROM partners.document WHERE resource_type = :type "
    "AND resource_id = cast(:id AS bigint) RETURNING id";

// Recursive: a partner merged into one that was later merged on.
constexpr const char* kMergedInto =
    "WITH RECURSIVE merged(id) AS (SELECT id FROM partners.partner "
    "WHERE merged_into_id = cast(:id AS bigint) UNION "
    "SELECT p.id FROM partners.partner p JOIN merged m ON p.merged_into_id = m.id) "
    "SELECT id FROM merged ORDER BY id";

}  // namespace

std::vector<std::int64_t> MergedInto(soci::session& session, std::int64_t partner_id) {
  long long id = partner_id;
  soci::rowset<long long> rows = (session.prepare << kMergedInto, soci::use(id));
  return {rows.begin(), rows.end()};
}

void MarkPartnerErased(soci::session& session, std::int64_t id, TimePoint now) {
  long long partner_id = id, now_us = ToEpochMicros(now);
  session << kMarkPartnerErased, soci::use(now_us), soci::use(partner_id);
}

void MarkContactErased(soci::session& session, std::int64_t id, TimePoint now) {
  long long contact_id = id, now_us = ToEpochMicros(now);
  session << kMarkContactErased, soci::use(now_us), soci::use(contact_id);
}

std::vector<std::int64_t> ContactIdsOf(soci::session& session, std::int64_t partner_id) {
  long long id = partner_id;
  soci::rowset<long long> rows = (session.prepare << kContactIdsOf, soci::use(id));
  return {rows.begin(), rows.end()};
}

void EraseInteractionTexts(soci::session& session, std::int64_t partner_id) {
  long long id = partner_id;
  session << kEraseInteractionTexts, soci::use(id);
}

std::vector<std::int64_t> DeleteDocumentsOf(soci::session& session,
                                            const std::string& resource_type,
                                            std::int64_t resource_id) {
  long long id = resource_id;
  soci::rowset<long long> rows =
      (session.prepare << kDeleteDocumentsOf, soci::use(resource_type), soci::use(id));
  return {rows.begin(), rows.end()};
}

}  // namespace karton::partners::repository
