// The rules as stored (schema/automation/0001): one row each, the actions
// as the proto3 JSON of their repeated RuleAction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "karton/automation/v1/automation.pb.h"
#include "karton/kernel/clock.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::automation::rule_repository {

v1::Rule Insert(soci::session& session, const v1::Rule& rule, std::int64_t user_id,
                kernel::TimePoint now);
// Not deleted; `lock` takes the row for an update.
std::optional<v1::Rule> Find(soci::session& session, std::int64_t id, bool lock = false);
// Newest first, ids below `before_id` (0: from the newest).
std::vector<v1::Rule> List(soci::session& session, const std::string& trigger_topic,
                           std::int64_t before_id, int limit);
v1::Rule Update(soci::session& session, const v1::Rule& rule, kernel::TimePoint now);
void MarkDeleted(soci::session& session, std::int64_t id, kernel::TimePoint now);
// Whether another live rule has this name, whatever its case.
bool NameTaken(soci::session& session, const std::string& name, std::int64_t except_id);
// The live, enabled rules one of whose trigger topics is `topic`.
std::vector<v1::Rule> Triggered(soci::session& session, const std::string& topic);
// Live, enabled rules that any of `topics` triggers, by id: one statement
// for a delivered run of events (DefinitionsForRun).
std::vector<v1::Rule> TriggeredByAny(soci::session& session,
                                     const std::vector<std::string>& topics);

// The actions as stored: a JSON array.
std::string ActionsJson(const v1::Rule& rule);

}  // namespace karton::automation::rule_repository
