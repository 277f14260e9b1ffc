// Where journeys meet events and time. The subscription (every topic)
// enrols the partners and leads that events of a journey's topics name,
// and stops enrolments on a purchase, a reply or an unsubscription, in the
// event's delivery transaction. Each step occurrence is a durable job at
// its time; it reads the partner or lead as it is then, checks the step's
// condition or goal, does its action (ActionEffects) and plans the step's
// next occurrence. An enrolment completes when nothing is left to run.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "actions/action_effects.h"
#include "automation_settings.h"
#include "journeys/journey_definition.h"
#include "journeys/journey_repository.h"
#include "karton/kernel/access.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"
#include "runs/definitions_for_run.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace karton::automation {

class JourneyRunner {
 public:
  static constexpr char kStepJob[] = "journey_step";
  static constexpr int kStepAttempts = 8;

  JourneyRunner(kernel::ServiceParts parts, kernel::Jobs& jobs, ActionEffects& effects,
                std::function<std::shared_ptr<grpc::Channel>()> channel,
                AutomationSettings settings)
      : parts_(parts),
        jobs_(jobs),
        effects_(effects),
        channel_(std::move(channel)),
        settings_(std::move(settings)) {}

  static void DeclareTopics(kernel::DomainEvents& events);

  // The subscription's prepare_run: the journeys the run's topics enrol
  // into, read once.
  void PrepareRun(std::span<const kernel::Event> events, soci::session& session);
  // The subscription's handler: in `session`'s open transaction.
  void OnEvent(const kernel::Event& event, soci::session& session);
  // The job handler of kStepJob.
  void RunStep(const kernel::JobRun& run);

  // Enrols `subject_id` in `journey` inside `session`'s transaction and
  // plans the first time of every step; publishes automation.enrolment.created.
  journey_repository::EnrolOutcome Enrol(soci::session& session, const v1::Journey& journey,
                                         std::int64_t subject_id, std::int64_t partner_id,
                                         std::int64_t event_id, const kernel::Caller& actor,
                                         std::int64_t& id);
  // Ends an active enrolment, skipping its planned steps, and publishes
  // automation.enrolment.completed or .stopped; false when it was not active.
  bool End(soci::session& session, std::int64_t id, v1::EnrolmentState state,
           const std::string& reason, const kernel::Caller& actor);

  // The partner or lead as it is now (read as kartond); nullptr when it
  // does not exist. Throws on other failures.
  // kartond's channel to the other modules (null before Start()).
  std::shared_ptr<grpc::Channel> Channel() const { return channel_(); }
  std::unique_ptr<google::protobuf::Message> ReadSubject(v1::JourneySubject subject,
                                                         std::int64_t id);

 private:
  // When occurrence `occurrence` of `step` runs for an enrolment made at
  // `enrol_time`.
  kernel::TimePoint OccurrenceTime(soci::session& session, const v1::JourneyStep& step,
                                   kernel::TimePoint enrol_time, int occurrence);
  void PlanStep(soci::session& session, std::int64_t enrolment_id, int step_index, int occurrence,
                kernel::TimePoint at);
  // After a step occurrence finished: plans its next one, and completes
  // the enrolment when nothing is left.
  void Continue(soci::session& session, std::int64_t enrolment_id, int step_index, int occurrence,
                const CompiledStep& step, const journey_repository::PendingStep& pending);
  void StopFor(soci::session& session, const std::vector<std::int64_t>& ids,
               const std::string& reason);
  std::shared_ptr<const Condition> EnrolCondition(const v1::Journey& journey,
                                                  const google::protobuf::Descriptor& payload);

  kernel::ServiceParts parts_;
  kernel::Jobs& jobs_;
  ActionEffects& effects_;
  std::function<std::shared_ptr<grpc::Channel>()> channel_;
  const AutomationSettings settings_;
  std::mutex cache_mutex_;
  std::map<std::pair<std::int64_t, std::string>, std::shared_ptr<const Condition>> conditions_;
  DefinitionsForRun<v1::Journey> run_journeys_;
};

}  // namespace karton::automation
