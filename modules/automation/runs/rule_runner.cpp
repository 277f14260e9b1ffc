#include "runs/rule_runner.h"

#include <fmt/format.h>
#include <google/protobuf/dynamic_message.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <sstream>

#include "automation_sql.h"
#include "karton/kernel/database.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/proto_json.h"
#include "karton/kernel/transaction.h"
#include "rules/rule_repository.h"
#include "runs/run_repository.h"

namespace karton::automation {
namespace {

namespace pb = google::protobuf;

// The moment `date` at `local_time` ("HH:MM") begins in `zone`, from
// PostgreSQL's zone rules: 09:00 stays 09:00 across daylight saving.
kernel::TimePoint LocalMoment(soci::session& session, const std::string& date,
                              const std::string& local_time, const std::string& zone) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT (extract(epoch FROM (($1::date + $2::time) AT TIME ZONE $3)) * 1000000)::bigint",
      {date, local_time.empty() ? "09:00" : local_time, zone});
  return sql::TimeOf(rows.Text(0, 0));
}

}  // namespace

std::shared_ptr<const CompiledRule> RuleRunner::Compiled(const v1::Rule& rule,
                                                         const pb::Descriptor& payload) {
  const auto key = std::make_pair(rule.id(), rule.etag());
  {
    std::lock_guard lock(cache_mutex_);
    if (auto found = cache_.find(key); found != cache_.end()) return found->second;
  }
  auto compiled =
      std::make_shared<const CompiledRule>(CompileSaved(payload, rule.condition(), rule.actions()));
  std::lock_guard lock(cache_mutex_);
  // Older versions of the rule are not asked for again.
  std::erase_if(cache_, [&](const auto& entry) { return entry.first.first == rule.id(); });
  cache_.emplace(key, compiled);
  return compiled;
}

void RuleRunner::PrepareRun(std::span<const kernel::Event> events, soci::session& session) {
  using Run = DefinitionsForRun<v1::Rule>;
  run_rules_.Prepare(
      events, rule_repository::TriggeredByAny(session, Run::TopicsOf(events)),
      [](const v1::Rule& rule) -> const auto& { return rule.trigger_topics(); });
}

void RuleRunner::OnEvent(const kernel::Event& event, soci::session& session) {
  std::vector<v1::Rule> read;
  const std::vector<v1::Rule>* rules = run_rules_.For(event);
  if (rules == nullptr) {
    read = rule_repository::Triggered(session, event.topic);
    rules = &read;
  }
  if (rules->empty()) return;
  auto payload = ParsePayload(event.payload_type, event.payload);
  if (!payload) {
    parts_.log.warn("event {} ({}): its payload {} cannot be read here; no rule runs for it",
                    event.id, event.topic, event.payload_type);
    return;
  }
  for (const auto& rule : *rules) {
    if (rule.payload_type() != event.payload_type) {
      parts_.log.warn("rule {} expects {} but {} carried {}; skipped", rule.id(),
                      rule.payload_type(), event.topic, event.payload_type);
      continue;
    }
    std::shared_ptr<const CompiledRule> compiled;
    try {
      compiled = Compiled(rule, *payload->GetDescriptor());
    } catch (const std::exception& error) {
      parts_.log.error("rule {} ('{}'): {}", rule.id(), rule.name(), error.what());
      continue;
    }
    if (!compiled->condition->Matches(*payload)) continue;
    const auto run_id = run_repository::InsertRun(
        session,
        {rule.id(), event.id, event.topic, event.aggregate_id, event.publish_time,
         event.payload_type, event.payload, rule_repository::ActionsJson(rule)},
        parts_.clock.Now());
    if (!run_id) continue;  // the event came again: its run exists
    ScheduleActions(session, event, *payload, *compiled, rule.id(), *run_id);
  }
}

