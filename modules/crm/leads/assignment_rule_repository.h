// SQL of the routing rules (crm.assignment_rule).
#pragma once

#include <cstdint>
#include <vector>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::crm::assignment_rule_repository {

namespace v1 = karton::crm::v1;

std::int64_t Insert(soci::session& session, const v1::AssignmentRule& rule, kernel::TimePoint now);
// In the order they are tried: priority, then id.
std::vector<v1::AssignmentRule> List(soci::session& session);
bool Delete(soci::session& session, std::int64_t id);

}  // namespace karton::crm::assignment_rule_repository
