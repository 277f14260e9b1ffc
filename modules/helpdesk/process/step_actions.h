// The job that runs a process step's email and activity actions when the
// step begins (kind "step_actions", payload "<ticket id>/<position>"),
// after the change that began it committed. Each action is asked of its
// module once (an idempotency key per ticket, step and action), and its
// outcome is written on the ticket as an internal comment by kartond
// (helpdesk.ticket.commented), once. A module that is not loaded, or that
// refuses the request, is recorded and not retried; anything else (the
// module unavailable) fails the run, which the job queue retries.
#pragma once

#include "karton/kernel/jobs.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

class Outreach;

class StepActions {
 public:
  StepActions(kernel::ServiceParts parts, Outreach& outreach)
      : parts_(parts), outreach_(outreach) {}

  void Run(const kernel::JobRun& run);

 private:
  kernel::ServiceParts parts_;
  Outreach& outreach_;
};

}  // namespace karton::helpdesk
