#include "journeys/journey_runner.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <sstream>

#include "automation_sql.h"
#include "karton/kernel/calls.h"
#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/transaction.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;

using sql::Micros;

std::string TextField(const pb::Message& message, const char* name) {
  const pb::FieldDescriptor* field = message.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != pb::FieldDescriptor::CPPTYPE_STRING) {
    return "";
  }
  return message.GetReflection()->GetString(message, field);
}

v1::Enrolment Summary(std::int64_t id, std::int64_t journey_id, std::int64_t subject_id,
                      std::int64_t partner_id, v1::EnrolmentState state,
                      const std::string& reason) {
  v1::Enrolment enrolment;
  enrolment.set_id(id);
  enrolment.set_journey_id(journey_id);
  enrolment.set_subject_id(subject_id);
  enrolment.set_partner_id(partner_id);
  enrolment.set_state(state);
  enrolment.set_end_reason(reason);
  return enrolment;
}

}  // namespace

void JourneyRunner::DeclareTopics(kernel::DomainEvents& events) {
  for (const char* verb : {"created", "completed", "stopped"}) {
    events.DeclareTopic<v1::Enrolment>(std::string("automation.enrolment.") + verb);
  }
}

kernel::TimePoint JourneyRunner::OccurrenceTime(soci::session& session, const v1::JourneyStep& step,
                                                kernel::TimePoint enrol_time, int occurrence) {
  kernel::TimePoint first = enrol_time + std::chrono::seconds(step.offset().seconds());
  if (!step.wait_until().empty()) {
    const auto rows = kernel::RunPrepared(
        session, "SELECT (extract(epoch FROM ($1::timestamp AT TIME ZONE $2)) * 1000000)::bigint",
        {step.wait_until(), settings_.time_zone});
    first = sql::TimeOf(rows.Text(0, 0));
  }
  kernel::TimePoint at = first + occurrence * std::chrono::seconds(step.repeat_every().seconds());
  if (step.local_time().empty()) return at;
  // That local time on the moment's own day, or the next day's when it has
  // passed: PostgreSQL's zone rules keep 09:00 at 09:00 across daylight
  // saving.
  const auto rows = kernel::RunPrepared(
      session,
      "WITH m AS (SELECT to_timestamp($1::bigint / 1e6) AS at), "
      "d AS (SELECT (m.at AT TIME ZONE $3)::date AS day, m.at FROM m) "
      "SELECT (extract(epoch FROM CASE WHEN ((d.day + $2::time) AT TIME ZONE $3) >= d.at "
      "THEN (d.day + $2::time) AT TIME ZONE $3 ELSE ((d.day + 1) + $2::time) AT TIME ZONE $3 "
      "END) * 1000000)::bigint FROM d",
      {Micros(at), step.local_time(), settings_.time_zone});
  return sql::TimeOf(rows.Text(0, 0));
}

void JourneyRunner::PlanStep(soci::session& session, std::int64_t enrolment_id, int step_index,
                             int occurrence, kernel::TimePoint at) {
  if (!journey_repository::InsertStep(session, enrolment_id, step_index, occurrence, at)) return;
  const std::string key = fmt::format("{} {} {}", enrolment_id, step_index, occurrence);
  jobs_.Schedule(session, {.kind = kStepJob,
                           .payload = key,
                           .run_at = at,
                           .recurrence = "",
                           .max_attempts = kStepAttempts,
                           .unique_key = "automation.journey_step:" + key});
}

journey_repository::EnrolOutcome JourneyRunner::Enrol(
    soci::session& session, const v1::Journey& journey, std::int64_t subject_id,
    std::int64_t partner_id, std::int64_t event_id, const kernel::Caller& actor, std::int64_t& id) {
  const kernel::TimePoint now = parts_.clock.Now();
  const auto outcome = journey_repository::InsertEnrolment(
      session,
      {journey.id(), subject_id, partner_id, event_id, journey_repository::StepsJson(journey)},
      journey.allow_reentry(), now, id);
  if (outcome != journey_repository::EnrolOutcome::kEnrolled) return outcome;
  for (int i = 0; i < journey.steps_size(); ++i) {
    PlanStep(session, id, i, 0, OccurrenceTime(session, journey.steps(i), now, 0));
  }
  parts_.events.Publish(
      session, "automation.enrolment.created", id,
      Summary(id, journey.id(), subject_id, partner_id, v1::ENROLMENT_STATE_ACTIVE, ""), actor);
  return outcome;
}

bool JourneyRunner::End(soci::session& session, std::int64_t id, v1::EnrolmentState state,
                        const std::string& reason, const kernel::Caller& actor) {
  if (!journey_repository::EndEnrolment(session, id, state, reason, parts_.clock.Now())) {
    return false;
  }
  auto ended = journey_repository::FindEnrolment(session, id);
  if (ended) {
    ended->clear_steps();
    parts_.events.Publish(session,
                          state == v1::ENROLMENT_STATE_COMPLETED ? "automation.enrolment.completed"
                                                                 : "automation.enrolment.stopped",
                          id, *ended, actor);
  }
  return true;
}