void RuleRunner::ScheduleActions(soci::session& session, const kernel::Event& event,
                                 const pb::Message& payload, const CompiledRule& rule,
                                 std::int64_t rule_id, std::int64_t run_id) {
  const kernel::TimePoint now = parts_.clock.Now();
  for (std::size_t index = 0; index < rule.actions.size(); ++index) {
    const CompiledAction& action = rule.actions[index];
    const v1::ActionTiming& timing = action.action.timing();
    const auto offset = std::chrono::seconds(timing.offset().seconds());
    run_repository::NewActionRun scheduled{run_id,
                                           static_cast<int>(index),
                                           rule_id,
                                           event.aggregate_id,
                                           event.publish_time + offset,
                                           std::nullopt};
    if (action.timing_field) {
      const FieldMoment moment = MomentIn(payload, *action.timing_field);
      std::optional<kernel::TimePoint> at = moment.time;
      if (!at && !moment.date.empty()) {
        at = LocalMoment(session, moment.date, timing.local_time(), settings_.time_zone);
      }
      if (!at) {
        run_repository::SupersedePending(session, scheduled, std::nullopt, now);
        run_repository::InsertSkipped(
            session, scheduled, fmt::format("{} holds no date in this event", timing.from_field()),
            now);
        continue;
      }
      scheduled.scheduled_time = *at + offset;
      scheduled.moment_key = std::to_string(kernel::ToEpochMicros(scheduled.scheduled_time));
      run_repository::SupersedePending(session, scheduled, scheduled.moment_key, now);
      if (*at < event.publish_time) {
        run_repository::InsertSkipped(
            session, scheduled,
            fmt::format("{} had passed when the event came", timing.from_field()), now);
        continue;
      }
      if (!run_repository::InsertScheduled(session, scheduled)) {
        const auto holder = run_repository::MomentHolder(session, scheduled);
        scheduled.moment_key.reset();
        run_repository::InsertSkipped(
            session, scheduled, fmt::format("run {} already acts on this moment", holder), now);
        continue;
      }
    } else {
      run_repository::InsertScheduled(session, scheduled);
    }
    const std::string key = fmt::format("{} {}", run_id, index);
    jobs_.Schedule(session, {.kind = kActionJob,
                             .payload = key,
                             .run_at = scheduled.scheduled_time,
                             .recurrence = "",
                             .max_attempts = kActionAttempts,
                             .unique_key = "automation.action:" + key});
  }
}

void RuleRunner::RunAction(const kernel::JobRun& job) {
  std::int64_t run_id = 0;
  int index = 0;
  std::istringstream(job.payload) >> run_id >> index;
  // Read what to do, then let the connection go before calling anyone.
  std::optional<run_repository::PendingAction> pending;
  {
    auto lease = parts_.database.Acquire();
    pending = run_repository::FindAction(lease.Session(), run_id, index);
    if (!pending) return;
    if (pending->state != "scheduled" && pending->state != "retrying") return;
    if (pending->rule_deleted) {
      run_repository::MarkSkipped(lease.Session(), run_id, index, "the rule was deleted",
                                  parts_.clock.Now());
      return;
    }
  }
  const auto finish = [&](const std::function<void(soci::session&)>& write) {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    write(lease.Session());
    transaction.Commit();
  };
  std::string result;
  try {
    auto payload = ParsePayload(pending->payload_type, pending->payload);
    if (!payload) {
      throw PermanentActionError(
          fmt::format("its payload {} cannot be read here", pending->payload_type));
    }
    google::protobuf::RepeatedPtrField<v1::RuleAction> actions;
    kernel::ParseProtoJson(pending->action_json, *actions.Add());
    CompiledRule compiled;
    try {
      compiled = CompileSaved(*payload->GetDescriptor(), "", actions);
    } catch (const std::exception& error) {
      throw PermanentActionError(error.what());
    }
    ActionScope scope{pending->rule_id,
                      run_id,
                      index,
                      pending->event_id,
                      pending->topic,
                      pending->aggregate_id,
                      pending->event_time,
                      payload.get(),
                      RecordOf(*payload),
                      fmt::format("automation-{}-{}", run_id, index)};
    result = effects_.Perform(compiled.actions.front(), scope).made;
  } catch (const PermanentActionError& error) {
    finish([&](soci::session& session) {
      run_repository::MarkFailedAttempt(session, run_id, index, error.what(), true,
                                        parts_.clock.Now());
    });
    parts_.log.warn("rule run {} action {} failed for good: {}", run_id, index, error.what());
    return;
  } catch (const std::exception& error) {
    const bool last = job.attempt >= kActionAttempts;
    finish([&](soci::session& session) {
      run_repository::MarkFailedAttempt(session, run_id, index, error.what(), last,
                                        parts_.clock.Now());
    });
    throw;  // the job queue tries again later
  }
  finish([&](soci::session& session) {
    run_repository::MarkDone(session, run_id, index, result, parts_.clock.Now());
  });
}

}  // namespace karton::automation
