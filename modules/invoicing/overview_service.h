// The invoicing module's section of the customer overview (A6),
// invoicing_overview_service.proto: offered at "customer_overview.section".
#pragma once

#include "invoicing_settings.h"
#include "karton/invoicing/v1/invoicing_overview_service.grpc.pb.h"
#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"

namespace karton::invoicing {

class OtherModules;

inline constexpr char kOverviewSectionPoint[] = "customer_overview.section";

class InvoicingOverviewServiceImpl final : public v1::InvoicingOverviewService::Service {
 public:
  static kernel::MethodRoles Roles();

  InvoicingOverviewServiceImpl(kernel::ServiceParts parts, OtherModules& others,
                               InvoicingSettings settings)
      : parts_(parts), others_(others), settings_(std::move(settings)) {}

  grpc::Status CustomerOverviewSection(grpc::ServerContext* context,
                                       const common::v1::CustomerOverviewSectionRequest* request,
                                       common::v1::CustomerOverviewSection* response) override;

 private:
  kernel::ServiceParts parts_;
  OtherModules& others_;
  const InvoicingSettings settings_;
};

}  // namespace karton::invoicing
