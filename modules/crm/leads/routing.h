// Who gets a new lead (C3): the web form category's team or user first,
// then the assignment rules in ascending priority (a rule without
// conditions is the fallback owner). A team target goes round-robin among
// its active members: the lead's intake takes the team's turn in its last
// statement, the lead's INSERT (lead_repository::Insert), and crm.team_rotation's row for
// the team stays locked to the COMMIT, so concurrent submissions take turns
// and the split stays even, while each holds the row as briefly as it can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "team_directory.h"

namespace soci {
class session;
}  // namespace soci

namespace spdlog {
class logger;
}  // namespace spdlog

namespace karton::crm {

struct Assignment {
  std::int64_t user_id = 0;
  std::int64_t team_id = 0;
  // What decided it, for the log and the lead's history: "category demo",
  // "rule 3", "nobody".
  std::string reason;
  // Not empty when the lead goes round-robin in `team_id`: its active
  // members in id order, among whom the intake takes the team's turn
  // (user_id is 0 until then).
  std::vector<std::int64_t> turn_among;
};

class Router {
 public:
  Router(spdlog::logger& log, TeamDirectory& teams) : log_(log), teams_(teams) {}

  // Before taking the connection of the transaction Assign() runs in: reads
  // team membership if it is old (team_directory.h).
  void Prepare() { teams_.Refresh(); }

  // Inside `session`'s transaction; reads, writes nothing. `category` is the
  // web form category the lead came with, if any.
  Assignment Assign(soci::session& session, const v1::Lead& lead,
                    const v1::WebFormCategory* category);

  // Whether `rule` holds for `lead` (empty conditions always hold).
  static bool Matches(const v1::AssignmentRule& rule, const v1::Lead& lead);

 private:
  Assignment ToTarget(std::int64_t team_id, std::int64_t user_id, std::string reason);

  spdlog::logger& log_;
  TeamDirectory& teams_;
};

}  // namespace karton::crm
