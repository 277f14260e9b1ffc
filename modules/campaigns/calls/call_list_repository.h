// Call lists and their entries as stored (schema/campaigns).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/campaigns/v1/campaigns.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::campaigns::call_list_repository {

// A list with its entries, shared among the assignees in turn.
v1::CallList Insert(soci::session& session, const v1::CallList& list,
                    const std::vector<v1::SegmentMember>& members, std::int64_t user_id,
                    kernel::TimePoint now);
// With its statistics.
std::optional<v1::CallList> Find(soci::session& session, std::int64_t id);
std::vector<v1::CallList> List(soci::session& session, std::int64_t before_id, int limit);

std::optional<v1::CallListEntry> FindEntry(soci::session& session, std::int64_t id,
                                           bool lock = false);
struct EntryFilter {
  std::int64_t call_list_id = 0;
  std::int64_t assigned_user_id = 0;  // 0: everyone's
  bool open_only = false;
};
std::vector<v1::CallListEntry> ListEntries(soci::session& session, const EntryFilter& filter,
                                           std::int64_t after_id, int limit);
// Writes the entry's call fields (last_outcome, open, attempts, note,
// call_back_time, last_call_time).
v1::CallListEntry RecordCall(soci::session& session, const v1::CallListEntry& entry);

std::string OutcomeWord(v1::CallOutcome outcome);

}  // namespace karton::campaigns::call_list_repository
