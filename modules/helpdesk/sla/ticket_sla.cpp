#include "sla/ticket_sla.h"

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <stdexcept>
#include <vector>

#include "karton/kernel/audit.h"
#include "karton/kernel/database.h"
#include "karton/kernel/events.h"
#include "karton/kernel/numbers.h"
#include "karton/kernel/prepared_query.h"
#include "karton/kernel/transaction.h"
#include "karton/kernel/typed_rows.h"
#include "outreach.h"
#include "scope.h"
#include "sla/business_hours.h"
#include "sla/sla_repository.h"
#include "tickets/ticket_repository.h"
#include "tickets/ticket_states.h"

namespace karton::helpdesk {
namespace {

using std::chrono::seconds;
using Time = kernel::TimePoint;

constexpr char kTicket[] = "helpdesk.ticket";

// What the ticket table says of the clock.
struct Clock {
  std::int64_t id = 0;
  std::string state;
  std::string priority;
  std::int64_t type_id = 0;
  Time created;
  bool responded = false;
  std::string sla_state;
  std::int64_t policy_id = 0;
  std::optional<Time> first_due;
  std::optional<Time> resolve_due;
  std::optional<Time> paused;
  std::optional<seconds> first_left;
  std::optional<seconds> resolve_left;
  int generation = 0;
  bool first_warned = false;
  bool resolve_warned = false;
  bool first_breached = false;
  bool resolve_breached = false;

