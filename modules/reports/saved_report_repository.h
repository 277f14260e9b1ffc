// The reports.saved_report table. Every statement names the user: a user's
// saved reports are theirs alone.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "karton/kernel/clock.h"
#include "karton/reports/v1/report_service.pb.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::reports::saved_report_repository {

v1::SavedReport Insert(soci::session& session, const v1::SavedReport& report, std::int64_t user_id,
                       kernel::TimePoint now);
bool NameTaken(soci::session& session, std::int64_t user_id, const std::string& name);
std::vector<v1::SavedReport> List(soci::session& session, std::int64_t user_id);
std::optional<v1::SavedReport> Find(soci::session& session, std::int64_t user_id, std::int64_t id,
                                    bool lock = false);
void Delete(soci::session& session, std::int64_t user_id, std::int64_t id);

}  // namespace karton::reports::saved_report_repository
