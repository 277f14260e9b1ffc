// SQL of opportunities and their stage history (crm.opportunity,
// crm.opportunity_stage_change).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/clock.h"
#include "scope.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::opportunity_repository {

namespace v1 = karton::crm::v1;
using kernel::TimePoint;

struct InsertedOpportunity {
  v1::Opportunity opportunity;  // as stored, with its stage history
  bool inserted;  // false: `opportunity` is the one an earlier use of the request id made
};
// Inserts an OPEN opportunity in its stage with the first history entry
// and returns it as stored, in one statement; for a repeated `request_id`,
// the earlier one (read again, a second statement).
InsertedOpportunity Insert(soci::session& session, const v1::Opportunity& opportunity,
                           const std::string& request_id, std::int64_t actor_user_id,
                           TimePoint now);
std::optional<v1::Opportunity> Find(soci::session& session, std::int64_t id, const Scope& scope,
                                    bool lock);
// Writes name, expected revenue and close date, owner and team; answers the
// deal as Find reads it, nullopt when there is none with that id.
std::optional<v1::Opportunity> Update(soci::session& session, const v1::Opportunity& opportunity,
                                      TimePoint now);
// Moves it to `stage_id` with status "open", "won" or "lost" (closing sets
// close_time), and records the history entry; answers the deal as Find
// reads it after (nullopt: none with that id). One statement.
std::optional<v1::Opportunity> SetStage(soci::session& session, std::int64_t id,
                                        std::int64_t stage_id, const std::string& status,
                                        const std::string& lost_reason, std::int64_t actor_user_id,
                                        TimePoint now);

struct ListFilter {
  std::int64_t partner_id = 0, pipeline_id = 0, stage_id = 0, owner_user_id = 0;
  std::string status;
};
// Newest first, before `before_id` (0: from the newest).
std::vector<v1::Opportunity> List(soci::session& session, const Scope& scope,
                                  const ListFilter& filter, std::int64_t before_id, int limit);

// Open opportunities with no planned activity ("no next step"), oldest
// first, after `after_id`; only `owner_user_id`'s when it is not 0.
std::vector<v1::Opportunity> ListStale(soci::session& session, const Scope& scope,
                                       std::int64_t owner_user_id, std::int64_t after_id,
                                       int limit);

void RepointPartner(soci::session& session, std::int64_t merged_id, std::int64_t kept_id);

}  // namespace karton::crm::opportunity_repository
