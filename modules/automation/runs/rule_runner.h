// Where rules meet events. The subscription (every topic) reads, inside the
// event's delivery transaction, the live rules its topic triggers, checks
// their conditions on the payload and records a run per matching rule with
// one durable job per action, at the action's time; the run key (rule,
// event) makes a redelivered event a no-op. The jobs do the effects
// (ActionEffects), each recorded on its run: done, skipped with why, or
// failed after its attempts, never dropped silently.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "actions/action_effects.h"
#include "automation_settings.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"
#include "rules/rule_definition.h"
#include "runs/definitions_for_run.h"

namespace karton::automation {

class RuleRunner {
 public:
  static constexpr char kActionJob[] = "run_action";
  static constexpr int kActionAttempts = 8;

  RuleRunner(kernel::ServiceParts parts, kernel::Jobs& jobs, ActionEffects& effects,
             AutomationSettings settings)
      : parts_(parts), jobs_(jobs), effects_(effects), settings_(std::move(settings)) {}

  // The subscription's prepare_run: the rules the run's topics trigger,
  // read once.
  void PrepareRun(std::span<const kernel::Event> events, soci::session& session);
  // The subscription's handler: in `session`'s open transaction.
  void OnEvent(const kernel::Event& event, soci::session& session);
  // The job handler of kActionJob.
  void RunAction(const kernel::JobRun& run);

 private:
  // The rule compiled for its payload type, cached by id and version.
  std::shared_ptr<const CompiledRule> Compiled(const v1::Rule& rule,
                                               const google::protobuf::Descriptor& payload);
  void ScheduleActions(soci::session& session, const kernel::Event& event,
                       const google::protobuf::Message& payload, const CompiledRule& rule,
                       std::int64_t rule_id, std::int64_t run_id);

  kernel::ServiceParts parts_;
  kernel::Jobs& jobs_;
  ActionEffects& effects_;
  const AutomationSettings settings_;
  std::mutex cache_mutex_;
  std::map<std::pair<std::int64_t, std::string>, std::shared_ptr<const CompiledRule>> cache_;
  DefinitionsForRun<v1::Rule> run_rules_;
};

}  // namespace karton::automation
