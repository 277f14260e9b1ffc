#include "other_modules.h"

#include <grpcpp/grpcpp.h>

#include "karton/kernel/calls.h"
#include "karton/orders/v1/order_service.grpc.pb.h"
#include "karton/partners/v1/partner_service.grpc.pb.h"

namespace karton::invoicing {

grpc::Status GrpcOtherModules::GetPartner(const grpc::ServerContext* from, std::int64_t partner_id,
                                          partners::v1::Partner& partner) {
  auto call = kernel::CallContextFor(from);
  partners::v1::GetPartnerRequest request;
  request.set_id(partner_id);
  return partners::v1::PartnerService::NewStub(channel_())
      ->GetPartner(call.get(), request, &partner);
}

grpc::Status GrpcOtherModules::GetOrder(const grpc::ServerContext* from, std::int64_t order_id,
                                        orders::v1::Order& order) {
  auto call = kernel::CallContextFor(from);
  orders::v1::GetOrderRequest request;
  request.set_id(order_id);
  return orders::v1::OrderService::NewStub(channel_())->GetOrder(call.get(), request, &order);
}

}  // namespace karton::invoicing
