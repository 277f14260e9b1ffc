// Each ticket's SLA clock (docs/helpdesk.md, "SLA"), moved inside the
// transaction of the change that moves it:
// - Plan: a new ticket, or a new type or priority, gets the most specific
//   active policy; its targets are due so many business hours after the
//   ticket was created (a pause while waiting on the customer counts only
//   from then on);
// - a state change: waiting on the customer pauses the clock (what is left
//   of each target is kept), leaving it resumes it (due again that much
//   business time later), resolving or closing ends it (met, unless
//   breached), a reopen restarts the resolution target;
// - the first public comment of a colleague meets the first-response target.
// Each plan schedules durable jobs ("sla_check") that warn at the policy's
// share of a target and escalate when it is due; a job finds nothing to do
// once the clock moved on (the ticket's SLA generation), the target was met
// or the clock is paused.
#pragma once

#include <string>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk {

class Outreach;

inline constexpr char kSlaCheckJob[] = "sla_check";

// The ticket's policy and targets afresh (CreateTicket; UpdateTicket of
// type_id or priority).
void PlanSla(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
             std::int64_t ticket_id);
// PlanSla for a ticket created in this transaction (of `created`, its id,
// type and priority are read): without a policy for it, nothing is read or
// written. Answers whether the ticket's row changed, so that the caller
// reads it again only then.
bool StartSla(kernel::ServiceParts& parts, soci::session& session, const kernel::Caller& caller,
              const v1::Ticket& created);
// After the ticket's state went from `before` to its current one.
void FollowStateChange(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, std::int64_t ticket_id,
                       const std::string& before);
// After a colleague's first public comment.
void MeetFirstResponse(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, std::int64_t ticket_id);

// The "sla_check" job: payload "<ticket>/<generation>/<first|resolve>/<warn|breach>".
// A warning marks the target and publishes helpdesk.ticket.sla_warning; a
// breach marks it, raises the ticket's priority a level, publishes
// helpdesk.ticket.sla_breached, writes an internal comment and emails the
// policy's team lead through messaging (once: an idempotency key per
// ticket, plan and target; a refusal is logged, not retried).
class SlaChecks {
 public:
  SlaChecks(kernel::ServiceParts parts, Outreach& outreach) : parts_(parts), outreach_(outreach) {}
  void Run(const kernel::JobRun& run);

 private:
  kernel::ServiceParts parts_;
  Outreach& outreach_;
};

}  // namespace karton::helpdesk
