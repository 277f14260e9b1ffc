// The one way a lead enters: from LeadService/CreateLead and from web form
// submissions alike. Inside the caller's transaction it inserts the lead,
// routes it (unless it came assigned), records the audit entry and
// publishes crm.lead.created and crm.lead.assigned; confirmations and the
// assignee's notification follow from those events (event_handlers.h).
#pragma once

#include <string>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/module.h"
#include "leads/routing.h"

namespace karton::crm {

class LeadIntake {
 public:
  LeadIntake(kernel::ModuleContext& context, Router& router) : context_(context), router_(router) {}

  // Call before taking the connection Accept() will run on.
  void Prepare() { router_.Prepare(); }

  // `lead` is checked already (NormalizeLead). Returns the stored lead.
  v1::Lead Accept(soci::session& session, v1::Lead lead, const std::string& request_id,
                  const kernel::Caller& caller, const v1::WebFormCategory* category);

 private:
  kernel::ModuleContext& context_;
  Router& router_;
};

}  // namespace karton::crm
