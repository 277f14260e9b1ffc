// karton.crm.v1.WebFormService: web form definitions (C2). The public side
// (the pages and submissions) is web_form_pages.h.
#pragma once

#include <utility>

#include "karton/crm/v1/web_form_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "team_directory.h"

namespace karton::crm {

class WebFormServiceImpl final : public v1::WebFormService::Service {
 public:
  WebFormServiceImpl(kernel::ServiceParts services, TeamDirectory& teams)
      : services_(std::move(services)), teams_(teams) {}

  static kernel::MethodRoles Roles();

  grpc::Status CreateWebForm(grpc::ServerContext*, const v1::CreateWebFormRequest*,
                             v1::WebForm*) override;
  grpc::Status GetWebForm(grpc::ServerContext*, const v1::GetWebFormRequest*,
                          v1::WebForm*) override;
  grpc::Status ListWebForms(grpc::ServerContext*, const v1::ListWebFormsRequest*,
                            v1::ListWebFormsResponse*) override;
  grpc::Status UpdateWebForm(grpc::ServerContext*, const v1::UpdateWebFormRequest*,
                             v1::WebForm*) override;

 private:
  // What the definition refers to must exist: the categories' users and
  // teams, the confirmation template.
  grpc::Status CheckReferences(const v1::WebForm& form);
  // A TICKET form: the helpdesk is loaded, and its ticket type exists and
  // is active.
  grpc::Status CheckTicketTarget(const v1::WebForm& form);

  const kernel::ServiceParts services_;
  TeamDirectory& teams_;
};

}  // namespace karton::crm