  bool Breached() const { return first_breached || resolve_breached; }
};

std::optional<Time> TimeOf(const kernel::QueryRows& rows, int column) {
  if (rows.IsNull(0, column)) return std::nullopt;
  return Time(std::chrono::microseconds(kernel::ParseInt64(rows.Text(0, column)).value_or(0)));
}

std::optional<seconds> SecondsOf(const kernel::QueryRows& rows, int column) {
  if (rows.IsNull(0, column)) return std::nullopt;
  return seconds(kernel::ParseInt64(rows.Text(0, column)).value_or(0));
}

#define KARTON_MICROS_OF(column) "(extract(epoch FROM " column ") * 1000000)::bigint"

Clock ReadClock(soci::session& session, std::int64_t id) {
  const auto rows = kernel::RunPrepared(
      session,
      "SELECT state, priority, coalesce(type_id, 0), " KARTON_MICROS_OF("create_time") ", "
      "first_response_time IS NOT NULL, sla_state, coalesce(sla_policy_id, 0), "
      KARTON_MICROS_OF("first_response_due_time") ", " KARTON_MICROS_OF("resolve_due_time") ", "
      KARTON_MICROS_OF("sla_paused_time") ", sla_first_left_seconds, sla_resolve_left_seconds, "
      "sla_generation, first_response_warned, resolve_warned, first_response_breached, "
      "resolve_breached FROM helpdesk.ticket WHERE id = $1 FOR UPDATE",
      {std::to_string(id)});
  if (rows.Count() == 0) throw std::logic_error("no ticket " + std::to_string(id));
  Clock clock;
  clock.id = id;
  clock.state = std::string(rows.Text(0, 0));
  clock.priority = std::string(rows.Text(0, 1));
  clock.type_id = kernel::ParseInt64(rows.Text(0, 2)).value_or(0);
  clock.created = *TimeOf(rows, 3);
  clock.responded = rows.Text(0, 4) == "t";
  clock.sla_state = std::string(rows.Text(0, 5));
  clock.policy_id = kernel::ParseInt64(rows.Text(0, 6)).value_or(0);
  clock.first_due = TimeOf(rows, 7);
  clock.resolve_due = TimeOf(rows, 8);
  clock.paused = TimeOf(rows, 9);
  clock.first_left = SecondsOf(rows, 10);
  clock.resolve_left = SecondsOf(rows, 11);
  clock.generation = static_cast<int>(kernel::ParseInt64(rows.Text(0, 12)).value_or(0));
  clock.first_warned = rows.Text(0, 13) == "t";
  clock.resolve_warned = rows.Text(0, 14) == "t";
  clock.first_breached = rows.Text(0, 15) == "t";
  clock.resolve_breached = rows.Text(0, 16) == "t";
  return clock;
}

std::string OptionalMicros(const std::optional<Time>& at) {
  return at ? std::to_string(kernel::ToEpochMicros(*at)) : "";
}

std::string OptionalSeconds(const std::optional<seconds>& amount) {
  return amount ? std::to_string(amount->count()) : "";
}

void WriteClock(soci::session& session, const Clock& clock, Time now) {
  kernel::RunPrepared(
      session,
      "UPDATE helpdesk.ticket SET sla_state = $2, sla_policy_id = nullif($3::bigint, 0), "
      "first_response_due_time = to_timestamp(nullif($4, '')::bigint / 1e6), "
      "resolve_due_time = to_timestamp(nullif($5, '')::bigint / 1e6), "
      "sla_paused_time = to_timestamp(nullif($6, '')::bigint / 1e6), "
      "sla_first_left_seconds = nullif($7, '')::bigint, "
      "sla_resolve_left_seconds = nullif($8, '')::bigint, sla_generation = $9::integer, "
      "first_response_warned = $10::boolean, resolve_warned = $11::boolean, "
      "first_response_breached = $12::boolean, resolve_breached = $13::boolean, "
      "priority = $14, update_time = to_timestamp($15::bigint / 1e6), version = version + 1 "
      "WHERE id = $1",
      {std::to_string(clock.id), clock.sla_state, std::to_string(clock.policy_id),
       OptionalMicros(clock.first_due), OptionalMicros(clock.resolve_due),
       OptionalMicros(clock.paused), OptionalSeconds(clock.first_left),
       OptionalSeconds(clock.resolve_left), std::to_string(clock.generation),
       clock.first_warned ? "true" : "false", clock.resolve_warned ? "true" : "false",
       clock.first_breached ? "true" : "false", clock.resolve_breached ? "true" : "false",
       clock.priority, std::to_string(kernel::ToEpochMicros(now))});
}

struct Plan {
  v1::SlaPolicy policy;
  BusinessHours hours;
};

std::optional<Plan> PlanOf(kernel::ServiceParts& parts, soci::session& session,
                           const v1::SlaPolicy& policy) {
  const auto calendar = sla_repository::FindCalendar(session, policy.calendar_id());
  if (!calendar) return std::nullopt;
  auto hours = BusinessHours::Load(sla_repository::RulesOf(*calendar));
  if (!hours) {
    parts.log.warn("business calendar {} names the unknown time zone '{}'; SLA not planned",
                   calendar->id(), calendar->time_zone());
    return std::nullopt;
  }
  return Plan{policy, std::move(*hours)};
}

std::optional<Plan> PlanOf(kernel::ServiceParts& parts, soci::session& session,
                           std::int64_t policy_id) {
  const auto policy = sla_repository::FindPolicy(session, policy_id);
  if (!policy) return std::nullopt;
  return PlanOf(parts, session, *policy);
}

// Schedules the warning and the breach of one target: due `due`, of which
// `left` business time remains at `now`.
void ScheduleTarget(kernel::ServiceParts& parts, soci::session& session, const Clock& clock,
                    const Plan& plan, const char* target, Time now, Time due, seconds left,
                    bool warned) {
  const seconds whole(60LL * (std::string(target) == "first" ? plan.policy.first_response_minutes()
                                                             : plan.policy.resolution_minutes()));
  const seconds after_warning(whole.count() * (100 - plan.policy.warn_percent()) / 100);
  const auto schedule = [&](const char* kind, Time at) {
    const std::string payload =
        fmt::format("{}/{}/{}/{}", clock.id, clock.generation, target, kind);
    parts.jobs.Schedule(session, {.kind = kSlaCheckJob,
                                  .payload = payload,
                                  .run_at = at,
                                  .recurrence = "",
                                  .max_attempts = 10,
                                  .unique_key = "helpdesk.sla_check:" + payload});
  };
  if (!warned) {
    schedule("warn", left > after_warning ? plan.hours.Add(now, left - after_warning) : now);
  }
  schedule("breach", due);
}

// The state the flags say, for a running clock.
std::string RunningState(const Clock& clock) {
  if (clock.Breached()) return "breached";
  if ((!clock.responded && clock.first_warned) || clock.resolve_warned) return "warning";
  return "on_track";
}

void Audit(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
           const Clock& before, const Clock& after) {
  std::vector<kernel::FieldChange> changes;
  if (before.sla_state != after.sla_state) {
    changes.push_back(kernel::FieldChange::Of("sla_state", before.sla_state, after.sla_state));
  }
  if (before.policy_id != after.policy_id) {
    changes.push_back(kernel::FieldChange::Of("sla_policy_id", before.policy_id, after.policy_id));
  }
  if (before.priority != after.priority) {
    changes.push_back(kernel::FieldChange::Of("priority", before.priority, after.priority));
  }
  if (!changes.empty()) {
    parts.audit.Record(session, caller, kernel::AuditAction::kUpdate, kTicket, after.id, changes);
  }
}

// Starts the running targets from `now`, each with what is left of it.
void Run(kernel::ServiceParts& parts, soci::session& session, Clock& clock, const Plan& plan,
         Time now) {
  if (!clock.responded && clock.first_left) {
    clock.first_due = plan.hours.Add(now, *clock.first_left);
    ScheduleTarget(parts, session, clock, plan, "first", now, *clock.first_due, *clock.first_left,
                   clock.first_warned || clock.first_breached);
  } else {
    clock.first_due.reset();
  }
  if (clock.resolve_left) {
    clock.resolve_due = plan.hours.Add(now, *clock.resolve_left);
    ScheduleTarget(parts, session, clock, plan, "resolve", now, *clock.resolve_due,
                   *clock.resolve_left, clock.resolve_warned || clock.resolve_breached);
  }
  clock.first_left.reset();
  clock.resolve_left.reset();
  clock.paused.reset();
  clock.sla_state = RunningState(clock);
}

}  // namespace

namespace {

// The ticket's targets under `policy` (the most specific one for its type
// and priority, if any), from its clock as it was `before`.
void PlanSlaUnder(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
                  const Clock& before, const std::optional<v1::SlaPolicy>& policy) {
  const auto now = parts.clock.Now();
  Clock clock = before;
  ++clock.generation;  // what was scheduled before finds nothing to do
  std::optional<Plan> plan;
  if (policy) plan = PlanOf(parts, session, *policy);
  if (!plan && before.policy_id == 0 && before.sla_state == "none") return;  // none before either
  if (!plan) {
    clock.policy_id = 0;
    clock.first_due.reset();
    clock.resolve_due.reset();
    clock.paused.reset();
    clock.first_left.reset();
    clock.resolve_left.reset();
    clock.sla_state = "none";
  } else {
    clock.policy_id = plan->policy.id();
    clock.first_warned = clock.resolve_warned = false;
    // The targets count from the ticket's creation; what has passed of
    // them is what passed in business time (pauses before this plan are
    // not remembered).
    const seconds used = plan->hours.Between(clock.created, now);
    const auto left = [&](int minutes) { return seconds(60LL * minutes) - used; };
    clock.first_left = left(plan->policy.first_response_minutes());
    clock.resolve_left = left(plan->policy.resolution_minutes());
    if (IsFinished(clock.state)) {
      clock.first_due.reset();
      clock.resolve_due.reset();
      clock.first_left.reset();
      clock.resolve_left.reset();
      clock.sla_state = clock.Breached() ? "breached" : "met";
    } else if (clock.state == "waiting_on_customer") {
      clock.first_due.reset();
      clock.resolve_due.reset();
      clock.paused = now;
      clock.sla_state = clock.Breached() ? "breached" : "paused";
    } else {
      Run(parts, session, clock, *plan, now);
    }
  }
  WriteClock(session, clock, now);
  Audit(parts, session, caller, before, clock);
}

}  // namespace

void PlanSla(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
             std::int64_t ticket_id) {
  const Clock before = ReadClock(session, ticket_id);
  PlanSlaUnder(parts, session, caller, before,
               sla_repository::PolicyFor(session, before.type_id, before.priority));
}

bool StartSla(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
              const v1::Ticket& created) {
  // The policy first: a new ticket has no clock running, so without a
  // policy there is nothing to read back or to write.
  const auto policy = sla_repository::PolicyFor(
      session, created.type_id(),
      kernel::EnumWord(*v1::TicketPriority_descriptor(), created.priority()));
  if (!policy) return false;
  PlanSlaUnder(parts, session, caller, ReadClock(session, created.id()), policy);
  return true;
}

void FollowStateChange(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, std::int64_t ticket_id,
                       const std::string& before_state) {
  const auto now = parts.clock.Now();
  const Clock before = ReadClock(session, ticket_id);
  if (before.policy_id == 0) return;
  const auto plan = PlanOf(parts, session, before.policy_id);
  if (!plan) return;
  Clock clock = before;
  const std::string& state = clock.state;
  if (IsFinished(state)) {
    if (IsFinished(before_state)) return;
    ++clock.generation;
    clock.paused.reset();
    clock.first_left.reset();
    clock.resolve_left.reset();
    clock.sla_state = clock.Breached() ? "breached" : "met";
  } else if (IsFinished(before_state)) {
    // A reopen: the resolution target starts again.
    ++clock.generation;
    clock.resolve_warned = false;
    clock.first_left.reset();
    clock.resolve_left = seconds(60LL * plan->policy.resolution_minutes());
    Run(parts, session, clock, *plan, now);
  } else if (state == "waiting_on_customer" && before_state != "waiting_on_customer") {
    if (clock.paused) return;
    ++clock.generation;
    if (!clock.responded && clock.first_due) {
      clock.first_left = plan->hours.Between(now, *clock.first_due);
    }
    if (clock.resolve_due) clock.resolve_left = plan->hours.Between(now, *clock.resolve_due);
    clock.first_due.reset();
    clock.resolve_due.reset();
    clock.paused = now;
    clock.sla_state = clock.Breached() ? "breached" : "paused";
  } else if (before_state == "waiting_on_customer" && state != "waiting_on_customer") {
    if (!clock.paused) return;
    ++clock.generation;
    Run(parts, session, clock, *plan, now);
  } else {
    return;
  }
  WriteClock(session, clock, now);
  Audit(parts, session, caller, before, clock);
}

void MeetFirstResponse(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, std::int64_t ticket_id) {
  const Clock before = ReadClock(session, ticket_id);
  if (before.policy_id == 0 || !before.responded) return;
  Clock clock = before;
  clock.first_due.reset();
  clock.first_left.reset();
  if (!clock.paused && !IsFinished(clock.state)) clock.sla_state = RunningState(clock);
  WriteClock(session, clock, parts.clock.Now());
  Audit(parts, session, caller, before, clock);
}

void SlaChecks::Run(const kernel::JobRun& run) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto slash = run.payload.find('/', start);
    parts.push_back(run.payload.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (parts.size() != 4) return;
  const auto ticket_id = kernel::ParseInt64(parts[0]).value_or(0);
  const auto generation = static_cast<int>(kernel::ParseInt64(parts[1]).value_or(-1));
  const bool first = parts[2] == "first";
  const bool breach = parts[3] == "breach";
  const kernel::Caller kartond = kernel::Caller::Internal();
  std::string lead_email;
  std::optional<v1::Ticket> ticket;
  Time due;
  {
    auto lease = parts_.database.Acquire();
    kernel::Transaction transaction(lease.Session());
    if (!ticket_repository::Find(lease.Session(), ticket_id, Scope::Everything())) return;
    const Clock before = ReadClock(lease.Session(), ticket_id);
    // The clock moved on, is paused, or the target is met: nothing to do.
    if (before.generation != generation || before.paused || IsFinished(before.state) ||
        (first && before.responded)) {
      return;
    }
    const auto& target_due = first ? before.first_due : before.resolve_due;
    if (!target_due) return;
    due = *target_due;
    Clock clock = before;
    bool& warned = first ? clock.first_warned : clock.resolve_warned;
    bool& breached = first ? clock.first_breached : clock.resolve_breached;
    const auto now = parts_.clock.Now();
    const bool newly = breach ? !breached : !warned;
    if (newly) {
      if (breach) {
        breached = true;
        warned = true;
        // Escalation: a level up.
        for (const auto& [from, to] : {std::pair<const char*, const char*>{"low", "normal"},
                                       {"normal", "high"},
                                       {"high", "urgent"}}) {
          if (clock.priority == from) {
            clock.priority = to;
            break;
          }
        }
      } else {
        warned = true;
      }
      clock.sla_state = RunningState(clock);
      WriteClock(lease.Session(), clock, now);
      Audit(parts_, lease.Session(), kartond, before, clock);
      ticket = ticket_repository::Find(lease.Session(), ticket_id, Scope::Everything());
      v1::SlaAlert alert;
      *alert.mutable_ticket() = *ticket;
      alert.set_target(first ? v1::SLA_TARGET_FIRST_RESPONSE : v1::SLA_TARGET_RESOLUTION);
      *alert.mutable_due_time() =
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(due));
      parts_.events.Publish(lease.Session(),
                            breach ? "helpdesk.ticket.sla_breached" : "helpdesk.ticket.sla_warning",
                            ticket_id, alert, kartond);
      if (breach) {
        v1::TicketComment note;
        note.set_ticket_id(ticket_id);
        note.set_visibility(v1::COMMENT_VISIBILITY_INTERNAL);
        note.set_body(fmt::format("SLA breached: the {} target was due {}; priority now {}.",
                                  first ? "first-response" : "resolution",
                                  google::protobuf::util::TimeUtil::ToString(alert.due_time()),
                                  clock.priority));
        const std::string key =
            fmt::format("helpdesk.sla/{}/{}/{}", ticket_id, generation, parts[2]);
        if (auto written = ticket_repository::AddCommentOnce(lease.Session(), note, key, now)) {
          parts_.events.Publish(lease.Session(), "helpdesk.ticket.commented", ticket_id, *written,
                                kartond);
        }
      }
    }
    if (breach && breached) {
      if (const auto policy = sla_repository::FindPolicy(lease.Session(), clock.policy_id)) {
        if (policy->escalate_to_user_id() > 0) {
          lead_email = sla_repository::UserEmail(lease.Session(), policy->escalate_to_user_id());
        }
      }
      if (!ticket)
        ticket = ticket_repository::Find(lease.Session(), ticket_id, Scope::Everything());
    }
    transaction.Commit();
  }
  if (lead_email.empty()) return;
  // The team lead hears of it, once per ticket, plan and target.
  messaging::v1::SendMessageRequest request;
  request.set_channel(messaging::v1::CHANNEL_EMAIL);
  request.set_category(messaging::v1::CATEGORY_TRANSACTIONAL);
  request.mutable_recipient()->set_address(lead_email);
  request.set_subject(fmt::format("SLA-sértés: {} – {}", ticket->number(), ticket->subject()));
  request.set_text_body(fmt::format(
      "A(z) {} jegy {} határideje ({}) lejárt.\nPrioritás: {}\n\nSLA breached: the {} target of "
      "ticket {} was due {}.\n",
      ticket->number(), first ? "első válasz" : "megoldási",
      google::protobuf::util::TimeUtil::ToString(
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(due))),
      kernel::EnumWord(*v1::TicketPriority_descriptor(), ticket->priority()),
      first ? "first-response" : "resolution", ticket->number(),
      google::protobuf::util::TimeUtil::ToString(
          google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(kernel::ToEpochMicros(due)))));
  request.set_idempotency_key(
      fmt::format("helpdesk.sla/{}/{}/{}", ticket_id, generation, parts[2]));
  std::int64_t message_id = 0;
  const auto status = outreach_.SendEmail(request, message_id);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      status.error_code() == grpc::StatusCode::ABORTED) {
    throw std::runtime_error("telling the team lead of ticket " + ticket->number() +
                             "'s breach: " + status.error_message());
  }
  if (!status.ok()) {
    parts_.log.warn("ticket {}: the team lead was not emailed of the SLA breach: {}",
                    ticket->number(), status.error_message());
  }
}

}  // namespace karton::helpdesk
