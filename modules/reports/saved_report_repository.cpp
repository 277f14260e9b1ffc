#include "saved_report_repository.h"

#include "karton/kernel/dates.h"
#include "karton/kernel/typed_rows.h"

namespace karton::reports::saved_report_repository {
namespace {

#define KARTON_SAVED_REPORT_COLUMNS                                                  \
  "s.id, s.name, s.report, s.from_date, s.to_date, coalesce(s.owner_user_id, 0) AS " \
  "owner_user_id, coalesce(s.team_id, 0) AS team_id, s.user_id, "                    \
  "cast(extract(epoch FROM s.create_time) * 1000000 AS bigint) AS create_time, "     \
  "s.version::text AS etag"

const kernel::TypedQuery<v1::SavedReport> kInsert(
    "INSERT INTO reports.saved_report AS s (user_id, name, report, from_date, to_date, "
    "owner_user_id, team_id, create_time) VALUES (cast($1 AS bigint), $2, $3, cast($4 AS date), "
    "cast($5 AS date), nullif(cast($6 AS bigint), 0), nullif(cast($7 AS bigint), 0), "
    "to_timestamp(cast($8 AS bigint) / 1e6)) RETURNING " KARTON_SAVED_REPORT_COLUMNS);
const kernel::TypedQuery<v1::SavedReport> kList(
    "SELECT " KARTON_SAVED_REPORT_COLUMNS
    " FROM reports.saved_report s WHERE s.user_id = cast($1 AS bigint) "
    "ORDER BY lower(s.name), s.id LIMIT 1000");
const kernel::TypedQuery<v1::SavedReport> kFind(
    "SELECT " KARTON_SAVED_REPORT_COLUMNS
    " FROM reports.saved_report s WHERE s.user_id = cast($1 AS bigint) AND s.id = "
    "cast($2 AS bigint)");
const kernel::TypedQuery<v1::SavedReport> kFindLocked(
    "SELECT " KARTON_SAVED_REPORT_COLUMNS
    " FROM reports.saved_report s WHERE s.user_id = cast($1 AS bigint) AND s.id = "
    "cast($2 AS bigint) FOR UPDATE");
const std::string kNameTaken =
    "SELECT 1 FROM reports.saved_report WHERE user_id = cast($1 AS bigint) AND lower(name) = "
    "lower($2)";
const std::string kDelete =
    "DELETE FROM reports.saved_report WHERE user_id = cast($1 AS bigint) AND id = "
    "cast($2 AS bigint)";

kernel::QueryParam DateParam(const std::string& text) {
  return text.empty() ? kernel::QueryParam() : kernel::QueryParam(text);
}

}  // namespace

v1::SavedReport Insert(soci::session& session, const v1::SavedReport& report, std::int64_t user_id,
                       kernel::TimePoint now) {
  const std::string from = kernel::DateText(report.from_date());
  const std::string to = kernel::DateText(report.to_date());
  return *kInsert.One(
      session, {std::to_string(user_id), report.name(),
                kernel::EnumWord(*v1::Report_descriptor(), report.report()), DateParam(from),
                DateParam(to), std::to_string(report.owner_user_id()),
                std::to_string(report.team_id()), std::to_string(kernel::ToEpochMicros(now))});
}

bool NameTaken(soci::session& session, std::int64_t user_id, const std::string& name) {
  return kernel::RunPrepared(session, kNameTaken, {std::to_string(user_id), name}).Count() > 0;
}

std::vector<v1::SavedReport> List(soci::session& session, std::int64_t user_id) {
  return kList.All(session, {std::to_string(user_id)});
}

std::optional<v1::SavedReport> Find(soci::session& session, std::int64_t user_id, std::int64_t id,
                                    bool lock) {
  return (lock ? kFindLocked : kFind).One(session, {std::to_string(user_id), std::to_string(id)});
}

void Delete(soci::session& session, std::int64_t user_id, std::int64_t id) {
  kernel::RunPrepared(session, kDelete, {std::to_string(user_id), std::to_string(id)});
}

}  // namespace karton::reports::saved_report_repository
