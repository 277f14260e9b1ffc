#include "segments/segment_repository.h"

#include "campaigns_sql.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/typed_rows.h"

namespace karton::campaigns::segment_repository {
namespace {

using sql::IdArray;
using sql::Micros;

#define KARTON_SEGMENT_COLUMNS                                                                \
  "s.id, s.name, s.description, s.members, s.filter, s.partner_ids, s.excluded_partner_ids, " \
  "s.purchased, s.create_user_id, s.version::text AS etag, " KARTON_CAMPAIGNS_MICROS(         \
      "s.create_time") " AS create_time, " KARTON_CAMPAIGNS_MICROS("s.update_time") " AS "    \
                                                                                    "update_time"

const kernel::TypedQuery<v1::Segment> kInsert(
    "INSERT INTO campaigns.segment AS s (name, description, members, filter, partner_ids, "
    "excluded_partner_ids, purchased, create_user_id, create_time, update_time) VALUES ($1, $2, "
    "$3, $4, $5::bigint[], $6::bigint[], $7::jsonb, $8::bigint, " KARTON_CAMPAIGNS_AT(
        "$9") ", " KARTON_CAMPAIGNS_AT("$9") ") RETURNING " KARTON_SEGMENT_COLUMNS);
const kernel::TypedQuery<v1::Segment> kFind("SELECT " KARTON_SEGMENT_COLUMNS
                                            " FROM campaigns.segment s WHERE s.id = $1 AND "
                                            "s.delete_time IS NULL");
const kernel::TypedQuery<v1::Segment> kFindLocked("SELECT " KARTON_SEGMENT_COLUMNS
                                                  " FROM campaigns.segment s WHERE s.id = $1 "
                                                  "AND s.delete_time IS NULL FOR UPDATE");
const kernel::TypedQuery<v1::Segment> kList(
    "SELECT " KARTON_SEGMENT_COLUMNS
    " FROM campaigns.segment s WHERE s.delete_time IS NULL AND ($1::bigint = 0 OR s.id < "
    "$1::bigint) ORDER BY s.id DESC LIMIT $2");
const kernel::TypedQuery<v1::Segment> kUpdate(
    "UPDATE campaigns.segment s SET name = $2, description = $3, members = $4, filter = $5, "
    "partner_ids = $6::bigint[], excluded_partner_ids = $7::bigint[], purchased = $8::jsonb, "
    "update_time = " KARTON_CAMPAIGNS_AT(
        "$9") ", version = s.version + 1 WHERE s.id = $1 RETURNING " KARTON_SEGMENT_COLUMNS);

std::string MembersWord(v1::SegmentMembers members) {
  return members == v1::SEGMENT_MEMBERS_CONTACTS ? "contacts" : "partners";
}

kernel::QueryParam Purchased(const v1::Segment& segment, std::string& json) {
  if (!segment.has_purchased()) return std::nullopt;
  json = kernel::PrintProtoJson(segment.purchased());
  return json;
}

}  // namespace

v1::Segment Insert(soci::session& session, const v1::Segment& segment, std::int64_t user_id,
                   kernel::TimePoint now) {
  std::string purchased;
  return *kInsert.One(
      session,
      {segment.name(), segment.description(), MembersWord(segment.members()), segment.filter(),
       IdArray(segment.partner_ids()), IdArray(segment.excluded_partner_ids()),
       Purchased(segment, purchased), std::to_string(user_id), Micros(now)});
}

std::optional<v1::Segment> Find(soci::session& session, std::int64_t id, bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {std::to_string(id)});
}

std::vector<v1::Segment> List(soci::session& session, std::int64_t before_id, int limit) {
  return kList.All(session, {std::to_string(before_id), std::to_string(limit)});
}

v1::Segment Update(soci::session& session, const v1::Segment& segment, kernel::TimePoint now) {
  std::string purchased;
  return *kUpdate.One(
      session,
      {std::to_string(segment.id()), segment.name(), segment.description(),
       MembersWord(segment.members()), segment.filter(), IdArray(segment.partner_ids()),
       IdArray(segment.excluded_partner_ids()), Purchased(segment, purchased), Micros(now)});
}

void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now) {
  kernel::RunPrepared(session,
                      "UPDATE campaigns.segment SET delete_time = " KARTON_CAMPAIGNS_AT(
                          "$2") ", version = version + 1 WHERE id = $1",
                      {std::to_string(id), Micros(now)});
}

bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM campaigns.segment WHERE delete_time IS NULL AND lower(name) = "
      "lower($1) AND id <> $2",
      {name, std::to_string(except_id)});
  return rows.Text(0, 0) != "0";
}

std::int64_t OpenCampaigns(soci::session& session, std::int64_t segment_id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT count(*) FROM campaigns.campaign WHERE segment_id = $1 AND state IN ('draft', "
      "'scheduled', 'sending')",
      {std::to_string(segment_id)});
  return std::stoll(std::string(rows.Text(0, 0)));
}

}  // namespace karton::campaigns::segment_repository
