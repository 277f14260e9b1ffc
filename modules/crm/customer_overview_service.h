// karton.crm.v1.CustomerOverviewService: Partner 360 (A6). Everything about
// a customer in one call, gathered as the caller: the card, contacts and
// timeline from PartnerService, the CRM's own leads, opportunities and
// activities, and a section from every module offering one at the
// extension point "customer_overview.section".
#pragma once

#include <utility>

#include "karton/crm/v1/customer_overview_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::crm {

inline constexpr const char* kOverviewSectionPoint = "customer_overview.section";

class CustomerOverviewServiceImpl final : public v1::CustomerOverviewService::Service {
 public:
  explicit CustomerOverviewServiceImpl(kernel::ServiceParts services)
      : services_(std::move(services)) {}

  static kernel::MethodRoles Roles();

  grpc::Status GetCustomerOverview(grpc::ServerContext*, const v1::GetCustomerOverviewRequest*,
                                   v1::CustomerOverview*) override;

 private:
  const kernel::ServiceParts services_;
};

}  // namespace karton::crm
