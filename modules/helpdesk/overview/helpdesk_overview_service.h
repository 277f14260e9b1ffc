// The helpdesk's section of the partner card (helpdesk_overview_service.proto):
// the partner's open tickets the caller may see, offered at the CRM's
// customer overview extension point, so a colleague opening the card sees
// the customer's open cases beside their deals, orders and invoices.
#pragma once

#include "karton/helpdesk/v1/helpdesk_overview_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::helpdesk {

class PartnerDirectory;

// Where the section is offered (the CRM's extension point).
inline constexpr char kOverviewSectionPoint[] = "customer_overview.section";

class HelpdeskOverviewServiceImpl final : public v1::HelpdeskOverviewService::Service {
 public:
  static kernel::MethodRoles Roles();

  HelpdeskOverviewServiceImpl(kernel::ServiceParts parts, PartnerDirectory& partners)
      : parts_(parts), partners_(partners) {}

  grpc::Status CustomerOverviewSection(grpc::ServerContext* context,
                                       const common::v1::CustomerOverviewSectionRequest* request,
                                       common::v1::CustomerOverviewSection* response) override;

 private:
  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
};

}  // namespace karton::helpdesk
