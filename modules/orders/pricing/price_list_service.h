// PriceListService: price lists and the price a partner gets
// (price_list_service.proto).
#pragma once

#include "karton/kernel/access.h"
#include "karton/kernel/service_parts.h"
#include "karton/orders/v1/price_list_service.grpc.pb.h"
#include "orders_settings.h"

namespace karton::kernel {
class DomainEvents;
}  // namespace karton::kernel

namespace karton::orders {

class PriceListServiceImpl final : public v1::PriceListService::Service {
 public:
  static void DeclareTopics(kernel::DomainEvents& events);
  static kernel::MethodRoles Roles();

  PriceListServiceImpl(kernel::ServiceParts parts, PartnerDirectory& partners,
                       OrdersSettings settings)
      : parts_(parts), partners_(partners), settings_(std::move(settings)) {}

  grpc::Status CreatePriceList(grpc::ServerContext* context,
                               const v1::CreatePriceListRequest* request,
                               v1::PriceList* response) override;
  grpc::Status GetPriceList(grpc::ServerContext* context, const v1::GetPriceListRequest* request,
                            v1::PriceList* response) override;
  grpc::Status ListPriceLists(grpc::ServerContext* context,
                              const v1::ListPriceListsRequest* request,
                              v1::ListPriceListsResponse* response) override;
  grpc::Status UpdatePriceList(grpc::ServerContext* context,
                               const v1::UpdatePriceListRequest* request,
                               v1::PriceList* response) override;
  grpc::Status ResolvePrice(grpc::ServerContext* context, const v1::ResolvePriceRequest* request,
                            v1::ResolvePriceResponse* response) override;

 private:
  // Checks `list` as it would be stored, the partner over gRPC (before any
  // database connection is taken) and the products in `session`.
  grpc::Status Check(grpc::ServerContext* context, v1::PriceList& list);

  kernel::ServiceParts parts_;
  PartnerDirectory& partners_;
  const OrdersSettings settings_;
};

}  // namespace karton::orders