void JourneyRunner::StopFor(soci::session& session, const std::vector<std::int64_t>& ids,
                            const std::string& reason) {
  for (const auto id : ids) {
    End(session, id, v1::ENROLMENT_STATE_STOPPED, reason, kernel::Caller::Internal());
  }
}

std::shared_ptr<const Condition> JourneyRunner::EnrolCondition(const v1::Journey& journey,
                                                               const pb::Descriptor& payload) {
  const auto key = std::make_pair(journey.id(), journey.etag());
  {
    std::lock_guard lock(cache_mutex_);
    if (auto found = conditions_.find(key); found != conditions_.end()) return found->second;
  }
  std::string problem;
  auto condition = Condition::Compile(payload, journey.enrol_condition(), problem);
  if (!condition) {
    throw std::runtime_error(fmt::format("its enrol_condition no longer compiles: {}", problem));
  }
  auto shared = std::make_shared<const Condition>(std::move(*condition));
  std::lock_guard lock(cache_mutex_);
  std::erase_if(conditions_, [&](const auto& entry) { return entry.first.first == journey.id(); });
  conditions_.emplace(key, shared);
  return shared;
}

void JourneyRunner::PrepareRun(std::span<const kernel::Event> events, soci::session& session) {
  using Run = DefinitionsForRun<v1::Journey>;
  run_journeys_.Prepare(
      events, journey_repository::EnrolledByAny(session, Run::TopicsOf(events)),
      [](const v1::Journey& journey) -> const auto& { return journey.enrol_topics(); });
}

void JourneyRunner::OnEvent(const kernel::Event& event, soci::session& session) {
  const bool stops = event.topic == "orders.order.confirmed" ||
                     event.topic == "messaging.email.received" ||
                     event.topic == "messaging.consent.withdrawn";
  // The run's journeys for this topic (PrepareRun), or read now.
  const std::vector<v1::Journey>* journeys = nullptr;
  std::vector<v1::Journey> read;
  const auto find_journeys = [&] {
    journeys = run_journeys_.For(event);
    if (journeys == nullptr) {
      read = journey_repository::EnrolledBy(session, event.topic);
      journeys = &read;
    }
  };
  if (!stops) {
    find_journeys();
    if (journeys->empty()) return;
  }
  auto payload = ParsePayload(event.payload_type, event.payload);
  if (!payload) return;
  const EventRecord record = RecordOf(*payload);
  if (event.topic == "orders.order.confirmed" && record.partner_id > 0) {
    StopFor(session,
            journey_repository::StoppableByPartner(session, record.partner_id, "on_purchase"),
            fmt::format("bought: order {} confirmed", record.id));
  } else if (event.topic == "messaging.email.received" && record.partner_id > 0) {
    StopFor(session, journey_repository::StoppableByPartner(session, record.partner_id, "on_reply"),
            "replied: an email arrived from the partner");
  } else if (event.topic == "messaging.consent.withdrawn") {
    const std::string address = TextField(*payload, "address");
    if (!address.empty()) {
      StopFor(session, journey_repository::StoppableByAddress(session, address, "on_unsubscribe"),
              "unsubscribed: " + address);
    }
  }
  if (stops) find_journeys();
  for (const auto& journey : *journeys) {
    if (!journey.enrol_condition().empty()) {
      std::shared_ptr<const Condition> condition;
      try {
        condition = EnrolCondition(journey, *payload->GetDescriptor());
      } catch (const std::exception& error) {
        parts_.log.error("journey {} ('{}'): {}", journey.id(), journey.name(), error.what());
        continue;
      }
      if (!condition->Matches(*payload)) continue;
    }
    const bool lead = journey.subject() == v1::JOURNEY_SUBJECT_LEAD;
    const std::int64_t subject = lead ? record.lead_id : record.partner_id;
    if (subject <= 0) continue;
    std::int64_t id = 0;
    Enrol(session, journey, subject, record.partner_id, event.id, kernel::Caller::Internal(), id);
  }
}

std::unique_ptr<pb::Message> JourneyRunner::ReadSubject(v1::JourneySubject subject,
                                                        std::int64_t id) {
  const pb::Descriptor& type = SubjectType(subject);
  const auto methods = FindRecordMethods(type);
  const pb::Message* request_prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(methods->get_request);
  std::unique_ptr<pb::Message> request(request_prototype->New());
  request->GetReflection()->SetInt64(request.get(), methods->get_request->FindFieldByName("id"),
                                     id);
  std::unique_ptr<pb::Message> record(
      pb::MessageFactory::generated_factory()->GetPrototype(&type)->New());
  const auto status = kernel::CallMethod(*channel_(), *kernel::KernelCallContext(),
                                         methods->get_method, *request, *record);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return nullptr;
  if (!status.ok()) {
    throw std::runtime_error(fmt::format("{}: {}", methods->get_method, status.error_message()));
  }
  return record;
}

