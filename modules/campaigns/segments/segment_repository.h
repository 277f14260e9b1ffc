// Segments as stored (schema/campaigns): definitions read whole.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::campaigns::segment_repository {

v1::Segment Insert(soci::session& session, const v1::Segment& segment, std::int64_t user_id,
                   kernel::TimePoint now);
// `lock`: FOR UPDATE, for a write in the same transaction.
std::optional<v1::Segment> Find(soci::session& session, std::int64_t id, bool lock = false);
// Newest first, ids below `before_id` (0: from the newest).
std::vector<v1::Segment> List(soci::session& session, std::int64_t before_id, int limit);
v1::Segment Update(soci::session& session, const v1::Segment& segment, kernel::TimePoint now);
void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now);
bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id);
// Campaigns not finished (draft, scheduled, sending) that use the segment.
std::int64_t OpenCampaigns(soci::session& session, std::int64_t segment_id);

}  // namespace karton::campaigns::segment_repository
