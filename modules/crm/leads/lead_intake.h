// The one way a lead enters: from LeadService/CreateLead and from web form
// submissions alike. Inside the caller's transaction it inserts the lead,
// routes it (unless it came assigned), records the audit entry and
// publishes crm.lead.created and crm.lead.assigned; confirmations and the
// assignee's notification follow from those events (event_handlers.h).
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "karton/crm/v1/crm.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "leads/routing.h"

namespace karton::crm {

class LeadIntake {
 public:
  LeadIntake(kernel::ServiceParts services, Router& router)
      : services_(std::move(services)), router_(router) {}

  // Call before taking the connection Accept() will run on.
  void Prepare() { router_.Prepare(); }

  // `lead` is checked already (NormalizeLead). Returns the stored lead.
  v1::Lead Accept(soci::session& session, v1::Lead lead, const std::string& request_id,
                  const kernel::Caller& caller, const v1::WebFormCategory* category);

  // A web form post (`lead`, checked). When the same person (email, or
  // phone when there is none) posted the same form within `repost_window`
  // and that lead is still NEW, the post's message is added to it
  // (crm.lead.updated, an audit entry) and it is returned; otherwise, and
  // with a zero window, Accept() makes a new lead.
  v1::Lead AcceptFormPost(soci::session& session, v1::Lead lead,
                          const v1::WebFormCategory* category, std::chrono::seconds repost_window);

 private:
  const kernel::ServiceParts services_;
  Router& router_;
};

}  // namespace karton::crm