void JourneyRunner::Continue(soci::session& session, std::int64_t enrolment_id, int step_index,
                             int occurrence, const CompiledStep& step,
                             const journey_repository::PendingStep& pending) {
  if (occurrence + 1 < step.RepeatCount()) {
    PlanStep(session, enrolment_id, step_index, occurrence + 1,
             OccurrenceTime(session, step.step, pending.enrol_time, occurrence + 1));
  }
  if (journey_repository::PendingSteps(session, enrolment_id, step_index, occurrence) == 0) {
    End(session, enrolment_id, v1::ENROLMENT_STATE_COMPLETED, "every step ran",
        kernel::Caller::Internal());
  }
}

void JourneyRunner::RunStep(const kernel::JobRun& job) {
  std::int64_t enrolment_id = 0;
  int step_index = 0, occurrence = 0;
  std::istringstream(job.payload) >> enrolment_id >> step_index >> occurrence;
  const auto write = [&](const std::function<void(soci::session&)>& body) {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    body(lease.Session());
    transaction.Commit();
  };
  const auto mark = [&](soci::session& session, const std::string& state, const std::string& error,
                        const std::string& result) {
    journey_repository::MarkStep(session, enrolment_id, step_index, occurrence, state, error,
                                 result, parts_.clock.Now());
  };
  std::optional<journey_repository::PendingStep> pending;
  {
    auto lease = parts_.database.Acquire();
    pending = journey_repository::FindStep(lease.Session(), enrolment_id, step_index, occurrence);
  }
  if (!pending || (pending->step_state != "scheduled" && pending->step_state != "retrying")) return;
  if (pending->enrolment_state != "active") {
    write([&](soci::session& session) {
      mark(session, "skipped", "the enrolment ended: " + pending->end_reason, "");
    });
    return;
  }
  google::protobuf::RepeatedPtrField<v1::JourneyStep> one;
  kernel::ParseProtoJson(pending->step_json, *one.Add());
  std::vector<CompiledStep> compiled;
  try {
    compiled = CompileSavedSteps(pending->subject, one);
  } catch (const std::exception& error) {
    write([&](soci::session& session) { mark(session, "failed", error.what(), ""); });
    return;
  }
  const CompiledStep& step = compiled.front();
  try {
    // The partner or lead as it is now: conditions, goals and the
    // message's variables read today's card, not the one at enrolment.
    auto subject = ReadSubject(pending->subject, pending->subject_id);
    if (!subject) {
      write([&](soci::session& session) {
        mark(session, "skipped", "the partner or lead no longer exists", "");
        End(session, enrolment_id, v1::ENROLMENT_STATE_STOPPED, "the partner or lead is gone",
            kernel::Caller::Internal());
      });
      return;
    }
    if (step.condition && !step.condition->Matches(*subject)) {
      write([&](soci::session& session) {
        mark(session, "skipped", "its condition did not hold", "");
        Continue(session, enrolment_id, step_index, occurrence, step, *pending);
      });
      return;
    }
    if (step.goal) {
      const bool reached = step.goal->Matches(*subject);
      write([&](soci::session& session) {
        mark(session, "done", "", reached ? "goal reached" : "goal not reached yet");
        if (reached) {
          End(session, enrolment_id, v1::ENROLMENT_STATE_COMPLETED,
              "goal reached: " +
                  (step.step.name().empty() ? step.step.goal().condition() : step.step.name()),
              kernel::Caller::Internal());
        } else {
          Continue(session, enrolment_id, step_index, occurrence, step, *pending);
        }
      });
      return;
    }
    ActionScope scope;
    scope.event_id = 0;
    scope.topic = "automation.journey";
    scope.aggregate_id = pending->subject_id;
    scope.event_time = pending->scheduled_time;
    scope.payload = subject.get();
    scope.record = RecordOf(*subject);
    scope.key = fmt::format("journey-{}-{}-{}", enrolment_id, step_index, occurrence);
    const ActionResult result = effects_.Perform(*step.action, scope);
    write([&](soci::session& session) {
      mark(session, "done", "", result.made);
      if (!result.address.empty()) {
        journey_repository::SetLastAddress(session, enrolment_id, result.address);
      }
      if (result.suppressed && pending->stop_on_unsubscribe) {
        End(session, enrolment_id, v1::ENROLMENT_STATE_STOPPED,
            "unsubscribed: messaging suppressed the message to " + result.address,
            kernel::Caller::Internal());
        return;
      }
      Continue(session, enrolment_id, step_index, occurrence, step, *pending);
    });
  } catch (const PermanentActionError& error) {
    // One failed newsletter does not end the journey: the next goes on.
    write([&](soci::session& session) {
      mark(session, "failed", error.what(), "");
      Continue(session, enrolment_id, step_index, occurrence, step, *pending);
    });
    parts_.log.warn("journey step {} failed for good: {}", job.payload, error.what());
  } catch (const std::exception& error) {
    const bool last = job.attempt >= kStepAttempts;
    write([&](soci::session& session) {
      mark(session, last ? "failed" : "retrying", error.what(), "");
      if (last) Continue(session, enrolment_id, step_index, occurrence, step, *pending);
    });
    if (!last) throw;
  }
}

}  // namespace karton::automation
