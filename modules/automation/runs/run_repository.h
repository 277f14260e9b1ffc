// Rule runs and their actions as stored (schema/automation/0001): what the
// runner writes as events and jobs come, and what RuleService reads.
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

namespace karton::automation::run_repository {

struct NewRun {
  std::int64_t rule_id = 0;
  std::int64_t event_id = 0;
  std::string topic;
  std::int64_t aggregate_id = 0;
  kernel::TimePoint event_time;
  std::string payload_type;
  std::string payload;       // serialized
  std::string actions_json;  // the rule's actions as they are now
};
// The run's id, or nullopt when this rule already ran for this event (the
// run key): the event came again.
std::optional<std::int64_t> InsertRun(soci::session& session, const NewRun& run,
                                      kernel::TimePoint now);

struct NewActionRun {
  std::int64_t run_id = 0;
  int action_index = 0;
  std::int64_t rule_id = 0;
  std::int64_t aggregate_id = 0;
  kernel::TimePoint scheduled_time;
  // Set for an action timed from a field of the record.
  std::optional<std::string> moment_key;
};
// Inserts the action as scheduled. False when its moment is already
// another run's (nothing inserted).
bool InsertScheduled(soci::session& session, const NewActionRun& action);
// Inserts the action as skipped, saying why.
void InsertSkipped(soci::session& session, const NewActionRun& action, const std::string& why,
                   kernel::TimePoint now);
// Skips the record's earlier pending runs of a timed action whose moment
// differs from `moment_key` (nullopt: every one): the record's field
// changed, so they act on a moment no longer true.
void SupersedePending(soci::session& session, const NewActionRun& action,
                      const std::optional<std::string>& moment_key, kernel::TimePoint now);
// The run that holds this moment for the record (for the skip message).
std::int64_t MomentHolder(soci::session& session, const NewActionRun& action);

// One action of a run, as the job that performs it reads it.
struct PendingAction {
  std::string state;
  int attempts = 0;
  std::int64_t rule_id = 0;
  bool rule_deleted = false;
  std::int64_t event_id = 0;
  std::string topic;
  std::int64_t aggregate_id = 0;
  kernel::TimePoint event_time;
  std::string payload_type;
  std::string payload;
  std::string action_json;
};
std::optional<PendingAction> FindAction(soci::session& session, std::int64_t run_id,
                                        int action_index);
void MarkDone(soci::session& session, std::int64_t run_id, int action_index,
              const std::string& result, kernel::TimePoint now);
void MarkSkipped(soci::session& session, std::int64_t run_id, int action_index,
                 const std::string& why, kernel::TimePoint now);
// A failed attempt: retrying, or failed for good when `final`.
void MarkFailedAttempt(soci::session& session, std::int64_t run_id, int action_index,
                       const std::string& error, bool final, kernel::TimePoint now);

std::optional<v1::RuleRun> FindRun(soci::session& session, std::int64_t id);
struct RunFilter {
  std::int64_t rule_id = 0;
  std::int64_t aggregate_id = 0;
  v1::RuleRunState state = v1::RULE_RUN_STATE_UNSPECIFIED;
};
// Newest first, ids below `before_id` (0: from the newest).
std::vector<v1::RuleRun> ListRuns(soci::session& session, const RunFilter& filter,
                                  std::int64_t before_id, int limit);

}  // namespace karton::automation::run_repository
