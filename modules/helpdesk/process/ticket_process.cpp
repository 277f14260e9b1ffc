#include "process/ticket_process.h"

#include <fmt/format.h>

#include "karton/kernel/audit.h"
#include "karton/kernel/events.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/typed_rows.h"
#include "process/process_rules.h"
#include "process/ticket_step_repository.h"
#include "scope.h"
#include "sla/ticket_sla.h"
#include "tickets/ticket_repository.h"
#include "tickets/ticket_states.h"

namespace karton::helpdesk {
namespace {

constexpr char kTicket[] = "helpdesk.ticket";

std::string StateWord(v1::TicketState state) {
  return kernel::EnumWord(*v1::TicketState_descriptor(), state);
}

// Begins step `position` of the ticket (whose step rows exist); returns the
// ticket after.
v1::Ticket BeginStep(kernel::ServiceParts& parts, soci::session& session,
                     const kernel::Caller& caller, const v1::Ticket& ticket, int position) {
  const auto now = parts.clock.Now();
  const auto id = ticket.id();
  const auto current = ticket_step_repository::Find(session, id, position);
  const v1::ProcessStep& step = current->step();
  ticket_step_repository::Begin(session, id, position, now,
                                std::chrono::seconds(step.due_offset().seconds()));
  ticket_step_repository::SetCurrent(session, id, position, now);
  // The step's team takes the ticket.
  const auto team = step.responsible_team_id();
  if (team > 0 && ticket_repository::TeamExists(session, team) &&
      (ticket.team_id() != team || ticket.assignee_user_id() != 0)) {
    v1::HandOverEntry entry;
    entry.set_kind(v1::HAND_OVER_KIND_ASSIGNED);
    entry.set_from_user_id(ticket.assignee_user_id());
    entry.set_from_team_id(ticket.team_id());
    entry.set_to_team_id(team);
    entry.set_note(fmt::format("Step {}: {}", position, step.name()));
    entry.set_by_user_id(caller.user_id);
    ticket_repository::AddHandOver(session, id, entry, now);
    auto moved = ticket_repository::SetAssignment(session, id, 0, team, now);
    std::vector<kernel::FieldChange> changes;
    if (ticket.assignee_user_id() != 0) {
      changes.push_back(
          kernel::FieldChange::Of("assignee_user_id", ticket.assignee_user_id(), std::int64_t{0}));
    }
    if (ticket.team_id() != team) {
      changes.push_back(kernel::FieldChange::Of("team_id", ticket.team_id(), team));
    }
    parts.audit.Record(session, caller, kernel::AuditAction::kUpdate, kTicket, id, changes);
    parts.events.Publish(session, "helpdesk.ticket.assigned", id, moved, caller);
  }
  // Waiting for the customer: the ticket's state says so (the SLA pauses).
  const std::string state = StateWord(ticket.state());
  if (WaitsForCustomer(step) && !IsFinished(state) && state != "waiting_on_customer") {
    ticket_repository::SetState(session, id, "waiting_on_customer", false, now);
    FollowStateChange(parts, session, caller, id, state);
    auto moved = *ticket_repository::Find(session, id, Scope::Everything());
    parts.audit.Record(
        session, caller, kernel::AuditAction::kUpdate, kTicket, id,
        {kernel::FieldChange::Of("state", state, "waiting_on_customer"),
         kernel::FieldChange::Of("state_reason", "",
                                 fmt::format("step {}: {}", position, step.name()))});
    parts.events.Publish(session, "helpdesk.ticket.state_changed", id, moved, caller);
  }
  if (CallsOtherModules(step)) {
    const std::string payload = fmt::format("{}/{}", id, position);
    parts.jobs.Schedule(session, {.kind = kStepActionsJob,
                                  .payload = payload,
                                  .run_at = now,
                                  .recurrence = "",
                                  .max_attempts = 10,
                                  .unique_key = "helpdesk.step_actions:" + payload});
  }
  return *ticket_repository::Find(session, id, Scope::Everything());
}

}  // namespace

v1::Ticket GiveProcess(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, const v1::Ticket& ticket,
                       const std::vector<v1::ProcessStep>& steps) {
  ticket_step_repository::Replace(session, ticket.id(), steps);
  if (steps.empty()) {
    if (ticket.current_step() != 0) {
      ticket_step_repository::SetCurrent(session, ticket.id(), 0, parts.clock.Now());
    }
    return *ticket_repository::Find(session, ticket.id(), Scope::Everything());
  }
  return BeginStep(parts, session, caller, ticket, 1);
}

v1::Ticket FinishStep(kernel::ServiceParts& parts, soci::session& session,
                      const kernel::Caller& caller, const v1::Ticket& ticket, bool skipped,
                      const std::string& note) {
  const auto now = parts.clock.Now();
  const int position = ticket.current_step();
  ticket_step_repository::Finish(session, ticket.id(), position, skipped, caller.user_id, note,
                                 now);
  if (ticket_step_repository::Find(session, ticket.id(), position + 1)) {
    return BeginStep(parts, session, caller, ticket, position + 1);
  }
  ticket_step_repository::SetCurrent(session, ticket.id(), 0, now);
  return *ticket_repository::Find(session, ticket.id(), Scope::Everything());
}

}  // namespace karton::helpdesk
