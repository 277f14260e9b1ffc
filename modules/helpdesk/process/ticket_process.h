// A ticket's standard process, inside the transaction of the change that
// moves it: giving a ticket its type's steps, beginning a step (its team
// takes the ticket, waiting for the customer moves its state, email and
// activity actions are scheduled as a job), finishing one and beginning the
// next. Each change is audited and published as the ticket's.
#pragma once

#include <string>
#include <vector>

#include "karton/helpdesk/v1/helpdesk.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace soci {
class session;
}  // namespace soci

namespace karton::helpdesk {

// The job that runs a step's email and activity actions (step_actions.h).
inline constexpr char kStepActionsJob[] = "step_actions";

// Gives `ticket` (locked) `steps` in place of the steps it had, none of
// them finished, and begins the first; returns the ticket after.
v1::Ticket GiveProcess(kernel::ServiceParts& parts, soci::session& session,
                       const kernel::Caller& caller, const v1::Ticket& ticket,
                       const std::vector<v1::ProcessStep>& steps);

// Finishes the ticket's current step (done, or skipped with `note` as the
// reason) and begins the next; returns the ticket after. The ticket is
// locked and has a current step.
v1::Ticket FinishStep(kernel::ServiceParts& parts, soci::session& session,
                      const kernel::Caller& caller, const v1::Ticket& ticket, bool skipped,
                      const std::string& note);

}  // namespace karton::helpdesk
