// The orders module's section of the customer overview (A6),
// orders_overview_service.proto: offered at "customer_overview.section".
#pragma once

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/orders/v1/orders_overview_service.grpc.pb.h"
#include "orders_settings.h"

namespace karton::orders {

class PartnerDirectory;

inline constexpr char kOverviewSectionPoint[] = "customer_overview.section";

class OrdersOverviewServiceImpl final : public v1::OrdersOverviewService::Service {
 public:
  static kernel::MethodRoles Roles();

  OrdersOverviewServiceImpl(kernel::ServiceParts parts, PartnerDirectory& partners)
      : parts_(parts), partners_(partners) {}

  grpc::Status CustomerOverviewSection(grpc::ServerContext* context,
                                       const common::v1::CustomerOverviewSectionRequest* request,
                                       common::v1::CustomerOverviewSection* response) override;

 private:
  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
};

}  // namespace karton::orders
